"""An assignment, declared once: its checks, the models its notebook builds, how the grader
retrains them, their reference solutions and the accuracy checks derived from those.

Everything else reads the assignment in force (``current()``): the kernel's observations
(which models to extract at which test cell), the judge (which checks, in which order), the
accuracy checks and their thresholds, calibration, the feedback's curves, the class report,
nbgrader's folders. A course says which assignment it grades in its ``nbgrader_config.py``:

    c.Course.assignment = "regularization"   # the nbgrader assignment id (default: the spec's)
    c.Course.spec = "autograder.module07"    # a module defining SPEC
    c.Course.spec_path = []                  # folders (course-relative) holding it

The spec module and its check modules are read by the student's kernel too (it observes the
checks), so ``spec_path`` folders are bound read-only into the sandbox: keep the reference
solutions elsewhere (``ModelSpec.reference`` names them; only the grader imports them).
"""
import hashlib
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field, replace

DEFAULT_SPEC = "autograder.module07"
# How the assignment in force reaches the processes the grader starts (kernels, nbgrader).
SPEC_VARIABLE, SPEC_PATH_VARIABLE, NAME_VARIABLE = "AUTOGRADER_SPEC", "AUTOGRADER_SPEC_PATH", "AUTOGRADER_ASSIGNMENT"
COURSE_VARIABLE = "AUTOGRADER_COURSE_DIR"


class SpecError(ValueError):
    """The assignment's declaration is wrong; the message says where and what to write."""


@dataclass(frozen=True)
class ModelSpec:
    """A model the notebook's function ``builder`` returns: extracted at the exercise's first
    model check, described by the structure checks, retrained by the accuracy checks.

    ``protocol``: how the grader retrains it (``retrain.protocols``); "" when it is only
    described. ``reference``: where the reference builder of the same name is, a module name
    or a ``.py`` file relative to the course directory (calibration, feedback curves).
    ``args``: ``subject -> tuple``, the arguments the grader builds the student's model with
    (default none); ``calibrate_args``: the argument tuples the reference is calibrated at,
    each with its own threshold. ``given``: the builder is the module's own code, not the
    student's answer: the model it returns must be the reference's at the same arguments
    (else a student could redefine it as another network and have that retrained)."""
    builder: str
    exercise: int
    protocol: str = ""
    reference: str = ""
    args: object = None
    calibrate_args: tuple = ((),)
    given: bool = False

    def builder_args(self, subject):
        return tuple(self.args(subject)) if self.args is not None else ()


@dataclass(frozen=True)
class Accuracy:
    """A hidden check: ``models`` (builders), retrained by the grader, each reach the threshold
    calibrated from its reference (or the module's ``bars``, {profile: accuracy}); with several
    models each earns its share of the points."""
    check: str
    exercise: int
    points: float
    models: tuple
    description: str
    bars: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Assignment:
    name: str                       # nbgrader's assignment id (c.Course.assignment may rename it)
    title: str
    checks: tuple                   # modules declaring the visible checks (``registry.check``)
    models: tuple = ()              # ModelSpec
    accuracy: tuple = ()            # Accuracy
    hidden_checks: tuple = ()       # modules declaring hidden checks (absent from a student's package)
    thresholds: str = "reference/thresholds.json"   # course-relative; `autograder calibrate` writes it
    # Read while the course has no thresholds file of its own: a calibration shipped with the
    # spec (Module 07's, in the grader's package). The course's own file always wins.
    default_thresholds: str = ""
    student_package: bool = False   # `autograder release` builds Module 07's student wheel
    course_dir: str = ""            # where relative paths are read from (set by ``activate``)

    # ---- what the rest of the grader derives ----------------------------------------------
    def model(self, builder):
        for spec in self.models:
            if spec.builder == builder:
                return spec
        raise KeyError(f"Expected a model of assignment '{self.name}' ({', '.join(self.builders())}). "
                       f"Received: {builder!r}")

    def builders(self, exercise=None):
        """The builders of ``exercise`` (all when None), in declaration order."""
        return tuple(m.builder for m in self.models if exercise in (None, m.exercise))

    def retrained(self):
        """[(accuracy check name, builder, protocol)] in the order of the accuracy checks."""
        return [(a.check, b, self.model(b).protocol) for a in self.accuracy for b in a.models]

    def accuracy_for(self, check):
        return next((a for a in self.accuracy if a.check == check), None)

    def path(self, relative):
        return relative if os.path.isabs(relative) else os.path.join(self.course_dir, relative)

    @property
    def thresholds_path(self):
        """The course's thresholds file: where calibration writes, and what grading reads."""
        return self.path(self.thresholds)

    @property
    def thresholds_in_force(self):
        """The file grading reads: the course's own, else the spec's shipped default."""
        own = self.thresholds_path
        if os.path.exists(own) or not self.default_thresholds:
            return own
        return self.default_thresholds

    def notebook_path(self, course_dir, folder, student=None):
        """The notebook in one of nbgrader's folders: source/release, or submitted/autograded
        (per student)."""
        parts = [course_dir, folder] + ([student] if student else []) + [self.name, f"{self.name}.ipynb"]
        return os.path.join(*parts)

    def feedback_path(self, course_dir, student):
        """The student's HTML feedback, where nbgrader's generate_feedback writes it."""
        return os.path.join(course_dir, "feedback", student, self.name, f"{self.name}.html")

    def fingerprint(self):
        """A digest of the declaration's and its check modules' source files: a judgement made
        under another version of them is redone."""
        digest = hashlib.sha256(repr((self.name, self.thresholds)).encode())
        # A course's own folders as they are on disk now; a spec in an installed package (Module
        # 07's) by its modules' files.
        files = sorted(os.path.join(root, n) for folder in spec_paths() for root, _, names in os.walk(folder)
                       for n in names if n.endswith(".py"))
        if not files:
            for name in (os.environ.get(SPEC_VARIABLE) or DEFAULT_SPEC, *self.checks, *self.hidden_checks):
                try:
                    files.append(importlib.util.find_spec(name).origin)
                except (ImportError, AttributeError, ValueError):
                    files.append(name)
        for path in files:
            try:
                with open(path, "rb") as f:
                    digest.update(path.encode() + b"\0" + f.read())
            except (OSError, TypeError):
                digest.update(str(path).encode() + b"\0missing")
        return digest.hexdigest()

    def _reference_location(self, model):
        """Where ``model``'s reference builder is, found without running it: ("module", name) for
        a packaged module, else ("file", path)."""
        where = model.reference
        if not where:
            raise SpecError(f"{self.name}: model {model.builder!r} names no reference "
                            "(ModelSpec(reference=...)), so it cannot be calibrated")
        if not where.endswith(".py"):
            # A module name: the course's own copy (course_dir/reference/exercise2.py for
            # "reference.exercise2") when it has one, else the packaged module.
            own = self.path(where.replace(".", os.sep) + ".py")
            found = importlib.util.find_spec(where)
            packaged = found.origin if found is not None else None
            if not os.path.isfile(own) or (packaged and os.path.realpath(own) == os.path.realpath(packaged)):
                return "module", where
            where = os.path.relpath(own, self.course_dir)
        return "file", self.path(where)

    def reference_code(self, model):
        """The source files ``model``'s reference is built from, read without running them: its
        file and the other Python files of its folder (the references import one another)."""
        kind, where = self._reference_location(model)
        if kind == "module":
            found = importlib.util.find_spec(where)
            where = found.origin if found is not None else None
        if not where or not os.path.isfile(where):
            raise SpecError(f"{self.name}: the reference of {model.builder!r} is not at {where}")
        folder = os.path.dirname(os.path.abspath(where))
        return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".py"))

    def reference_module(self, model):
        """The module holding ``model``'s reference builder (the grader's process only)."""
        kind, path = self._reference_location(model)
        if kind == "module":
            return importlib.import_module(path)
        # Named by its path: two courses' (or terms') copies of one file name stay apart.
        digest = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:12]
        name = f"_autograder_reference_{self.name}_{os.path.splitext(os.path.basename(path))[0]}_{digest}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or not os.path.isfile(path):
            raise SpecError(f"{self.name}: the reference of {model.builder!r} is not at {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module


def load(spec_name, paths=(), course_dir="", name=""):
    """The Assignment ``spec_name``.SPEC, with ``paths`` on sys.path first."""
    for folder in reversed([p for p in paths if p]):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        module = importlib.import_module(spec_name)
    except ModuleNotFoundError as exc:
        raise SpecError(f"the assignment's spec module {spec_name!r} cannot be imported ({exc}); "
                        "set c.Course.spec to a module defining SPEC, and c.Course.spec_path to "
                        "the folder holding it") from None
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, Assignment):
        raise SpecError(f"Expected {spec_name}.SPEC to be an autograder.assignment.Assignment. "
                        f"Received: {type(spec).__name__}")
    return replace(spec, name=name or spec.name, course_dir=course_dir)


_ACTIVE = {}


def current():
    """The assignment in force: the one ``activate`` chose, else the one the environment names
    (a kernel, nbgrader's subprocesses), else Module 07's."""
    if "spec" not in _ACTIVE:
        paths = [p for p in os.environ.get(SPEC_PATH_VARIABLE, "").split(os.pathsep) if p]
        # Nothing activated: this checkout is the course directory (Module 07's).
        course_dir = os.environ.get(COURSE_VARIABLE) or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        _ACTIVE["spec"] = load(os.environ.get(SPEC_VARIABLE) or DEFAULT_SPEC, paths, course_dir,
                               os.environ.get(NAME_VARIABLE, ""))
    return _ACTIVE["spec"]


def course_spec(course_dir):
    """(spec module, absolute spec folders, assignment id) of ``course_dir``'s nbgrader_config.py."""
    from .course_config import Course, load_config
    course = Course(config=load_config(course_dir))
    paths = [os.path.realpath(os.path.join(course_dir, p)) for p in course.spec_path]
    return course.spec, paths, course.assignment


def activate(course_dir):
    """Make ``course_dir``'s assignment the one in force here and in the processes started
    from here (they read the environment); returns it."""
    course_dir = os.path.abspath(course_dir)
    spec_name, paths, name = course_spec(course_dir)
    spec = load(spec_name, paths, course_dir, name)
    os.environ.update({SPEC_VARIABLE: spec_name, SPEC_PATH_VARIABLE: os.pathsep.join(paths),
                       NAME_VARIABLE: spec.name, COURSE_VARIABLE: course_dir})
    _ACTIVE["spec"] = spec
    return spec


def spec_paths():
    """The folders of the assignment in force that its kernels must read (for the sandbox)."""
    return [p for p in os.environ.get(SPEC_PATH_VARIABLE, "").split(os.pathsep) if p]
