"""A batch killed with SIGKILL mid-way, then run again: it finishes the rest, redoes nothing
that was done, records nobody twice, and gives the same grades."""
import os
import signal
import subprocess
import sys
import time

import pytest

from autograder.sandbox.bwrap import bwrap_path
from autograder.course.gradebook import read_scores
from tests.helpers import make_course
from tests.hostile.corpus import R, Case, expected_points, full, write

CLASS = {"alice": Case("Exercise 2's answers", parts=(2,), earns=full(2)),
         "carol": Case("Exercise 1's rates only", parts=("r",), earns=R)}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]


def grade_command(course, *extra):
    return [sys.executable, "-m", "autograder", "--course", str(course), "grade", "--workers", "1", *extra]


def test_sigkill_then_resume_completes_with_identical_results(tmp_path):
    course = make_course(tmp_path)
    for student, case in CLASS.items():
        write(course, student, case)
    journal = course / ".autograder" / "batch"
    proc = subprocess.Popen(grade_command(course), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(journal.glob("*/execution.json")):
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = list(journal.glob("*/execution.json"))
    assert len(done) == 1                               # killed while the second one ran
    first = done[0]
    stamp = first.stat().st_mtime_ns
    assert not (course / "gradebook.db").exists() or read_scores(str(course)) == []

    rerun = subprocess.run(grade_command(course), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert first.stat().st_mtime_ns == stamp            # the finished one was not executed again
    assert "execute" in rerun.stderr and "1 cached" in rerun.stderr
    assert "absl::InitializeLog" not in rerun.stderr and "cuda drivers" not in rerun.stderr   # no library noise
    rows = {r.student: r for r in read_scores(str(course))}
    assert sorted(rows) == ["alice", "carol"]           # each recorded once
    for student, case in CLASS.items():
        assert {c: s for c, (s, _) in rows[student].scores.items()} == expected_points(case)


def _sandboxes_of(course):
    """Pids of the bubblewrap processes grading ``course`` (each hides the course folder by name)."""
    from tests.helpers import cmdline
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit()
            and (line := cmdline(pid)).startswith(bwrap_path()) and str(course) in line.split("\0")]


def test_ctrl_c_stops_the_batch_in_seconds_keeping_nothing_half_done(tmp_path):
    course = make_course(tmp_path)
    write(course, "alice", CLASS["alice"])
    proc = subprocess.Popen(grade_command(course), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not _sandboxes_of(course):
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    time.sleep(2)                                       # the kernel is running the notebook's cells
    pressed = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - pressed < 15 and proc.returncode == 130
    assert "interrupted: 0 submission(s) graded so far are kept; run `autograder grade` again" in err
    assert "Traceback" not in err and _sandboxes_of(course) == []
    assert not list((course / ".autograder" / "batch").glob("*/execution.json"))   # resumed, not kept
