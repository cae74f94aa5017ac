"""nbgrader's commands, run as nbgrader runs them, from the course directory, and its
gradebook, opened one way (``open_gradebook``).

nbgrader stamps a new gradebook with the head of its migrations by starting ``alembic heads``
from PATH (``nbgrader.api.get_alembic_version``): 4-5 s of CPU for a new interpreter on the
project's 2-core machine, and "No such file or directory: 'alembic'" from a virtual environment
that is not activated. The grader's processes read the same head with alembic's own
``ScriptDirectory`` from nbgrader's migrations folder, in process (0.2 s); nbgrader's commands
still find the interpreter's bin folder first on PATH.
"""
import os
import subprocess
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory
from nbgrader import api as nbgrader_api
from nbgrader.dbutil import ALEMBIC_DIR

from ..assignment import current
from .feedback_filters import seal_feedback

# `python -c` for nbgrader's commands: the grader's lean imports and in-process gradebook
# stamp, then nbgrader's own entry point.
NBGRADER_MAIN = ("import sys; from autograder.common.lean_imports import lean_start; lean_start(); "
                 f"from {__name__} import stamp_in_process; stamp_in_process(); "
                 "sys.argv[0] = 'nbgrader'; from nbgrader.apps.nbgraderapp import main; main()")


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


def gradebook_head():
    """The head of nbgrader's gradebook migrations: the first word `alembic heads` prints."""
    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_heads()[0]


def stamp_in_process():
    """New gradebooks of this process are stamped with ``gradebook_head`` (the module's docstring)."""
    nbgrader_api.get_alembic_version = gradebook_head


def open_gradebook(course_dir):
    """nbgrader's gradebook of the course (a context manager; created if absent)."""
    stamp_in_process()
    return nbgrader_api.Gradebook("sqlite:///" + os.path.join(course_dir, "gradebook.db"))


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
