"""Helpers any side of the grader may use, and which know none of it: one way to write a file
(``atomic``), one call that seeds everything (``seeding``), what the instructor's terminal
shows (``terminal``), the modules no grader process loads (``lean_imports``), and Ctrl-C kept
through libraries that swallow it (``interrupts``).
Imports nothing of ``autograder`` (a test holds it)."""
