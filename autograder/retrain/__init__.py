"""Trusted retraining: a student's model rebuilt from its JSON config and trained by the
grader, in a fresh interpreter that never ran student code."""
from .protocols import PROFILES, PROTOCOLS, current_profile, get_protocol
from .runner import retrain

__all__ = ["PROFILES", "PROTOCOLS", "current_profile", "get_protocol", "retrain"]
