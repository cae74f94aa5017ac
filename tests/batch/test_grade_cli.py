"""`autograder grade` from the command line: its refusals, and the unsandboxed path."""
import os
import subprocess
import sys

import nbformat
import pytest

from autograder.course.nbgrader_steps import notebook_path
from autograder.sandbox.bwrap import bwrap_path
from tests.helpers import CHECKS, make_course


def run(course, *args, env=None):
    return subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "grade", *args],
                          capture_output=True, text=True, timeout=600, env=env)


def test_no_submissions_is_one_line_naming_the_fix(course):
    proc = run(course)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "autograder collect" in proc.stderr


def test_an_unknown_assignment_says_to_generate_it(course):
    (course / "submitted" / "ann" / "regularization").mkdir(parents=True)
    proc = run(course)
    assert proc.returncode == 2
    assert "run `autograder release` first" in proc.stderr
    assert not (course / "gradebook.db").exists()       # refusing changed nothing


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")
def test_a_machine_without_its_datasets_grades_nobody_and_says_what_to_do(tmp_path):
    course = make_course(tmp_path)
    (course / "submitted" / "ann" / "regularization").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), notebook_path(str(course), "submitted", "ann"))
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_DATA_DIR"}
    proc = run(course, env=env)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "nothing was graded: the sandboxed notebooks have no network" in proc.stderr
    proc = run(course, env=dict(env, AUTOGRADER_DATA_DIR=str(tmp_path)))
    assert proc.returncode == 2 and "Fashion-MNIST not found" in proc.stderr
    assert not (course / ".autograder" / "batch").exists()      # nobody was executed


@pytest.mark.slow
def test_no_sandbox_grades_with_a_warning_in_the_summary(tmp_path):
    course = make_course(tmp_path)
    release = nbformat.read(notebook_path(str(course), "release"), 4)
    release.cells = [nbformat.v4.new_code_cell("DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]")] + [
        c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") in CHECKS]
    path = notebook_path(str(course), "submitted", "ann")
    (course / "submitted" / "ann" / "regularization").mkdir(parents=True)
    nbformat.write(release, path)
    proc = run(course, "--no-sandbox")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "sandbox OFF" in proc.stdout
    assert "ann" in proc.stdout and f"{CHECKS['ex1_rates'].points:g}/{sum(c.points for c in CHECKS.values()):g}" in proc.stdout
