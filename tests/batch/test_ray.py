"""The batch's stages as tasks on a (local, real) Ray instance."""
import json
import subprocess
import sys

import pytest

from autograder.sandbox.bwrap import bwrap_path
from autograder.course.gradebook import read_scores
from tests.helpers import make_course
from tests.hostile.corpus import R, Case, expected_points, write

# What Ray changes is where the stages run, not what they compute (the class's grades are the
# sandbox's and the judge's, tested everywhere else): a student with no library to import.
ALICE = Case("Exercise 1's rates", parts=("r",), earns=R)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]


def test_a_class_graded_through_ray(tmp_path):
    pytest.importorskip("ray")
    course = make_course(tmp_path)
    write(course, "alice", ALICE)
    empty = course / "submitted" / "erin" / "regularization"
    empty.mkdir(parents=True)
    (empty / "regularization.ipynb").write_text("")
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "grade",
                           "--ray", "local"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "on Ray" in proc.stdout
    summary = json.loads((course / "exports" / "summary.json").read_text())
    assert summary["ray"] is True and summary["executions"]["run"] == 2
    rows = {r.student: r for r in read_scores(str(course))}
    assert {c: s for c, (s, _) in rows["alice"].scores.items()} == expected_points(ALICE)
    assert rows["erin"].auto_total == 0
    assert "empty file" in summary["failed"]["erin"]
