"""Thresholds follow from the reference's accuracies; the module's bar is never lowered."""
import pytest

from autograder.retrain.calibrate import derive_threshold


def test_threshold_is_mean_minus_the_seed_spread():
    entry = derive_threshold([0.76, 0.79, 0.73])
    assert entry["mean"] == 0.76 and entry["margin"] == pytest.approx(3 * entry["std"], abs=1e-3)
    assert entry["threshold"] == pytest.approx(0.76 - entry["margin"], abs=1e-3)
    assert entry["threshold"] < min([0.76, 0.79, 0.73])


def test_a_steady_reference_keeps_the_minimum_margin():
    assert derive_threshold([0.5, 0.5, 0.5])["threshold"] == 0.48


def test_the_bar_is_the_threshold_and_the_reference_must_clear_it():
    weak = derive_threshold([0.56, 0.57, 0.565], bar=0.55)
    assert weak["threshold"] == 0.55 and weak["clears_bar_with_margin"] is False
    strong = derive_threshold([0.60, 0.61, 0.605], bar=0.55)
    assert strong["threshold"] == 0.55 and strong["clears_bar_with_margin"] is True
