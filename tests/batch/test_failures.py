"""Submissions that hang, die or exhaust memory: each gets its zeros and one clear reason,
and the batch goes on to grade the others."""
import nbformat
import pytest

from autograder.batch import grade
from autograder.batch.sandbox import bwrap_path
from autograder.checks import CHECKS
from autograder.gradebook import read_scores
from autograder.nbgrader_steps import generate_assignment, notebook_path

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]

CASES = {
    "quitter": "import os\nos._exit(3)",
    "looper": "while True:\n    pass",
    "stubborn": ("import time\nwhile True:\n    try:\n        time.sleep(100)\n"
                 "    except KeyboardInterrupt:\n        pass"),
    "hog": "hog = bytearray(64 * 2**30)",
}


def write_case(course, student, code, drop=()):
    """The release's test cells (less ``drop``) after one cell of the student's code."""
    release = nbformat.read(notebook_path(str(course), "release"), 4)
    tests = [c for c in release.cells
             if c.metadata.get("nbgrader", {}).get("grade_id") in set(CHECKS) - set(drop)]
    release.cells = [nbformat.v4.new_code_cell(code)] + tests
    path = notebook_path(str(course), "submitted", student)
    (course / "submitted" / student / "regularization").mkdir(parents=True)
    nbformat.write(release, path)


def test_hangs_deaths_and_memory_bombs_get_a_grade_and_a_reason(course):
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\nc.Sandbox.cell_timeout_s = 4\nc.Sandbox.submission_timeout_s = 25\n")
    generate_assignment(str(course))
    for student, code in CASES.items():
        write_case(course, student, code)
    # A student who deleted the test cell of a check they pass still gets its point.
    write_case(course, "deleter", "DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]",
               drop=["ex1_rates"])
    summary = grade.main(course_dir=str(course), workers=2, show_progress=False)
    assert set(summary["scores"]) == set(CASES) | {"deleter"}
    assert summary["scores"].pop("deleter") == CHECKS["ex1_rates"].points
    assert all(score == 0 for score in summary["scores"].values())
    failed = summary["failed"]
    assert "kernel died" in failed["quitter"]
    assert "ran longer than 4 s and was interrupted" in failed["looper"]
    assert "ran longer than 25 s and was stopped" in failed["stubborn"]
    rows = {r.student: r for r in read_scores(str(course))}
    assert set(rows) == set(CASES) | {"deleter"}       # every one recorded in the gradebook
    assert rows["deleter"].scores["ex1_rates"] == (1.0, 1.0)
    # The memory bomb fails in its own cell; the checks after it still ran and say why.
    assert "`DROPOUT_RATES` is not defined" in rows["hog"].messages["ex1_rates"]
    executed = (course / ".autograder" / "batch" / "hog" / "executed.ipynb").read_text()
    assert "MemoryError" in executed
    feedback = (course / "feedback" / "quitter" / "regularization" / "regularization.html").read_text()
    assert "kernel died" in feedback
    # Reading the code flags the one that ends the kernel on purpose, for the instructor.
    assert set(summary["flagged"]) == {"quitter"}
    assert "os._exit" in summary["flagged"]["quitter"][0]
    report = (course / "exports" / "report.html").read_text()
    assert "Flagged for review" in report and "os._exit" in report
