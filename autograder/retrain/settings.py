"""The retraining's settings, declared in the course's ``nbgrader_config.py``:

    c.Retrain.profile = "auto"          # "quick", "full", or "auto" (full where a GPU is visible)
    c.Retrain.cache_dir = ""            # where retrained results are kept
    c.Retrain.thresholds = ""           # another calibration's thresholds.json

They reach the processes that retrain or observe (kernels, retraining workers, nbgrader's own
runs) as environment variables, set in one place (``apply``) when a command puts a course in
force. A variable the caller set already wins over the course's file, and ``apply`` says so.
"""
import os

from traitlets import Enum, TraitError, Unicode
from traitlets.config import Configurable

from ..course_config import load_config
from .cache import CACHE_VARIABLE
from .protocols import PROFILE_CHOICES, PROFILE_VARIABLE

THRESHOLDS_VARIABLE = "AUTOGRADER_THRESHOLDS"


class Retrain(Configurable):
    profile = Enum(list(PROFILE_CHOICES), "auto",
                   help="The retraining's budget: 'full' runs the module's real budgets on the full "
                        "data (meant for a GPU), 'quick' a small slice for CPU machines, CI and the "
                        "demo, 'auto' full where a GPU is visible to the retraining, quick "
                        "otherwise. Each has its thresholds in reference/thresholds.json."
                   ).tag(config=True)
    cache_dir = Unicode("", help="Where retrained results are kept, by model and budget; default "
                                 "~/.cache/module07-autograder/retrain.").tag(config=True)
    thresholds = Unicode("", help="A thresholds.json of another calibration, in force instead of "
                                  "the course's reference/thresholds.json.").tag(config=True)


VARIABLES = {"profile": PROFILE_VARIABLE, "cache_dir": CACHE_VARIABLE, "thresholds": THRESHOLDS_VARIABLE}


class SettingsError(ValueError):
    """A ``c.Retrain`` value the grader cannot use (the course's file is to fix)."""


def apply(course_dir, environ=os.environ):
    """Put ``course_dir``'s ``c.Retrain.*`` in force here and in the processes started from here;
    returns one line per setting the environment overrides (empty when none)."""
    config = load_config(course_dir)
    try:
        retrain = Retrain(config=config)
    except TraitError as exc:
        raise SettingsError(f"c.Retrain: {exc}") from None
    said = []
    for name, variable in VARIABLES.items():
        if name not in config.get("Retrain", {}):
            continue
        value = getattr(retrain, name)
        if name in ("cache_dir", "thresholds") and value:
            value = os.path.join(course_dir, os.path.expanduser(value))
        if environ.get(variable) and environ[variable] != value:
            said.append(f"{variable}={environ[variable]} is in force instead of the course's "
                        f"c.Retrain.{name} = {getattr(retrain, name)!r}")
        elif value:
            environ[variable] = value
    return said
