"""An assignment's checks, in its order: visible, hidden, then the accuracy checks derived from
its declaration (where the grader is installed; a student's package ships none).

Built here, once per assignment, from what its check modules declared (``registry``): the
assignment knows nothing of checks, and the checks read the assignment, so the arrows run one
way. Code holding an assignment asks ``checks_of`` and hands the mapping on (the batch: the
assignment it grades); only the student's side, a kernel with one assignment, reads the
assignment in force (``get_check``).
"""
import importlib

from ..assignment import SpecError, current
from . import registry

try:
    from .accuracy import accuracy_check
except ModuleNotFoundError as exc:      # a student's package: no retraining
    if exc.name != f"{__package__}.accuracy":
        raise
    accuracy_check = None


def checks_of(assignment):
    """{name: Check} of ``assignment``, in its order: visible, hidden, accuracy."""
    cached = assignment.__dict__.get("_checks")
    if cached is None:
        cached = _collect(assignment)
        object.__setattr__(assignment, "_checks", cached)      # frozen: built once, kept with it
    return cached


def _collect(assignment):
    modules = tuple(assignment.checks) + tuple(assignment.hidden_checks)
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A student's package ships the visible checks only.
            if not (exc.name == name and name in assignment.hidden_checks):
                raise
    out = {}
    for module in modules:
        out.update((n, c) for n, c in registry.declared().items() if c.module == module)
    for accuracy in assignment.accuracy if accuracy_check else ():
        if accuracy.check in out:
            raise SpecError(f"{assignment.name}: check {accuracy.check!r} is declared twice")
        out[accuracy.check] = accuracy_check(accuracy)
    return out


def kernel_checks(checks):
    """The names of ``checks`` ({name: Check}) that the kernel observes."""
    return tuple(name for name, check in checks.items() if not check.from_model)


def get_check(name):
    """The check ``name`` of the assignment in force (a notebook's or a grading kernel's)."""
    checks = checks_of(current())
    try:
        return checks[name]
    except KeyError:
        raise KeyError(f"Unknown check {name!r}. Known checks: {', '.join(checks)}") from None
