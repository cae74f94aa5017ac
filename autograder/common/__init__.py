"""Helpers any side of the grader may use, and which know none of it: one way to write a file
(``atomic``), one call that seeds everything (``seeding``), and what the instructor's terminal
shows (``terminal``). Imports nothing of ``autograder`` (a test holds it)."""
