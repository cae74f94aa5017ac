"""nbgrader's commands, run as nbgrader runs them, from the course directory.

nbgrader starts ``alembic`` from PATH; from a virtual environment that is not activated that
fails with "No such file or directory: 'alembic'", so the interpreter's own bin folder goes
first on PATH.
"""
import os
import subprocess
import sys

from ..assignment import current
from ..common.lean_imports import NBGRADER_MAIN
from .feedback_filters import seal_feedback


def notebook_path(course_dir, folder, student=None):
    """The assignment's notebook in one of nbgrader's folders: source/release (no student) or
    submitted/autograded (per student)."""
    return current().notebook_path(course_dir, folder, student)


class NbgraderError(RuntimeError):
    pass


def nbgrader_env():
    env = dict(os.environ)
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def hints():
    """What to do about the failures instructors meet most: {symptom in nbgrader's log: fix}."""
    name = current().name
    return {f"No assignment with ID '{name}' exists in the database":
            "the gradebook does not know the assignment yet; run `autograder release` first", **HINTS}


HINTS = {
    "because there are submissions associated with it":
        "the source notebook's graded cells changed since submissions were graded; nbgrader will "
        "not change them under recorded grades: back up and remove gradebook.db (autograde "
        "records the grades again), then rerun",
    "No such file or directory: 'alembic'":
        "nbgrader cannot find `alembic`; activate the virtual environment or put its bin/ on PATH",
}


def run_nbgrader(course_dir, *args, quiet=True):
    """Run ``nbgrader ARGS`` in the course directory; raise NbgraderError with its log on failure."""
    cmd = [sys.executable, "-c", NBGRADER_MAIN, *args]
    proc = subprocess.run(cmd, cwd=course_dir, env=nbgrader_env(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-30:])
        hint = next((fix for symptom, fix in hints().items() if symptom in proc.stdout), "")
        raise NbgraderError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode})"
                            f"{': ' + hint if hint else ''}\n{tail}")
    if not quiet:
        print(proc.stdout)
    return proc.stdout


def generate_assignment(course_dir):
    return run_nbgrader(course_dir, "generate_assignment", current().name, "--force")


def autograde(course_dir, student=None):
    args = ["autograde", current().name, "--force"]
    if student:
        args += [f"--student={student}"]     # one argument: an id never reads as an option
    return run_nbgrader(course_dir, *args)


def generate_feedback(course_dir, student=None):
    args = ["generate_feedback", current().name, "--force"]
    if student:
        args += [f"--student={student}"]     # one argument: an id never reads as an option
    out = run_nbgrader(course_dir, *args)
    seal_feedback(course_dir, student)
    return out
