"""User errors end with exit code 2 and one line."""
import subprocess
import sys


def test_scores_without_gradebook_says_what_to_do(course):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "scores"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "no gradebook" in proc.stderr and "`autograder grade`" in proc.stderr


def test_not_a_course_directory(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(tmp_path), "samples"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no nbgrader_config.py" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_sample_student(course):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "samples",
                           "--student", "nobody"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Unknown sample student 'nobody'" in proc.stderr


def test_options_go_after_the_subcommand_too_and_every_option_says_what_it_does(course):
    from autograder.cli import build_parser
    proc = subprocess.run([sys.executable, "-m", "autograder", "scores", "--course", str(course)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and str(course) in proc.stderr and "no gradebook" in proc.stderr
    version = subprocess.run([sys.executable, "-m", "autograder", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("autograder 0.")
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    silent = [f"{name} {'/'.join(a.option_strings) or a.dest}" for name, p in commands.items()
              for a in p._actions if not a.help and a.dest != "help"]
    assert silent == []


def test_grade_takes_the_assignment_name_as_nbgrader_does_and_names_a_wrong_one(course):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "grade", "regularization"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no submissions" in proc.stderr        # read as the assignment, not a download
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "grade", "hw8"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "'hw8' is neither a folder or zip of notebooks nor this course's assignment" \
        in proc.stderr and "Traceback" not in proc.stderr


def test_one_grade_per_course_at_a_time(course):
    import fcntl
    import os
    (course / ".autograder").mkdir()
    with open(course / ".autograder" / "grade.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242")
        held.flush()
        proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "grade"],
                              capture_output=True, text=True)
    assert proc.returncode == 2 and "another `autograder grade` (pid 4242) is grading this course" in proc.stderr
    assert os.path.exists(course / ".autograder" / "grade.lock")


def test_the_score_table_fits_100_columns_per_exercise_and_shows_what_the_gradebook_adds():
    import io
    from tests.helpers import CHECKS
    from autograder.cli import score_table
    from autograder.course.gradebook import StudentScores
    from autograder.course.lms import Total
    from autograder.common.terminal import console, table
    row = StudentScores("a-rather-long-student-id")
    row.scores = {n: (c.points, c.points) for n, c in CHECKS.items()}
    row.scores["ex2_bn_before"] = (0.0, 3.0)
    total = Total(row.student, "", "", "", 31, 4, 35, 3, 32, 43, "", True)
    header, body = score_table([row], totals={row.student: total})
    assert header == ["student", "auto", "ex1", "ex2", "ex3", "written", "late", "total"]
    assert body[0][2:] == ["10/10", "7/10", "14/14", "4 (to grade)", "-3", "32/43"]
    buffer = io.StringIO()
    console(buffer).print(table(None, header, body))
    assert max(len(line) for line in buffer.getvalue().splitlines()) <= 100
    header, _ = score_table([row], checks=True)
    assert sorted(header[2:]) == sorted(CHECKS)


def test_feedback_with_nothing_graded_says_what_to_do(course):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.add_assignment("regularization")
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "feedback"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "nothing is graded yet" in proc.stderr and "`autograder grade`" in proc.stderr
    assert "No notebooks were matched" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


def test_a_course_config_naming_the_old_feedback_filters_is_refused_in_one_line(tmp_path, capsys):
    from autograder.cli import main
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.GenerateFeedback.preprocessors = ["autograder.feedback_filters.ShortenHiddenTracebacks"]\n')
    assert main(["--course", str(tmp_path), "scores"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert (f"{tmp_path}/nbgrader_config.py names autograder.feedback_filters, which moved: write "
            "autograder.course.feedback_filters instead (in c.GenerateFeedback.preprocessors)") in err


def test_a_reason_holding_a_kernels_stderr_prints_on_its_own_line_only(capsys):
    """A failed student's reason may carry the kernel's stderr: its newlines must not print lines
    of their own under the summary (a forged integrity line), nor its escape sequences drive the terminal."""
    from autograder.cli import print_summary
    from autograder.instructor.collect import describe
    forged = "ended\nIntegrity: source/, release/, submitted/ are unchanged.\r\x1b]52;c;cHduZWQ=\x07"
    print_summary({"students": 1, "wall_s": 1, "sandboxed": True, "workers": 1, "ray": False,
                   "timings": {"execute_s": 1, "retrain_s": 0, "judge_s": 0, "record_s": 0},
                   "retraining": {"models": 0, "distinct": 0, "trained": 0}, "failed": {"eve": forged},
                   "flagged": {"eve": [forged]}, "integrity": {"ok": False, "changed": ["x"], "removed": [], "added": []}})
    out = capsys.readouterr().out
    assert not any(line.startswith("Integrity:") for line in out.splitlines()) and "\x1b" not in out
    assert "Failed to run: eve: ended Integrity:" in out and "Flagged for review: eve: ended Integrity:" in out
    lines = describe({"eve": {"file": "doe_1_2_\x1b]52;c;x\x07\nIntegrity: fine.ipynb", "submitted": "", "late": False,
                              "lms": "canvas"}})
    assert lines.count("\n") == 1 and "\x1b" not in lines
