"""What crosses from the sandbox to the grader, as typed records; parsing is validation.

Everything here comes from a process the student's code ran beside: sizes, nesting depth,
types, numbers and text are checked before the grader uses any of it. A record that fails
becomes that student's problem with a reason (a ``problem`` on a model, a failed status),
never an exception in the grader.
"""
import json
import math
import os
import re
from dataclasses import dataclass, field

from . import files
from ..assignment import current
from ..retrain.safety import json_depth

MAX_TEXT = 2000
MAX_LINE_BYTES = 64 * 2**20          # the executed notebook travels in one line
MAX_CONFIG_BYTES = 2**20             # a model config (the module's are about 5 KB)
MAX_OPTIMIZER_BYTES = 64 * 2**10
MAX_DEPTH = 64
MAX_SWEEP = 32
MAX_FINDINGS = 20
EXECUTION_STATES = ("completed", "kernel_died", "failed")
# Lists and objects a JSON text may hold before it is parsed: each costs about 60-100 bytes of
# the grader's memory, so a few MB of "[]," would take gigabytes in every process that reads the
# notebook (execute, record, the report). A notebook of the module holds a few hundred.
MAX_CONTAINERS = 1_000_000
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


class RecordInvalid(ValueError):
    """A record from the sandbox that the grader will not use; the message says why."""


def clean_text(value, limit=MAX_TEXT):
    """Text safe to store, print and write in any encoding: str, lone surrogates and control
    characters replaced, at most ``limit`` characters."""
    if not isinstance(value, str):
        value = str(value)
    value = value[:limit]
    value = value.encode("utf-8", "replace").decode("utf-8")
    return "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in value)


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def json_containers(data):
    """How many lists and objects the JSON text ``data`` holds, counted without parsing it (the
    brackets inside its strings are not counted)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    bare = _JSON_STRING.sub(b"", data)
    return bare.count(b"[") + bare.count(b"{")


def too_many_containers(data, what):
    """A sentence saying ``data`` holds too many lists and objects to be parsed, or ''."""
    count = json_containers(data)
    if count <= MAX_CONTAINERS:
        return ""
    return (f"the {what} holds {count:,} JSON lists and objects, more than the {MAX_CONTAINERS:,} the grader "
            "parses (a notebook of this assignment holds a few hundred)")


def loads(text, *, max_bytes, max_depth=MAX_DEPTH, what="record"):
    """json.loads within a size, a count of lists and objects and a depth; RecordInvalid otherwise."""
    raw = text      # counted as it came: bytes are not encoded again
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise RecordInvalid(f"the {what} is {len(text) // 1024} KB, more than the {max_bytes // 1024} KB allowed")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordInvalid(f"the {what} is not UTF-8 text") from None
    if not isinstance(text, str):
        raise RecordInvalid(f"the {what} is not text. Received: {type(text).__name__}")
    if len(text) > max_bytes:
        raise RecordInvalid(f"the {what} is {len(text) // 1024} KB, more than the {max_bytes // 1024} KB allowed")
    too_many = too_many_containers(raw, what)
    if too_many:
        raise RecordInvalid(too_many)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise RecordInvalid(f"the {what} is nested more deeply than {max_depth} levels") from None
    except ValueError as exc:
        raise RecordInvalid(f"the {what} is not valid JSON ({clean_text(exc, 200)})") from None
    if json_depth(value) > max_depth:
        raise RecordInvalid(f"the {what} is nested more deeply than {max_depth} levels")
    return value


def _clean_strings(value):
    """The JSON value with every key and string made safe text (names may carry anything)."""
    if isinstance(value, dict):
        return {clean_text(k, 10_000): _clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_strings(v) for v in value]
    if isinstance(value, str):
        return clean_text(value, 10_000)
    return value


def _finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ModelObservation:
    """What the kernel extracted from one builder's model: its Keras config (JSON text), the
    optimizer it was compiled with, the arguments it was built with; or why it could not."""
    config: str = None
    optimizer: dict = None
    args: tuple = ()
    problem: str = None

    @classmethod
    def from_json(cls, builder, data):
        if not isinstance(data, dict):
            return cls(problem=f"`{builder}()`: the grader received no description of its model")
        if "problem" in data:
            return cls(problem=clean_text(data["problem"]))
        try:
            config = data.get("config")
            parsed = loads(config, max_bytes=MAX_CONFIG_BYTES, what="model's config")
            if not isinstance(parsed, dict) or not isinstance(parsed.get("class_name"), str):
                raise RecordInvalid("the model's config is not a Keras model config")
            optimizer = data.get("optimizer")
            if optimizer is not None:
                text = json.dumps(optimizer)
                optimizer = loads(text, max_bytes=MAX_OPTIMIZER_BYTES, max_depth=16, what="optimizer's config")
                if not isinstance(optimizer, dict):
                    raise RecordInvalid("the optimizer's config is not a Keras optimizer config")
            args = data.get("args") or []
            if not isinstance(args, list) or len(args) > 4 or not all(_finite(a) for a in args):
                raise RecordInvalid(f"the builder's arguments are not numbers. Received: {clean_text(args, 100)}")
        except (RecordInvalid, TypeError, ValueError) as exc:
            return cls(problem=f"`{builder}()`: {clean_text(exc)}")
        return cls(config=json.dumps(_clean_strings(parsed)), optimizer=_clean_strings(optimizer), args=tuple(args))

    def to_json(self):
        if self.problem is not None:
            return {"problem": self.problem}
        return {"config": self.config, "optimizer": self.optimizer, "args": list(self.args)}


MAX_OUTPUT_BYTES = 512 * 2**10


@dataclass(frozen=True)
class KernelObservation:
    """What a check's observation saw the student's functions return (``outputs``, judged by
    the grader), or why it could not call them (``problem``)."""
    outputs: object = None
    problem: str = None

    @classmethod
    def from_json(cls, data):
        if not isinstance(data, dict) or not ("outputs" in data or "problem" in data):
            raise RecordInvalid("an observation needs `outputs` or a `problem`")
        if "problem" in data:
            return cls(problem=clean_text(data["problem"]))
        outputs = loads(json.dumps(data["outputs"], allow_nan=True), max_bytes=MAX_OUTPUT_BYTES,
                        max_depth=12, what="check's observation")
        return cls(outputs=_clean_strings(outputs))

    def to_json(self):
        return {"problem": self.problem} if self.problem is not None else {"outputs": self.outputs}


@dataclass
class Observations:
    """Everything the observation cells reported, merged in the order they ran; the first
    observation of a builder or a check is the one that counts."""
    models: dict = field(default_factory=dict)      # builder -> ModelObservation
    checks: dict = field(default_factory=dict)      # check name -> KernelObservation
    sweep: dict = None                              # str(rate) -> best validation accuracy
    tampered: list = field(default_factory=list)

    def merge(self, data, kernel_checks):
        """Add one observation cell's record; what does not validate is left out."""
        if not isinstance(data, dict):
            return
        models = data.get("models") if isinstance(data.get("models"), dict) else {}
        for builder in current().builders():
            if builder in models and builder not in self.models:
                self.models[builder] = ModelObservation.from_json(builder, models[builder])
        checks = data.get("checks") if isinstance(data.get("checks"), dict) else {}
        for name in kernel_checks:
            if name in checks and name not in self.checks:
                try:
                    self.checks[name] = KernelObservation.from_json(checks[name])
                except RecordInvalid as exc:
                    self.checks[name] = KernelObservation(problem=f"the grader could not read what it observed: {exc}")
        if self.sweep is None:
            self.sweep = _sweep(data.get("sweep"))
        found = data.get("tampered")
        if isinstance(found, list):
            for what in found[:MAX_FINDINGS]:
                text = clean_text(what, 300)
                if text not in self.tampered and len(self.tampered) < MAX_FINDINGS:
                    self.tampered.append(text)

    def to_json(self):
        return {"type": "Observations", "models": {b: m.to_json() for b, m in self.models.items()},
                "checks": {n: o.to_json() for n, o in self.checks.items()},
                "sweep": self.sweep, "tampered": list(self.tampered)}

    @classmethod
    def from_json(cls, data, kernel_checks):
        """From a journal's ``to_json`` (re-validated: the journal is only as good as its input)."""
        out = cls()
        if isinstance(data, dict):
            out.merge(data, kernel_checks)
        return out


def _sweep(value):
    if not isinstance(value, dict) or not value or len(value) > MAX_SWEEP:
        return None
    out = {}
    for rate, acc in value.items():
        try:
            rate = float(rate)
        except (TypeError, ValueError):
            return None
        if not (math.isfinite(rate) and _finite(acc) and 0.0 <= acc <= 1.0):
            return None
        out[str(rate)] = float(acc)
    return out


# What the release's sweep cell prints, one line per rate.
_PRINTED_SWEEP = re.compile(r"^dropout (\d(?:\.\d{1,4})?): best (0\.\d{1,8}|1\.0+)\b", re.MULTILINE)
MAX_NOTEBOOK_BYTES = 64 * 2**20


def printed_sweep(path, base=None):
    """{rate: best validation accuracy} as the submitted notebook's sweep cell printed it when
    the student ran it (their own budget, not verified by anyone), or None. The file is the
    student's: read through ``files`` (below ``base``), size-bounded; any failure
    is just "no sweep"."""
    try:
        data = files.read_path(path, MAX_NOTEBOOK_BYTES, base=base)
        notebook = loads(data, max_bytes=MAX_NOTEBOOK_BYTES, what="notebook")
    except (OSError, files.Unreadable, RecordInvalid):
        return None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    for cell in cells if isinstance(cells, list) else []:
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            text = output.get("text") if isinstance(output, dict) and output.get("name") == "stdout" else None
            text = "".join(t for t in text if isinstance(t, str)) if isinstance(text, list) else text
            if not isinstance(text, str):
                continue
            found = {str(float(rate)): float(acc) for rate, acc in _PRINTED_SWEEP.findall(text[:100_000])}
            if found:
                return _sweep(found)
    return None


@dataclass
class KernelReport:
    """What came out of one sandbox: observations, the executed notebook, the run's status,
    and what the grader refused of it."""
    observations: Observations = None
    notebook: str = None            # the executed notebook (nbformat JSON text), for the record
    state: str = "failed"
    message: str = ""
    duration_s: float = 0.0
    refused: list = field(default_factory=list)
    reported: bool = False          # the runner's final status arrived



def parse_channel(data, kernel_checks, truncated=False):
    """The KernelReport of the bytes an ``inside`` run wrote to its channel."""
    report, observations, status = KernelReport(), Observations(), None
    seen_observation = False
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = loads(line, max_bytes=MAX_LINE_BYTES, what="record from the sandbox")
        except RecordInvalid as exc:
            report.refused.append(str(exc))
            continue
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "Observation":
            seen_observation = True
            observations.merge(record.get("data"), kernel_checks)
        elif kind == "ExecutedNotebook" and isinstance(record.get("notebook"), str):
            report.notebook = record["notebook"]
        elif kind == "ExecutionStatus" and status is None:
            status = record
    if truncated:
        report.refused.append(f"the sandbox wrote more than {MAX_LINE_BYTES // 2**20} MB back; the rest was dropped")
    report.observations = observations if seen_observation else None
    if status is not None:
        report.reported = True
        state = status.get("state")
        report.state = state if state in EXECUTION_STATES else "failed"
        report.message = clean_text(status.get("message", ""), 1000)
        duration = status.get("duration_s")
        report.duration_s = float(duration) if _finite(duration) and duration >= 0 else 0.0
    return report
