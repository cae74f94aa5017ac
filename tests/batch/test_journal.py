"""The batch's bookkeeping on canned executions (the executor seam: no sandbox, no kernel):
identical submissions run once, a finished batch resumes with nothing to do, an executor that
raises is that student's result, a machine fault is neither recorded nor kept, --student runs
only whom it names. Recording is nbgrader's, for real."""
import threading

import pytest

from autograder.batch import grade
from autograder.batch.results import execution_result
from tests.helpers import make_course

RUNS = []
_LOCK = threading.Lock()


def canned(*, student, submission_dir, notebook_name, content_hash, mode, settings, seed, **_):
    """What the sandbox would hand back, decided by a word in the notebook's bytes."""
    with open(f"{submission_dir}/{notebook_name}", "rb") as f:
        data = f.read()
    with _LOCK:
        RUNS.append(student)
    if b"RAISE" in data:
        raise RuntimeError("the executor broke")
    state = "grader_fault" if b"FAULT" in data else "completed"
    return execution_result(student, content_hash, mode=mode, sandboxed=settings.enabled, seed=seed, state=state,
                            message="disk full" if state == "grader_fault" else "")


def submit(course, student, text):
    folder = course / "submitted" / student / "regularization"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "regularization.ipynb").write_text(text)


@pytest.fixture
def course(tmp_path):
    RUNS.clear()
    course = make_course(tmp_path)
    submit(course, "ann", '{"same": 1}')
    submit(course, "ben", '{"same": 1}')            # byte-identical to ann's
    submit(course, "cat", '{"RAISE": 1}')
    submit(course, "dan", '{"FAULT": 1}')
    return course


def run(course, **kwargs):
    return grade.main(course_dir=str(course), workers=2, show_progress=False, exports=False, feedback=False,
                      executor=canned, **kwargs)


def test_identical_work_runs_once_failures_are_results_and_a_finished_batch_resumes_with_nothing_to_do(course):
    first = run(course)
    assert sorted(RUNS) == ["ann", "cat", "dan"]                   # ben copies ann's execution
    assert first["executions"] == {"run": 3, "reused": 1, "resumed": 0}
    assert first["failed"]["cat"] == "the notebook could not be run: the grader could not run this submission: " \
                                     "RuntimeError: the executor broke"
    assert set(first["scores"]) == {"ann", "ben", "cat"}           # dan: the machine's fault, not recorded
    assert "disk full" in first["grader_faults"]["dan"]
    RUNS.clear()
    again = run(course)
    assert RUNS == ["dan"]                                         # a machine fault keeps no result
    assert again["executions"] == {"run": 1, "reused": 0, "resumed": 3}


def test_student_selects_and_force_redoes_only_whom_it_names(course):
    run(course)
    RUNS.clear()
    submit(course, "ann", '{"changed": 1}')
    selected = run(course, students=["b*"])
    assert RUNS == [] and set(selected["scores"]) == {"ben"}       # ann's change waits for her turn
    forced = run(course, students=["ben"], force=True)
    assert RUNS == ["ben"] and forced["executions"]["run"] == 1
    run(course, students=["a*"])
    assert RUNS == ["ben", "ann"]


def test_a_copied_result_carries_the_students_own_timestamp_notice_not_the_leaders(course):
    """timestamp.txt is not part of the content hash: ben's copy of ann's execution must not say
    that ben's timestamp.txt is wrong, and cat's wrong one must be said although ann ran first."""
    from autograder.batch.execute import timestamp_notes

    def with_notes(**kwargs):
        result = canned(**kwargs)
        return dict(result, flags=timestamp_notes(kwargs["submission_dir"]))
    submit(course, "cat", '{"same": 1}')                               # three byte-identical notebooks
    (course / "submitted" / "ann" / "regularization" / "timestamp.txt").write_text("not a time")
    (course / "submitted" / "cat" / "regularization" / "timestamp.txt").write_text("also not a time")
    summary = grade.main(course_dir=str(course), workers=1, show_progress=False, exports=False, feedback=False,
                         executor=with_notes, students=["ann", "ben", "cat"])
    assert sorted(RUNS) == ["ann"]
    noted = {s for s, flags in summary["flagged"].items() if any("timestamp.txt" in f for f in flags)}
    assert noted == {"ann", "cat"}
