"""What one student can add to what the instructor reads is bounded: the most hostile execution
record a sandbox can hand back (a reason of megabytes, thousands of flags and failing cells,
markup in every string) becomes a judgement, a report, a Gradescope result and a feedback
summary of tens of kilobytes at most, with the student's text inert. (A graded notebook of 1960
cells and 1990 extra files, measured end to end, is in the README's security model.)"""
import json

from autograder.batch import report
from autograder.batch.execute import MAX_CELL_ERRORS
from autograder.batch.results import MAX_FLAGS, bounded_flags
from autograder.batch.feedback import summary_cell
from autograder.batch.grade import flag_line
from autograder.batch.judge import judge_safely
from autograder.batch.outputs import gradescope_results
from tests.helpers import CHECKS

HOSTILE = "<script>alert(1)</script>[bold red]x[/] \x1b[31m" * 50_000        # 2 MB


def worst_execution():
    flags = [{"cell": i, "line": 1, "code": HOSTILE[:5000], "why": HOSTILE[:5000],
              "severity": "tampering" if i % 2 else "suspicious"} for i in range(5000)]
    return {"type": "ExecutionResult", "student": "mallory", "hash": "h" * 64, "state": "failed",
            "message": HOSTILE, "seed": 0, "observations": None,
            "flags": bounded_flags(flags),
            "cell_errors": [{"cell": i, "error": HOSTILE} for i in range(5000)],
            "plan": {"mode": "all", "skipped": list(range(5000)), "reason": HOSTILE}}


def test_a_judgement_of_the_most_hostile_record_is_tens_of_kilobytes():
    judgement = judge_safely(worst_execution(), CHECKS)
    size = len(json.dumps(judgement))
    assert size < 128_000, size
    assert len(judgement["flags"]) == MAX_FLAGS and judgement["flags"][-1]["why"] == "and 4941 more notices"
    assert len(judgement["cell_errors"]) == MAX_CELL_ERRORS
    assert all(len(r["message"]) <= 2000 for r in judgement["results"])
    assert len(judgement["reason"]) <= 2000 and "\x1b" not in judgement["reason"]


def test_the_report_gradescope_and_feedback_summary_stay_small_and_inert(tmp_path):
    judgement = judge_safely(worst_execution(), CHECKS)
    judgements = {"mallory": judgement}
    summary = {"students": 1, "sandboxed": True, "retraining": {"models": 0, "distinct": 0},
               "possible": judgement["possible"], "failed": {"mallory": judgement["reason"]},
               "flagged": {"mallory": [flag_line(f) for f in judgement["flags"]]}, "withheld": {},
               "cell_errors": {"mallory": judgement["cell_errors"]}}
    summary["class"] = report.class_statistics(judgements, summary, CHECKS)
    summary["common_mistakes"] = report.common_mistakes(judgements, CHECKS)
    summary["identical"] = report.identical_groups(judgements)
    page = open(report.write_report(str(tmp_path / "exports" / "report.html"), judgements, summary,
                                    CHECKS, course_dir=str(tmp_path)), encoding="utf-8").read()
    text = page.split("data:image/png;base64,")[0]       # the figures are the grader's own
    assert len(text) < 200_000, len(text)
    assert "<script>alert" not in page and "\x1b" not in page
    results = json.dumps(gradescope_results(judgement, CHECKS))
    assert len(results) < 64_000 and "\x1b" not in results
    cell = summary_cell(judgement, CHECKS, with_reference=False)
    assert len(cell.source) < 64_000, len(cell.source)
    assert "<script>" not in cell.source
