"""A whole class graded in batch: real sandboxed kernels, real retraining, real nbgrader."""
import csv
import hashlib
import json
import os
import re

import pytest

import autograder

from autograder.batch import grade
from autograder.sandbox.bwrap import bwrap_path
from autograder.course.gradebook import read_scores
from tests.helpers import CHECKS, make_course
from tests.hostile.corpus import Case, write

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]
POSSIBLE = sum(c.points for c in CHECKS.values())
CAROL = sum(c.points for c in CHECKS.values() if c.exercise == 2) - 3   # Exercise 2 only, bn_before wrong


def tree_hash(folder):
    """Names (as bytes), kinds and bytes of everything below ``folder``; special files by their
    kind alone (a FIFO is never opened), links by their target."""
    import stat
    digest = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(folder)):
        for name in sorted(files):
            path = os.path.join(root, name)
            info = os.lstat(path)
            digest.update(len(os.fsencode(name)).to_bytes(8, "big") + os.fsencode(name))
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as f:
                    data = f.read()
            elif stat.S_ISLNK(info.st_mode):
                data = b"link:" + os.fsencode(os.readlink(path))
            else:
                data = b"special:%o" % info.st_mode
            digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


BN_AFTER_RELU = """
def create_bn_before_activation():
    return models.Sequential([layers.Input(shape=(784,)),
                              layers.Dense(256), layers.Activation('relu'), layers.BatchNormalization(),
                              layers.Dense(128), layers.BatchNormalization(), layers.Activation('relu'),
                              layers.Dense(10, activation='softmax')])
"""


# A demonstration of the student's own: trains and plots, and no grade depends on it.
DEMONSTRATION = """
demo_model = create_dropout_model(0.3)
demo_model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
demo_history = demo_model.fit(np.zeros((64, 784)), np.zeros(64), epochs=1, verbose=0)
plt.plot(demo_history.history['loss'])
print('my demonstration', 'ran')
"""


def make_class(course):
    """alice: the reference answers and a demonstration of her own; bob: a byte-identical copy;
    carol: BatchNorm on the wrong side; dave: a truncated file. Answers only (none of the
    module's demonstrations), so the class runs fast."""
    write(course, "alice", Case("the reference", [DEMONSTRATION], parts=(1, 2, 3)))
    write(course, "carol", Case("Exercise 2, BatchNorm after the ReLU", [BN_AFTER_RELU], parts=(2,)))
    alice = course / "submitted" / "alice" / "regularization"
    (course / "submitted" / "bob").mkdir()
    (course / "submitted" / "bob" / "regularization").mkdir()
    (course / "submitted" / "bob" / "regularization" / "regularization.ipynb").write_bytes(
        (alice / "regularization.ipynb").read_bytes())
    dave = course / "submitted" / "dave" / "regularization"
    dave.mkdir(parents=True)
    (dave / "regularization.ipynb").write_text('{"cells": [{"cell_type": "code", "sour')


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("batch"))
    make_class(course)
    before = {name: tree_hash(course / name) for name in ("source", "release", "submitted")}
    summary = grade.main(course_dir=str(course), workers=2, show_progress=False)
    return course, summary, before


def test_every_student_gets_the_grade_their_work_earns(graded):
    course, summary, _ = graded
    assert summary["sandboxed"] is True
    assert summary["scores"] == {"alice": POSSIBLE, "bob": POSSIBLE, "carol": CAROL, "dave": 0}
    rows = {r.student: r for r in read_scores(str(course))}
    assert {n for n, c in CHECKS.items() if c.exercise == 2} & set(rows["carol"].lost()) == {"ex2_bn_before"}
    assert "BatchNormalization comes after the RELU" in rows["carol"].messages["ex2_bn_before"]
    assert rows["dave"].auto_total == 0 and rows["dave"].auto_possible == POSSIBLE
    assert "not a valid notebook" in summary["failed"]["dave"]
    assert set(summary["failed"]) == {"dave"}


def test_identical_work_is_executed_and_retrained_once(graded):
    _, summary, _ = graded
    assert summary["executions"] == {"run": 3, "reused": 1, "resumed": 0}   # bob copies alice
    # alice and bob: 5 retrained models each, shared; carol: Exercise 2's 3, one of them new.
    assert summary["retraining"]["models"] == 13
    assert summary["retraining"]["distinct"] == 6
    assert summary["retraining"]["trained"] <= 6


def test_exports_feedback_and_report(graded):
    course, summary, _ = graded
    exports = course / "exports"
    with open(exports / "grades.csv", newline="") as f:
        table = {r["student"]: r for r in csv.DictReader(f)}
    assert set(table) == {"alice", "bob", "carol", "dave"}
    assert table["carol"]["ex2_bn_before"] == "0" and table["carol"]["auto_score"] == f"{CAROL:g}"
    assert "ex2_bn_before (-3)" in table["carol"]["reasons"]

    results = json.loads((exports / "gradescope" / "carol" / "results.json").read_text())
    tests = {t["name"]: t for t in results["tests"]}
    assert results["score"] == CAROL and set(tests) == set(CHECKS)
    assert tests["ex2_bn_before"]["score"] == 0 and "comes after the RELU" in tests["ex2_bn_before"]["output"]
    assert tests["ex3_accuracy"]["visibility"] == "after_published"
    assert tests["ex2_bn_after"]["visibility"] == "visible"

    feedback = (course / "feedback" / "carol" / "regularization" / "regularization.html").read_text()
    assert "comes after the RELU" in feedback
    assert "BEGIN HIDDEN TESTS" not in feedback and "retrained(" not in feedback
    # The grading machine's own log lines (TensorFlow's C++ start-up, joblib) are not the student's.
    for noise in ("absl::InitializeLog", "cuda drivers", "joblib will operate in serial mode"):
        assert noise not in feedback, noise
    dave = (course / "feedback" / "dave" / "regularization" / "regularization.html").read_text()
    assert "not a valid notebook" in dave
    # alice's demonstration was not run (no grade depends on it), and her feedback says so once.
    alice = (course / "feedback" / "alice" / "regularization" / "regularization.html").read_text()
    assert alice.count("no grade depends on them, so they show the outputs you saved") == 1
    assert "my demonstration ran" not in alice and "not the other 1 code cell" in alice
    assert summary["execute"] == "needed" and summary["ran_in_full"] == {}

    report = (exports / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3
    assert "dave" in report and "not a valid notebook" in report
    assert "byte-identical notebooks: alice, bob" in report
    links = re.findall(r'href="([^"]+)"', report)
    assert len(links) == 8 and all((exports / link).resolve().is_file() for link in links)   # 4 feedback, 4 results.json
    for png in ("score_distribution", "check_pass_counts", "retrained_accuracy"):
        data = (exports / "report" / f"{png}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    written = json.loads((exports / "summary.json").read_text())
    bn = [m for m in written["common_mistakes"] if m["check"] == "ex2_bn_before"]
    assert sorted((m["count"], m["students"]) for m in bn) == [(1, ["carol"]), (1, ["dave"])]
    assert written["identical"]["identical_notebooks"] == [["alice", "bob"]]
    assert written["class"]["graded"] == 4 and written["class"]["full_marks"] == 2


def test_nothing_outside_the_outputs_changes(graded):
    course, summary, before = graded
    assert {name: tree_hash(course / name) for name in before} == before
    assert summary["integrity"] == {"ok": True, "changed": [], "removed": [], "added": []}


def test_the_integrity_check_sees_a_changed_file(graded, tmp_path):
    from autograder.batch import integrity
    course, _, _ = graded
    before = integrity.snapshot(str(course))
    assert any(k.startswith("source:") for k in before) and any(k.startswith("cache:") for k in before)
    target = course / "submitted" / "dave" / "regularization" / "planted.txt"
    target.write_text("x")
    try:
        assert integrity.compare(before, integrity.snapshot(str(course)))["added"] == [
            "submitted:dave/regularization/planted.txt"]
    finally:
        target.unlink()


def test_a_second_run_redoes_only_what_changed(graded):
    course, summary, _ = graded
    journal = course / ".autograder" / "batch"
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/execution.json")}
    recorded = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/recorded.json")}
    (course / "submitted" / "dave" / "regularization" / "regularization.ipynb").write_text("")
    again = grade.main(course_dir=str(course), workers=2, show_progress=False, exports=False)
    assert again["executions"] == {"run": 1, "reused": 0, "resumed": 3}
    assert again["retraining"]["trained"] == 0
    assert again["scores"] == summary["scores"]
    assert "empty file" in again["failed"]["dave"]
    now = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/execution.json")}
    assert {s for s in now if now[s] != stamps[s]} == {"dave"}
    now = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/recorded.json")}
    assert {s for s in now if now[s] != recorded[s]} == {"dave"}


def test_one_student_is_regraded_and_the_class_is_still_exported(graded):
    course, _, _ = graded
    journal = course / ".autograder" / "batch"
    recorded = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/recorded.json")}
    (journal / "carol" / "recorded.json").unlink()              # as if carol's record were lost
    again = grade.main(course_dir=str(course), workers=2, show_progress=False, students=["car*"])
    assert again["students"] == 1 and set(again["scores"]) == {"carol"} and again["class_size"] == 4
    now = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/recorded.json")}
    assert {s for s in now if now[s] != recorded.get(s)} == {"carol"}
    with open(course / "exports" / "grades.csv", newline="") as f:
        assert {r["student"] for r in csv.DictReader(f)} == {"alice", "bob", "carol", "dave"}
    with pytest.raises(grade.BatchError, match="no submission matches --student 'zed'.*alice"):
        grade.main(course_dir=str(course), show_progress=False, students=["zed"])


def test_a_threshold_change_rejudges_the_class_without_executing_or_retraining(graded):
    """The course folder (not the grader's package) holds the thresholds in force: its own
    reference/thresholds.json, once written, is what grades; removed, the packaged one again."""
    from autograder.module07 import PACKAGED_THRESHOLDS
    course, summary, _ = graded
    stricter = json.loads(open(PACKAGED_THRESHOLDS).read())
    stricter["quick"]["ex3_accuracy"]["create_cifar_model"]["threshold"] = 0.999
    (course / "reference").mkdir()
    (course / "reference" / "thresholds.json").write_text(json.dumps(stricter))
    again = grade.main(course_dir=str(course), workers=2, show_progress=False, exports=False)
    assert again["executions"] == {"run": 0, "reused": 0, "resumed": 4}
    assert again["retraining"]["trained"] == 0
    ex3 = CHECKS["ex3_accuracy"].points
    assert again["scores"]["alice"] == POSSIBLE - ex3 and again["scores"]["carol"] == CAROL
    rows = {r.student: r for r in read_scores(str(course))}
    assert "it needs at least 0.9990" in rows["alice"].messages["ex3_accuracy"]
    feedback = (course / "feedback" / "alice" / "regularization" / "regularization.html").read_text()
    opening = feedback[:feedback.index("Your notebook, with each check's verdict")]
    assert "Your automatic grade: " + f"{POSSIBLE - ex3:g} / {POSSIBLE:g}" in opening
    assert "<code>ex2_bn_before</code>" in opening and "it needs at least 0.9990" in opening
    assert "Your written answers (9 points) are graded by your\ninstructor" in opening
    assert "Why <code>create_cifar_model()</code> missed its threshold" in opening
    assert "The reference solution reached" in opening and "0.9990" in opening
    assert opening.count('src="data:image/png;base64,') == 1          # the curves, in the page
    (course / "reference" / "thresholds.json").unlink()
    back = grade.main(course_dir=str(course), workers=2, show_progress=False, exports=False)
    assert back["executions"]["run"] == 0 and back["scores"]["alice"] == POSSIBLE


def test_the_judge_reads_the_retrain_stage_and_never_trains(graded, monkeypatch):
    """A model the retrain stage has no outcome for is the machine's fault (the grade waits),
    never a training inside the judge."""
    from autograder.batch.judge import judge_safely
    from autograder.retrain import runner
    course, _, _ = graded
    execution = json.loads((course / ".autograder" / "batch" / "alice" / "execution.json").read_text())
    monkeypatch.setattr(runner, "_fresh_worker", lambda *a, **k: pytest.fail("the judge trained"))
    monkeypatch.setattr(runner, "warm_worker", lambda *a, **k: pytest.fail("the judge trained"))
    judgement = judge_safely(execution, CHECKS, outcomes={})
    assert judgement["state"] == "grader_fault"
    assert "the batch's retraining stage has no result for this model" in judgement["reason"]
    assert not any(r["passed"] for r in judgement["results"] if r["name"].endswith("_accuracy"))


def test_a_grader_upgrade_redoes_what_it_may_change_and_says_so(graded, capsys):
    """Results stored by another grader's code are redone: an execution when the code that
    runs and observes notebooks differs, a judgement when any of the grader differs; --force
    redoes a student whatever is stored."""
    course, summary, _ = graded
    journal = course / ".autograder" / "batch"
    for student, stage, key in (("dave", "execution", "code"), ("alice", "judgement", "grader")):
        path = journal / student / f"{stage}.json"
        record = json.loads(path.read_text())
        assert record[key].startswith(autograder.__version__ + "+")
        path.write_text(json.dumps(dict(record, **{key: "0.0.9+0123456789abcdef"})))
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/judgement.json")}
    again = grade.main(course_dir=str(course), workers=2, exports=False)
    err = capsys.readouterr().err
    assert "The grader is not the one that stored these results (now " in err
    assert "1 notebook(s) run again and 1 submission(s) judged again." in err
    assert again["executions"] == {"run": 1, "reused": 0, "resumed": 3} and again["scores"] == summary["scores"]
    now = {p.parent.name: p.stat().st_mtime_ns for p in journal.glob("*/judgement.json")}
    assert {s for s in now if now[s] != stamps[s]} == {"alice"}      # dave's execution came out the same
    grade.main(course_dir=str(course), workers=2, exports=False)
    assert "The grader is not" not in capsys.readouterr().err      # once redone, nothing to say
    recorded = (journal / "dave" / "recorded.json").stat().st_mtime_ns
    forced = grade.main(course_dir=str(course), workers=2, exports=False, students=["dave"], force=True)
    assert "--force: 1 submission(s) executed, judged and recorded again." in capsys.readouterr().err
    assert forced["executions"]["run"] == 1 and forced["scores"] == {"dave": 0}
    assert (journal / "dave" / "recorded.json").stat().st_mtime_ns != recorded


def test_after_manual_grading_totals_and_feedback_go_back_to_the_lms(graded):
    """A due date, a late hand-in and a written answer graded by hand: the export's totals and
    the regenerated feedback carry them."""
    from nbgrader.api import Gradebook
    from autograder.cli import main as cli
    course, _, _ = graded
    with open(course / "nbgrader_config.py", "a") as f:
        f.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment("regularization", duedate="2026-11-01 23:59:00 UTC")
    (course / "submitted" / "carol" / "regularization" / "timestamp.txt").write_text("2026-11-02 10:00:00 UTC\n")
    again = grade.main(course_dir=str(course), workers=2, show_progress=False, exports=False, students=["carol"])
    assert again["executions"]["run"] == 0        # only recorded again, with its late time
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade_cell = gb.find_grade("ex1_q1", "regularization", "regularization", "alice")
        assert grade_cell.needs_manual_grade
        grade_cell.manual_score = 1.0
        grade_cell.needs_manual_grade = False         # as formgrader does when a score is entered
        gb.db.commit()
    # alice recorded again (a re-collected download's new time): her hand-graded answer stays graded.
    (course / "submitted" / "alice" / "regularization" / "timestamp.txt").write_text("2026-11-01 10:00:00 UTC\n")
    again = grade.main(course_dir=str(course), workers=2, show_progress=False, exports=False, students=["alice"])
    assert again["executions"]["run"] == 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade_cell = gb.find_grade("ex1_q1", "regularization", "regularization", "alice")
        assert grade_cell.manual_score == 1.0 and not grade_cell.needs_manual_grade
        assert gb.find_grade("ex1_q2", "regularization", "regularization", "alice").needs_manual_grade
    assert cli(["--course", str(course), "export", "--format", "csv"]) == 0
    with open(course / "exports" / "totals-csv.csv", newline="") as f:
        totals = {r["student"]: r for r in csv.DictReader(f)}
    assert totals["alice"]["written"] == "1" and totals["alice"]["total"] == f"{POSSIBLE + 1:g}"
    assert totals["carol"]["late_penalty"] == f"{CAROL:g}" and totals["carol"]["total"] == "0"
    assert cli(["--course", str(course), "export", "--format", "canvas"]) == 0
    canvas = (course / "exports" / "totals-canvas.csv").read_text().splitlines()
    assert canvas[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,") and canvas[1].startswith("Points Possible")
    assert cli(["--course", str(course), "feedback", "--lms", "folder"]) == 0
    import zipfile
    with zipfile.ZipFile(course / "exports" / "feedback-folder.zip") as z:
        assert sorted(z.namelist()) == [f"{s}/feedback.html" for s in ("alice", "bob", "carol", "dave")]
        alice = z.read("alice/feedback.html").decode()
    assert f"Score: {POSSIBLE + 1:.1f}" in alice          # the hand-graded point is in the feedback


def test_an_lms_export_carries_the_lms_ids_and_warns_before_it_is_uploaded(graded, tmp_path, capsys):
    """alice's notebook collected again from a Canvas download with a roster (the same bytes: nothing
    runs again): Canvas' user id goes in Canvas' ID column, the roster's name into nbgrader's
    gradebook, and the export says what is pending, late, or unknown to Canvas."""
    from nbgrader.api import Gradebook
    from autograder.cli import main as cli
    course, _, _ = graded
    download = tmp_path / "canvas"
    download.mkdir()
    (download / "liddellalice_10001_5001_regularization.ipynb").write_bytes(
        (course / "submitted" / "alice" / "regularization" / "regularization.ipynb").read_bytes())
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id,name,email\nalice,10001,Alice P. Liddell,alice@example.edu\n")
    assert cli(["--course", str(course), "collect", str(download), "--roster", str(roster)]) == 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        alice = gb.find_student("alice")
        assert (alice.first_name, alice.last_name, alice.email, alice.lms_user_id) == \
            ("Alice P.", "Liddell", "alice@example.edu", "10001")
    with open(course / "nbgrader_config.py", "a") as f:
        f.write('\nc.Course.lms_assignment_id = "777"\n')
    capsys.readouterr()
    assert cli(["--course", str(course), "export", "--format", "canvas"]) == 0
    err = capsys.readouterr().err
    with open(course / "exports" / "totals-canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-1] == "Module 07: Regularization (777)"
    assert [r for r in rows if r[1] == "10001"][0][0] == "Alice P. Liddell"
    assert "3 student(s) were not collected from a Canvas download" in err and "bob, carol, dave" in err
    assert "have answers not graded by hand yet, exported with 0" in err
    assert "lose points for lateness: carol" in err


def test_every_cell_or_the_needed_ones_give_the_same_grades(graded):
    """Last in this file: it re-executes the class with every cell run (as nbgrader runs them)
    and compares every check's points and message with the default run's."""
    course, summary, _ = graded
    before = {s: json.loads((course / ".autograder" / "batch" / s / "judgement.json").read_text())
              for s in ("alice", "bob", "carol", "dave")}
    with open(course / "nbgrader_config.py", "a") as f:
        f.write('\nc.Batch.execute = "all"\n')
    again = grade.main(course_dir=str(course), workers=2, show_progress=False)
    assert again["execute"] == "all"
    assert again["executions"] == {"run": 3, "reused": 1, "resumed": 0}   # bob is alice's copy
    for student, judgement in before.items():
        after = json.loads((course / ".autograder" / "batch" / student / "judgement.json").read_text())
        assert [(r["name"], r["points"], r["message"]) for r in after["results"]] == \
            [(r["name"], r["points"], r["message"]) for r in judgement["results"]], student
    executed = json.loads((course / ".autograder" / "batch" / "alice" / "execution.json").read_text())
    assert executed["plan"]["mode"] == "all" and executed["plan"]["skipped"] == []
    alice = (course / "feedback" / "alice" / "regularization" / "regularization.html").read_text()
    assert "my demonstration ran" in alice and "no grade depends on them" not in alice
