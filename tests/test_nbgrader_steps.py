"""nbgrader's gradebook, opened one way: a new one is stamped with the head of nbgrader's
migrations, read in the grader's process (no `alembic` process, none needed on PATH)."""
import os
import sqlite3
import subprocess
import sys

from nbgrader.dbutil import _temp_alembic_ini

from autograder.course.nbgrader_steps import open_gradebook


def test_a_new_gradebook_gets_the_head_alembic_prints_without_starting_it(tmp_path, monkeypatch):
    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:
        printed = subprocess.run(["alembic", "-c", ini, "heads"], capture_output=True, text=True, check=True,
                                 env=dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]))
    head = printed.stdout.split("\n")[0].split(" ")[0]
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))     # an `alembic` process could not start
    with open_gradebook(str(tmp_path)) as gb:
        gb.add_student("alice")
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        assert db.execute("SELECT id FROM student").fetchall() == [("alice",)]
