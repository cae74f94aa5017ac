"""The batch's exports: grades.csv (from the gradebook), Gradescope results.json per
student, summary.json and the instructor's report."""
import os

from ..common.atomic import write_json
from ..course.export import write_grades_csv
from ..course.gradebook import read_scores
from ..untrusted.sandbox_output import clean_text
from .report import write_report

EXPORTS_DIR = "exports"


def gradescope_results(judgement, checks):
    """Gradescope's results.json for one student: every check, hidden ones (of ``checks``) after
    publishing."""
    tests = []
    for r in judgement["results"]:
        check = checks.get(r["name"])
        tests.append({"name": r["name"], "score": r["points"], "max_score": r["possible"],
                      "output": r["message"], "status": "passed" if r["passed"] else "failed",
                      "visibility": "after_published" if check and check.hidden else "visible"})
    return {"score": judgement["score"], "output": judgement.get("reason") or "",
            "tests": tests}


def write_outputs(course_dir, judgements, summary, checks):
    """Every export of the judgements of ``checks`` (the assignment's); one student whose export
    fails is named in ``summary["export_failures"]`` and the others' exports are written."""
    out = os.path.join(course_dir, EXPORTS_DIR)
    os.makedirs(out, exist_ok=True)
    failures = summary.setdefault("export_failures", {})
    paths = {"grades_csv": write_grades_csv(read_scores(course_dir, sorted(judgements)),
                                            os.path.join(out, "grades.csv"), checks)}
    for student, judgement in judgements.items():
        try:
            write_json(os.path.join(out, "gradescope", student, "results.json"),
                       gradescope_results(judgement, checks), indent=1)
        except Exception as exc:
            failures[student] = f"gradescope: {type(exc).__name__}: {clean_text(exc, 300)}"
    paths["gradescope"] = os.path.join(out, "gradescope")
    try:
        paths["report"] = write_report(os.path.join(out, "report.html"), judgements, summary, checks,
                                       course_dir=course_dir)
    except Exception as exc:
        failures["(report)"] = f"{type(exc).__name__}: {clean_text(exc, 300)}"
    paths["summary"] = os.path.join(out, "summary.json")
    write_json(paths["summary"], dict(summary, outputs=paths), indent=1)
    return paths
