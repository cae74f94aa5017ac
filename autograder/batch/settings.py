"""The batch grader's settings, declared in the course's ``nbgrader_config.py`` (the sandbox's
own, ``c.Sandbox.*``, live in ``sandbox/settings.py``).

    c.Sandbox.memory_mb = 8192
    c.Batch.workers = 4
"""
from traitlets import Dict, Enum, Integer
from traitlets.config import Configurable

from ..course_config import load_config
from ..sandbox.settings import Sandbox


class Batch(Configurable):
    workers = Integer(0, help="Submissions executed at once; 0: the number of CPUs.").tag(config=True)
    retrain_slots = Integer(0, help="Retraining jobs at once; 0: one per GPU, or 1 "
                                    "without GPUs.").tag(config=True)
    execute = Enum(["needed", "all"], "needed",
                   help="Which cells of a submission run while grading: 'needed', the cells a grade "
                        "depends on (the cell dependency graph, batch/needed.py; everything where it "
                        "cannot know), or 'all', every cell as nbgrader runs them. The others keep the "
                        "student's own outputs.").tag(config=True)
    reviewed = Dict(help="Flagged submissions you reviewed and trust: {student: the first "
                         "characters (8 or more) of the submission hash the report shows}. "
                         "A changed submission is withheld again.").tag(config=True)


def settings(course_dir, **overrides):
    """(Sandbox, Batch) configured from the course directory, then from ``overrides``
    given as {"Sandbox.enabled": False, ...}."""
    config = load_config(course_dir)
    for key, value in overrides.items():
        section, name = key.split(".")
        config[section][name] = value
    return Sandbox(config=config), Batch(config=config)
