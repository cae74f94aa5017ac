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
                              "set AUTOGRADER_PROFILE to choose)")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert current_profile() == "full" and "a GPU is visible" in profile_line()


def test_a_chosen_profile_is_kept_and_a_wrong_one_named(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("AUTOGRADER_PROFILE", "quick")
    assert current_profile() == "quick" and profile_line() == "Profile: quick (AUTOGRADER_PROFILE)"
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
