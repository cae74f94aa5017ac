"""The outcome of one check, as it crosses process boundaries, and its one-line verdict: written
into a graded notebook's test cell by ``summary`` and read back from the gradebook's copy by
``parse_summary``, the only two places that know its format."""
import re
from dataclasses import asdict, dataclass

_SUMMARY = re.compile(r"\[(PASS|PARTIAL|FAIL)\] (\S+) \(([-+0-9.e]+)/([-+0-9.e]+)\): (.*)", re.S)


@dataclass
class CheckResult:
    name: str
    passed: bool
    points: float           # earned
    possible: float
    message: str
    duration_s: float = 0.0

    @property
    def score(self):
        return self.points

    def to_dict(self):
        return {"type": "CheckResult", **asdict(self)}

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        if data.pop("type", "CheckResult") != "CheckResult":
            raise ValueError(f"Expected a CheckResult. Received: type={data.get('type')!r}")
        return cls(**data)

    @property
    def mark(self):
        return "PASS" if self.passed else ("PARTIAL" if self.points > 0 else "FAIL")

    def summary(self):
        return f"[{self.mark}] {self.name} ({self.points:g}/{self.possible:g}): {self.message}"

    @classmethod
    def parse_summary(cls, text):
        """The CheckResult a ``summary()`` line states, or None for any other text."""
        found = _SUMMARY.fullmatch(text.strip()) if isinstance(text, str) else None
        if not found:
            return None
        mark, name, points, possible, message = found.groups()
        try:
            points, possible = float(points), float(possible)
        except ValueError:
            return None
        return cls(name, mark == "PASS", points, possible, message)
