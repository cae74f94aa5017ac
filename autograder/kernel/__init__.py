"""What runs inside the student's kernel, with the student's rights: the observation cells'
code, the output cap and the tamper probe. Nothing here is trusted by the grader, and nothing
here imports the grader's pipeline, its retraining runner or nbgrader (a test holds it)."""
