"""The assignment's declaration: what the grader derives from it, and the errors a wrong one gets."""
import os
import shutil
import subprocess
import sys

import pytest

from autograder import assignment
from autograder.assignment import SpecError, activate, current
from autograder.checks import checks_of

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(REPO, "tests", "fixtures", "l2course")


def test_module07_is_in_force_by_default_and_everything_derives_from_its_spec():
    spec = current()
    checks = checks_of(spec)
    assert spec.name == "regularization" and spec.thresholds_in_force == os.path.join(REPO, "reference", "thresholds.json")
    assert list(checks)[:4] == ["ex1_rates", "ex1_sweep", "ex1_best_rate", "ex1_plot"]
    assert list(checks)[-3:] == ["ex1_accuracy", "ex2_accuracy", "ex3_accuracy"]
    assert sum(c.points for c in checks.values()) == 34
    assert spec.builders(3) == ("create_cifar_model", "create_cifar_baseline")
    assert [b for _, b, _ in spec.retrained()] == ["create_dropout_model", "create_bn_before_activation",
                                                  "create_bn_after_activation", "create_no_bn_baseline",
                                                  "create_cifar_model"]
    # Exercise 1's model is built at the rate the notebook's sweep picked, and calibrated at every rate.
    assert len(spec.model("create_dropout_model").calibrate_args) == 8
    assert spec.accuracy_for("ex3_accuracy").bars == {"full": 0.55}


def test_activating_another_course_switches_checks_models_and_thresholds(tmp_path):
    course = tmp_path / "l2course"
    shutil.copytree(FIXTURE, course)
    spec = activate(str(course))
    assert spec.name == "l2mlp" and current() is spec
    checks = checks_of(spec)
    assert list(checks) == ["l2_model", "l2_penalty", "l2_accuracy"]
    assert checks["l2_accuracy"].hidden and checks["l2_accuracy"].from_model
    assert spec.thresholds_path == str(course / "reference" / "thresholds.json")
    # What the kernels it starts will read: the spec and its folder (bound into the sandbox).
    assert os.environ[assignment.SPEC_VARIABLE] == "l2mlp_spec"
    assert assignment.spec_paths() == [os.path.realpath(course / "grading")]
    assert spec.reference_module(spec.model("create_l2_mlp")).create_l2_mlp().count_params() == 784 * 128 + 128 + 1290


def test_module07_in_a_course_folder_of_its_own_reads_that_folders_thresholds_and_references(tmp_path):
    """A new term's copy of the course (its nbgrader_config.py, no thresholds yet) grades against
    the calibration the grader ships until it calibrates its own, which then is in force; a
    reference solution the course keeps in reference/ is the one calibration builds."""
    from autograder.module07 import PACKAGED_THRESHOLDS
    from autograder.retrain.thresholds import in_force, written
    course = tmp_path / "term2"
    course.mkdir()
    shutil.copy(os.path.join(REPO, "nbgrader_config.py"), course)
    spec = activate(str(course))
    assert in_force() == PACKAGED_THRESHOLDS and written() == str(course / "reference" / "thresholds.json")
    (course / "reference").mkdir()
    (course / "reference" / "thresholds.json").write_text("{}")
    assert in_force() == written() == str(course / "reference" / "thresholds.json")
    model = spec.model("create_no_bn_baseline")
    assert spec.reference_module(model).__file__ == os.path.join(REPO, "reference", "exercise2.py")
    (course / "reference" / "exercise2.py").write_text(
        "def create_no_bn_baseline():\n    return 'the course copy'\n")
    assert spec.reference_module(model).create_no_bn_baseline() == "the course copy"


def test_a_wrong_spec_is_a_clear_error(tmp_path):
    with pytest.raises(SpecError, match="'no_such_spec' cannot be imported"):
        assignment.load("no_such_spec")
    (tmp_path / "not_a_spec.py").write_text("SPEC = {'name': 'x'}\n")
    with pytest.raises(SpecError, match="Expected not_a_spec.SPEC to be an autograder.assignment.Assignment. "
                                        "Received: dict"):
        assignment.load("not_a_spec", [str(tmp_path)])
    with pytest.raises(KeyError, match="Expected a model of assignment 'regularization'"):
        current().model("create_nothing")


def test_a_check_name_declared_by_two_modules_is_refused():
    from autograder.checks.registry import check

    def twin(subject):
        return []
    twin.__module__ = "another_assignment_checks"
    with pytest.raises(ValueError, match="'ex1_rates' is declared twice .*unique across a course"):
        check("ex1_rates", exercise=1, points=1, description="x")(twin)


def test_the_cli_names_a_course_whose_spec_cannot_be_loaded(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.Course.spec = "no_such_spec"\n')
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(tmp_path), "grade"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "nbgrader_config.py: the assignment's spec module 'no_such_spec' cannot be imported" in proc.stderr


def test_a_gradescope_bundle_of_another_course_ships_its_spec_checks_and_reference(tmp_path):
    from autograder.instructor.gradescope import course_files
    course = tmp_path / "l2course"
    shutil.copytree(FIXTURE, course)
    activate(str(course))
    assert course_files(str(course)) == [
        "nbgrader_config.py", "source/l2mlp/l2mlp.ipynb", "release/l2mlp/l2mlp.ipynb", "reference/thresholds.json",
        "grading/l2mlp_checks.py", "grading/l2mlp_spec.py", "reference/l2mlp.py"]


def test_a_changed_check_module_changes_the_judging_key(tmp_path):
    """A course that edits its own checks gets its class re-judged (without re-execution)."""
    from autograder.batch.journal import judging_key
    course = tmp_path / "l2course"
    shutil.copytree(FIXTURE, course)
    activate(str(course))
    before = judging_key({"state": "completed"}, False)
    checks = course / "grading" / "l2mlp_checks.py"
    checks.write_text(checks.read_text().replace("points=3", "points=4"))
    assert judging_key({"state": "completed"}, False) != before
