"""The batch grader's settings, declared in the course's ``nbgrader_config.py``.

    c.Sandbox.memory_mb = 8192
    c.Batch.workers = 4
"""
import os

from traitlets import Bool, Dict, Enum, Float, Integer, List, Unicode
from traitlets.config import Configurable
from traitlets.config.loader import PyFileConfigLoader


class Sandbox(Configurable):
    enabled = Bool(True, help="Run each submission's kernel under bubblewrap. Turning it off "
                              "runs student code with the grader's rights.").tag(config=True)
    cell_timeout_s = Integer(300, help="Wall time of one cell; the kernel is interrupted "
                                       "after it and the next cell runs.").tag(config=True)
    submission_timeout_s = Integer(900, help="Wall time of a whole submission, kernel start "
                                             "included; the sandbox is killed after it.").tag(config=True)
    memory_mb = Integer(8192, help="Address space of each sandboxed process (RLIMIT_AS); "
                                   "TensorFlow alone maps about 3 GB.").tag(config=True)
    total_memory_mb = Integer(0, help="Memory of one sandbox as a whole, all its processes together "
                                      "(a cgroup bound, applied where the grader may write the cgroup "
                                      "tree). 0: 80% of the machine's memory shared equally by the "
                                      "workers.").tag(config=True)
    max_processes = Integer(1024, help="Processes and threads of one sandbox (RLIMIT_NPROC "
                                       "of its own user id when the grader runs as root).").tag(config=True)
    max_file_mb = Integer(200, help="Largest file a submission may write (RLIMIT_FSIZE), the "
                                    "executed notebook included.").tag(config=True)
    max_output_kb = Integer(256, help="Output kept per cell in the executed notebook.").tag(config=True)
    cpus = Float(0.0, help="CPUs one sandbox may use: a cgroup CPU quota, applied where the "
                           "grader may write the cgroup tree (as root). 0: the machine's CPUs "
                           "shared equally by the workers.").tag(config=True)
    scratch_dir = Unicode("", help="Where each submission's scratch copy is made (default: the "
                                   "system's temporary folder); the sandbox's user must be able to "
                                   "traverse it, as it can /tmp.").tag(config=True)


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


class Course(Configurable):
    """Which assignment this course directory grades (``autograder.assignment``). Not
    ``c.CourseDirectory.assignment_id``: nbgrader's commands refuse an assignment given both
    there and as their argument."""
    assignment = Unicode("", help="The nbgrader assignment id graded here (its folders under "
                                  "source/, release/, submitted/); default: the spec's name.").tag(config=True)
    spec = Unicode("autograder.module07", help="The module defining SPEC, the assignment's "
                                               "declaration.").tag(config=True)
    spec_path = List(Unicode(), help="Folders (relative to the course directory) holding the spec "
                                     "and its check modules: put on sys.path, and bound read-only "
                                     "into the sandbox (keep the reference solutions out of "
                                     "them).").tag(config=True)
    lms_assignment_id = Unicode("", help="The LMS's own id of this assignment (Canvas: the number in "
                                         "the assignment's URL), written where the LMS's grade import "
                                         "matches columns by it (Canvas: 'Title (id)').").tag(config=True)


class Collect(Configurable):
    """How ``autograder collect`` reads whose notebook a downloaded file is."""
    patterns = List(Unicode(), help="Regular expressions tried before the LMS layouts the grader "
                                    "knows, each matched (re.match) against a notebook's path inside "
                                    "the download ('/' between folders); its group 'student' is the "
                                    "student's id (looked up in --roster when one is given), an optional "
                                    "group 'name' their name. Example, a Blackboard assignment whose "
                                    "title holds underscores: r'^Module_07_(?P<student>.+)_attempt_'."
                          ).tag(config=True)


def load_config(course_dir):
    """The traitlets Config of ``course_dir/nbgrader_config.py`` (empty when there is none)."""
    if not os.path.exists(os.path.join(course_dir, "nbgrader_config.py")):
        from traitlets.config import Config
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=course_dir).load_config()


def settings(course_dir, **overrides):
    """(Sandbox, Batch) configured from the course directory, then from ``overrides``
    given as {"Sandbox.enabled": False, ...}."""
    config = load_config(course_dir)
    for key, value in overrides.items():
        section, name = key.split(".")
        config[section][name] = value
    return Sandbox(config=config), Batch(config=config)
