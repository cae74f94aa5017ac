"""Bring notebooks downloaded from a learning-management system into nbgrader's layout.

Accepts a folder or a zip of notebooks whose file names carry the student id, e.g. Canvas'
``doejane_12345_67890_regularization.ipynb`` (student ``12345``), or ``12345.ipynb`` /
``12345_regularization.ipynb``, and writes ``submitted/<student>/regularization/regularization.ipynb``.
Files are copied byte for byte (a broken notebook is graded, not dropped); an existing,
different submission is replaced only with ``replace=True``, and then kept as a backup.
"""
import os
import re
import time
import zipfile

from .nbgrader_steps import notebook_path

# Canvas: name[_LATE]_userid_submissionid_original.ipynb
CANVAS = re.compile(r"^[A-Za-z-]+(?:_LATE)?_(?P<id>\d+)_\d+_")
PLAIN = re.compile(r"^(?P<id>[A-Za-z0-9.@-]+?)(?:[_ ].*)?$")


class CollectError(ValueError):
    pass


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
    if "/" in sid or "\0" in sid:
        raise CollectError(f"{filename!r}: the student id {sid!r} holds a path separator")
    return sid


def student_id(filename):
    stem = os.path.splitext(os.path.basename(filename))[0]
    match = CANVAS.match(stem) or PLAIN.match(stem)
    if not match:
        raise CollectError(f"cannot tell the student from the file name {filename!r}: name files "
                           "<student>.ipynb or <student>_anything.ipynb")
    return check_id(match.group("id"), filename)


def _notebooks(source):
    """(file name, bytes) of every notebook in a folder or a zip."""
    if os.path.isdir(source):
        for root, _, files in os.walk(source):
            for name in sorted(files):
                if name.endswith(".ipynb") and ".ipynb_checkpoints" not in root:
                    with open(os.path.join(root, name), "rb") as f:
                        yield name, f.read()
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                # member data only, never its path: nothing is written outside submitted/
                name = os.path.basename(info.filename)
                if name.endswith(".ipynb") and not info.filename.startswith("__MACOSX"):
                    yield name, archive.read(info)
    else:
        raise CollectError(f"{source} is neither a folder nor a zip file of notebooks")


def collect(source, course_dir, replace=False):
    """Place each student's notebook; returns {student: path}. Checks everything first."""
    found = {}
    for name, data in _notebooks(source):
        sid = student_id(name)
        if sid in found and found[sid][1] != data:
            raise CollectError(f"two different notebooks for student {sid!r}: {found[sid][0]} and "
                               f"{name}; keep one of them and collect again")
        found[sid] = (name, data)
    if not found:
        raise CollectError(f"no .ipynb file in {source}")
    targets = {sid: notebook_path(course_dir, "submitted", sid) for sid in found}
    clashes = [sid for sid, path in targets.items()
               if os.path.exists(path) and open(path, "rb").read() != found[sid][1]]
    if clashes and not replace:
        raise CollectError(f"{len(clashes)} student(s) already have a different submission "
                           f"({', '.join(sorted(clashes)[:5])}); pass --replace to replace them "
                           "(the old files are kept as backups)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for sid, path in targets.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if sid in clashes:
            os.replace(path, f"{path}.{stamp}.bak")
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as f:
            f.write(found[sid][1])
        os.replace(tmp, path)
    return targets
