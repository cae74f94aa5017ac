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

from ..common.atomic import write_bytes, write_json, write_text
from ..assignment import current
from .export import spreadsheet_safe
from .nbgrader_steps import generate_feedback, open_gradebook

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


def remember_collected(course_dir, student, lms, filename, lms_id="", name="", person=None):
    """What collect placed for ``student``: the LMS, the file's name (the feedback upload), the
    LMS's own id of the student (the grade export) and who they are (the roster's or the LMS's
    name and e-mail, for nbgrader's gradebook)."""
    person = {k: str(v or "") for k, v in (person or {}).items()}
    if name and not (person.get("first_name") or person.get("last_name")):
        person.update(split_name(name))
    write_json(os.path.join(course_dir, COLLECTED_DIR, f"{student}.json"),
               {"lms": lms, "file": filename, "lms_id": str(lms_id or ""), **person})


def split_name(name):
    """{first_name, last_name} of a full name, as nbgrader's gradebook keeps them: the last word
    is the last name (formgrader shows 'Doe, Jane')."""
    words = str(name or "").split()
    if not words:
        return {}
    return {"first_name": " ".join(words[:-1]), "last_name": words[-1]}


def sync_student(course_dir, student, gb):
    """The gradebook's record of ``student`` completed from what collect read (names, e-mail, the
    LMS's id): formgrader then shows who they are. Only what is known is written."""
    origin = collected(course_dir, student)
    fields = {k: origin[k] for k in ("first_name", "last_name", "email") if origin.get(k)}
    if origin.get("lms_id"):
        fields["lms_user_id"] = origin["lms_id"]
    if fields:
        gb.update_or_create_student(student, **fields)


def collected(course_dir, student):
    try:
        with open(os.path.join(course_dir, COLLECTED_DIR, f"{student}.json")) as f:
            value = json.load(f)
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def totals(course_dir):
    """A Total per student with a submission, from the gradebook."""
    from nbgrader.api import MissingEntry
    out = []
    with open_gradebook(course_dir) as gb:
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


def _lms_id(course_dir, student, lms):
    """The LMS's own id of ``student`` when collect read it from that LMS's download, else None."""
    origin = collected(course_dir, student)
    return origin.get("lms_id") or None if origin.get("lms") == lms else None


def export_text(course_dir, fmt, lms_assignment_id=""):
    """(the totals as ``fmt`` imports them, warnings): csv (every column), canvas (its gradebook
    import: Canvas' user id in ID, the assignment's column 'Title (Canvas id)'), moodle (its
    grading worksheet: 'Participant <Moodle's participant id>'). The warnings name what the
    instructor should know before uploading: answers not graded yet (exported as 0), late
    penalties applied, students the LMS will not recognise."""
    if fmt not in FORMATS:
        raise ValueError(f"Expected a format in {FORMATS}. Received: {fmt!r}")
    rows = totals(course_dir)
    warnings = []
    pending = [t.student for t in rows if t.needs_manual_grade]
    if pending:
        warnings.append(f"{len(pending)} student(s) have answers not graded by hand yet, exported with 0 for "
                        f"them: {_few(pending)} (grade them in formgrader, then export again)")
    late = [f"{t.student} (-{t.late_penalty:g})" for t in rows if t.late_penalty]
    if late:
        warnings.append(f"{len(late)} student(s) lose points for lateness: {_few(late)}")
    if fmt == "csv":
        fields = list(asdict(rows[0]) if rows else Total.__dataclass_fields__)
        return _csv([[f"{v:g}" if isinstance(v, float) else v for v in asdict(t).values()] for t in rows],
                    fields), warnings
    ids = {t.student: _lms_id(course_dir, t.student, fmt) for t in rows}
    unknown = [s for s, i in ids.items() if i is None]
    lms = {"canvas": "Canvas", "moodle": "Moodle"}[fmt]
    if unknown:
        warnings.append(f"{len(unknown)} student(s) were not collected from a {lms} download, so their {lms} id is "
                        f"unknown and the course id stands in for it ({lms} will not match them): {_few(unknown)}")
    if fmt == "canvas":
        if lms_assignment_id:
            title = f"{current().title} ({lms_assignment_id})"
        else:
            title = current().title
            warnings.append("Canvas matches an imported column to an assignment by its id: set "
                            "c.Course.lms_assignment_id in nbgrader_config.py (the number in the assignment's "
                            "URL), or Canvas adds a new column")
        body = [["Points Possible", "", "", "", "", f"{rows[0].possible:g}" if rows else ""]]
        body += [[_name(t), ids[t.student] or t.student, "", "", "", f"{t.total:g}"] for t in rows]
        return _csv(body, ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title]), warnings
    return _csv([[f"Participant {ids[t.student] or t.student}", _name(t), t.email, f"{t.total:g}", f"{t.possible:g}",
                  "Yes", f"automatic {t.auto:g}, written {t.written:g}, late penalty {t.late_penalty:g}"]
                 for t in rows],
                ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Grade can be changed",
                 "Feedback comments"]), warnings


def _few(items, n=8):
    items = list(items)
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def write_export(course_dir, fmt, out, lms_assignment_id=""):
    """Write the export; returns (path, warnings)."""
    text, warnings = export_text(course_dir, fmt, lms_assignment_id)
    return write_text(out, text), warnings


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
