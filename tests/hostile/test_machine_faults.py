"""Faults of the grading machine, not of the student: a full scratch disk, a retraining job
that dies. The batch completes, records no grade it could not judge, and the next run grades
those students once."""
import os
import signal
import subprocess
import threading
import time

import pytest

from autograder.batch import grade
from autograder.sandbox.bwrap import bwrap_path
from autograder.course.gradebook import read_scores
from tests.helpers import cmdline, make_course
from tests.hostile.corpus import Case, write

# One model to retrain (the retraining is what this test kills): Exercise 2's baseline alone.
SMALL_MODEL = """
def create_no_bn_baseline():
    return models.Sequential([layers.Input(shape=(784,)), layers.Dense(256, activation='relu'),
                              layers.Dense(128, activation='relu'), layers.Dense(10, activation='softmax')])
"""
SMALL = {"ex2_baseline": 2, "ex2_accuracy": 0.67}     # the accuracy check: a third per model

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]


def _descends_from_us(pid):
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == os.getpid():
            return True
    return False


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem needs root")
def test_a_full_scratch_disk_grades_nothing_wrong_and_the_next_run_grades_it(tmp_path):
    scratch = tmp_path / "scratchfs"
    scratch.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(scratch)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        course = make_course(tmp_path, f"\nc.Sandbox.scratch_dir = {str(scratch)!r}\n")
        write(course, "ann", Case("Exercise 1's rates only", ["DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]"]))
        fd = os.open(scratch / "filler", os.O_WRONLY | os.O_CREAT)     # the disk is full
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        summary = grade.main(course_dir=str(course), workers=1, show_progress=False)
        assert set(summary["grader_faults"]) == {"ann"}
        assert "No space left on device" in summary["grader_faults"]["ann"]
        assert summary["scores"] == {} and read_scores(str(course)) == []     # no zero recorded
        assert "ann" not in (course / "exports" / "grades.csv").read_text()
        os.remove(scratch / "filler")                   # the disk has room again
        again = grade.main(course_dir=str(course), workers=1, show_progress=False)
        assert again["executions"]["run"] == 1 and again["grader_faults"] == {}
        assert again["scores"] == {"ann": 1.0}
        assert [r.student for r in read_scores(str(course))] == ["ann"]
    finally:
        subprocess.run(["umount", "-l", str(scratch)])


def test_a_retraining_job_that_dies_is_not_held_against_the_student(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CACHE_DIR", str(tmp_path / "cache"))    # nothing cached: it must train
    course = make_course(tmp_path)
    write(course, "ben", Case("one small Exercise 2 model", [SMALL_MODEL], setup=True, earns=SMALL))
    stop = threading.Event()

    def kill_workers():     # the machine kills this batch's retraining processes (say, out of memory)
        while not stop.is_set():
            for pid in filter(str.isdigit, os.listdir("/proc")):
                if "autograder.retrain.worker" in cmdline(pid) and _descends_from_us(int(pid)):
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.05)

    killer = threading.Thread(target=kill_workers, daemon=True)
    killer.start()
    try:
        summary = grade.main(course_dir=str(course), workers=1, show_progress=False)
    finally:
        stop.set()
        killer.join()
    assert set(summary["grader_faults"]) == {"ben"}
    assert "could not be retrained because the grading machine failed" not in summary["grader_faults"]["ben"]
    assert "retraining" in summary["grader_faults"]["ben"]
    assert read_scores(str(course)) == []
    again = grade.main(course_dir=str(course), workers=1, show_progress=False)
    assert again["executions"]["run"] == 0          # the execution stood; only retraining is redone
    assert again["grader_faults"] == {} and again["scores"] == {"ben": sum(SMALL.values())}
    assert [r.student for r in read_scores(str(course))] == ["ben"]
