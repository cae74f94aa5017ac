"""Real nbgrader: autograde sample submissions, read the gradebook, generate feedback."""
import csv
import hashlib

import nbformat
import pytest

from autograder.course import nbgrader_steps
from autograder.course.gradebook import read_scores
from autograder.tools.sample_class import SAMPLES, write_samples
from tests.helpers import CHECKS

# The reference solution but for a weak CIFAR model and a patched fit (the reference itself,
# crashes and the rest: tests/checks, tests/batch, tests/hostile).
STUDENTS = ["patched_fit"]
# Demonstrations deleted: the same grade in a third of the time.


@pytest.mark.slow
def test_autograde_fills_the_gradebook_and_feedback_explains(course):
    paths = write_samples(str(course), STUDENTS, lean=True)
    # The student's own notebook shows the number its patched fit makes up.
    nb = nbformat.read(paths[0], 4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "claimed = create_cifar_model().fit(None).history['val_accuracy'][-1]\n"
        "print(f'Regularized  best val acc {claimed:.4f}')"))
    nbformat.write(nb, paths[0])
    before = {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths}

    with pytest.raises(nbgrader_steps.NbgraderError, match="run `autograder release` first"):
        nbgrader_steps.autograde(str(course))     # the gradebook does not know the assignment yet
    nbgrader_steps.generate_assignment(str(course))
    nbgrader_steps.autograde(str(course))
    nbgrader_steps.generate_feedback(str(course))

    rows = {r.student: r for r in read_scores(str(course))}
    assert set(rows) == set(STUDENTS)
    automatic = sum(check.points for check in CHECKS.values())
    assert rows["patched_fit"].auto_possible == automatic
    assert rows["patched_fit"].auto_total == automatic - CHECKS["ex3_accuracy"].points
    for student in STUDENTS:
        assert rows[student].lost() == SAMPLES[student].expected_lost, rows[student].messages
    # The notebook printed the 0.99 its patched fit made up; the grade is what the model earns.
    autograded = course / "autograded" / "patched_fit" / "regularization" / "regularization.ipynb"
    assert "Regularized  best val acc 0.9900" in autograded.read_text()
    assert "when the grader retrained it" in rows["patched_fit"].messages["ex3_accuracy"]

    feedback = course / "feedback" / "patched_fit" / "regularization" / "regularization.html"
    html = feedback.read_text()
    assert "reached" in html and "when the grader retrained it" in html
    written = 9                                      # nine answers graded by hand, 1 point each
    assert f"Score: {automatic - 4:.1f} / {automatic + written:.1f}" in html
    assert "BEGIN HIDDEN TESTS" not in html          # messages, never the hidden tests' code

    # grades.csv: a row per student, a column per check, and the reason for each lost point.
    from autograder.cli import main as cli
    assert cli(["--course", str(course), "export"]) == 0
    with open(course / "exports" / "grades.csv", newline="") as f:
        table = {r["student"]: r for r in csv.DictReader(f)}
    assert set(table) == set(STUDENTS)
    assert all(table["patched_fit"][name] == f"{check.points:g}" for name, check in CHECKS.items()
               if name != "ex3_accuracy")
    assert table["patched_fit"]["ex3_accuracy"] == "0" and table["patched_fit"]["ex3_model"] == "4"
    assert table["patched_fit"]["auto_score"] == f"{automatic - 4:g}"
    assert "ex3_accuracy (-4): CheckFailed:" in table["patched_fit"]["reasons"]
    assert "when the grader retrained it" in table["patched_fit"]["reasons"]

    # What the students handed in is never modified.
    assert before == {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths}
