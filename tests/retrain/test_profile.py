"""The default profile follows the machine: the module's full budgets where the retraining
sees a GPU, the quick ones otherwise; a batch says which, and why."""
import pytest

from autograder.batch.grade import BatchError, select
from autograder.retrain.protocols import current_profile, profile_line


def test_auto_is_full_with_a_gpu_and_quick_without(monkeypatch):
    monkeypatch.delenv("AUTOGRADER_PROFILE", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert current_profile() == "quick"
    assert profile_line() == ("Profile: quick (auto: no GPU is visible to the retraining; "
                              "set c.Retrain.profile to choose)")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert current_profile() == "full" and "a GPU is visible" in profile_line()


def test_a_chosen_profile_is_kept_and_a_wrong_one_named(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("AUTOGRADER_PROFILE", "quick")
    assert current_profile() == "quick" and profile_line() == "Profile: quick (chosen: c.Retrain.profile or AUTOGRADER_PROFILE)"
    monkeypatch.setenv("AUTOGRADER_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"one of \('auto', 'full', 'quick'\). Received: 'fast'"):
        current_profile()


def test_students_are_chosen_by_id_or_pattern():
    found = {"alice": "a", "bob": "b", "carol": "c"}
    assert select(found, None) == found
    assert select(found, ["bob"]) == {"bob": "b"}
    assert select(found, ["c*", "alice"]) == {"alice": "a", "carol": "c"}
    with pytest.raises(BatchError, match="no submission matches --student 'dave'"):
        select(found, ["dave"])


def _course(tmp_path, lines):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + lines)
    return str(tmp_path)


def test_the_courses_retraining_settings_reach_the_processes_it_starts(tmp_path):
    """c.Retrain.* in nbgrader_config.py, put in force as the environment the kernels and
    workers read; a relative folder is the course's."""
    from autograder.retrain.settings import apply
    course = _course(tmp_path, 'c.Retrain.profile = "full"\nc.Retrain.cache_dir = "cache"\n')
    environ = {}
    assert apply(course, environ) == []
    assert environ == {"AUTOGRADER_PROFILE": "full", "AUTOGRADER_CACHE_DIR": str(tmp_path / "cache")}
    # Nothing declared: nothing set (the defaults are the readers' own).
    (tmp_path / "other").mkdir()
    environ = {}
    assert apply(_course(tmp_path / "other", ""), environ) == [] and environ == {}


def test_a_variable_the_caller_set_wins_and_is_said(tmp_path):
    from autograder.retrain.settings import apply
    environ = {"AUTOGRADER_PROFILE": "quick"}
    said = apply(_course(tmp_path, 'c.Retrain.profile = "full"\n'), environ)
    assert environ == {"AUTOGRADER_PROFILE": "quick"}
    assert said == ["AUTOGRADER_PROFILE=quick is in force instead of the course's c.Retrain.profile = 'full'"]


def test_a_profile_the_grader_does_not_know_is_named_with_the_choices(tmp_path):
    from autograder.retrain.settings import SettingsError, apply
    with pytest.raises(SettingsError, match=r"c.Retrain: .*profile.*'auto', 'full', 'quick'.*'fast'"):
        apply(_course(tmp_path, 'c.Retrain.profile = "fast"\n'), {})
