"""The batch's integrity snapshot of the environment: every file the grader's interpreter
imports from, by size, mode and time; another installation's libraries left out."""
import os
import sys

import nbformat

from autograder.batch import integrity


def test_the_walk_leaves_out_caches_and_the_folders_it_is_told_to(tmp_path):
    for rel in ("bin/python", "lib/site-packages/mod.py", "lib/site-packages/__pycache__/mod.pyc",
                "other/site-packages/theirs.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    marks = integrity._stat_marks(str(tmp_path), [str(tmp_path / "other" / "site-packages")])
    assert sorted(k.split(str(tmp_path))[1] for k in marks) == ["/bin/python", "/lib/site-packages/mod.py"]


def test_only_package_folders_this_interpreter_never_reads_are_left_out():
    roots = integrity.environment_paths()
    unread = integrity.unread_package_folders(roots)
    on_path = {os.path.realpath(p) for p in sys.path if p and os.path.isabs(p)}
    assert not set(unread) & on_path
    library = os.path.realpath(nbformat.__file__)
    kept = [root for root in roots if library.startswith(root + os.sep)]
    assert kept and not any(library.startswith(folder + os.sep) for folder in unread)
