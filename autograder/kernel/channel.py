"""How an observation leaves the kernel: a display message of this MIME type in a cell the
grader made an observation cell (listed in the prepared notebook's metadata); the sandbox's
runner (``autograder.sandbox.inside``) streams the first one of each such cell to the grader."""
OBSERVATION_MIME = "application/vnd.module07.observation+json"
OBSERVATION_CELLS_KEY = "autograder_observation_cells"
OBSERVE_PREFIX = '__import__("autograder.kernel.observe"'
# The cells the runner leaves as they were (no grade depends on them): listed by the grader.
SKIPPED_CELLS_KEY = "autograder_skipped_cells"
