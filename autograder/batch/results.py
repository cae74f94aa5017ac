"""Typed records handed from one grading stage to the next, each built and validated here.

A record crosses processes and the journal as JSON (``to_json``: a dict with a ``type`` tag);
``from_json`` validates on the way in, as ``untrusted/sandbox_output.py`` does for what a sandbox
hands back, and bounds every text a submission can reach: a student can add a line to what the
instructor reads, not megabytes.
"""
from dataclasses import asdict, dataclass

from ..untrusted.sandbox_output import clean_text

MAX_FLAGS = 60
SEVERITIES = ("notice", "tampering")


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9 else 0


@dataclass(frozen=True)
class Flag:
    """Something the grader noticed in a submission: ``tampering`` for the instructor to review,
    ``notice`` worth a look (a file left behind, a repaired notebook). ``cell``/``line`` 0: the
    submission as a whole."""
    why: str
    severity: str = "notice"
    cell: int = 0
    line: int = 0
    code: str = ""

    def __post_init__(self):
        # Unknown severities are reviewed rather than ignored: the safe side for a flag.
        object.__setattr__(self, "severity", self.severity if self.severity in SEVERITIES else "tampering")
        object.__setattr__(self, "why", clean_text(self.why, 300))
        object.__setattr__(self, "code", clean_text(self.code, 200))
        object.__setattr__(self, "cell", _int(self.cell))
        object.__setattr__(self, "line", _int(self.line))

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        """A Flag from its JSON; anything else (a list, a string) becomes a tampering flag
        saying the record was unreadable, never an exception."""
        if not isinstance(data, dict):
            return cls("left a notice the grader could not read", "tampering")
        return cls(data.get("why") or "", data.get("severity"), data.get("cell"), data.get("line"),
                   data.get("code") or "")

    def line_text(self):
        """One line for the terminal, the summary and the report."""
        where = f"cell {self.cell}, line {self.line}: " if self.cell else ""
        code = f": {self.code}" if self.code else ""
        return f"{self.severity}: {where}{self.why}{code}"


def bounded_flags(flags):
    """Flags (dicts or Flags) as validated JSON, at most MAX_FLAGS, tampering first, the rest
    counted in one last notice."""
    flags = [f if isinstance(f, Flag) else Flag.from_json(f) for f in (flags if isinstance(flags, list) else [])]
    if len(flags) > MAX_FLAGS:
        ordered = sorted(flags, key=lambda f: f.severity != "tampering")
        kept = ordered[:MAX_FLAGS - 1]
        flags = kept + [Flag(f"and {len(flags) - len(kept)} more notices")]
    return [f.to_json() for f in flags]


EXECUTION_STATES = ("completed", "unreadable", "timeout", "kernel_died", "failed", "no_observations",
                    "grader_fault")


def execution_result(student, content_hash, *, mode, sandboxed, seed=0, state="completed", message="", **rest):
    """An ExecutionResult (as JSON): what running one submission left, built here for every
    outcome (the sandbox's, or the grader's failure to start it). ``mode``: the cells asked
    for (c.Batch.execute); ``rest``: the stage's own fields (observations, flags, ...)."""
    if state not in EXECUTION_STATES:
        raise ValueError(f"Expected an execution state in {EXECUTION_STATES}. Received: {state!r}")
    record = {"type": "ExecutionResult", "student": student, "hash": content_hash, "state": state,
              "message": message, "duration_s": 0.0, "observations": None, "flags": [], "cell_errors": [],
              "sandboxed": bool(sandboxed), "seed": int(seed),
              "plan": {"mode": mode, "skipped": [], "reason": "", "requested": mode}}
    unknown = set(rest) - {"duration_s", "observations", "flags", "cell_errors", "refused", "plan"}
    if unknown:
        raise TypeError(f"Expected ExecutionResult fields. Received: {sorted(unknown)}")
    record.update(rest)
    return record
