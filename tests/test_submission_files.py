"""The one way trusted code reads a submission's files: no link followed (the notebook and the
folders above it included), regular files only, bounded walks and reads, framed digests, and
metadata of the wrong type repaired before any stage reads it. Hand-made inputs, milliseconds."""
import errno
import json
import os
import stat

import nbformat
import pytest

from autograder.untrusted import metadata
from autograder.untrusted import files
from autograder.batch import integrity
from autograder.batch.execute import SubmissionUnreadable, read_submission
from autograder.batch.journal import submission_hash
from autograder.sandbox.scratch import copy_submission
from tests.helpers import CHECKS


def _secret(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SOLUTION: model.add(layers.Dropout(0.3))")
    os.chmod(secret, 0o600)
    return secret


def test_a_notebook_that_is_a_link_is_refused_never_read(tmp_path):
    secret = _secret(tmp_path)
    folder = tmp_path / "course" / "submitted" / "mallory" / "regularization"
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "regularization.ipynb")
    with pytest.raises(SubmissionUnreadable) as exc:
        read_submission(str(folder / "regularization.ipynb"), CHECKS, str(tmp_path / "course"))
    assert "symbolic link" in str(exc.value) and "SOLUTION" not in str(exc.value)


def test_a_folder_above_the_notebook_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "regularization.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    student = tmp_path / "course" / "submitted" / "mallory"
    student.mkdir(parents=True)
    os.symlink(elsewhere, student / "regularization")
    with pytest.raises(files.Unreadable, match="symbolic link"):
        files.read_path(str(student / "regularization" / "regularization.ipynb"), base=str(tmp_path / "course"))


def test_special_files_are_never_opened_for_reading(tmp_path):
    os.mkfifo(tmp_path / "pipe.ipynb")      # opening it to read would wait forever
    with pytest.raises(files.Unreadable, match="not a regular file"):
        files.read_bytes(str(tmp_path), "pipe.ipynb")
    os.symlink("/dev/zero", tmp_path / "zero.ipynb")
    with pytest.raises(files.Unreadable, match="symbolic link"):
        files.read_bytes(str(tmp_path), "zero.ipynb")
    if os.geteuid() == 0:
        os.mknod(tmp_path / "dev.ipynb", 0o600 | stat.S_IFCHR, os.makedev(1, 5))   # /dev/zero itself
        with pytest.raises(files.Unreadable, match="not a regular file"):
            files.read_bytes(str(tmp_path), "dev.ipynb")
    with pytest.raises(files.Unreadable, match="leads out"):
        files.read_bytes(str(tmp_path), "../secret.txt")


def test_a_sparse_file_counts_at_its_apparent_size(tmp_path):
    with open(tmp_path / "big.ipynb", "wb") as f:
        f.truncate(5 * 2**30)               # 5 GB that take no disk
    with pytest.raises(files.Unreadable, match="MB; at most"):
        files.read_bytes(str(tmp_path), "big.ipynb")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    src = tmp_path / "sub"
    src.mkdir()
    os.rename(tmp_path / "big.ipynb", src / "big.ipynb")
    notices = copy_submission(str(src), str(scratch))
    assert os.listdir(scratch) == [] and "MB" in notices[0][1]


def test_walks_are_iterative_bounded_and_take_names_as_bytes(tmp_path):
    deep = tmp_path / "sub"
    path = str(deep)
    os.makedirs(path)
    for _ in range(1200):                   # deeper than Python's recursion limit
        path = os.path.join(path, "d")
        os.mkdir(path)
    open(os.path.join(path, "x.py"), "w").close()
    try:
        _walk_deep_and_wide(deep)
    finally:                                # pytest's own clean-up recurses: remove it here
        _remove_deep(path, str(deep))


def _walk_deep_and_wide(deep):
    with open(os.path.join(os.fsencode(str(deep)), b"caf\xe9.py"), "wb") as f:
        f.write(b"x = 1")
    for i in range(80):
        (deep / f"f{i:03}.txt").write_text("1")
    listing = files.walk(str(deep), max_files=60)
    assert max(e.rel.count("/") for e in listing.entries) < files.MAX_DEPTH
    whys = [left.why for left in listing.left]
    assert any("nested more than" in w for w in whys)
    assert any("not UTF-8" in w for w in whys)
    assert sum("past the 60 files" in w for w in whys) + listing.omitted >= 20
    assert len(listing.left) <= files.MAX_NOTICES
    json.dumps([left.rel for left in listing.left]).encode("utf-8")      # every shown name is printable text
    # The integrity snapshot of the same folder neither recurses nor raises.
    marks = integrity._marks("submitted", str(deep))
    assert any("not UTF-8" in v for v in marks.values())


def _remove_deep(leaf, top):
    """Remove a chain of folders deeper than shutil.rmtree's recursion can go, from the leaf up."""
    for name in os.listdir(leaf):
        os.unlink(os.path.join(leaf, name))
    while leaf != top:
        parent = os.path.dirname(leaf)
        os.rmdir(leaf)
        leaf = parent


def test_submission_digests_are_framed(tmp_path):
    """Under an unframed digest (name, NUL, bytes, \\1), the second folder's bytes could be
    chosen to equal the first's; framed, any difference in names or bytes shows."""
    course = tmp_path / "course"
    (course / "source" / "regularization").mkdir(parents=True)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "regularization.ipynb").write_bytes(b"AAA\x01x.py\x00BBB")
    (b / "regularization.ipynb").write_bytes(b"AAA")
    (b / "x.py").write_bytes(b"BBB")
    assert submission_hash(str(a), str(course)) != submission_hash(str(b), str(course))
    c = tmp_path / "c"
    c.mkdir()
    (c / "regularization.ipynb").write_bytes(b"AAA\x01x.py\x00BBB")
    assert submission_hash(str(a), str(course)) == submission_hash(str(c), str(course))
    os.symlink("/etc/passwd", c / "notes.txt")          # a link is part of what the execution sees (a notice)
    assert submission_hash(str(a), str(course)) != submission_hash(str(c), str(course))


def _nb_with(meta_value):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")])
    nb.cells[0].metadata["nbgrader"] = meta_value
    return nb


@pytest.mark.parametrize("bad", ["ex1_rates", ["grade_id"], {"grade_id": ["x"]}, {"grade_id": "a", "points": "3"},
                                 {"grade_id": "a", "grade": "yes"}, {"grade_id": "a", "points": float("inf")}])
def test_metadata_of_the_wrong_type_is_repaired_from_the_release(bad):
    release = _nb_with({"grade_id": "ex1_rates", "grade": True, "solution": False, "locked": True, "points": 1,
                        "schema_version": 3})
    nb = _nb_with(bad)
    nb.cells[0].id = release.cells[0].id
    repairs = metadata.repair(nb, release)
    assert metadata.grade_id(nb.cells[0]) == "ex1_rates" and "restored" in repairs[0]
    nb = _nb_with(bad)                       # no cell of the release to align it with: removed
    nb.cells[0].source = "something else"
    repairs = metadata.repair(nb, release)
    assert "nbgrader" not in nb.cells[0].metadata and "removed" in repairs[0]


def test_cells_and_notebook_metadata_of_the_wrong_type_are_repaired_or_refused():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata = "not a mapping"
    nb.cells[0].metadata = 7
    nb.cells.append({"cell_type": "weird"})
    repairs = metadata.repair(nb)
    assert len(nb.cells) == 1 and nb.cells[0].metadata == {} and nb.metadata == {} and len(repairs) == 3
    with pytest.raises(metadata.MetadataUnusable):
        metadata.repair({"cells": "x"})


def test_saved_outputs_of_the_wrong_shape_are_left_out_and_bad_unicode_replaced():
    """What the noise filter, the sanitizer, nbgrader and nbconvert read after the repair has
    nbformat's shape: a malformed saved output is the student's notice, never the machine's fault."""
    outputs = [{"output_type": "display_data", "data": {"text/html": 5}, "metadata": {}},
               {"data": {}}, {"output_type": "stream", "name": "stderr", "text": 5},
               {"output_type": "execute_result", "metadata": {}},
               {"output_type": "error", "ename": "E", "evalue": "v", "traceback": [1]},
               {"output_type": "stream", "name": "stdout", "text": ["a", "b"]},
               {"output_type": "display_data", "data": {"application/json": {"a": 1}, "text/plain": ["x"]}, "metadata": {}}]
    nb = nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "pass", "metadata": {}, "execution_count": 1, "outputs": outputs},
        {"cell_type": "markdown", "source": "bad \udc80 text", "metadata": {}}]})
    repairs = metadata.repair(nb)
    assert repairs == ["cell 1's saved outputs held 5 malformed one(s): left out",
                       "the notebook held text that is not valid Unicode (lone surrogates): replaced by '?'"]
    assert nb.cells[0].outputs == [{"output_type": "stream", "name": "stdout", "text": "ab"},
                                   {"output_type": "display_data", "data": {"application/json": {"a": 1}, "text/plain": "x"},
                                    "metadata": {}}]
    assert nb.cells[1].source == "bad ? text"
    nbformat.writes(nb)                 # what broke the record before


def test_a_notebook_with_more_text_than_any_student_writes_is_refused():
    big = {"cells": [{"cell_type": "code", "source": "x = 1\n" * 20_000, "metadata": {}, "outputs": []}
                     for _ in range(5)], "metadata": {}}
    with pytest.raises(metadata.MetadataUnusable, match="600000 characters; notebooks of at most 500000"):
        metadata.repair(nbformat.from_dict(big))


def test_a_path_too_long_for_the_scratch_copy_is_left_behind_with_its_reason(tmp_path):
    src, scratch = tmp_path / "sub", tmp_path / "scratch"
    deep = src
    for i in range(6):
        deep = deep / (chr(97 + i) * 250)
    deep.mkdir(parents=True)
    (deep / "x.py").write_text("1")
    (src / "regularization.ipynb").write_text("{}")
    scratch.mkdir()
    notices = copy_submission(str(src), str(scratch))
    copied = [f for _, _, names in os.walk(scratch) for f in names]
    assert copied == ["regularization.ipynb"]               # the folders that fit are made, empty
    assert any("has a path longer than 1024 bytes" in why for _, why in notices), notices


class _descriptors:
    """This process limited to ``free`` more open descriptors than it holds now (the limit bounds
    descriptor numbers: the lowest free numbers are the ones handed out)."""

    def __init__(self, free):
        import resource
        self.resource, self.free = resource, free

    def __enter__(self):
        self.saved = self.resource.getrlimit(self.resource.RLIMIT_NOFILE)
        in_use = {int(fd) for fd in os.listdir("/proc/self/fd")}
        limit = 0
        while limit - len({fd for fd in in_use if fd < limit}) < self.free or limit in in_use:
            limit += 1
        self.resource.setrlimit(self.resource.RLIMIT_NOFILE, (limit, self.saved[1]))

    def __exit__(self, *exc):
        self.resource.setrlimit(self.resource.RLIMIT_NOFILE, self.saved)


def test_a_walk_holds_one_descriptor_per_level_however_many_folders_a_submission_ships(tmp_path):
    """3000 sibling folders (a submission may ship 20 000) once took as many descriptors, leaving
    none for the other students' threads: now a walk of them fits in 40."""
    for i in range(3000):
        (tmp_path / "many" / f"d{i:04}" / "inner").mkdir(parents=True)
    with _descriptors(40):
        listing = files.walk(tmp_path / "many", max_scanned=10_000)
    assert listing.left == () and len([e for e in listing.entries if e.is_dir]) == 6000


def test_running_out_of_descriptors_is_the_machines_fault_not_an_unreadable_notebook(tmp_path):
    (tmp_path / "sub" / "inner").mkdir(parents=True)
    (tmp_path / "sub" / "nb.ipynb").write_text("{}")
    with _descriptors(0):
        with pytest.raises(OSError) as walked:
            files.walk(tmp_path / "sub")
        with pytest.raises(OSError) as read:
            read_submission(str(tmp_path / "sub" / "nb.ipynb"), CHECKS, str(tmp_path))
    assert walked.value.errno == read.value.errno == errno.EMFILE
    assert not isinstance(read.value, SubmissionUnreadable)


def test_a_notebook_of_millions_of_empty_lists_is_refused_before_it_is_parsed(tmp_path):
    """6 MB of "[]," would be gigabytes once parsed, in every process that reads the notebook."""
    from autograder.untrusted import sandbox_output
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "nb.ipynb").write_bytes(b'{"cells": [], "metadata": {"x": [' + b"[]," * 2_000_000 + b'[]]}, '
                                      b'"nbformat": 4, "nbformat_minor": 5}')
    with pytest.raises(SubmissionUnreadable, match="holds 2,000,005 JSON lists and objects.*clear its outputs"):
        read_submission(str(folder / "nb.ipynb"), CHECKS, str(tmp_path))
    with pytest.raises(sandbox_output.RecordInvalid, match="JSON lists and objects"):
        sandbox_output.loads((folder / "nb.ipynb").read_bytes(), max_bytes=2**26, what="notebook")
    # Brackets inside strings are text, not structure: a printed array counts for nothing.
    printed = json.dumps({"outputs": [{"text": "[[0.1 0.2]\n [0.3 0.4]]" * 10_000, "q": "\\\"[{"}]})
    assert sandbox_output.json_containers(printed) == 3


def test_a_folder_of_more_names_than_the_budget_is_read_only_up_to_it(tmp_path, monkeypatch):
    folder = tmp_path / "crowd"
    folder.mkdir()
    for i in range(3000):
        (folder / f"f{i:04}").write_bytes(b"")
    looked = []
    real = files._lstat
    monkeypatch.setattr(files, "_lstat", lambda name, fd: looked.append(name) or real(name, fd))
    listing = files.walk(folder, max_scanned=100)
    assert len(listing.entries) == 100 and len(looked) == 100          # not 3000 stat calls
    assert [left.why for left in listing.left] == ["holds more entries than the 100 the grader looks at: the rest are not read"]
