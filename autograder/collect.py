"""Bring notebooks downloaded from a learning-management system into nbgrader's layout.

Accepts a folder or a zip of the notebooks as Canvas, Moodle, Blackboard, Brightspace (D2L) or
Gradescope export them, or named ``<student>.ipynb`` / ``<student>_anything.ipynb``, and writes
``submitted/<student>/regularization/regularization.ipynb`` byte for byte (a broken notebook is
graded, not dropped), with nbgrader's ``timestamp.txt`` when the export says when it was handed
in, so nbgrader's due date and late penalties apply. ``roster`` (a CSV) maps the LMS's ids or
the students' names to course ids. An existing, different submission is replaced only with
``replace=True``, and then kept as a backup. Everything is checked before anything is written;
every refusal names the file and the rule.
"""
import csv
import io
import os
import re
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import submission_files as files
from .atomic import write_bytes, write_text
from .lms import remember_collected
from .nbgrader_steps import notebook_path

MAX_ID = 64
# Canvas: name[_LATE]_userid_submissionid_original.ipynb (the name is the login-ish sortable name)
CANVAS = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<id>\d+)_\d+_")
# Moodle: Full Name_participantid_assignsubmission_file_original.ipynb
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_")
# Blackboard: Assignment Name_username_attempt_YYYY-MM-DD-HH-MM-SS[_original].ipynb
BLACKBOARD = re.compile(r"^.+_(?P<id>[^_]+)_attempt_(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_|$)")
# Brightspace (D2L): submissionid-userid - Full Name - Mon D, YYYY HMM AM - original.ipynb
D2L = re.compile(r"^\d+-(?P<id>\d+) - (?P<name>.+?) - (?P<stamp>[A-Z][a-z]{2} \d{1,2}, \d{4} \d{3,4} [AP]M) - ")
PLAIN = re.compile(r"^(?P<id>[^_\s]+)(?:[_ ].*)?$")


class CollectError(ValueError):
    pass


@dataclass
class Found:
    """One notebook of a download, as its name (and the export's metadata) tell it."""
    filename: str
    data: bytes
    lms: str
    key: str                        # the LMS's id of the student (user id, username, sid, ...)
    name: str = ""                  # the student's name, when the export carries it
    submitted: datetime = None      # aware, when the export says when
    late: bool = False              # Canvas' _LATE tag (its download has no time)


def safe_id(text, filename):
    """A course id made from an LMS's id or name: letters of any script, digits and ``.@'-_``
    kept (``o'brienpat``, ``müller``), anything else (spaces, slashes, controls) made ``-``."""
    text = unicodedata.normalize("NFC", str(text)).strip()
    sid = re.sub(r"[^\w.@'-]+", "-", text, flags=re.UNICODE)[:MAX_ID]
    return check_id(sid, filename)


def check_id(sid, filename):
    """``sid``, if it can name a folder under submitted/ and be passed to nbgrader; else
    CollectError naming the file and the rule."""
    if not sid:
        raise CollectError(f"{filename!r}: the student id is empty; name files <student>.ipynb")
    if sid in (".", ".."):
        raise CollectError(f"{filename!r}: the student id {sid!r} names a folder, not a student")
    if sid[0] in ".-":
        raise CollectError(f"{filename!r}: the student id {sid!r} starts with {sid[0]!r}; ids must "
                           "start with a letter or a digit")
    if "/" in sid or "\0" in sid or any(unicodedata.category(c).startswith("C") for c in sid):
        raise CollectError(f"{filename!r}: the student id {sid!r} holds a path separator or a control character")
    if len(sid) > MAX_ID:
        raise CollectError(f"{filename!r}: the student id is longer than {MAX_ID} characters")
    return sid


def _local(stamp, fmt, tz):
    return datetime.strptime(stamp, fmt).replace(tzinfo=tz)


def parse_name(filename, data, tz=timezone.utc):
    """What a file name says: a Found, or CollectError naming the file and the rule."""
    stem = os.path.splitext(os.path.basename(filename))[0]
    if m := D2L.match(stem + " - "):
        try:
            when = _local(m.group("stamp"), "%b %d, %Y %I%M %p", tz)
        except ValueError:
            raise CollectError(f"{filename!r}: a Brightspace name whose date {m.group('stamp')!r} "
                               "is not 'Mon D, YYYY HMM AM'") from None
        return Found(filename, data, "d2l", m.group("id"), m.group("name"), when)
    if m := MOODLE.match(stem):
        return Found(filename, data, "moodle", m.group("id"), m.group("name"))
    if m := BLACKBOARD.match(stem):
        try:
            when = _local(m.group("stamp"), "%Y-%m-%d-%H-%M-%S", tz)
        except ValueError:
            raise CollectError(f"{filename!r}: a Blackboard name whose attempt date is not a date") from None
        return Found(filename, data, "blackboard", m.group("id"), "", when)
    if m := CANVAS.match(stem):
        return Found(filename, data, "canvas", m.group("id"), m.group("name"), late=bool(m.group("late")))
    if m := PLAIN.match(stem):
        return Found(filename, data, "plain", m.group("id"))
    raise CollectError(f"cannot tell the student from the file name {filename!r}: name files "
                       "<student>.ipynb or <student>_anything.ipynb, or collect the LMS's download as it is")


def student_id(filename):
    """The course id a file name gives without a roster."""
    return safe_id(parse_name(filename, b"").key, filename)


def _gradescope(metadata_text, members):
    """Founds from a Gradescope export: ``submission_metadata.yml`` names each
    ``submission_<n>/`` folder's submitters and time."""
    import yaml
    try:
        metadata = yaml.safe_load(metadata_text)
    except yaml.YAMLError as exc:
        raise CollectError(f"submission_metadata.yml is not valid YAML: {str(exc)[:200]}") from None
    if not isinstance(metadata, dict):
        raise CollectError("submission_metadata.yml does not map submissions to submitters")
    out = []
    for path, data in members:
        folder = path.replace("\\", "/").split("/")[-2] if "/" in path.replace("\\", "/") else ""
        entry = metadata.get(folder)
        if not isinstance(entry, dict):
            raise CollectError(f"{path!r}: its folder {folder!r} is not in submission_metadata.yml")
        submitters = entry.get(":submitters") or entry.get("submitters") or []
        if not isinstance(submitters, list) or len(submitters) != 1 or not isinstance(submitters[0], dict):
            raise CollectError(f"{path!r}: Gradescope lists {len(submitters) if isinstance(submitters, list) else 0} "
                               "submitters for it; group submissions are not supported, collect them one by one")
        who = {str(k).lstrip(":"): v for k, v in submitters[0].items()}
        key = str(who.get("sid") or who.get("email") or "").strip()
        when = entry.get(":created_at") or entry.get("created_at")
        if isinstance(when, str):
            try:
                when = datetime.strptime(when.strip()[:19] + when.strip()[-6:], "%Y-%m-%d %H:%M:%S%z")
            except ValueError:
                when = None
        if isinstance(when, datetime) and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        out.append(Found(path, data, "gradescope", key, str(who.get("name") or ""),
                         when if isinstance(when, datetime) else None))
    return out


MAX_NOTEBOOK_BYTES = 64 * 2**20       # as the batch grades them (execute.MAX_RESULT_BYTES)
MAX_MEMBERS = 20_000
MAX_DOWNLOAD_BYTES = 8 * 2**30


def _members(source):
    """(path inside the download, bytes) of every notebook, and the Gradescope metadata if any.
    A download is the students' bytes: a folder is read through ``submission_files`` (no
    link followed, only regular files), a zip member by its declared size, bounded, so a
    small zip of a huge notebook is refused before it is inflated."""
    members, metadata = [], None
    if os.path.isdir(source):
        listing = files.walk(source, _download_policy, max_files=MAX_MEMBERS, max_file_bytes=MAX_NOTEBOOK_BYTES,
                             max_total_bytes=MAX_DOWNLOAD_BYTES, max_scanned=10 * MAX_MEMBERS)
        refused = [line for line in listing.notices()]
        if refused:
            raise CollectError(f"{source}: {len(refused)} entries cannot be collected ({'; '.join(refused[:5])}); "
                               "a download holds notebooks as regular files")
        for entry in listing.files:
            try:
                data = files.read_bytes(source, entry.rel, MAX_NOTEBOOK_BYTES)
            except files.Unreadable as exc:
                raise CollectError(f"{source}: {exc}") from None
            if entry.rel.endswith(".ipynb"):
                members.append((entry.rel, data))
            else:
                metadata = data
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise CollectError(f"{source} holds {len(infos)} files; a download of at most {MAX_MEMBERS} is collected")
            total = 0
            for info in infos:
                # member data only, never its path: nothing is written outside submitted/
                name = os.path.basename(info.filename)
                if info.filename.startswith("__MACOSX") or info.is_dir():
                    continue
                if not (name.endswith(".ipynb") or name == "submission_metadata.yml"):
                    continue
                total += info.file_size
                if info.file_size > MAX_NOTEBOOK_BYTES or total > MAX_DOWNLOAD_BYTES:
                    raise CollectError(f"{info.filename!r} in {source} inflates to {info.file_size / 2**20:.0f} MB; "
                                       f"notebooks of at most {MAX_NOTEBOOK_BYTES // 2**20} MB are collected "
                                       "(clear large outputs)")
                data = _read_member(archive, info)
                if name.endswith(".ipynb"):
                    members.append((info.filename, data))
                else:
                    metadata = data
    else:
        raise CollectError(f"{source} is neither a folder nor a zip file of notebooks")
    return members, metadata


def _existing(path, course_dir):
    """An existing submission's bytes (None when it is not a regular file we may read)."""
    try:
        return files.read_path(path, 2**40, base=course_dir)
    except (files.Unreadable, OSError):
        return None


def _download_policy(rel, is_dir):
    name = os.path.basename(rel)
    if is_dir:
        return None if name == ".ipynb_checkpoints" else ""
    return "" if name.endswith(".ipynb") or name == "submission_metadata.yml" else None


def _read_member(archive, info):
    """A member's bytes, read in chunks and cut at its declared size (zipfile checks the CRC)."""
    out, left = [], info.file_size
    try:
        with archive.open(info) as f:
            while left >= 0:
                chunk = f.read(min(1 << 20, left + 1))
                if not chunk:
                    break
                out.append(chunk)
                left -= len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise CollectError(f"{info.filename!r} cannot be read from the zip ({type(exc).__name__})") from None
    if left < 0:
        raise CollectError(f"{info.filename!r} holds more than the zip declares")
    return b"".join(out)


def read_roster(path):
    """{lookup key: course id} from a CSV with a ``student`` column (the course id) and any of
    ``lms_id``, ``username``, ``email``, ``name``."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CollectError(f"the roster {path} cannot be read: {exc}") from None
    if not rows or "student" not in rows[0]:
        raise CollectError(f"the roster {path} needs a header with a 'student' column (the course id) "
                           "and any of lms_id, username, email, name")
    roster = {}
    for number, row in enumerate(rows, 2):
        course_id = check_id((row.get("student") or "").strip(), f"{path}, line {number}")
        for column in ("lms_id", "username", "email", "name"):
            value = _norm(row.get(column))
            if value:
                if roster.get(value, course_id) != course_id:
                    raise CollectError(f"the roster {path}, line {number}: {column} {row[column]!r} is "
                                       f"also {roster[value]!r}'s")
                roster[value] = course_id
    return roster


def _norm(text):
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


def _course_id(found, roster):
    if roster is None:
        return safe_id(found.key, found.filename)
    for value in (found.key, found.name):
        if _norm(value) in roster:
            return roster[_norm(value)]
    raise CollectError(f"{found.filename!r}: neither its id {found.key!r} nor its name {found.name!r} "
                       "is in the roster; add the student to it, or collect without --roster")


def timestamp_text(when):
    """nbgrader's timestamp.txt format, in UTC."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def collect(source, course_dir, replace=False, roster=None, tz="UTC"):
    """Place each student's notebook; returns {student: Placed-like dict}. Checks everything
    first: nothing is written when any file is refused."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CollectError(f"unknown time zone {tz!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'") from None
    members, metadata = _members(source)
    if metadata is not None:
        founds = _gradescope(metadata.decode("utf-8", "replace"), members)
    else:
        founds = [parse_name(path, data, zone) for path, data in members]
    lookup = read_roster(roster) if roster else None
    found = {}
    for item in founds:
        sid = _course_id(item, lookup)
        if sid in found and found[sid].data != item.data:
            raise CollectError(f"two different notebooks for student {sid!r}: {found[sid].filename} and "
                               f"{item.filename}; keep one of them and collect again")
        found[sid] = item
    if not found:
        raise CollectError(f"no .ipynb file in {source}")
    targets = {sid: notebook_path(course_dir, "submitted", sid) for sid in found}
    clashes = [sid for sid, path in targets.items()
               if os.path.lexists(path) and _existing(path, course_dir) != found[sid].data]
    if clashes and not replace:
        raise CollectError(f"{len(clashes)} student(s) already have a different submission "
                           f"({', '.join(sorted(clashes)[:5])}); pass --replace to replace them "
                           "(the old files are kept as backups)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    placed = {}
    for sid, path in targets.items():
        item = found[sid]
        if sid in clashes:
            os.replace(path, f"{path}.{stamp}.bak")
        write_bytes(path, item.data)
        stamp_path = os.path.join(os.path.dirname(path), "timestamp.txt")
        if item.submitted is not None:
            write_text(stamp_path, timestamp_text(item.submitted) + "\n")
        elif sid in clashes and os.path.exists(stamp_path):
            os.remove(stamp_path)       # the old time belongs to the old notebook
        remember_collected(course_dir, sid, item.lms, item.filename)
        placed[sid] = {"path": path, "lms": item.lms, "file": item.filename, "late": item.late,
                       "submitted": timestamp_text(item.submitted) if item.submitted else None}
    return placed


def describe(placed):
    """Lines for the terminal: who was placed from which file, when handed in, and what the
    instructor must know (Canvas's late tag without a time)."""
    out = io.StringIO()
    for sid, p in sorted(placed.items()):
        when = f", handed in {p['submitted']}" if p["submitted"] else ""
        late = (" (Canvas marks it LATE; its download has no time, so nbgrader's late penalty cannot "
                "apply: use Canvas's own late policy)") if p["late"] else ""
        out.write(f"{sid}: {p['file']} ({p['lms']}{when}){late}\n")
    return out.getvalue()
