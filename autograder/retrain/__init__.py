"""Trusted retraining: a student's model rebuilt from its JSON config and trained by the
grader, in a fresh interpreter that never ran student code.

``retrain`` lives in ``runner`` and is imported from there on first use, so that importing
the protocols or the thresholds (as the checks do, also in a student's kernel) never loads the
runner."""
from .protocols import PROFILES, PROTOCOLS, current_profile, get_protocol

__all__ = ["PROFILES", "PROTOCOLS", "current_profile", "get_protocol", "retrain"]


def retrain(*args, **kwargs):
    from .runner import retrain as run
    return run(*args, **kwargs)
