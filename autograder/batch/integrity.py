"""After a batch: what grading must never change is exactly as it was before.

The course's source/, release/ and submitted/ (the students' files), nbgrader_config.py,
the reference solutions and thresholds, and every retraining result already in the cache
(new results may appear; none may change).
"""
import hashlib
import os

import autograder

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(autograder.__file__)))


def _hash(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root):
    if os.path.isfile(root):
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                yield path


def guarded_paths(course_dir):
    from ..retrain.cache import ResultCache
    paths = {name: os.path.join(course_dir, name)
             for name in ("source", "release", "submitted", "nbgrader_config.py")}
    paths["reference"] = os.path.join(PACKAGE_ROOT, "reference")
    paths["cache"] = os.path.join(ResultCache().root, "results")
    return {k: v for k, v in paths.items() if os.path.exists(v)}


def snapshot(course_dir):
    return {f"{name}:{os.path.relpath(path, root)}": _hash(path)
            for name, root in guarded_paths(course_dir).items() for path in _files(root)}


def compare(before, after):
    """{"ok", "changed", "removed", "added"}; new cache results are expected, nothing else."""
    changed = sorted(k for k in before if k in after and after[k] != before[k])
    removed = sorted(k for k in before if k not in after)
    added = sorted(k for k in after if k not in before and not k.startswith("cache:"))
    return {"ok": not (changed or removed or added), "changed": changed, "removed": removed, "added": added}
