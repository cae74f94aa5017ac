"""Accuracy thresholds per profile, calibrated from the reference solutions and committed
in reference/thresholds.json with the numbers they were derived from."""
import json
import os

from ..args import args_key  # noqa: F401  (how the file writes arguments)



def in_force():
    """The thresholds in force: AUTOGRADER_THRESHOLDS (another calibration), else the course
    directory's file (``reference/thresholds.json``), else the one its spec ships (Module 07's)."""
    from ..assignment import current
    return os.environ.get("AUTOGRADER_THRESHOLDS") or current().thresholds_in_force


def written():
    """Where calibration writes: AUTOGRADER_THRESHOLDS, else the course directory's file (so
    grading reads what it wrote, never the packaged copy)."""
    from ..assignment import current
    return os.environ.get("AUTOGRADER_THRESHOLDS") or current().thresholds_path


class ThresholdMissing(LookupError):
    pass


def load(file=None):
    file = file or in_force()
    try:
        with open(file) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ThresholdMissing(f"no thresholds file at {file}: run `autograder calibrate --profile quick`")


def threshold(check, model, profile, path=None, args=()):
    """The minimum validation accuracy ``model`` (built with ``args``) must reach for ``check``
    under ``profile``: the one calibrated for those arguments when there is one."""
    path = path or in_force()
    entry = load(path).get(profile, {}).get(check, {}).get(model)
    if entry and args and args_key(args) in (entry.get("by_args") or {}):
        entry = entry["by_args"][args_key(args)]
    if entry is None or entry.get("threshold") is None:
        raise ThresholdMissing(f"no threshold for {check}/{model} in profile {profile!r}: run "
                               f"`autograder calibrate --profile {profile}` and commit {path}")
    return float(entry["threshold"])
