"""The module's checks; importing this package registers all of them."""
from . import exercise1, exercise2, exercise3  # noqa: F401,I001  (registration, in exercise order)
from . import accuracy  # noqa: F401,E402
from .registry import CHECKS, Check, get_check
from .result import CheckResult
from .subject import ExtractedSubject, Problem, Subject

__all__ = ["CHECKS", "Check", "CheckResult", "ExtractedSubject", "Problem", "Subject", "get_check"]
