"""The named checks of the module, declared once with their points.

A check function takes a ``Subject`` (the student's namespace, seen through the grader)
and returns the list of problems it found; an empty list means the check passed.
The source notebook's test cells carry the same names and points (a test keeps them equal).
"""
import time
from dataclasses import dataclass

from .result import CheckResult
from .subject import Problem


@dataclass(frozen=True)
class Check:
    name: str
    exercise: int
    points: float
    hidden: bool
    description: str
    function: object
    from_model: bool = False    # judged from the model's config alone (see batch.observe)

    def run(self, subject):
        """Run the check; any exception, the student's or ours, becomes a failed result."""
        start = time.perf_counter()
        try:
            problems = list(self.function(subject))
        except Problem as problem:
            problems = [str(problem)]
        except Exception as exc:  # an exception during grading is a result, not a crash
            problems = [f"the check could not run: {type(exc).__name__}: {exc}"]
        duration = time.perf_counter() - start
        if problems:
            return CheckResult(self.name, False, 0.0, self.points, "; ".join(problems), duration)
        return CheckResult(self.name, True, self.points, self.points, self.description, duration)


CHECKS = {}


def check(name, *, exercise, points, description, hidden=False, from_model=False):
    """Register a check function under ``name``.

    ``from_model``: the check reads only ``subject.description``/``model_config``/
    ``optimizer_config``, so the batch grader runs it outside the student's kernel."""
    def register(function):
        if name in CHECKS:
            raise ValueError(f"Check {name!r} is declared twice.")
        CHECKS[name] = Check(name, exercise, points, hidden, description, function, from_model)
        return function
    return register


def get_check(name):
    try:
        return CHECKS[name]
    except KeyError:
        raise KeyError(f"Unknown check {name!r}. Known checks: {', '.join(CHECKS)}") from None
