"""Keys that know the grader: a stored execution stands only for the same bytes run the same
way by the same observing code; an upgrade is announced in one line before anything is redone."""
import autograder
from autograder.batch import grader_code
from autograder.batch.grade import reusable_execution, upgrade_notice
from autograder.batch.journal import Journal


def test_the_digests_name_the_version_and_change_with_the_code(tmp_path, monkeypatch):
    assert grader_code.execution_code().startswith(autograder.__version__ + "+")
    assert grader_code.execution_code() != grader_code.judging_code()
    package = tmp_path / "autograder"
    (package / "kernel").mkdir(parents=True)
    (package / "kernel" / "observe.py").write_text("A = 1\n")
    (package / "cli.py").write_text("B = 1\n")
    monkeypatch.setattr(grader_code, "PACKAGE_DIR", str(package))
    first = grader_code._digest(grader_code.EXECUTION_PARTS), grader_code._digest(["."])
    (package / "cli.py").write_text("B = 2\n")             # not observing code: executions stay
    second = grader_code._digest(grader_code.EXECUTION_PARTS), grader_code._digest(["."])
    assert second[0] == first[0] and second[1] != first[1]
    (package / "kernel" / "observe.py").write_text("A = 2\n")
    assert grader_code._digest(grader_code.EXECUTION_PARTS) != first[0]


def test_an_execution_is_reused_only_for_the_same_bytes_mode_and_code():
    record = {"hash": "h", "plan": {"requested": "needed"}, "code": grader_code.execution_code()}
    assert reusable_execution(record, "h", "needed")
    assert not reusable_execution(record, "other", "needed")
    assert not reusable_execution(record, "h", "all")
    assert not reusable_execution(dict(record, code="0.0.9+old"), "h", "needed")
    assert not reusable_execution({k: v for k, v in record.items() if k != "code"}, "h", "needed")
    assert not reusable_execution(["not", "a", "record"], "h", "needed")


def test_the_upgrade_notice_counts_what_is_redone(tmp_path):
    journal = Journal(str(tmp_path))
    now = {"hash": "h", "plan": {"requested": "needed"}, "code": grader_code.execution_code()}
    journal.write("ann", "execution", now)
    journal.write("ann", "judgement", {"grader": grader_code.judging_code()})
    assert upgrade_notice(journal, {"ann": "h"}, "needed") == ""
    journal.write("ben", "execution", dict(now, code="0.0.9+old"))
    journal.write("ben", "judgement", {"grader": grader_code.judging_code()})
    journal.write("cat", "execution", now)
    journal.write("cat", "judgement", {"grader": "0.0.9+old"})
    journal.write("dan", "execution", dict(now, hash="changed", code="0.0.9+old"))   # new bytes: not the upgrade's
    line = upgrade_notice(journal, {"ann": "h", "ben": "h", "cat": "h", "dan": "h"}, "needed")
    assert line.endswith(": 1 notebook(s) run again and 1 submission(s) judged again.")
