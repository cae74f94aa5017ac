"""Stage 2, trusted: turn what a notebook left into check results.

Checks marked ``from_model`` run here against the extracted model configs (described, and
retrained by ``autograder.retrain`` in a clean process); the others are judged here from what
the kernel observed the student's functions return on the grading-time inputs (rebuilt from
the execution's seed). Input: an ExecutionResult dict. Output: a Judgement dict.
"""
import contextlib
import io

from ..assignment import current
from ..checks import CheckResult, ExtractedSubject, kernel_checks
from ..checks.inputs import GradingInputs
from ..untrusted.sandbox_output import Observations, clean_text
from .results import bounded_flags
from ..retrain.runner import job_spec
from .suspicious import against_grader



STATE_REASONS = {
    "unreadable": "the submission could not be read: {message}",
    "timeout": "{message}",
    "kernel_died": "{message}",
    "failed": "the notebook could not be run: {message}",
    "no_observations": "{message}",
    "grader_fault": "the grading machine failed: {message}",
}


def execution_reason(execution):
    """One sentence on why a notebook left nothing to judge, or '' when it ran through."""
    state = execution.get("state", "failed")
    if state == "completed":
        return clean_text(execution.get("message") or "")
    return clean_text(STATE_REASONS.get(state, "{message}").format(message=execution.get("message", ""))).strip()


def _interrupted(execution):
    """'cell 25 ran longer than 300 s and was interrupted', when a cell was stopped at its time
    limit and the notebook went on: the checks it broke say so."""
    message = str(execution.get("message") or "")
    return message if execution.get("state") == "completed" and "was interrupted" in message else ""


class _Subject(ExtractedSubject):
    def __init__(self, models, reason, outcomes=None):
        super().__init__(models)
        self.reason = reason
        if outcomes is not None:
            self.retrain = stage_outcomes(outcomes)

    def _entry(self, builder):
        if self.reason and builder not in self.models:
            from ..checks import Problem
            raise Problem(f"`{builder}()` could not be examined: {self.reason}")
        return super()._entry(builder)


def stage_outcomes(outcomes):
    """``retrain``'s signature over the retrain stage's outcomes ({job key: result}): a model the
    stage did not retrain is the machine's fault (the grade waits for a re-run), never a
    training here."""
    def lookup(config, protocol, profile=None, *, optimizer=None):
        key = job_spec(config, protocol, profile, optimizer)[-1]
        found = outcomes.get(key)
        if not isinstance(found, dict):
            return {"type": "RetrainError", "key": key, "infrastructure": True, "phase": "stage",
                    "message": "the batch's retraining stage has no result for this model"}
        return dict(found, key=key)
    return lookup


def withheld_reason(flags):
    """Why the observed checks of a submission that tampers with the grader itself (the only
    code that could forge an observation) earn nothing yet, or ''."""
    found = against_grader(flags)
    if not found:
        return ""
    first = found[0]
    where = f" (cell {first['cell']}, line {first['line']}: `{first['code']}`)" if first.get("code") else ""
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    return (f"withheld for review: the notebook {first['why']}{where}{more}, so this check's "
            "result, observed in its kernel, cannot be trusted; your instructor reviews it "
            "and can restore the points")


def _from_kernel(check, observed, inputs, reason, withheld=""):
    """The check judged here from what the kernel observed the student's functions return."""
    if observed is None:
        why = reason or "its test cell did not run (was it deleted, or did the notebook stop before it?)"
        return CheckResult(check.name, False, 0.0, check.points, f"the check could not run: {why}")
    result = check.judge(observed.to_json(), inputs)
    if result.passed and withheld:
        return CheckResult(check.name, False, 0.0, check.points, withheld)
    return result


def judge_safely(execution, checks, reviewed=False, outcomes=None):
    """``judge``, with any exception turned into this student's judgement: every check failed,
    the reason said (the batch goes on)."""
    try:
        return judge(execution, checks, reviewed=reviewed, outcomes=outcomes)
    except Exception as exc:
        reason = f"the grader could not judge this submission: {type(exc).__name__}: {clean_text(exc, 300)}"
        results = [CheckResult(c.name, False, 0.0, c.points, reason) for c in checks.values()]
        return judgement_record(execution, results, state="failed", reason=reason, reviewed=reviewed)


def execution_errors(execution):
    """The cells that raised when the notebook ran, as the report lists them (validated)."""
    errors = execution.get("cell_errors") if isinstance(execution.get("cell_errors"), list) else []
    return [{"cell": e["cell"], "error": clean_text(e.get("error") or "", 200)} for e in errors[:10]
            if isinstance(e, dict) and isinstance(e.get("cell"), int) and not isinstance(e.get("cell"), bool)]


def execution_plan(execution):
    """What ran of the notebook, as the feedback and the report say it: {"mode", "skipped" (the
    number of code cells not run), "reason"} (read from the execution record: validated)."""
    plan = execution.get("plan") if isinstance(execution.get("plan"), dict) else {}
    skipped = plan.get("skipped") if isinstance(plan.get("skipped"), list) else []
    return {"mode": plan.get("mode") if plan.get("mode") in ("needed", "all") else "all",
            "skipped": len(skipped), "reason": clean_text(plan.get("reason") or "", 300)}


def judge(execution, checks, reviewed=False, outcomes=None):
    """A Judgement dict: one CheckResult per check of ``checks`` (the assignment's), in its order.

    ``reviewed``: the instructor has reviewed this (flagged) submission and trusts its kernel.
    ``outcomes``: the retrain stage's {job key: result}; None retrains what the accuracy checks
    ask for (or reads the cache), as outside a batch."""
    observations = Observations.from_json(execution.get("observations"), kernel_checks(checks))
    reason = execution_reason(execution)
    subject = _Subject({b: m.to_json() for b, m in observations.models.items()}, reason, outcomes)
    inputs = GradingInputs(execution.get("seed") if isinstance(execution.get("seed"), int) else 0)
    withheld = "" if reviewed else withheld_reason(bounded_flags(execution.get("flags")))
    results = []
    with contextlib.redirect_stdout(io.StringIO()) as log:
        for name, check in checks.items():
            if check.from_model:
                results.append(check.run(subject))
            else:
                results.append(_from_kernel(check, observations.checks.get(name), inputs, reason, withheld))
    interrupted = _interrupted(execution)
    for result in results:      # student text reaches every message: make it safe to write anywhere
        if interrupted and not result.passed and interrupted not in result.message:
            result.message = f"{result.message} (note: {interrupted}, which may be why)"
        result.message = clean_text(result.message)
    state = execution.get("state")
    if subject.faults:
        state, reason = "grader_fault", "the grading machine failed: " + "; ".join(subject.faults)
    return judgement_record(execution, results, state=state, reason=reason, reviewed=reviewed,
                            log=log.getvalue()[-4000:], sweep=observations.sweep, retrained=_retrained(subject),
                            withheld=bool(withheld))


def judgement_record(execution, results, *, state, reason, reviewed, log="", sweep=None, retrained=None,
                     withheld=False):
    """A Judgement (as JSON), built here for every outcome: the checks' results of one execution
    and what the feedback and the report read beside them (every text bounded and made inert)."""
    return {"type": "Judgement", "student": execution.get("student"), "hash": execution.get("hash"),
            "state": state, "reason": clean_text(reason or ""),
            "score": sum(r.points for r in results), "possible": sum(r.possible for r in results),
            "results": [r.to_dict() for r in results], "log": log, "sweep": sweep, "retrained": retrained or {},
            "flags": bounded_flags(execution.get("flags")), "withheld": bool(withheld),
            "reviewed": bool(reviewed), "plan": execution_plan(execution), "cell_errors": execution_errors(execution)}


def _retrained(subject):
    """The retraining results the accuracy checks used, for the class report and the student's
    feedback: the grader's own numbers, its validation curve and the threshold it was held to."""
    from ..retrain import current_profile
    from ..retrain.thresholds import threshold
    out = {}
    for check_name, builder, protocol in current().retrained():
        value = subject.cached(("retrained", builder, protocol))
        if not value:
            continue
        history = value.get("history") if isinstance(value.get("history"), dict) else {}
        try:
            args = list(subject.builder_args(builder))
            minimum = threshold(check_name, builder, current_profile(), args=tuple(args))
        except Exception:       # the check itself has reported it; the report just leaves it out
            args, minimum = [], None
        rate = ((subject.optimizer_config(builder) or {}).get("config") or {}).get("learning_rate")
        out[builder] = {**{k: value.get(k) for k in ("best_val_acc", "final_val_acc", "epochs_run", "key")},
                        "check": check_name, "label": subject.label(builder), "threshold": minimum,
                        "args": args, "learning_rate": rate if isinstance(rate, (int, float)) else None,
                        "val_accuracy": [float(v) for v in (history.get("val_accuracy") or [])][:500]}
    return out
