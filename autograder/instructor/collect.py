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

from ..untrusted import files, sandbox_output
from ..common.atomic import write_bytes, write_text
from ..common.terminal import one_line
from ..course.lms import remember_collected
from ..course.nbgrader_steps import notebook_path

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
# Two number fields in a name: an LMS wrote it (ids, submission numbers), not a student's id.
LMS_LIKE = re.compile(r"_\d+_\d+(?:_|$)")


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
    sid = re.sub(r"[^\w.@'-]+", "-", text, flags=re.UNICODE)
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
    return plausible(datetime.strptime(stamp, fmt).replace(tzinfo=tz))


def plausible(when):
    """``when`` if a hand-in can have happened then (1970-2100), else ValueError: nbgrader's
    timestamp arithmetic and UTC conversion fail on the ends of the calendar."""
    if not 1970 <= when.year <= 2100:
        raise ValueError(f"{when.year} is not a year a notebook was handed in")
    when.astimezone(timezone.utc)
    return when


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
    """A path inside a download as its components (NFC, as macOS zips write them decomposed),
    without empty, '.' or '..' ones."""
    path = unicodedata.normalize("NFC", str(path))
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".", "..")]


def _folder_reading(folder):
    """The student a download's per-student folder names: Moodle's, or a plain id; else None."""
    if m := MOODLE_FOLDER.match(folder):
        return Reading("moodle", m.group("id"), m.group("name"))
    if PLAIN_ID.fullmatch(folder) and not MOODLE.match(folder):
        return Reading("folder", folder)
    return None


def _readings(path, tz):
    """{lms: Reading} of every LMS layout that reads the file name of ``path`` (a flat
    download); CollectError for a name in a layout's form whose time is no time."""
    parts = _parts(path)
    stem = os.path.splitext(parts[-1])[0] if parts else ""
    out = {}
    if m := MOODLE.match(stem):
        out["moodle"] = Reading("moodle", m.group("id"), m.group("name"))
    if m := D2L.match(stem + " - "):
        try:
            when = _local(m.group("stamp"), "%b %d, %Y %I%M %p", tz)
        except (ValueError, OverflowError):
            raise CollectError(f"{path!r}: a Brightspace name whose date {m.group('stamp')!r} "
                               "is not 'Mon D, YYYY HMM AM' between 1970 and 2100") from None
        out["d2l"] = Reading("d2l", m.group("id"), m.group("name"), when)
    if m := BLACKBOARD.match(stem):
        try:
            when = _local(m.group("stamp"), "%Y-%m-%d-%H-%M-%S", tz)
        except (ValueError, OverflowError):
            raise CollectError(f"{path!r}: a Blackboard name whose attempt date is not a date "
                               "between 1970 and 2100") from None
        tokens = m.group("pre").split("_")
        splits = tuple(("_".join(tokens[:k]), "_".join(tokens[k:])) for k in range(1, len(tokens)))
        if splits:
            out["blackboard"] = Reading("blackboard", submitted=when, splits=splits)
    if (m := CANVAS.match(stem)) and " - " not in m.group(0):
        out["canvas"] = Reading("canvas", m.group("id"), m.group("name"), late=bool(m.group("late")))
    return out


def _distinct(readings):
    """Whether a layout's readings of a download's files name each file's student apart (a
    layout that gives two files one id is not the download's: Canvas' pattern also reads
    Blackboard's ``HW_1_12345_attempt_...``, every file as user 1)."""
    keys = [r.key or "_".join(s for s in (r.splits[0] if r.splits else ())) for r in readings]
    return len(set(keys)) == len(keys)


def _plain(path, assignment):
    """The id a flat file outside any LMS layout names: <student>.ipynb or
    <student>_<assignment>.ipynb; None when it names none."""
    parts = _parts(path)
    stem = os.path.splitext(parts[-1])[0] if parts else ""
    if assignment and stem == assignment:
        return None
    if assignment and stem.endswith("_" + assignment):
        stem = stem[:-len(assignment) - 1]
    if LMS_LIKE.search(stem):
        return None         # an LMS's name the grader does not know: its id is not the whole name
    return stem if stem and PLAIN_ID.fullmatch(stem) else None


NO_RULE = ("no rule reads whose notebook {path!r} is: the grader reads Canvas, Moodle (flat or in "
           "folders), Blackboard, Brightspace and Gradescope downloads as the LMS writes them, and "
           "files named <student>.ipynb, <student>_{assignment}.ipynb or in a folder per student "
           "(<student>/...); rename it, or add a pattern to nbgrader_config.py, e.g. "
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
            users = [u for u in (users or [user for _, user in splits])
                     if _lookup(roster, ("username", "lms_id"), u)] or users
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
    founds, flat, folders = {}, {}, {}
    wrapper = _common_folders([_parts(path)[:-1] for path, _ in members])
    for path, data in members:
        parts = _parts(path)
        rel = "/".join(parts)
        for pattern in compiled:
            if m := pattern.match(rel):
                name = m.groupdict().get("name") or ""
                founds[path] = Found(path, data, "pattern", m.group("student"), name)
                break
        else:
            below = parts[len(wrapper):-1]
            if below:
                # A folder per student: the folder is the LMS's (Moodle's) or names the student;
                # everything inside it, file names included, is the student's own.
                folders.setdefault(below[0], []).append((path, data))
            else:
                flat[path] = (data, _readings(path, tz))
    for folder, items in folders.items():
        reading = _folder_reading(folder)
        if reading is None:
            raise CollectError(NO_RULE.format(path=items[0][0], assignment=assignment or "assignment"))
        path, data = _one_notebook(folder, items, assignment)
        founds[path] = Found(path, data, reading.lms, reading.key, reading.name)
    # One download is one LMS's: the layout that reads every flat file, and names them apart.
    shared = None
    for _, readings in flat.values():
        shared = set(readings) if shared is None else shared & set(readings)
    fitting = [lms for lms in sorted(shared or ()) if _distinct([flat[p][1][lms] for p in flat])]
    download_lms = fitting[0] if len(fitting) == 1 else None
    blackboard = {}
    for path, (data, readings) in flat.items():
        if download_lms:
            readings = {download_lms: readings[download_lms]}
        if len(readings) > 1:
            raise CollectError(f"{path!r} reads as a {' and a '.join(sorted(readings))} file name with other ids "
                               f"({', '.join(f'{k}: {r.key or r.splits[0][1]!r}' for k, r in sorted(readings.items()))}) "
                               "and the rest of the download does not tell which: give the file its LMS's name, or "
                               "add a c.Collect.patterns rule to nbgrader_config.py")
        if not readings:
            sid = _plain(path, assignment)
            if sid is None and wrapper:
                # One student's folder downloaded alone: <student>/<assignment>.ipynb.
                reading = _folder_reading(wrapper[-1])
                sid = reading.key if reading else None
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
    return [founds[path] for path, _ in members if path in founds]


def _common_folders(folder_lists):
    """The folders every file of a download lies in (the download's own wrapper folders)."""
    return list(os.path.commonprefix(folder_lists)) if folder_lists else []


def _one_notebook(folder, items, assignment):
    """The notebook of one student's folder: the one named as the assignment's (the shallowest),
    else the only one; several others are refused, naming them."""
    if len({data for _, data in items}) == 1:
        return sorted(items, key=lambda item: (len(_parts(item[0])), item[0]))[0]
    named = sorted((item for item in items if _parts(item[0])[-1] == f"{assignment}.ipynb"),
                   key=lambda item: len(_parts(item[0])))
    if named and (len(named) == 1 or len(_parts(named[0][0])) < len(_parts(named[1][0]))):
        return named[0]
    names = ", ".join(repr("/".join(_parts(p)[-2:])) for p, _ in items[:5])
    raise CollectError(f"the folder {folder!r} holds {len(items)} different notebooks ({names}): keep the one "
                       f"to grade (or name it {assignment}.ipynb) and collect again")


def parse_name(filename, data=b"", tz=timezone.utc, assignment=""):
    """What one file's name says on its own (a download of one file): a Found, or CollectError."""
    return read_names([(filename, data)], tz, assignment=assignment or _assignment_name())[0]


def _assignment_name():
    try:
        from ..assignment import current
        return current().name
    except Exception:       # noqa: BLE001  (no assignment in force: only the plain <student>.ipynb)
        return ""


def student_id(filename):
    """The course id a file name gives without a roster."""
    return safe_id(parse_name(filename).key, filename)


def _gradescope(metadata_text, members, folder=()):
    """Founds from a Gradescope export: ``submission_metadata.yml`` (in ``folder``) names each
    ``submission_<n>/`` folder's submitters and time; a submission folder's notebook is the one
    named as the assignment's, else its only one."""
    import yaml
    try:
        metadata = yaml.safe_load(metadata_text)
    except Exception as exc:        # noqa: BLE001  (YAMLError, and ValueError for a date like 2026-13-45)
        raise CollectError(f"submission_metadata.yml is not valid YAML: {type(exc).__name__}: "
                           f"{str(exc)[:200]}") from None
    if not isinstance(metadata, dict):
        raise CollectError("submission_metadata.yml does not map submissions to submitters")
    out, by_folder = [], {}
    for path, data in members:
        by_folder.setdefault(_parts(path)[len(folder)], []).append((path, data))
    from ..assignment import current
    members = [_one_notebook(name, items, current().name) for name, items in by_folder.items()]
    for path, data in members:
        folder_name = _parts(path)[len(folder)]
        entry = metadata.get(folder_name)
        if not isinstance(entry, dict):
            raise CollectError(f"{path!r}: its folder {folder_name!r} is not in submission_metadata.yml")
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
        if isinstance(when, datetime):
            try:
                plausible(when)
            except (ValueError, OverflowError):
                raise CollectError(f"{path!r}: submission_metadata.yml gives it the time {when}, not one "
                                   "between 1970 and 2100") from None
        out.append(Found(path, data, "gradescope", key, str(who.get("name") or ""),
                         when if isinstance(when, datetime) else None))
    return out


MAX_NOTEBOOK_BYTES = 64 * 2**20       # as the batch grades them (execute.MAX_RESULT_BYTES)
MAX_MEMBERS = 20_000
MAX_DOWNLOAD_BYTES = 8 * 2**30


def _members(source):
    """(path inside the download, bytes) of every notebook, and the Gradescope metadata if any.
    A download is the students' bytes: a folder is read through ``untrusted.files`` (no
    link followed, only regular files), a zip member by its declared size, bounded, so a
    small zip of a huge notebook is refused before it is inflated."""
    members, metas = [], []
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
                metas.append((entry.rel, data))
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise CollectError(f"{source} holds {len(infos)} files; a download of at most {MAX_MEMBERS} is collected")
            total, seen = 0, set()
            for info in infos:
                # member data only, never its path: nothing is written outside submitted/
                name = os.path.basename(info.filename)
                if info.is_dir() or any(p in SKIPPED_FOLDERS for p in _parts(info.filename)) \
                        or name.startswith("._"):
                    continue
                if not (name.endswith(".ipynb") or name == "submission_metadata.yml"):
                    continue
                where = "/".join(_parts(info.filename))
                if where in seen:
                    raise CollectError(f"{source} holds {where!r} twice; a download holds each file once")
                seen.add(where)
                total += info.file_size
                if info.file_size > MAX_NOTEBOOK_BYTES or total > MAX_DOWNLOAD_BYTES:
                    raise CollectError(f"{info.filename!r} in {source} inflates to {info.file_size / 2**20:.0f} MB; "
                                       f"notebooks of at most {MAX_NOTEBOOK_BYTES // 2**20} MB are collected "
                                       "(clear large outputs)")
                data = _read_member(archive, info)
                if name.endswith(".ipynb"):
                    members.append((info.filename, data))
                else:
                    metas.append((info.filename, data))
    else:
        raise CollectError(f"{source} is neither a folder nor a zip file of notebooks")
    return members, _export_metadata(metas, members)


def _export_metadata(metas, members):
    """(folder, bytes) of a Gradescope export's submission_metadata.yml, or None: the one in the
    folder that holds the download's submission_<n> folders, which hold every notebook. One
    anywhere else is a file a student handed in: it never decides whose work is whose, nor stops
    the others' collection (a student's folder holding its own submission_1/ and metadata is not
    an export: the other students' notebooks are not below it)."""
    def is_export_root(folder):
        n = len(folder)
        return bool(members) and all(_parts(p)[:n] == folder and len(_parts(p)) > n + 1
                                     and re.fullmatch(r"submission_\d+", _parts(p)[n]) for p, _ in members)
    roots = [(_parts(path)[:-1], data) for path, data in metas if is_export_root(_parts(path)[:-1])]
    if not roots:
        return None
    if len(roots) > 1:
        raise CollectError(f"the download holds {len(roots)} Gradescope submission_metadata.yml files beside "
                           "submission folders; a Gradescope export has one: collect each export on its own")
    folder, data = roots[0]
    for path, _ in members:
        parts = _parts(path)
        if parts[:len(folder)] != folder or len(parts) < len(folder) + 2 \
                or not re.fullmatch(r"submission_\d+", parts[len(folder)]):
            raise CollectError(f"{path!r} is not in a submission_<n> folder beside the export's "
                               "submission_metadata.yml; collect a Gradescope export as Gradescope wrote it")
    return folder, data


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
    if name.startswith("._"):           # macOS' AppleDouble companions
        return None
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
    from ..course.lms import split_name
    people = {}
    for row in _roster_rows(path):
        sid = (row.get("student") or "").strip()
        person = {k: (row.get(k) or "").strip() for k in ("first_name", "last_name", "email")}
        if not (person["first_name"] or person["last_name"]):
            person.update(split_name(row.get("name")))
        people[sid] = {k: v for k, v in person.items() if v}
    return people


ROSTER_COLUMNS = ("lms_id", "username", "email", "name")
# Which of the roster's columns an LMS's key is looked up in (its name in ``name``).
KEY_COLUMNS = {"canvas": ("lms_id",), "moodle": ("lms_id",), "d2l": ("lms_id",),
               "blackboard": ("username", "lms_id"), "gradescope": ("lms_id", "username", "email")}


def _lookup(roster, columns, value):
    """The course id ``roster`` gives ``value`` in one of ``columns`` (None: not there, or more
    than one student has it there)."""
    for column in columns:
        sid = roster.get(column, {}).get(_norm(value))
        if sid:
            return sid
    return None


def read_roster(path):
    """{column: {value: course id}} from a CSV with a ``student`` column (the course id) and any
    of ``lms_id``, ``username``, ``email``, ``name``; a value two students share in one column
    maps to None there (it tells no one apart)."""
    rows = _roster_rows(path)
    roster = {column: {} for column in ROSTER_COLUMNS}
    for number, row in enumerate(rows, 2):
        course_id = check_id((row.get("student") or "").strip(), f"{path}, line {number}")
        for column in ROSTER_COLUMNS:
            value = _norm(row.get(column))
            if not value:
                continue
            if column != "name" and roster[column].get(value, course_id) != course_id:
                raise CollectError(f"the roster {path}, line {number}: {column} {row[column]!r} is "
                                   f"also {roster[column][value]!r}'s")
            roster[column][value] = course_id if roster[column].get(value, course_id) == course_id else None
    return roster


def _norm(text):
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


def _course_id(found, roster):
    if roster is None:
        return safe_id(found.key, found.filename)
    sid = _lookup(roster, KEY_COLUMNS.get(found.lms, ROSTER_COLUMNS[:3]), found.key) \
        or (_lookup(roster, ("name",), found.name) if found.name else None)
    if sid:
        return sid
    raise CollectError(f"{found.filename!r}: neither its id {found.key!r} nor its name {found.name!r} "
                       "is in the roster (ids are looked up in the column of the LMS's kind: "
                       f"{', '.join(KEY_COLUMNS.get(found.lms, ROSTER_COLUMNS[:3]))}); add the student "
                       "to it, or collect without --roster")


MIN_DISTINCTIVE = 40        # characters: a locked cell longer than an import line


def _cell_text(source):
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str)).strip()
    return source.strip() if isinstance(source, str) else ""


def _assignment_cells(course_dir):
    """What marks this assignment's notebooks: the stripped sources of the locked cells students
    receive (instructions, given code, visible tests), and those cells' (grade id, nbgrader
    checksum) pairs, which every copy of the released notebook carries in its metadata. Read
    from the release, else from the source (without its tests: hidden ones are cut on release)."""
    import nbformat
    from nbgrader.utils import is_grade, is_locked, is_solution
    from ..assignment import current
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
    return texts, marks, _signature_lines(c.source for c in nb.cells)


SIGNATURE_LINES = 2         # the assignment's own function definitions a notebook of it holds at least


def _signature_lines(sources):
    """The functions this assignment's notebooks define, as their ``def`` lines (name and
    arguments): a student who kept only their answers kept these."""
    out = set()
    for source in sources:
        for line in _cell_text(source).splitlines():
            line = line.strip()
            if line.startswith("def ") and "(" in line:
                out.add(line)
    return out


def _marks(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    if not isinstance(nbg, dict) or not isinstance(nbg.get("grade_id"), str) or not isinstance(nbg.get("checksum"), str):
        return None
    return nbg["grade_id"], nbg["checksum"]


def refuse_other_assignments(founds, course_dir):
    """CollectError naming every notebook that is a notebook, but none of this assignment's: it
    holds cells, and not one of the source notebook's locked cells (another assignment's work,
    graded here it would be a zero). A file that is no notebook at all is collected and graded
    as what it is."""
    import json
    from ..assignment import current
    ours, others = None, []
    for item in founds:
        if sandbox_output.too_many_containers(item.data, "notebook"):
            continue        # graded as what it is: refused there, with the reason
        try:
            nb = json.loads(item.data)
        except (ValueError, RecursionError):
            continue
        cells = nb.get("cells") if isinstance(nb, dict) else None
        if not isinstance(cells, list) or not cells:
            continue
        if ours is None:
            ours = _assignment_cells(course_dir)
        if not (ours[0] or ours[1] or ours[2]):
            return
        texts = {_cell_text(c.get("source")) for c in cells if isinstance(c, dict)}
        marks = {_marks(c) for c in cells} - {None}
        lines = _signature_lines(c.get("source") for c in cells if isinstance(c, dict))
        if not (texts & ours[0] or marks & ours[1] or len(lines & ours[2]) >= SIGNATURE_LINES):
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
    from ..assignment import current
    from ..course_config import Collect, load_config
    if patterns is None:
        patterns = Collect(config=load_config(course_dir)).patterns
    members, metadata = _members(source)
    lookup = read_roster(roster) if roster else None
    people = roster_people(roster) if roster else None
    if metadata is not None:
        founds = _gradescope(metadata[1].decode("utf-8", "replace"), members, metadata[0])
    else:
        founds = read_names(members, zone, patterns, lookup, current().name)
    refuse_other_assignments(founds, course_dir)
    found = {}
    for item in founds:
        sid = _course_id(item, lookup)
        if sid in found and (found[sid].data != item.data or found[sid].lms != item.lms):
            raise CollectError(f"two files would both be student {sid!r}'s: {found[sid].filename!r} and "
                               f"{item.filename!r}. If they are one student's, keep one; if two students', "
                               "tell them apart with --roster or a c.Collect.patterns rule")
        found[sid] = item
    if not found:
        raise CollectError(f"no .ipynb file in {source}")
    targets = {sid: notebook_path(course_dir, "submitted", sid) for sid in found}
    for sid, path in targets.items():
        # A folder of submitted/ that is a link would take the notebook elsewhere.
        folder = os.path.dirname(path)
        for where in (os.path.dirname(folder), folder, path):
            if os.path.islink(where):
                raise CollectError(f"{where} is a link; collect writes only into submitted/ itself: "
                                   "replace the link with a folder")
    stamps = {sid: timestamp_text(item.submitted) if item.submitted else None for sid, item in found.items()}
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
        if stamps[sid] is not None:
            write_text(stamp_path, stamps[sid] + "\n")
        elif sid in clashes and os.path.exists(stamp_path):
            os.remove(stamp_path)       # the old time belongs to the old notebook
        remember_collected(course_dir, sid, item.lms, item.filename, item.key, item.name,
                           people.get(sid) if people else None)
        placed[sid] = {"path": path, "lms": item.lms, "file": item.filename, "late": item.late,
                       "submitted": stamps[sid]}
    _into_gradebook(course_dir, placed)
    return placed


def _into_gradebook(course_dir, placed):
    """Who each student is (the roster's or the LMS's name, e-mail and id) into nbgrader's
    gradebook, so formgrader shows names."""
    from ..course.lms import sync_student
    from ..course.nbgrader_steps import open_gradebook
    with open_gradebook(course_dir) as gb:
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
        out.write(f"{sid}: {one_line(p['file'])} ({p['lms']}{when}){late}\n")
    return out.getvalue()
