"""What a sandbox must not see of the grading machine, handed to ``sandbox.bwrap.command`` by
the code that starts it (the sandbox knows no grader): /tmp and the home folder, the course
directory (solutions, gradebook, the keyed seeds), the retraining cache, and the grader's
checkout when it runs from one (its reference/ and source/ hold the solutions and hidden
tests; the package, its environment and the data are bound back read-only)."""
import os

import autograder

from .cache import CACHE_VARIABLE, default_dir

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(autograder.__file__)))


def hidden_paths(course_dir=None):
    paths = ["/tmp", os.path.expanduser("~")] + ([course_dir] if course_dir else [])
    paths.append(os.environ.get(CACHE_VARIABLE) or default_dir())
    if os.path.exists(os.path.join(PACKAGE_ROOT, "pyproject.toml")):
        paths.append(PACKAGE_ROOT)
    return [os.path.realpath(p) for p in paths]
