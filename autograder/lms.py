"""Back to the learning-management system, after manual grading: totals and feedback.

``totals`` reads nbgrader's gradebook as ``nbgrader export`` does (automatic and manual points,
the late penalty, the total), ``write_export`` writes them in the format an LMS imports, and
``feedback_bundle`` regenerates every graded student's feedback (so manual points and comments
are in it) and zips it in the layout the LMS uploads.
"""
import csv
import io
import json
import os
import re
import zipfile
from dataclasses import asdict, dataclass

from .atomic import write_bytes, write_json, write_text
from .assignment import current
from .export import spreadsheet_safe
from .nbgrader_steps import generate_feedback

COLLECTED_DIR = os.path.join(".autograder", "collected")
FORMATS = ("csv", "canvas", "moodle")
LAYOUTS = ("canvas", "moodle", "folder")


@dataclass
class Total:
    student: str
    first_name: str
    last_name: str
    email: str
    auto: float             # the test cells' points (partial credit included)
    written: float          # the hand-graded answers' points
    raw: float              # all points, manual overrides included
    late_penalty: float
    total: float            # max(0, raw - late_penalty), as nbgrader's export computes it
    possible: float
    timestamp: str
    needs_manual_grade: bool


def remember_collected(course_dir, student, lms, filename):
    """What collect placed for ``student``: the LMS and the file's name, for the feedback upload."""
    write_json(os.path.join(course_dir, COLLECTED_DIR, f"{student}.json"), {"lms": lms, "file": filename})


def collected(course_dir, student):
    try:
        with open(os.path.join(course_dir, COLLECTED_DIR, f"{student}.json")) as f:
            value = json.load(f)
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def totals(course_dir):
    """A Total per student with a submission, from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry
    out = []
    with Gradebook("sqlite:///" + os.path.join(course_dir, "gradebook.db")) as gb:
        assignment = gb.find_assignment(current().name)
        for student in sorted(gb.students, key=lambda s: s.id):
            try:
                sub = gb.find_submission(current().name, student.id)
            except MissingEntry:
                continue
            penalty = float(sub.late_submission_penalty or 0.0)
            raw = float(sub.score or 0.0)
            out.append(Total(student.id, student.first_name or "", student.last_name or "", student.email or "",
                             float(sub.code_score or 0.0), float(sub.written_score or 0.0), raw, penalty,
                             max(0.0, raw - penalty), float(assignment.max_score or 0.0),
                             str(sub.timestamp or ""), bool(sub.needs_manual_grade)))
    return out


def _csv(rows, header):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[cell if isinstance(cell, (int, float)) else spreadsheet_safe(cell) for cell in row]
                      for row in rows])
    return buffer.getvalue()


def _name(t):
    return " ".join(p for p in (t.first_name, t.last_name) if p) or t.student


def export_text(course_dir, fmt):
    """The totals as ``fmt`` imports them: csv (every column), canvas (its gradebook import:
    the course id is Canvas' user id when collect read it from a Canvas download), moodle (its
    assignment grading worksheet: the course id is Moodle's participant id likewise)."""
    if fmt not in FORMATS:
        raise ValueError(f"Expected a format in {FORMATS}. Received: {fmt!r}")
    rows = totals(course_dir)
    if fmt == "csv":
        fields = list(asdict(rows[0]) if rows else Total.__dataclass_fields__)
        return _csv([[f"{v:g}" if isinstance(v, float) else v for v in asdict(t).values()] for t in rows], fields)
    if fmt == "canvas":
        title = f"{current().title} ({current().name})"
        body = [["Points Possible", "", "", "", "", f"{rows[0].possible:g}" if rows else ""]]
        body += [[_name(t), t.student, "", "", "", f"{t.total:g}"] for t in rows]
        return _csv(body, ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title])
    return _csv([[f"Participant {t.student}", _name(t), t.email, f"{t.total:g}", f"{t.possible:g}", "Yes",
                  f"automatic {t.auto:g}, written {t.written:g}, late penalty {t.late_penalty:g}"] for t in rows],
                ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Grade can be changed",
                 "Feedback comments"])


def write_export(course_dir, fmt, out):
    return write_text(out, export_text(course_dir, fmt))


def _upload_name(course_dir, student, layout):
    """Where a student's feedback goes in the LMS's upload zip."""
    origin = collected(course_dir, student)
    stem = os.path.splitext(os.path.basename(str(origin.get("file") or "")))[0]
    if layout == "canvas" and origin.get("lms") == "canvas":
        # Canvas matches a bulk-uploaded file by the name_userid_submissionid_ prefix it gave.
        prefix = re.match(r"^[^_]+_(?:LATE_)?\d+_\d+_", stem)
        if prefix:
            return f"{prefix.group(0)}feedback.html"
    if layout == "moodle" and origin.get("lms") == "moodle":
        folder = re.match(r"^.+?_\d+_assignsubmission_(?:file|onlinetext)_", stem)
        if folder:
            return f"{folder.group(0)}/feedback.html"
    return f"{student}/feedback.html"


def feedback_bundle(course_dir, layout, out):
    """Regenerate every graded student's feedback from the gradebook (manual points and
    comments included) and zip it for ``layout``; returns (zip path, students)."""
    if layout not in LAYOUTS:
        raise ValueError(f"Expected a layout in {LAYOUTS}. Received: {layout!r}")
    students = [t.student for t in totals(course_dir)]
    generate_feedback(course_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for student in students:
            html = current().feedback_path(course_dir, student)
            if os.path.exists(html):
                z.write(html, _upload_name(course_dir, student, layout))
    write_bytes(out, buffer.getvalue())
    return out, students
