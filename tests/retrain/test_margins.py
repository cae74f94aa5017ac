"""The quick bar tied to the full profile's outcome, on hand-made measurements (milliseconds)."""
from autograder.tools.margins import tie_quick_bar

ENTRY = {"threshold": 0.377, "margin": 0.0223, "best_val_acc": [0.394, 0.4095, 0.3935]}


def rows(bar, accs):
    return [{"variant": name, "best_val_acc": acc, "bar": bar} for name, acc in accs.items()]


def test_a_variant_that_clears_the_full_bar_lowers_the_quick_one_to_its_accuracy_minus_the_seed_margin():
    quick = rows(0.377, {"reference": 0.402, "dropout 0.4": 0.3735, "l2 0.1": 0.2695})
    full = rows(0.55, {"reference": 0.581, "dropout 0.4": 0.5793, "l2 0.1": 0.41})
    tied = tie_quick_bar(quick, full, ENTRY)
    assert tied["threshold"] == round(0.3735 - 0.0223, 3) == 0.351
    assert tied["variants"]["dropout 0.4"] == {"quick": 0.3735, "full": 0.5793, "clears_full": True, "clears_quick": True}
    assert tied["variants"]["l2 0.1"]["clears_full"] is False and tied["variants"]["l2 0.1"]["clears_quick"] is False
    assert "full profile" in tied["threshold_from"] and tied["best_val_acc"] == ENTRY["best_val_acc"]


def test_the_bar_never_rises_and_unmeasured_variants_change_nothing():
    quick = rows(0.377, {"reference": 0.402, "sgd": 0.4085, "adam": None})
    full = rows(0.55, {"reference": 0.581, "sgd": 0.57})
    tied = tie_quick_bar(quick, full, ENTRY)
    assert tied["threshold"] == 0.377 and "threshold_from" not in tied
    assert set(tied["variants"]) == {"reference", "sgd"}
