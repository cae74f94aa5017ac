"""A course directory's own settings, read from its ``nbgrader_config.py``: which assignment it
grades (``c.Course.*``) and how ``autograder collect`` reads a download (``c.Collect.*``).
Shipped in the student package only because ``assignment`` names it; only the instructor's
commands read a course's configuration."""
import os

from traitlets import List, Unicode
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader


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
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=course_dir).load_config()
