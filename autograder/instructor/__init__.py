"""The instructor's commands above the batch: placing an LMS download into submitted/
(``collect``), the Gradescope autograder (``gradescope``, which runs the batch) and the
student's package (``student_package``). Only the command line and the tools import it (a
test holds it)."""
