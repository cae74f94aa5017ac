"""The course's nbgrader folders and what is handed to nbgrader and the LMS: nbgrader's steps
(``nbgrader_steps``), the scores read back from its gradebook (``gradebook``), the feedback's
preprocessors and filters (``feedback_filters``), grades.csv (``export``) and the LMS's totals
and feedback bundle (``lms``). The batch uses it, so it imports nothing of ``autograder.batch``,
``autograder.instructor`` or the command line (a test holds it)."""
