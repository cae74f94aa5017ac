"""The student's package: what the released notebook imports, and nothing to hide.

A wheel (``module07-student``) of the data loaders, the training budgets, ``check()`` and
``check_all()``, the model description and the visible checks; built from this repository's
own files (one copy of the code), without the reference solutions, the hidden checks, the
thresholds, the retraining, the batch grader, nbgrader or Ray. ``autograder release`` puts it
beside the release notebook, whose first cell says how to install it.
"""
import os
import shutil
import subprocess
import sys
import tempfile

NAME = "module07-student"
VERSION = "0.1.0"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ("autograder/__init__.py", "autograder/args.py", "autograder/assignment.py", "autograder/course_config.py", "autograder/module07.py",
         "autograder/budget.py", "autograder/data.py",
         "autograder/model_description.py", "autograder/notebook.py",
         "autograder/checks/__init__.py", "autograder/checks/in_force.py", "autograder/checks/registry.py", "autograder/checks/result.py",
         "autograder/checks/subject.py", "autograder/checks/inputs.py", "autograder/checks/structure.py",
         "autograder/checks/exercise1.py", "autograder/checks/exercise2.py", "autograder/checks/exercise3.py")
# The notebook's own imports (TensorFlow, seaborn) are the course environment's, not ours.
DEPENDENCIES = ("keras>=3.10", "numpy>=1.26", "matplotlib>=3.8", "scikit-learn>=1.4")
PYPROJECT = f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{NAME}"
version = "{VERSION}"
description = "Module 07 (Regularization): the data loaders, training budgets and visible checks the notebook uses"
requires-python = ">=3.10"
dependencies = {list(DEPENDENCIES)!r}

[tool.setuptools]
packages = ["autograder", "autograder.checks"]
"""


def wheel_name():
    return f"{NAME.replace('-', '_')}-{VERSION}-py3-none-any.whl"


def build_wheel(project, out_dir, what):
    """``pip wheel`` of the project folder ``project`` (a copy: pip builds in the source tree)
    into ``out_dir``, with fixed timestamps, so the same files give the same bytes."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", PIP_NO_INPUT="1")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--no-cache-dir", "-q", "-w", os.path.abspath(out_dir), project],
                          capture_output=True, text=True, env=env, cwd=project)
    if proc.returncode != 0:
        raise RuntimeError(f"building {what} failed: {proc.stderr[-2000:]}")


def build(out_dir):
    """Build the wheel into ``out_dir``; returns its path. Reproducible: the same files give
    the same bytes (fixed timestamps)."""
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="student-package-") as tmp:
        for rel in FILES:
            os.makedirs(os.path.join(tmp, os.path.dirname(rel)), exist_ok=True)
            shutil.copyfile(os.path.join(ROOT, rel), os.path.join(tmp, rel))
        with open(os.path.join(tmp, "pyproject.toml"), "w") as f:
            f.write(PYPROJECT)
        build_wheel(tmp, out_dir, "the student package")
    return os.path.join(out_dir, wheel_name())
