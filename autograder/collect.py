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
# Each LMS writes its own part of a name (ids, names, times) before the name the student gave
# the file when uploading; a rule reads only the LMS's part, anchored at its start, so what a
# student typed never decides whose notebook it is.
# Canvas: sortablename[_LATE]_userid_submissionid_original.ipynb (the name has no underscore)
CANVAS = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<id>\d+)_\d+_")
# Moodle, flat: Full Name_participantid_assignsubmission_file_original.ipynb; in folders: the
# folder is Full Name_participantid_assignsubmission_file_ and the file keeps its own name.
MOODLE = re.compile(r"^(?P<name>[^_]+)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_")
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_]+)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_?$")
# Blackboard: Assignment Name_username_attempt_YYYY-MM-DD-HH-MM-SS[_original].ipynb, where both
# the title and the username may hold underscores (the first _attempt_<time> is Blackboard's).
BLACKBOARD = re.compile(r"^(?P<pre>.+?)_attempt_(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_|$)")
# Brightspace (D2L): submissionid-userid - Full Name - Mon D, YYYY HMM AM - original.ipynb
D2L = re.compile(r"^\d+-(?P<id>\d+) - (?P<name>.+?) - (?P<stamp>[A-Z][a-z]{2} \d{1,2}, \d{4} \d{3,4} [AP]M) - ")
# No LMS: <student>.ipynb, <student>_<assignment>.ipynb, or <student>/<assignment>.ipynb.
PLAIN_ID = re.compile(r"[\w.@'-]+", re.UNICODE)
SKIPPED_FOLDERS = (".ipynb_checkpoints", "__MACOSX")


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


@dataclass
class Reading:
    """What one LMS layout reads from a file's path: the LMS's id, or (Blackboard, whose titles
    and usernames both hold underscores) the (title, username) splits it allows."""
    lms: str
    key: str = ""
    name: str = ""
    submitted: datetime = None
    late: bool = False
    splits: tuple = ()


def _parts(path):
    """A path inside a download as its components, without empty, '.' or '..' ones."""
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".", "..")]


def _readings(path, tz):
    """{lms: Reading} of every known layout that reads ``path``; CollectError for a name in a
    layout's form whose time is no time."""
    parts = _parts(path)
    stem = os.path.splitext(parts[-1])[0] if parts else ""
    out = {}
    if len(parts) >= 2 and (m := MOODLE_FOLDER.match(parts[-2])):
        out["moodle"] = Reading("moodle", m.group("id"), m.group("name"))
    elif m := MOODLE.match(stem):
        out["moodle"] = Reading("moodle", m.group("id"), m.group("name"))
    if m := D2L.match(stem + " - "):
        try:
            when = _local(m.group("stamp"), "%b %d, %Y %I%M %p", tz)
        except ValueError:
            raise CollectError(f"{path!r}: a Brightspace name whose date {m.group('stamp')!r} "
                               "is not 'Mon D, YYYY HMM AM'") from None
        out["d2l"] = Reading("d2l", m.group("id"), m.group("name"), when)
    if m := BLACKBOARD.match(stem):
        try:
            when = _local(m.group("stamp"), "%Y-%m-%d-%H-%M-%S", tz)
        except ValueError:
            raise CollectError(f"{path!r}: a Blackboard name whose attempt date is not a date") from None
        tokens = m.group("pre").split("_")
        splits = tuple(("_".join(tokens[:k]), "_".join(tokens[k:])) for k in range(1, len(tokens)))
        if splits:
            out["blackboard"] = Reading("blackboard", submitted=when, splits=splits)
    if m := CANVAS.match(stem):
        out["canvas"] = Reading("canvas", m.group("id"), m.group("name"), late=bool(m.group("late")))
    return out


def _plain(path, assignment):
    """The id a file outside any LMS layout names: <student>.ipynb, <student>_<assignment>.ipynb
    or <student>/<assignment>.ipynb; None when it names none."""
    parts = _parts(path)
    stem = os.path.splitext(parts[-1])[0] if parts else ""
    if assignment and stem == assignment:
        folders = [p for p in parts[:-1] if p != assignment]
        candidate = folders[-1] if folders else ""
    elif assignment and stem.endswith("_" + assignment):
        candidate = stem[:-len(assignment) - 1]
    else:
        candidate = stem
    return candidate if PLAIN_ID.fullmatch(candidate or "-x-") and candidate else None


NO_RULE = ("no rule reads whose notebook {path!r} is: the grader reads Canvas, Moodle (flat or in "
           "folders), Blackboard, Brightspace and Gradescope downloads as the LMS writes them, and "
           "files named <student>.ipynb, <student>_{assignment}.ipynb or <student>/{assignment}.ipynb; "
           "rename it, or add a pattern to nbgrader_config.py, e.g. "
           "c.Collect.patterns = [r'^(?P<student>[^ ]+) - ']")


def _blackboard_user(found_splits, roster):
    """{path: username} for Blackboard files: the title is the same for every file of one
    download, so the split whose title all files allow is theirs; a file still left with
    several is decided by the roster, else refused with the rule to add."""
    titles = None
    for splits in found_splits.values():
        allowed = {title for title, _ in splits}
        titles = allowed if titles is None else titles & allowed
    out = {}
    for path, splits in found_splits.items():
        users = [user for title, user in splits if title in (titles or ())] if titles else []
        if len(users) != 1 and roster is not None:
            users = [u for u in (users or [user for _, user in splits]) if _norm(u) in roster] or users
        if len(users) == 1:
            out[path] = users[0]
            continue
        options = [user for _, user in splits]
        raise CollectError(
            f"{path!r}: Blackboard writes <assignment title>_<username>_attempt_<time>, and both may hold "
            f"underscores: this could be user {' or '.join(repr(u) for u in options)}. Collect with "
            "--roster (a username column), or name the title in nbgrader_config.py, e.g. "
            f"c.Collect.patterns = [r'^{re.escape(splits[0][0])}_(?P<student>.+)_attempt_']")
    return out


def read_names(members, tz=timezone.utc, patterns=(), roster=None, assignment=""):
    """A Found for each (path, bytes) of a download, from its LMS's part of the path: the
    course's own ``patterns`` first, then the layout every file of the download is in (a file
    several layouts read is the download's LMS's), then the plain names. A file no rule reads,
    or that two layouts read differently, is refused by name; no id is ever guessed."""
    compiled = []
    for text in patterns or ():
        try:
            pattern = re.compile(text)
        except re.error as exc:
            raise CollectError(f"c.Collect.patterns: {text!r} is not a regular expression ({exc})") from None
        if "student" not in pattern.groupindex:
            raise CollectError(f"c.Collect.patterns: {text!r} has no group (?P<student>...) naming the student")
        compiled.append(pattern)
    founds, pending = {}, {}
    for path, data in members:
        rel = "/".join(_parts(path))
        for pattern in compiled:
            if m := pattern.match(rel):
                name = m.groupdict().get("name") or ""
                founds[path] = Found(path, data, "pattern", m.group("student"), name)
                break
        else:
            pending[path] = (data, _readings(path, tz))
    shared = None
    for _, readings in pending.values():
        shared = set(readings) if shared is None else shared & set(readings)
    # One download is one LMS's: the layout that reads every file reads each of them.
    download_lms = next(iter(shared)) if shared and len(shared) == 1 else None
    blackboard = {}
    for path, (data, readings) in pending.items():
        if download_lms:
            readings = {download_lms: readings[download_lms]}
        if len(readings) > 1:
            raise CollectError(f"{path!r} reads as a {' and a '.join(sorted(readings))} download with other "
                               f"ids ({', '.join(f'{k}: {r.key or r.splits[0][1]!r}' for k, r in sorted(readings.items()))}); "
                               "collect each LMS's download on its own")
        if not readings:
            sid = _plain(path, assignment)
            if sid is None:
                raise CollectError(NO_RULE.format(path=path, assignment=assignment or "assignment"))
            founds[path] = Found(path, data, "plain", sid)
            continue
        (lms, r), = readings.items()
        if lms == "blackboard":
            blackboard[path] = r.splits
        founds[path] = Found(path, data, lms, r.key, r.name, r.submitted, r.late)
    for path, user in _blackboard_user(blackboard, roster).items():
        founds[path].key = user
    return [founds[path] for path, _ in members]


def parse_name(filename, data=b"", tz=timezone.utc, assignment=""):
    """What one file's name says on its own (a download of one file): a Found, or CollectError."""
    return read_names([(filename, data)], tz, assignment=assignment or _assignment_name())[0]


def _assignment_name():
    try:
        from .assignment import current
        return current().name
    except Exception:       # noqa: BLE001  (no assignment in force: only the plain <student>.ipynb)
        return ""


def student_id(filename):
    """The course id a file name gives without a roster."""
    return safe_id(parse_name(filename).key, filename)


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
                if info.is_dir() or any(p in SKIPPED_FOLDERS for p in _parts(info.filename)):
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
        return None if name in SKIPPED_FOLDERS else ""
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


def _roster_rows(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CollectError(f"the roster {path} cannot be read: {exc}") from None
    if not rows or "student" not in rows[0]:
        raise CollectError(f"the roster {path} needs a header with a 'student' column (the course id) "
                           "and any of lms_id, username, email, name, first_name, last_name")
    return rows


def roster_people(path):
    """{course id: {first_name, last_name, email}} the roster says (a 'name' column split as
    ``lms.split_name`` does when there are no first_name/last_name columns)."""
    from .lms import split_name
    people = {}
    for row in _roster_rows(path):
        sid = (row.get("student") or "").strip()
        person = {k: (row.get(k) or "").strip() for k in ("first_name", "last_name", "email")}
        if not (person["first_name"] or person["last_name"]):
            person.update(split_name(row.get("name")))
        people[sid] = {k: v for k, v in person.items() if v}
    return people


def read_roster(path):
    """{lookup key: course id} from a CSV with a ``student`` column (the course id) and any of
    ``lms_id``, ``username``, ``email``, ``name``."""
    rows = _roster_rows(path)
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


MIN_DISTINCTIVE = 40        # characters: a locked cell longer than an import line


def _cell_text(source):
    return ("".join(source) if isinstance(source, list) else str(source or "")).strip()


def _assignment_cells(course_dir):
    """What marks this assignment's notebooks: the stripped sources of the locked cells students
    receive (instructions, given code, visible tests), and those cells' (grade id, nbgrader
    checksum) pairs, which every copy of the released notebook carries in its metadata. Read
    from the release, else from the source (without its tests: hidden ones are cut on release)."""
    import nbformat
    from nbgrader.utils import is_grade, is_locked, is_solution
    from .assignment import current
    released = current().notebook_path(course_dir, "release")
    path = released if os.path.exists(released) else current().notebook_path(course_dir, "source")
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:
        raise CollectError(f"the assignment's notebook {path} cannot be read ({exc}): collect "
                           "compares each notebook with it") from None
    locked = [c for c in nb.cells if is_locked(c) and (path == released or not (is_grade(c) and not is_solution(c)))]
    texts = {_cell_text(c.source) for c in locked if len(_cell_text(c.source)) >= MIN_DISTINCTIVE}
    marks = {(c.metadata["nbgrader"].get("grade_id"), c.metadata["nbgrader"].get("checksum")) for c in locked
             if c.metadata["nbgrader"].get("checksum")}
    return texts, marks


def _marks(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return (nbg.get("grade_id"), nbg.get("checksum")) if isinstance(nbg, dict) else None


def refuse_other_assignments(founds, course_dir):
    """CollectError naming every notebook that is a notebook, but none of this assignment's: it
    holds cells, and not one of the source notebook's locked cells (another assignment's work,
    graded here it would be a zero). A file that is no notebook at all is collected and graded
    as what it is."""
    import json
    from .assignment import current
    ours, others = None, []
    for item in founds:
        try:
            nb = json.loads(item.data)
        except (ValueError, RecursionError):
            continue
        cells = nb.get("cells") if isinstance(nb, dict) else None
        if not isinstance(cells, list) or not cells:
            continue
        if ours is None:
            ours = _assignment_cells(course_dir)
        if not (ours[0] or ours[1]):
            return
        texts = {_cell_text(c.get("source")) for c in cells if isinstance(c, dict)}
        marks = {_marks(c) for c in cells} - {None}
        if not (texts & ours[0] or marks & ours[1]):
            others.append(item.filename)
    if others:
        raise CollectError(f"{len(others)} notebook(s) are not '{current().name}' notebooks: none of their cells "
                           f"is one of the assignment's own (its instructions, its given code): "
                           f"{', '.join(repr(f) for f in others[:5])}. Another assignment's notebook graded here "
                           "would score zero: leave it out of the download (or collect it into its own course)")


def timestamp_text(when):
    """nbgrader's timestamp.txt format, in UTC."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def collect(source, course_dir, replace=False, roster=None, tz="UTC", patterns=None):
    """Place each student's notebook; returns {student: Placed-like dict}. Checks everything
    first: nothing is written when any file is refused."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CollectError(f"unknown time zone {tz!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'") from None
    from .assignment import current
    from .batch.settings import Collect, load_config
    if patterns is None:
        patterns = Collect(config=load_config(course_dir)).patterns
    members, metadata = _members(source)
    lookup = read_roster(roster) if roster else None
    people = roster_people(roster) if roster else None
    if metadata is not None:
        founds = _gradescope(metadata.decode("utf-8", "replace"), members)
    else:
        founds = read_names(members, zone, patterns, lookup, current().name)
    refuse_other_assignments(founds, course_dir)
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
        remember_collected(course_dir, sid, item.lms, item.filename, item.key, item.name,
                           people.get(sid) if people else None)
        placed[sid] = {"path": path, "lms": item.lms, "file": item.filename, "late": item.late,
                       "submitted": timestamp_text(item.submitted) if item.submitted else None}
    _into_gradebook(course_dir, placed)
    return placed


def _into_gradebook(course_dir, placed):
    """Who each student is (the roster's or the LMS's name, e-mail and id) into nbgrader's
    gradebook, so formgrader shows names."""
    from nbgrader.api import Gradebook
    from .lms import sync_student
    with Gradebook("sqlite:///" + os.path.join(course_dir, "gradebook.db")) as gb:
        for sid in placed:
            sync_student(course_dir, sid, gb)


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
