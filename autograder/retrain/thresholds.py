"""Accuracy thresholds per profile, calibrated from the reference solutions and committed
in reference/thresholds.json with the numbers they were derived from."""
import json
import os

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "reference", "thresholds.json")


class ThresholdMissing(LookupError):
    pass


def load(path=PATH):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ThresholdMissing(f"no thresholds file at {path}: run `autograder calibrate --profile quick`")


def threshold(check, model, profile, path=PATH):
    """The minimum validation accuracy ``model`` must reach for ``check`` under ``profile``."""
    entry = load(path).get(profile, {}).get(check, {}).get(model)
    if entry is None or entry.get("threshold") is None:
        raise ThresholdMissing(f"no threshold for {check}/{model} in profile {profile!r}: run "
                               f"`autograder calibrate --profile {profile}` and commit {path}")
    return float(entry["threshold"])
