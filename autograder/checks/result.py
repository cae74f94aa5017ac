"""The outcome of one check, as it crosses process boundaries."""
from dataclasses import asdict, dataclass


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

    def summary(self):
        mark = "PASS" if self.passed else ("PARTIAL" if self.points > 0 else "FAIL")
        return f"[{mark}] {self.name} ({self.points:g}/{self.possible:g}): {self.message}"
