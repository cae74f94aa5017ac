"""nbgrader configuration of the Module 07 course; the repository root is the course directory."""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "module07"
c.CourseDirectory.assignment_id = ""
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# The stubs students see in place of solution regions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding executes the whole notebook; the demonstrations run on a small budget then
# (NBGRADER_EXECUTION is set), but loading CIFAR-10 and the sweep still take a while.
c.Execute.timeout = 600
c.Execute.startup_timeout = 120

# Kernels inherit this environment: TensorFlow's C++ start-up logging goes to stderr, and
# nbgrader counts stderr in a test cell as a failure (jupyter/nbgrader PR #1904).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Feedback shows each check's message, never the code of the hidden tests.
c.GenerateFeedback.preprocessors = [
    "autograder.course.feedback_filters.ShortenHiddenTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The assignment graded here, declared once in autograder/module07.py (autograder/assignment.py
# says how to declare another: its checks, models, protocols, references and thresholds).
c.Course.assignment = "regularization"
c.Course.spec = "autograder.module07"

# Batch grading (`autograder grade`): each submission's kernel runs under bubblewrap with these
# limits (autograder/sandbox/settings.py documents each one; c.Batch: autograder/batch/settings.py).
c.Sandbox.enabled = True
c.Sandbox.cell_timeout_s = 300          # one cell; the kernel is interrupted, the next cell runs
c.Sandbox.submission_timeout_s = 900    # the whole notebook; the sandbox is killed
c.Sandbox.memory_mb = 8192              # address space per process (TensorFlow maps ~3 GB)
c.Sandbox.max_processes = 1024          # processes and threads
c.Sandbox.max_file_mb = 200             # largest file written
c.Sandbox.max_output_kb = 256           # output kept per cell
c.Batch.workers = 0                     # submissions at once; 0: one per CPU
c.Batch.retrain_slots = 0               # retraining jobs at once; 0: one per GPU, 1 without

# Budget profile of the grader's retraining (autograder/retrain/protocols.py): "full" runs the
# module's real budgets on the full data (meant for a GPU), "quick" a small slice for CPU
# machines, CI and the demo; "auto" (the default) picks full when a GPU is visible to the
# retraining, quick otherwise, and every batch prints which. Each has its thresholds in
# reference/thresholds.json (c.Retrain.thresholds points at another calibration). The
# environment variable AUTOGRADER_PROFILE, where set, wins over this line.
c.Retrain.profile = "auto"
