"""The batch's exports: grades.csv (from the gradebook), Gradescope results.json per
student, summary.json and the instructor's report."""
import json
import os

from ..checks import CHECKS
from ..export import write_grades_csv
from ..gradebook import read_scores

EXPORTS_DIR = "exports"


def gradescope_results(judgement):
    """Gradescope's results.json for one student: every check, hidden ones after publishing."""
    tests = []
    for r in judgement["results"]:
        check = CHECKS.get(r["name"])
        tests.append({"name": r["name"], "score": r["points"], "max_score": r["possible"],
                      "output": r["message"], "status": "passed" if r["passed"] else "failed",
                      "visibility": "after_published" if check and check.hidden else "visible"})
    return {"score": judgement["score"], "output": judgement.get("reason") or "",
            "tests": tests}


def _write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1)
    os.replace(path + ".tmp", path)
    return path


def write_outputs(course_dir, judgements, summary):
    from .report import write_report
    out = os.path.join(course_dir, EXPORTS_DIR)
    os.makedirs(out, exist_ok=True)
    paths = {"grades_csv": write_grades_csv(read_scores(course_dir, sorted(judgements)),
                                            os.path.join(out, "grades.csv"))}
    for student, judgement in judgements.items():
        _write_json(os.path.join(out, "gradescope", student, "results.json"), gradescope_results(judgement))
    paths["gradescope"] = os.path.join(out, "gradescope")
    paths["report"] = write_report(os.path.join(out, "report.html"), judgements, summary)
    paths["summary"] = os.path.join(out, "summary.json")
    _write_json(paths["summary"], dict(summary, outputs=paths))
    return paths
