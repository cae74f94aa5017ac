"""The named checks of the module, declared once with their points.

Two kinds. A model check (``from_model``) reads the model's config only (``Subject.description``
and friends), so the batch grader runs it outside the student's kernel. A check that must call
the student's functions is split in two: ``observe(subject, inputs)`` calls them on inputs
chosen at grading time (``GradingInputs``, from a seed the notebook cannot know in advance) and
returns plain data; the check function ``(outputs, inputs) -> problems`` judges that data. In
the batch only the observation runs in the kernel; the judging runs in the trusted grader.
In a notebook, ``Check.run`` does both in turn. A check with parts returns one ``Part`` per
requirement and earns the share of its points of the parts it meets (partial credit, recorded
through nbgrader's numeric test-cell output).

The source notebook's test cells carry the same names and points (a test keeps them equal).
"""
import time
from dataclasses import dataclass

from .inputs import GradingInputs
from .result import CheckResult
from .subject import Problem


@dataclass(frozen=True)
class Part:
    """One requirement of a check that gives partial credit: its share of the check's points
    (``weight`` against the other parts'), and what is wrong with it (nothing: it is met)."""
    label: str
    problems: tuple = ()
    weight: float = 1.0


def score_parts(parts, points):
    """(earned points, message) of a check's parts; the message says what each missed part cost."""
    total = sum(p.weight for p in parts) or 1.0
    earned, lines = 0.0, []
    for part in parts:
        share = points * part.weight / total
        if part.problems:
            lines.append(f"{part.label} (-{share:.3g} of {points:g}): " + "; ".join(part.problems))
        else:
            earned += share
    return round(earned, 2), " | ".join(lines)


@dataclass(frozen=True)
class Check:
    name: str
    exercise: int
    points: float
    hidden: bool
    description: str
    function: object
    from_model: bool = False    # judged from the model's config alone (see kernel.observe)
    observe: object = None      # (subject, inputs) -> outputs, for checks that call student code
    module: str = ""            # where it is declared: an assignment lists its check modules

    def run(self, subject, seed=None):
        """Run the check; any exception, the student's or ours, becomes a failed result."""
        if self.observe is None:
            return self._result(lambda: self.function(subject))
        inputs = GradingInputs(seed)
        record = self.observation(subject, inputs)
        return self.judge(record, inputs)

    def observation(self, subject, inputs):
        """{"outputs": ...} of the student's functions on ``inputs``, or {"problem": why not}."""
        try:
            return {"outputs": self.observe(subject, inputs)}
        except Problem as problem:
            return {"problem": str(problem)}

    def judge(self, record, inputs):
        """The CheckResult of an observation (which may come from a kernel: read as hostile)."""
        def problems():
            if not isinstance(record, dict):
                raise Problem("the check's observation is missing")
            if "problem" in record:
                raise Problem(str(record["problem"]))
            return self.function(record.get("outputs"), inputs)
        return self._result(problems)

    def _result(self, compute):
        start = time.perf_counter()
        try:
            problems = list(compute())
        except Problem as problem:
            problems = [str(problem)]
        except Exception as exc:  # an exception during grading is a result, not a crash
            problems = [f"the check could not run: {type(exc).__name__}: {exc}"]
        duration = time.perf_counter() - start
        if problems and all(isinstance(p, Part) for p in problems):
            earned, message = score_parts(problems, self.points)
            if earned >= self.points:
                return CheckResult(self.name, True, self.points, self.points, self.description, duration)
            return CheckResult(self.name, False, earned, self.points, message, duration)
        if problems:
            return CheckResult(self.name, False, 0.0, self.points, "; ".join(map(str, problems)), duration)
        return CheckResult(self.name, True, self.points, self.points, self.description, duration)


_DECLARED = {}


def declared():
    """Every check declared so far, by any assignment's modules."""
    return dict(_DECLARED)


def check(name, *, exercise, points, description, hidden=False, from_model=False, observe=None):
    """Register a check function under ``name`` (unique across the course's assignments).

    ``from_model``: the check reads only ``subject.description``/``model_config``/
    ``optimizer_config``, so the batch grader runs it outside the student's kernel.
    ``observe``: the check calls the student's code through this function, and the decorated
    function judges what it returned."""
    def register(function):
        if name in _DECLARED and _DECLARED[name].module != function.__module__:
            raise ValueError(f"Check {name!r} is declared twice ({_DECLARED[name].module} and "
                             f"{function.__module__}); check names are unique across a course.")
        if name in _DECLARED:
            raise ValueError(f"Check {name!r} is declared twice.")
        _DECLARED[name] = Check(name, exercise, points, hidden, description, function, from_model,
                                observe, function.__module__)
        return function
    return register


