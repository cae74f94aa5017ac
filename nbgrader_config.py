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
    "autograder.feedback_filters.ShortenHiddenTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Budget profile of the grader's retraining (autograder/retrain/protocols.py): "full" runs the
# module's real budgets on the full data (meant for a GPU), "quick" a small slice for CPU
# machines, CI and the demo. Each has its thresholds in reference/thresholds.json.
os.environ.setdefault("AUTOGRADER_PROFILE", "quick")
