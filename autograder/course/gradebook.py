"""Scores per student and per check, read back from nbgrader's gradebook and the autograded
notebooks (for the message of each failed check)."""
import os
from dataclasses import dataclass, field

import nbformat
from nbgrader.api import MissingEntry

from ..assignment import current
from ..checks.result import CheckResult
from .nbgrader_steps import notebook_path, open_gradebook


@dataclass
class StudentScores:
    student: str
    scores: dict = field(default_factory=dict)      # grade_id -> (score, max_score)
    messages: dict = field(default_factory=dict)    # grade_id -> why points were lost

    @property
    def auto_total(self):
        return sum(s for s, _ in self.scores.values())

    @property
    def auto_possible(self):
        return sum(m for _, m in self.scores.values())

    def lost(self):
        return {gid: m - s for gid, (s, m) in self.scores.items() if s < m}


def failure_messages(notebook_path):
    """{grade_id: message} for the autograded test cells that failed."""
    if not os.path.exists(notebook_path):
        return {}
    nb = nbformat.read(notebook_path, as_version=4)
    messages = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                messages[meta["grade_id"]] = f"{out.ename}: {out.evalue}"
            elif out.output_type == "stream" and out.name == "stderr" and meta["grade_id"] not in messages:
                messages[meta["grade_id"]] = "wrote to stderr: " + out.text.strip()[:200]
            elif out.output_type == "stream" and (verdict := CheckResult.parse_summary(out.text)) \
                    and verdict.mark == "PARTIAL":
                messages[meta["grade_id"]] = verdict.message.strip()
    return messages


def read_scores(course_dir, students=None):
    """Autograded (code) test-cell scores of each student, from the gradebook."""
    results = []
    with open_gradebook(course_dir) as gb:
        names = students or sorted(s.id for s in gb.students)
        for student in names:
            try:
                nb = gb.find_submission_notebook(current().name, current().name, student)
            except MissingEntry:
                continue
            row = StudentScores(student)
            for grade in nb.grades:
                if grade.cell_type == "code":
                    row.scores[grade.name] = (float(grade.auto_score or 0.0), float(grade.max_score))
            row.messages = failure_messages(notebook_path(course_dir, "autograded", student))
            results.append(row)
    return results
