"""LMS downloads land in nbgrader's layout; nothing a student handed in is lost."""
import os
import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograder.batch.timestamps import read_timestamp
from autograder.instructor.collect import CollectError, collect, student_id


def _submitted(course, sid):
    return course / "submitted" / sid / "regularization" / "regularization.ipynb"


def test_student_ids_from_file_names():
    assert student_id("doejane_12345_67890_regularization.ipynb") == "12345"
    assert student_id("doejane_LATE_12345_67890_regularization-1.ipynb") == "12345"
    assert student_id("o'brienpat_12346_67891_regularization.ipynb") == "12346"          # Canvas
    assert student_id("Jane Doe_123456_assignsubmission_file_regularization.ipynb") == "123456"  # Moodle
    assert student_id("Module 7_jdoe_attempt_2026-11-20-23-59-01_regularization.ipynb") == "jdoe"  # Blackboard
    assert student_id("Module 7_jdoe_attempt_2026-11-20-23-59-01.ipynb") == "jdoe"
    assert student_id("81234-556677 - Jane Doe - Nov 20, 2026 1159 PM - regularization.ipynb") == "556677"  # D2L
    assert student_id("s1234567.ipynb") == "s1234567"
    assert student_id("s1234567_regularization.ipynb") == "s1234567"
    assert student_id("müller_regularization.ipynb") == "müller"                  # kept, not refused
    assert student_id("o'brien.ipynb") == "o'brien"


def test_exports_with_times_write_nbgraders_timestamp(course, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "Module 7_jdoe_attempt_2026-11-20-23-59-01_regularization.ipynb").write_bytes(b"{}")
    (folder / "81234-556677 - Jane Doe - Nov 20, 2026 1159 PM - regularization.ipynb").write_bytes(b"[]")
    (folder / "doejane_LATE_12345_67890_regularization.ipynb").write_bytes(b"{ }")
    placed = collect(str(folder), str(course), tz="Europe/Berlin")
    assert placed["jdoe"]["lms"] == "blackboard" and placed["556677"]["lms"] == "d2l"
    stamp = _submitted(course, "jdoe").parent / "timestamp.txt"
    assert stamp.read_text().strip() == "2026-11-20 22:59:01.000000 UTC"       # Berlin is UTC+1 in November
    assert read_timestamp(str(stamp.parent)) == ("2026-11-20 22:59:01.000000 UTC", "")   # nbgrader reads it
    assert (_submitted(course, "556677").parent / "timestamp.txt").read_text().startswith("2026-11-20 22:59:00")
    assert placed["12345"]["late"] is True and placed["12345"]["submitted"] is None
    assert not (_submitted(course, "12345").parent / "timestamp.txt").exists()


def test_a_gradescope_export_reads_its_metadata(course, tmp_path):
    archive = tmp_path / "gradescope.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("assignment_1_export/submission_901/regularization.ipynb", b'{"a": 1}')
        z.writestr("assignment_1_export/submission_902/regularization.ipynb", b'{"b": 2}')
        z.writestr("assignment_1_export/submission_metadata.yml", """
submission_901:
  :submitters:
  - :name: Jane Doe
    :sid: 's-111'
    :email: jane@example.edu
  :created_at: 2026-11-20 23:59:01.000000000 -08:00
submission_902:
  :submitters:
  - :name: Pat O'Brien
    :sid: ''
    :email: pat@example.edu
  :created_at: 2026-11-19 10:00:00.000000000 +00:00
""")
    placed = collect(str(archive), str(course))
    assert sorted(placed) == ["pat@example.edu", "s-111"]
    assert (_submitted(course, "s-111").parent / "timestamp.txt").read_text().strip() == "2026-11-21 07:59:01.000000 UTC"


def test_a_roster_maps_names_and_ids_and_names_who_is_missing(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id,name,email\njdoe,123456,Jane Doe,jane@example.edu\nmuller,,Jürgen Müller,\n")
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "Jane Doe_123456_assignsubmission_file_regularization.ipynb").write_bytes(b"{}")
    (folder / "81234-7 - jürgen  müller - Nov 20, 2026 1159 PM - regularization.ipynb").write_bytes(b"[]")
    assert sorted(collect(str(folder), str(course), roster=str(roster))) == ["jdoe", "muller"]
    (folder / "Kim Lee_99_assignsubmission_file_regularization.ipynb").write_bytes(b"{}")
    with pytest.raises(CollectError, match=r"'Kim Lee_99_assignsubmission_file_regularization.ipynb': neither "
                                           r"its id '99' nor its name 'Kim Lee' is in the roster"):
        collect(str(folder), str(course), roster=str(roster), replace=True)
    with pytest.raises(CollectError, match="unknown time zone 'Mars/Base'"):
        collect(str(folder), str(course), tz="Mars/Base")


def test_a_zip_lands_in_submitted_byte_for_byte(course, tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("submissions/doejane_111_9_regularization.ipynb", b'{"cells": []}')
        z.writestr("submissions/roedick_222_8_regularization.ipynb", b"not json at all")
        z.writestr("__MACOSX/._doejane_111_9_regularization.ipynb", b"junk")
        z.writestr("submissions/../../escape_333_7_x.ipynb", b"{}")
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
    (folder / "111.ipynb").write_bytes(b"one")
    (folder / "111_regularization.ipynb").write_bytes(b"two")
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "collect",
                           str(folder)], capture_output=True, text=True)
    assert proc.returncode == 2 and "two files would both be student '111''s" in proc.stderr
    assert "Traceback" not in proc.stderr and not (course / "submitted").exists()


RELEASE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "release", "regularization",
                       "regularization.ipynb")
OTHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "l2course", "source", "l2mlp",
                     "l2mlp.ipynb")


def _download(tmp_path, files):
    folder = tmp_path / "dl"
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return str(folder)


def test_ids_come_from_the_lms_part_of_a_name_never_from_what_the_student_typed(course, tmp_path):
    # Moodle's "download submissions in folders": the folder is Moodle's, the file the student's.
    placed = collect(_download(tmp_path, {
        "Jane Doe_123456_assignsubmission_file_/regularization.ipynb": b"{}",
        "Kim Lee_99_assignsubmission_file_/my work (final).ipynb": b"[]"}), str(course))
    assert sorted(placed) == ["123456", "99"] and placed["99"]["lms"] == "moodle"
    # An upload name holding another LMS's pattern: the download is Canvas's, so Canvas's part decides.
    placed = collect(_download(tmp_path / "2", {
        "doejane_10001_2345_hw_attempt_2026-11-20-23-59-01.ipynb": b"{}",
        "roedick_10002_2346_regularization.ipynb": b"[]",
        "leekim_10003_2347_x_1_assignsubmission_file_y.ipynb": b"{ }"}), str(course))
    assert sorted(placed) == ["10001", "10002", "10003"]
    # Alone, such a file reads two ways: refused by name, nothing guessed.
    with pytest.raises(CollectError, match="reads as a blackboard and a canvas file name"):
        collect(_download(tmp_path / "3", {"doejane_10001_2345_hw_attempt_2026-11-20-23-59-01.ipynb": b"{}"}),
                str(course))


def test_blackboard_usernames_with_underscores_are_read_whole(course, tmp_path):
    files = {"Module 7_j_doe_attempt_2026-11-20-23-59-01_regularization.ipynb": b"{}",
             "Module 7_asmith_attempt_2026-11-20-22-00-00_regularization.ipynb": b"[]"}
    assert sorted(collect(_download(tmp_path, files), str(course))) == ["asmith", "j_doe"]
    alone = _download(tmp_path / "2", {"Module 7_j_doe_attempt_2026-11-20-23-59-01.ipynb": b"{}"})
    with pytest.raises(CollectError, match=r"could be user 'j_doe' or 'doe'.*--roster.*c.Collect.patterns"):
        collect(alone, str(course / "x"))
    roster = tmp_path / "roster.csv"
    roster.write_text("student,username\njane,j_doe\n")
    assert sorted(collect(alone, str(course), roster=str(roster))) == ["jane"]


def test_no_id_is_invented_and_a_course_pattern_reads_its_own_names(course, tmp_path):
    for name in ("Jane Doe - regularization.ipynb", "regularization.ipynb"):
        with pytest.raises(CollectError, match="no rule reads whose notebook.*c.Collect.patterns"):
            collect(_download(tmp_path / name[:4], {name: b"{}"}), str(course))
    assert student_id("j_doe.ipynb") == "j_doe" and student_id("j_doe_regularization.ipynb") == "j_doe"
    assert sorted(collect(_download(tmp_path / "folders", {"s1/regularization.ipynb": b"{}",
                                                           "s2/regularization/regularization.ipynb": b"[]"}),
                          str(course))) == ["s1", "s2"]
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("c.Collect.patterns = [r'^(?P<student>s\\d+) - ']\n")
    placed = collect(_download(tmp_path / "pattern", {"s123 - regularization.ipynb": b"{}"}), str(course))
    assert list(placed) == ["s123"] and placed["s123"]["lms"] == "pattern"
    with pytest.raises(CollectError, match="has no group"):
        collect(_download(tmp_path / "bad", {"s9.ipynb": b"{}"}), str(course), patterns=[r"^s\d+"])


def test_another_assignments_notebook_is_refused_by_name_and_checkpoints_are_skipped(course, tmp_path):
    ours = open(RELEASE, "rb").read()
    other = open(OTHER, "rb").read()
    download = _download(tmp_path, {"s1.ipynb": ours, "s2.ipynb": other, "s3.ipynb": b"not json"})
    with pytest.raises(CollectError, match=r"1 notebook\(s\) are not 'regularization' notebooks.*'s2.ipynb'"):
        collect(download, str(course))
    assert not (course / "submitted").exists()
    # A student's own notebook that kept only the assignment's given cells is still theirs.
    nb = nbformat.reads(ours.decode(), as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("locked")][:3]
    archive = tmp_path / "gradescope.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export/submission_1/regularization.ipynb", nbformat.writes(nb))
        z.writestr("export/submission_1/.ipynb_checkpoints/regularization-checkpoint.ipynb", other)
        z.writestr("export/submission_metadata.yml",
                   "submission_1:\n  :submitters:\n  - :name: A\n    :sid: s-1\n  :created_at: 2026-11-20 10:00:00 +00:00\n")
    assert list(collect(str(archive), str(course))) == ["s-1"]


def _real():
    return open(RELEASE, "rb").read()


def test_files_a_student_hands_in_never_decide_whose_work_is_whose(course, tmp_path):
    """A second round of attacks, each a case of the class: only the LMS's part of a download
    (its names, its folders, its export's metadata) says whose notebook it is."""
    real = _real()
    other = real.replace(b'"cells"', b'"cells"', 1) + b" "
    swap = b"Jane Doe_123_assignsubmission_file_:\n  :submitters:\n  - :sid: '124'\n"
    placed = collect(_download(tmp_path / "m", {
        "Jane Doe_123_assignsubmission_file_/submission_metadata.yml": swap,
        "Jane Doe_123_assignsubmission_file_/work/regularization.ipynb": real,
        "Bob Smith_124_assignsubmission_file_/125/mywork.ipynb": other}), str(course))
    assert sorted(placed) == ["123", "124"]                 # the folder Moodle wrote, whatever is inside
    placed = collect(_download(tmp_path / "p", {"asmith/jdoe.ipynb": real, "bob/victim_10001_5001_x.ipynb": other,
                                                "carl/regularization-Copy1.ipynb": real,
                                                "carl/regularization.ipynb": other}), str(course))
    assert sorted(placed) == ["asmith", "bob", "carl"] and placed["carl"]["file"].endswith("carl/regularization.ipynb")
    # A student's own submission_metadata.yml inside a Gradescope submission is not the export's.
    archive = tmp_path / "gs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export/submission_metadata.yml",
                   "submission_1:\n  :submitters:\n  - :sid: s-1\nsubmission_2:\n  :submitters:\n  - :sid: s-2\n")
        z.writestr("export/submission_1/regularization.ipynb", real)
        z.writestr("export/submission_2/regularization.ipynb", other)
        z.writestr("export/submission_2/submission_metadata.yml",
                   "submission_1:\n  :submitters:\n  - :sid: s-2\nsubmission_2:\n  :submitters:\n  - :sid: s-1\n")
    placed = collect(str(archive), str(course))
    assert (course / "submitted" / "s-1" / "regularization" / "regularization.ipynb").read_bytes() == real
    # Nor does one beside a submission_1/ folder of a student's own stop the others' collection.
    placed = collect(_download(tmp_path / "moodle2", {
        "Jane Doe_123_assignsubmission_file_/submission_metadata.yml": swap,
        "Jane Doe_123_assignsubmission_file_/submission_1/regularization.ipynb": real,
        "Bob Smith_124_assignsubmission_file_/mywork.ipynb": other}), str(course), replace=True)
    assert sorted(placed) == ["123", "124"]


def test_names_no_rule_reads_and_two_students_on_one_id_are_refused_by_name(course, tmp_path):
    real = _real()
    for name in ("doe_smithjane_10001_5001_hw.ipynb", "a" * 70 + ".ipynb"):
        with pytest.raises(CollectError, match="no rule reads|longer than 64"):
            collect(_download(tmp_path / name[:8], {name: real}), str(course))
    with pytest.raises(CollectError, match="two files would both be student '10001''s"):
        collect(_download(tmp_path / "mix", {"doejane_10001_5001_r.ipynb": real,
                                              "Bob Smith_10001_assignsubmission_file_r.ipynb": real}), str(course))
    archive = tmp_path / "twice.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("jdoe.ipynb", real)
        z.writestr("jdoe.ipynb", real + b" ")
    with pytest.raises(CollectError, match="holds 'jdoe.ipynb' twice"):
        collect(str(archive), str(course))
    assert not (course / "submitted").exists()


def test_what_the_lms_really_writes_is_read_and_crafted_bytes_are_refusals_not_crashes(course, tmp_path):
    real = _real()
    # Blackboard numeric usernames under a title with an underscore; macOS' decomposed names and
    # AppleDouble files; a Brightspace name whose upload part looks like Canvas'.
    bb = _download(tmp_path / "bb", {"HW_1_12345_attempt_2026-11-20-23-59-01_r.ipynb": real,
                                     "HW_1_12346_attempt_2026-11-20-23-58-01_r.ipynb": real + b" "})
    with pytest.raises(CollectError, match="could be user '1_12345' or '12345'"):
        collect(bb, str(course))            # read as Blackboard's (not Canvas'), but whose title is it?
    placed = collect(bb, str(course), patterns=[r"^HW_1_(?P<student>.+)_attempt_"])
    assert sorted(placed) == ["12345", "12346"]
    placed = collect(_download(tmp_path / "mac", {"mu\u0308ller.ipynb": real, "._mu\u0308ller.ipynb": b"junk"}),
                     str(course))
    assert list(placed) == ["m\u00fcller"]
    d2l = "81234-556677 - Jane Doe - Nov 20, 2026 1159 PM - smithbob_10002_5002_x.ipynb"
    assert list(collect(_download(tmp_path / "d2l", {d2l: real}), str(course))) == ["556677"]
    bad = {"cells.ipynb": b'{"cells": [{"cell_type": "code", "source": [1, 2], "metadata": '
                          b'{"nbgrader": {"grade_id": ["x"], "checksum": {}}}}]}'}
    with pytest.raises(CollectError, match="not 'regularization' notebooks"):
        collect(_download(tmp_path / "bad", bad), str(course))
    for when in ("2026-13-45", "9999-12-31 23:59:59 -12:00"):
        archive = tmp_path / f"gs{len(when)}.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("submission_metadata.yml", f"submission_1:\n  :submitters:\n  - :sid: s-1\n  :created_at: {when}\n")
            z.writestr("submission_1/regularization.ipynb", real)
        with pytest.raises(CollectError):
            collect(str(archive), str(course))
    with pytest.raises(CollectError, match="between 1970 and 2100"):
        collect(_download(tmp_path / "old", {"Module 7_jdoe_attempt_0001-01-01-00-00-00_r.ipynb": real}),
                str(course), tz="Asia/Tokyo")
    assert not (course / "submitted" / "jdoe").exists()


def test_the_roster_looks_an_id_up_in_its_own_column(course, tmp_path):
    real = _real()
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id,username,name\ns1,10001,,Wei Zhang\ns2,10002,doejane,Wei Zhang\n")
    # Canvas' user id is an lms_id, never a username; a name two students share decides nothing.
    with pytest.raises(CollectError, match="neither its id '555'"):
        collect(_download(tmp_path / "c", {"doejane_555_5001_r.ipynb": real}), str(course), roster=str(roster))
    placed = collect(_download(tmp_path / "ok", {"zhangwei_10002_5002_r.ipynb": real}), str(course), roster=str(roster))
    assert list(placed) == ["s2"]


def test_a_link_in_submitted_is_not_followed(course, tmp_path):
    (course / "submitted").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, course / "submitted" / "jdoe")
    with pytest.raises(CollectError, match="is a link"):
        collect(_download(tmp_path, {"jdoe.ipynb": _real()}), str(course))
    assert list(elsewhere.iterdir()) == []


def test_a_students_own_notebook_stripped_to_its_answers_is_still_theirs(course, tmp_path):
    nb = nbformat.reads(_real().decode(), as_version=4)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    for cell in answers:
        cell.metadata = {}
    nb.cells = answers
    assert list(collect(_download(tmp_path, {"s9.ipynb": nbformat.writes(nb).encode()}), str(course))) == ["s9"]
