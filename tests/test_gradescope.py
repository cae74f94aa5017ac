"""The Gradescope autograder: the bundle Gradescope builds its image from, and run_autograder
run in Gradescope's directory layout (under a temporary root), leaving a results.json with
Gradescope's documented fields."""
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from autograder.instructor.gradescope import bundle
from tests.helpers import CHECKS, REPO, make_course
from tests.hostile.corpus import R, Case, expected_points, models3, write

# https://gradescope-autograders.readthedocs.io/en/latest/specs/ (results.json)
TOP = {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility", "tests",
       "leaderboard", "extra_data", "test_output_format", "test_name_format"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
        "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("gradescope")
    path = bundle(str(root / "autograder.zip"))
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        z.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / name, modes[name])
    return root, names, modes


def valid_results(results):
    assert set(results) <= TOP, set(results) - TOP
    assert isinstance(results["score"], (int, float)) and results.get("visibility", "visible") in VISIBILITY
    for test in results["tests"]:
        assert set(test) <= TEST and {"name", "score", "max_score"} <= set(test)
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"]
    assert abs(sum(t["score"] for t in results["tests"]) - results["score"]) < 1e-6


def run_autograder(root, notebook_bytes):
    submission = root / "submission"
    if submission.exists():
        import shutil
        shutil.rmtree(submission)
    submission.mkdir()
    (submission / "regularization.ipynb").write_bytes(notebook_bytes)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_the_bundle_holds_setup_run_autograder_the_grader_and_the_course(unpacked):
    _, names, modes = unpacked
    assert {"setup.sh", "run_autograder"} <= set(names)
    assert all(modes[n] & stat.S_IXUSR for n in ("setup.sh", "run_autograder"))
    assert [n for n in names if n.startswith("wheels/module07_autograder-")]
    assert {"course/nbgrader_config.py", "course/reference/thresholds.json",
            "course/source/regularization/regularization.ipynb"} <= set(names)


@pytest.mark.slow
def test_run_autograder_grades_a_broken_and_a_correct_submission(unpacked):
    root, _, _ = unpacked
    broken = run_autograder(root, b'{"cells": [{"cell_type": "code", "sour')
    valid_results(broken)
    assert broken["score"] == 0 and {t["name"] for t in broken["tests"]} == set(CHECKS)
    assert "not a valid notebook" in broken["output"]
    # The reference's DROPOUT_RATES and Exercise 3 models (fast to execute; retrained for real).
    (root / "class").mkdir()
    course = make_course(root / "class")
    write(course, "ann", Case("Exercise 3's models", parts=("r", "3m")))
    results = run_autograder(root, (course / "submitted" / "ann" / "regularization" / "regularization.ipynb").read_bytes())
    valid_results(results)
    want = expected_points(Case("", earns=dict(R, **models3())))
    assert {t["name"]: t["score"] for t in results["tests"]} == want
    assert results["score"] == sum(want.values())
    hidden = {t["name"]: t["visibility"] for t in results["tests"]}
    assert hidden["ex3_accuracy"] == "after_published" and hidden["ex2_bn_before"] == "visible"
