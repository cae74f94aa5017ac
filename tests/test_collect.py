"""LMS downloads land in nbgrader's layout; nothing a student handed in is lost."""
import os
import subprocess
import sys
import zipfile

import pytest

from autograder.collect import CollectError, collect, student_id


def _submitted(course, sid):
    return course / "submitted" / sid / "regularization" / "regularization.ipynb"


def test_student_ids_from_file_names():
    assert student_id("doejane_12345_67890_regularization.ipynb") == "12345"
    assert student_id("doejane_LATE_12345_67890_regularization-1.ipynb") == "12345"
    assert student_id("s1234567.ipynb") == "s1234567"
    assert student_id("s1234567_regularization.ipynb") == "s1234567"


def test_a_zip_lands_in_submitted_byte_for_byte(course, tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("submissions/doejane_111_9_regularization.ipynb", b'{"cells": []}')
        z.writestr("submissions/roedick_222_8_regularization.ipynb", b"not json at all")
        z.writestr("__MACOSX/._doejane_111_9_regularization.ipynb", b"junk")
        z.writestr("../../escape_333_7_x.ipynb", b"{}")
    placed = collect(str(archive), str(course))
    assert sorted(placed) == ["111", "222", "333"]
    assert _submitted(course, "222").read_bytes() == b"not json at all"   # graded later, not dropped
    assert not (tmp_path / "escape_333_7_x.ipynb").exists()


def test_a_different_resubmission_needs_replace_and_keeps_a_backup(course, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "111.ipynb").write_bytes(b"first")
    collect(str(folder), str(course))
    (folder / "111.ipynb").write_bytes(b"second")
    with pytest.raises(CollectError, match="pass --replace"):
        collect(str(folder), str(course))
    assert _submitted(course, "111").read_bytes() == b"first"
    collect(str(folder), str(course), replace=True)
    assert _submitted(course, "111").read_bytes() == b"second"
    backups = [n for n in os.listdir(_submitted(course, "111").parent) if n.endswith(".bak")]
    assert len(backups) == 1
    assert (_submitted(course, "111").parent / backups[0]).read_bytes() == b"first"


def test_two_notebooks_for_one_student_are_refused_from_the_command_line(course, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "111_a.ipynb").write_bytes(b"one")
    (folder / "111_b.ipynb").write_bytes(b"two")
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "collect",
                           str(folder)], capture_output=True, text=True)
    assert proc.returncode == 2 and "two different notebooks for student '111'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (course / "submitted").exists()
