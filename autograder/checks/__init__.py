"""The checks of an assignment (``autograder.assignment``): ``checks_of(assignment)`` maps their
names to them, in the assignment's order.

Module 07's visible checks (``exercise1``-``exercise3``) are all a student's package ships;
its hidden ones (``hidden``: honesty, the split) and the accuracy checks (``accuracy``,
derived from the assignment's declaration) exist only where the grader is installed.
"""
from . import exercise1, exercise2, exercise3  # noqa: F401,I001  (Module 07's, in exercise order)
from .in_force import checks_of, get_check, kernel_checks
from .registry import Check
from .result import CheckResult
from .subject import ExtractedSubject, Problem, Subject

__all__ = ["Check", "CheckResult", "ExtractedSubject", "Problem", "Subject", "checks_of", "get_check",
           "kernel_checks"]
