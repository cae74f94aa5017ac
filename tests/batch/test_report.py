"""The class report from typed judgements: what an instructor reads (summary numbers, common
mistakes with their counts, identical submissions, links that open files the batch wrote),
and the submitted notebooks' printed sweeps read as the hostile text they are."""
import json
import re

import nbformat

from autograder.batch import report
from autograder.untrusted.sandbox_output import printed_sweep
from tests.helpers import CHECKS

POSSIBLE = sum(c.points for c in CHECKS.values())
BN = "`create_bn_before_activation()`: hidden layer {} (Dense {}): BatchNormalization comes after the RELU"


def judgement(student, fails=None, acc=0.5, content=None):
    fails = fails or {}
    results = [{"name": n, "passed": n not in fails, "points": 0.0 if n in fails else c.points,
                "possible": c.points, "message": fails.get(n, c.description)} for n, c in CHECKS.items()]
    return {"score": sum(r["points"] for r in results), "possible": POSSIBLE, "results": results,
            "hash": content or student,
            "retrained": {"create_cifar_model": {"best_val_acc": acc, "threshold": 0.377, "key": f"m-{student}",
                                                 "val_accuracy": [0.2, acc]}}}


def a_class():
    return {"ann": judgement("ann", {"ex2_bn_before": BN.format(1, 256)}),
            "ben": judgement("ben", {"ex2_bn_before": BN.format(2, 128),
                                     "ex3_accuracy": "`create_cifar_model()` reached 0.3012 validation accuracy"}, 0.30),
            "cat": judgement("cat", {"ex2_bn_before": BN.format(1, 64)}, content="same"),
            "dan": judgement("dan", content="same")}


def summary_of(judgements, **extra):
    summary = {"students": len(judgements), "sandboxed": True, "retraining": {"models": 4, "distinct": 4},
               "possible": POSSIBLE, "failed": {}, "flagged": {}, "withheld": {}, **extra}
    summary["class"] = report.class_statistics(judgements, summary, CHECKS)
    summary["common_mistakes"] = report.common_mistakes(judgements, CHECKS)
    summary["identical"] = report.identical_groups(judgements)
    return summary


def test_the_same_mistake_with_other_numbers_is_one_group_counted_once_per_student():
    mistakes = report.common_mistakes(a_class(), CHECKS)
    first = mistakes[0]
    assert first["check"] == "ex2_bn_before" and first["count"] == 3
    assert first["students"] == ["ann", "ben", "cat"] and first["points_lost"] == 3 * CHECKS["ex2_bn_before"].points
    assert first["pattern"] == BN.format("#", "#")
    assert first["example"] == {"student": "ann", "message": BN.format(1, 256)}
    assert [m["count"] for m in mistakes] == [3, 1]


def test_numbers_inside_names_stay_but_the_students_numbers_go():
    assert report.mistake_pattern("`create_cifar_model()` reached 0.41 after 9 epochs (lr 1e-3)") == \
        "`create_cifar_model()` reached # after # epochs (lr #)"
    assert report.mistake_pattern("layer dense_2 and x2") == "layer dense_2 and x2"


def test_summary_numbers_and_exercise_pass_rates():
    stats = report.class_statistics(a_class(), {"possible": POSSIBLE, "flagged": {"ben": ["x"]}}, CHECKS)
    bn = CHECKS["ex2_bn_before"].points
    assert stats["graded"] == 4 and stats["flagged"] == 1 and stats["full_marks"] == 1
    assert stats["median"] == POSSIBLE - bn
    assert stats["exercises"]["2"]["full_marks"] == 1 and stats["exercises"]["2"]["pass_rate"] == 0.25
    assert stats["exercises"]["1"]["pass_rate"] == 1.0


def test_identical_notebooks_are_reported_not_penalised():
    judgements = a_class()
    groups = report.identical_groups(judgements)
    assert groups["identical_notebooks"] == [["cat", "dan"]]
    judgements["ann"]["retrained"]["create_cifar_model"]["key"] = "m-ben"
    assert report.identical_groups(judgements)["identical_cifar_models"] == [["ann", "ben"]]
    assert judgements["cat"]["score"] == POSSIBLE - CHECKS["ex2_bn_before"].points
    # The exercise prescribes its architecture: models identical to the reference's say nothing.
    assert report.identical_groups(judgements, reference_key="m-ben")["identical_cifar_models"] == []
    assert report.reference_model_key() is not None


def test_students_who_handed_in_the_release_unchanged_are_not_called_identical(tmp_path):
    """Doing nothing is not copying: the download itself, handed in by two, is listed on its own."""
    from autograder.batch.journal import release_hash, submission_hash
    from tests.helpers import make_course
    course = make_course(tmp_path)
    release = (course / "release" / "regularization" / "regularization.ipynb").read_bytes()
    hashes = {}
    for student in ("eve", "fay"):
        folder = course / "submitted" / student / "regularization"
        folder.mkdir(parents=True)
        (folder / "regularization.ipynb").write_bytes(release)
        hashes[student] = submission_hash(str(folder), str(course))
    assert hashes["eve"] == hashes["fay"] == release_hash(str(course))
    judgements = {**a_class(), "eve": judgement("eve", content=hashes["eve"]), "fay": judgement("fay", content=hashes["fay"])}
    groups = report.identical_groups(judgements, release_hash=release_hash(str(course)))
    assert groups["identical_notebooks"] == [["cat", "dan"]] and groups["unchanged_release"] == ["eve", "fay"]


def test_the_page_names_cells_that_raised_pending_hand_grading_and_counts_a_partial_run(tmp_path):
    judgements = a_class()
    summary = summary_of(judgements, students=1, class_size=4,
                         cell_errors={"ben": [{"cell": 7, "error": "NameError: name 'X_train' is not defined"}]})
    path = report.write_report(str(tmp_path / "exports" / "report.html"), judgements, summary, CHECKS,
                               course_dir=str(tmp_path))
    page = open(path, encoding="utf-8").read()
    assert "4 submission(s) (1 graded in this run, the others as last recorded)" in page
    assert "<b>ben</b>: code cell 7: <code>NameError: name &#39;X_train&#39; is not defined</code>" in page
    assert "None waiting." in page and "None (or no due date set)." in page      # no gradebook here


def test_the_page_shows_the_summary_the_groups_and_links_that_resolve(tmp_path):
    course = tmp_path
    judgements = a_class()
    feedback = course / "feedback" / "ann" / "regularization" / "regularization.html"
    feedback.parent.mkdir(parents=True)
    feedback.write_text("<html>ann</html>")
    results = course / "exports" / "gradescope" / "ann" / "results.json"
    results.parent.mkdir(parents=True)
    results.write_text("{}")
    summary = summary_of(judgements, flagged={"ben": ["tampering: <script>alert(1)</script>"]})
    path = report.write_report(str(course / "exports" / "report.html"), judgements, summary, CHECKS,
                               course_dir=str(course))
    page = open(path, encoding="utf-8").read()
    assert "<b>4</b>graded" in page and "<b>1</b>full marks" in page
    assert "1 of 4 (25%)" in page                                          # Exercise 2
    row = re.search(r"<tr><td class=\"num\">(\d+)</td><td><code>ex2_bn_before</code></td><td>([^<]*)</td>", page)
    assert row and row.group(1) == "3" and "hidden layer # (Dense #)" in row.group(2)
    assert "byte-identical notebooks: cat, dan" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page     # a student's text is escaped
    assert "feedback</a>\n · \n" in page or "feedback</a> · " in page        # links apart, not run together
    links = re.findall(r'href="([^"]+)"', page)
    assert links == ["../feedback/ann/regularization/regularization.html", "gradescope/ann/results.json"]
    for link in links:
        assert (course / "exports" / link).resolve().is_file()
    assert page.count("data:image/png;base64,") == 3       # points, checks passed, retrained accuracy
    assert (course / "exports" / "report" / "retrained_accuracy.png").read_bytes()[:4] == b"\x89PNG"


def _notebook(path, text, name="stdout"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("sweep_results = run_dropout_sweep(...)")
    cell.outputs = [nbformat.v4.new_output("stream", name=name, text=text)]
    nb.cells = [cell]
    path.write_text(nbformat.writes(nb))
    return str(path)


def test_a_students_full_sweep_is_plotted_as_printed(tmp_path):
    lines = "".join(f"dropout {r / 10:.1f}: best {0.8 + r / 100:.4f}, final 0.8\n" for r in range(8))
    sweep = printed_sweep(_notebook(tmp_path / "a.ipynb", lines + "Best dropout rate: 0.7\n"))
    assert sweep == {str(r / 10): round(0.8 + r / 100, 4) for r in range(8)}
    judgements = {"ann": judgement("ann")}
    nb = tmp_path / "submitted" / "ann" / "regularization" / "regularization.ipynb"
    nb.parent.mkdir(parents=True)
    nb.write_text(open(tmp_path / "a.ipynb").read())
    page = open(report.write_report(str(tmp_path / "exports" / "report.html"), judgements,
                                    summary_of(judgements), CHECKS, course_dir=str(tmp_path))).read()
    assert "Dropout sweeps" in page or "own dropout sweeps" in page
    assert page.count("data:image/png;base64,") == 4


def test_printed_sweeps_that_are_not_sweeps_are_ignored(tmp_path):
    assert printed_sweep(_notebook(tmp_path / "b.ipynb", "dropout 0.5: best 7.5, final 1\n")) is None    # not an accuracy
    assert printed_sweep(_notebook(tmp_path / "c.ipynb", "dropout 0.5: best 0.9\n", name="stderr")) is None
    (tmp_path / "d.ipynb").write_text('{"cells": [' * 5000)
    assert printed_sweep(str(tmp_path / "d.ipynb")) is None
    (tmp_path / "e.ipynb").write_bytes(b"\xff\xfe not utf-8")
    assert printed_sweep(str(tmp_path / "e.ipynb")) is None
    assert printed_sweep(str(tmp_path / "missing.ipynb")) is None
    bad = json.dumps({"cells": [{"outputs": [{"name": "stdout", "text": [1, None]}]}, "x", None]})
    (tmp_path / "f.ipynb").write_text(bad)
    assert printed_sweep(str(tmp_path / "f.ipynb")) is None
