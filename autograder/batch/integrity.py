"""After a batch: what grading must never change is exactly as it was before.

The course's source/, release/ and submitted/ (the students' files), nbgrader_config.py,
the reference solutions and thresholds, the grader's own package, every retraining result
already in the cache (new results may appear; none may change), and the Python environment
the grader runs from (by each file's size, mode and modification time: hashing a gigabyte
of libraries would cost more than the batch's recording; a base installation's own
site-packages, which the virtual environment never imports from, is left out).
"""
import os
import sys

import autograder

from ..untrusted import files
from ..retrain.private import PACKAGE_ROOT


def _marks(name, root):
    """{"name:rel": mark} of everything below ``root``: a regular file by its sha256 (in
    submitted/, by its size, mode, inode and modification time: the students choose how many
    bytes it holds, and hashing gigabytes of sparse files would cost every batch minutes), what
    cannot be read as one (a link, a special file, a folder too deep, a file too large to
    hash) by the reason it was left, so a change to it still shows. Read through
    ``untrusted.files``: submitted/ is the students'."""
    if not os.path.isdir(root):
        try:
            return {f"{name}:{os.path.basename(root)}": files.file_digest(os.path.dirname(root), os.path.basename(root))}
        except (files.Unreadable, OSError) as exc:
            return {f"{name}:{os.path.basename(root)}": f"left: {exc}"}
    listing = files.walk(root, _skip_caches, max_files=10**6, max_total_bytes=2**62, max_scanned=10**6,
                         max_depth=64)
    marks = {}
    for entry in listing.files:
        try:
            marks[f"{name}:{entry.rel}"] = _stat_mark(root, entry.rel) if name == "submitted" \
                else files.file_digest(root, entry.rel)
        except (files.Unreadable, OSError) as exc:
            marks[f"{name}:{entry.rel}"] = f"left: {exc}"
    for left in listing.left:
        marks[f"{name}:{left.rel}"] = f"left: {left.why}"
    if listing.omitted:
        marks[f"{name}:..."] = f"left: {listing.omitted} more"
    return marks


def _stat_mark(root, rel):
    info = os.lstat(os.path.join(root, rel))
    return f"{info.st_size} {info.st_mode:o} {info.st_ino} {info.st_mtime_ns}"


def _skip_caches(rel, is_dir):
    return None if is_dir and os.path.basename(rel) == "__pycache__" else ""


def guarded_paths(course_dir):
    from ..retrain.cache import ResultCache
    paths = {name: os.path.join(course_dir, name)
             for name in ("source", "release", "submitted", "nbgrader_config.py")}
    paths["reference"] = os.path.join(PACKAGE_ROOT, "reference")
    paths["grader"] = os.path.dirname(os.path.abspath(autograder.__file__))
    paths["cache"] = os.path.join(ResultCache().root, "results")
    return {k: v for k, v in paths.items() if os.path.exists(v)}


def environment_paths():
    """The Python installation and virtual environment the grader runs from."""
    return sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)})


def unread_package_folders(roots):
    """The package folders under ``roots`` this interpreter never imports from (a base
    installation's own site-packages, beside the virtual environment's): another
    environment's libraries, left out of the walk."""
    read = {os.path.realpath(p) for p in sys.path if p and os.path.isabs(p)}
    unread = set()
    for root in roots:
        for lib in ("lib", "lib64"):
            folder = os.path.join(root, lib, f"python{sys.version_info.major}.{sys.version_info.minor}")
            for name in ("site-packages", "dist-packages"):
                path = os.path.realpath(os.path.join(folder, name))
                if os.path.isdir(path) and path not in read:
                    unread.add(path)
    return sorted(unread)


def snapshot(course_dir):
    marks = {}
    for name, root in guarded_paths(course_dir).items():
        marks.update(_marks(name, root))
    roots = environment_paths()
    skipped = unread_package_folders(roots)
    for root in roots:
        marks.update(_stat_marks(root, [p for p in skipped if p.startswith(root + os.sep)]))
    return marks


def _stat_marks(root, skipped=()):
    """{"environment:path": "size mode mtime"} of every file under ``root`` but caches and the
    ``skipped`` folders, read by find(1) (a Python walk of a TensorFlow environment takes seconds)."""
    import subprocess
    pruned = ["(", "-name", "__pycache__"] + [arg for path in skipped for arg in ("-o", "-path", path)] + [")"]
    out = subprocess.run(["find", root, *pruned, "-prune", "-o", "-type", "f",
                          "-printf", "%s %m %T@ %p\\0"], capture_output=True, check=False).stdout
    marks = {}
    for entry in out.split(b"\0"):
        if entry:
            size, mode, mtime, path = entry.decode("utf-8", "replace").split(" ", 3)
            if not path.endswith(".pyc"):
                marks[f"environment:{path}"] = f"{size} {mode} {mtime}"
    return marks


def compare(before, after):
    """{"ok", "changed", "removed", "added"}; new cache results are expected, nothing else."""
    changed = sorted(k for k in before if k in after and after[k] != before[k])
    removed = sorted(k for k in before if k not in after)
    added = sorted(k for k in after if k not in before and not k.startswith("cache:"))
    return {"ok": not (changed or removed or added), "changed": changed, "removed": removed, "added": added}
