"""User errors end with exit code 2 and one line."""
import subprocess
import sys


def test_scores_without_gradebook_says_what_to_do(course):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "scores"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "no gradebook" in proc.stderr and "autograder demo" in proc.stderr


def test_not_a_course_directory(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(tmp_path), "samples"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no nbgrader_config.py" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_sample_student(course):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "samples",
                           "--student", "nobody"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Unknown sample student 'nobody'" in proc.stderr
