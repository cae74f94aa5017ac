"""What the notebook's test cells call: ``check("ex2_bn_before", globals())``.

nbgrader fails a test cell that writes anything to stderr, and TensorFlow writes warnings
there; the check's stderr (Python and file-descriptor level) is caught and echoed on stdout,
so a correct answer never loses points to a library's warning.
"""
import contextlib
import io
import os
import secrets
import sys
import tempfile
import warnings

from .assignment import current
from .checks import Subject, checks_of, get_check

_SUBJECTS = {}


class CheckFailed(AssertionError):
    """A failed check; its message says what is wrong and where."""


def subject_for(namespace):
    """One Subject per notebook namespace: each builder is called once per grading."""
    key = id(namespace)
    if key not in _SUBJECTS:
        _SUBJECTS[key] = Subject(namespace)
    return _SUBJECTS[key]


@contextlib.contextmanager
def _stderr_to(buffer):
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            with contextlib.redirect_stderr(buffer), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            tmp.seek(0)
            buffer.write(tmp.read().decode("utf-8", "replace"))
            for w in caught:
                buffer.write(f"{w.category.__name__}: {w.message}\n")


@contextlib.contextmanager
def quiet():
    """Whatever libraries write on stderr meanwhile is summed up on stdout, in one line."""
    noise = io.StringIO()
    with _stderr_to(noise):
        yield
    text = noise.getvalue().strip()
    if text:
        lines = text.splitlines()
        print(f"(library messages on stderr during this check, not counted against you: "
              f"{len(lines)} line(s); first: {lines[0][:200]})")


def run_check(name, namespace):
    """Run one named check against the notebook namespace; returns its CheckResult."""
    with quiet():
        return get_check(name).run(subject_for(namespace))


def check(name, namespace):
    """Print the check's verdict; raise CheckFailed when it earns nothing.

    Returns None when it passes and the points earned when it earns part of them: nbgrader
    reads a test cell's numeric value as partial credit.
    """
    __tracebackhide__ = True
    result = run_check(name, namespace)
    print(result.summary())
    if result.passed:
        return None
    if result.points > 0:
        return result.points
    raise CheckFailed(result.message)


def check_all(namespace, exercise=None):
    """Every visible check (or one exercise's) against the notebook as it is now: one verdict
    per line, then the visible points. Never raises, so it can sit anywhere in the notebook;
    hidden checks (accuracy by retraining, honesty) run only when the notebook is graded."""
    __tracebackhide__ = True
    checks = checks_of(current()).values()     # a student's kernel holds one assignment: the one in force
    chosen = [c for c in checks if not c.hidden and exercise in (None, c.exercise)]
    subject = subject_for(namespace)
    seed = secrets.randbits(31)         # one set of inputs: the sweep runs once for its two checks
    earned = possible = 0.0
    for c in chosen:
        with quiet():
            result = c.run(subject, seed)
        print(result.summary())
        earned, possible = earned + result.points, possible + result.possible
    hidden = sum(c.points for c in checks if c.hidden and exercise in (None, c.exercise))
    print(f"{earned:g} / {possible:g} visible points"
          + (f"; {hidden:g} more points are checked when your notebook is graded "
             "(the grader retrains your models and re-runs your sweep on its own data)" if hidden else ""))
