"""A second assignment, declared in its own spec (tests/fixtures/l2course: a source notebook, a
spec with one visible model check, one visible check that calls the student's function and one
accuracy check, a reference solution), taken through the same commands as Module 07 with no
change to the package: calibrated from its reference, released, graded in the sandbox, exported;
by a grader installed as an instructor installs it (a wheel, not this checkout), from a course
folder of its own whose thresholds are the ones in force."""
import csv
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.sandbox.bwrap import bwrap_path
from tests.helpers import installed_grader

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(REPO, "tests", "fixtures", "l2course")

RIGHT = None        # the source's solution
NO_L2 = ("def create_l2_mlp():\n    return keras.Sequential([layers.Input(shape=(784,)), "
         "layers.Dense(128, activation='relu'), layers.Dense(10, activation='softmax')])\n\n\n"
         "def l2_penalty(weights, lam):\n    return lam * sum(float(np.sum(np.square(w))) for w in weights)\n")
WRONG_PENALTY = ("def create_l2_mlp():\n    return keras.Sequential([layers.Input(shape=(784,)), "
                 "layers.Dense(128, activation='relu', kernel_regularizer=regularizers.l2(1e-4)), "
                 "layers.Dense(10, activation='softmax')])\n\n\n"
                 "def l2_penalty(weights, lam):\n    return lam * sum(float(np.sum(np.abs(w))) for w in weights)\n")


PYTHON = [sys.executable]


def autograder(course, *args):
    proc = subprocess.run([*PYTHON, "-m", "autograder", "--course", str(course), *args],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-3000:])
    return proc


def submit(course, student, solution):
    release = nbformat.read(course / "release" / "l2mlp" / "l2mlp.ipynb", as_version=4)
    source = nbformat.read(course / "source" / "l2mlp" / "l2mlp.ipynb", as_version=4)
    for cell, original in zip(release.cells, source.cells):
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = original.source if solution is None else solution
    folder = course / "submitted" / student / "l2mlp"
    folder.mkdir(parents=True)
    nbformat.write(release, folder / "l2mlp.ipynb")


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")
def test_a_second_assignment_is_graded_from_its_spec_alone(tmp_path, monkeypatch):
    course = tmp_path / "l2course"
    shutil.copytree(FIXTURE, course)
    python = installed_grader(tmp_path / "install")
    monkeypatch.setattr(sys.modules[__name__], "PYTHON", [python])

    # Calibrated from the reference its spec names (reference/, never bound into the sandbox).
    autograder(course, "calibrate", "--profile", "quick", "--seeds", "2")
    entry = json.loads((course / "reference" / "thresholds.json").read_text())["quick"]["l2_accuracy"]["create_l2_mlp"]
    assert entry["protocol"] == "fashion_mnist_mlp" and len(entry["best_val_acc"]) == 2
    assert 0.5 < entry["threshold"] < min(entry["best_val_acc"])

    # Released under the name the course's nbgrader_config.py gives (c.Course.assignment); no
    # Module 07 student package for it.
    out = autograder(course, "release").stdout
    assert "release/l2mlp/l2mlp.ipynb" in out and "student package" not in out
    release = (course / "release" / "l2mlp" / "l2mlp.ipynb").read_text()
    assert "BEGIN SOLUTION" not in release and 'check("l2_accuracy"' not in release

    submit(course, "right", RIGHT)
    submit(course, "no_l2", NO_L2)
    submit(course, "wrong_penalty", WRONG_PENALTY)
    autograder(course, "grade")

    summary = json.loads((course / "exports" / "summary.json").read_text())
    assert summary["possible"] == 7 and summary["scores"] == {"right": 7, "no_l2": 4, "wrong_penalty": 5}, summary
    # Keras read from a package folder beyond the grader's prefix (a .pth line) is still the library.
    assert summary.get("flagged", {}) == {}, summary["flagged"]
    with open(course / "exports" / "grades.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows["right"]) >= {"l2_model", "l2_penalty", "l2_accuracy"}
    assert (rows["no_l2"]["l2_model"], rows["no_l2"]["l2_accuracy"]) == ("0", "2")
    assert rows["wrong_penalty"]["l2_penalty"] == "0"
    # The messages a student reads, from the assignment's own checks, in their feedback.
    no_l2 = (course / "feedback" / "no_l2" / "l2mlp" / "l2mlp.html").read_text()
    assert "hidden layer 1 (Dense 128): no L2 kernel regularizer" in no_l2
    wrong = (course / "feedback" / "wrong_penalty" / "l2mlp" / "l2mlp.html").read_text()
    assert "l2_penalty returned" in wrong and "expected" in wrong
    # The grader's own retraining, held to the calibrated threshold, in the judgement.
    judgement = json.loads((course / ".autograder" / "batch" / "right" / "judgement.json").read_text())
    retrained = judgement["retrained"]["create_l2_mlp"]
    assert retrained["check"] == "l2_accuracy" and retrained["threshold"] == entry["threshold"]
    assert retrained["best_val_acc"] >= entry["threshold"]

    # The course's own thresholds are the ones in force: made stricter, the class is re-judged
    # (not re-executed, not retrained) and the right model loses its accuracy points.
    thresholds = json.loads((course / "reference" / "thresholds.json").read_text())
    thresholds["quick"]["l2_accuracy"]["create_l2_mlp"]["threshold"] = 0.999
    (course / "reference" / "thresholds.json").write_text(json.dumps(thresholds))
    out = autograder(course, "grade").stdout
    summary = json.loads((course / "exports" / "summary.json").read_text())
    assert summary["scores"] == {"right": 5, "no_l2": 2, "wrong_penalty": 3}, out
    assert summary["executions"]["run"] == 0 and summary["retraining"]["trained"] == 0

    # Its Gradescope autograder, from the installed grader: the course's own thresholds inside.
    autograder(course, "gradescope-bundle")
    import zipfile
    with zipfile.ZipFile(course / "exports" / "autograder.zip") as z:
        assert json.loads(z.read("course/reference/thresholds.json")) == thresholds
        assert any(n.startswith("wheels/module07_autograder-") for n in z.namelist())
    assert [p.name for p in (course / "exports").iterdir() if p.name.endswith(".partial")] == []
