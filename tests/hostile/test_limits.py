"""The cases that exhaust a limit (an endless loop, one that ignores interrupts, 64 GB, a fork
bomb, floods of output, a full disk) graded in one batch, under limits as tight as an instructor
may set them, beside an honest neighbour: each earns what its honest cells earn, says which
limit stopped it, stays within its own limits, and leaves no process behind."""
import json
import os

import pytest

from autograder.batch import grade
from autograder.course.gradebook import read_scores
from autograder.sandbox.bwrap import bwrap_path
from tests.helpers import cmdline, make_course
from tests.hostile.corpus import (LIMIT_CASES, R, Case, assert_expected_points, assert_one_clear_reason,
                                  assert_within_submission_limit, sandbox_limits, write)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]
# An honest case here runs a few lines of Python and no library (4-5 s alone, its kernel's start
# included), so a cell limit of 10 s and a submission limit of 30 s leave room for a loaded machine.
SUBMISSION_LIMIT_S = 30
LIMITS = sandbox_limits(cell_timeout_s=10, submission_timeout_s=SUBMISSION_LIMIT_S)
ALL = dict(LIMIT_CASES, zz_neighbour=Case("an honest student, graded beside them", parts=("r",), earns=R))


@pytest.fixture(scope="module")
def limits(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("limits"), LIMITS)
    for name, case in ALL.items():
        write(course, name, case)
    summary = grade.main(course_dir=str(course), workers=2, show_progress=False)
    rows = {r.student: r for r in read_scores(str(course))}
    return course, summary, rows


def test_every_case_gets_its_expected_points_and_says_which_limit(limits):
    course, summary, rows = limits
    assert_expected_points(ALL, summary, rows)
    assert_one_clear_reason(ALL, course, summary, rows)


def test_resource_exhaustion_stays_within_its_own_limits(limits):
    course, _, _ = limits
    work = course / ".autograder" / "batch"
    for name in ("output_flood", "stderr_flood"):
        assert (work / name / "executed.ipynb").stat().st_size < 2 * 2**20, name
    flood = (work / "output_flood" / "executed.ipynb").read_text()
    assert "stopped this cell's printed output after 48 KB" in flood    # at its source, the kernel
    # so the flood ends at its cell's interrupt and the rest of the notebook runs
    assert json.loads((work / "output_flood" / "execution.json").read_text())["state"] == "completed"
    assert "MemoryError" in (work / "memory_bomb" / "executed.ipynb").read_text()
    assert "File too large" in (work / "disk_filler" / "executed.ipynb").read_text()
    assert_within_submission_limit(ALL, course, SUBMISSION_LIMIT_S)
    # No sandbox of this course outlives the batch (what runs inside one dies with it).
    assert [pid for pid in os.listdir("/proc") if pid.isdigit() and str(course) in cmdline(pid)] == []
