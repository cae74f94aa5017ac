"""Training budgets of the notebook's demonstrations.

When nbgrader executes a notebook for grading it sets ``NBGRADER_EXECUTION``; the
demonstrations then train briefly, since the grade never depends on them.
"""
import os


def grading():
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def budget(full, grading_value):
    """``full`` for a student's run, ``grading_value`` while nbgrader grades the notebook."""
    return grading_value if grading() else full


def announce():
    if grading():
        print("Grading run (NBGRADER_EXECUTION is set): demonstrations train on small slices "
              "for few epochs; exercises are judged by the grader's own checks.")
