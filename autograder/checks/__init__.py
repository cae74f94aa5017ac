"""The module's checks; importing this package registers all of them.

The visible checks (``exercise1``-``exercise3``) are all a student's package ships; the hidden
ones (``hidden``, ``accuracy``: honesty, the split, accuracy by retraining) exist only where
the grader is installed.
"""
import importlib

from . import exercise1, exercise2, exercise3  # noqa: F401,I001  (registration, in exercise order)
from .registry import CHECKS, Check, get_check
from .result import CheckResult
from .subject import ExtractedSubject, Problem, Subject

for _module in ("hidden", "accuracy"):
    try:
        importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:      # the student package: visible checks only
        if exc.name != f"{__name__}.{_module}":
            raise

__all__ = ["CHECKS", "Check", "CheckResult", "ExtractedSubject", "Problem", "Subject", "get_check"]
