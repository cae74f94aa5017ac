"""Accuracy checks, judged by retraining the model the grader built, never by numbers the
notebook printed or a History it made. One per ``assignment.Accuracy`` of the assignment's
declaration; the student's package does not ship this module."""
import functools

from ..assignment import current
from ..model_description import describe_model, load_config
from ..retrain import current_profile, get_protocol, retrain
from ..retrain.thresholds import threshold  # noqa: I001  (retrain: loads the runner on first call only)
from .registry import Check, Part
from .structure import describe_layout
from .subject import GraderFault, Problem


def retrain_jobs(subject):
    """The retraining jobs the accuracy checks of ``subject`` will ask for, as
    (config, protocol, optimizer); models that cannot be extracted are left out."""
    jobs = []
    for _check, builder, protocol in current().retrained():
        try:
            jobs.append((subject.model_config(builder), protocol, subject.optimizer_config(builder)))
        except Problem:
            pass
    return jobs


def retrained(subject, builder, protocol_name):
    """Retrain the model ``builder()`` returned (built once) in a clean process."""
    def run():
        config = subject.model_config(builder)
        result = (getattr(subject, "retrain", None) or retrain)(config, protocol_name, current_profile(),
                                                               optimizer=subject.optimizer_config(builder))
        if result.get("infrastructure"):
            subject.faults.append(f"retraining `{subject.label(builder)}`: {result['message'][:300]}")
            raise GraderFault(f"`{subject.label(builder)}` could not be retrained because the grading "
                              "machine failed; this is not held against you, the grade waits for a re-run")
        if result["type"] == "RetrainRefused":
            raise Problem(f"`{subject.label(builder)}`: the grader cannot retrain this model: {result['message']}")
        if result["type"] != "RetrainResult":
            raise Problem(f"`{subject.label(builder)}`: retraining failed: {result['message']}")
        return result
    return subject.memo(("retrained", builder, protocol_name), run)


@functools.lru_cache(maxsize=32)
def _reference_description(builder, args):
    return describe_model(reference_config(builder, args))


def reference_config(builder, args):
    """The config of the model the reference ``builder(*args)`` returns (kept: ``references``)."""
    # Here, not at the top: the kernel imports this module (the checks in force), and the
    # retraining cache behind the references is the trusted grader's.
    from ..retrain.references import reference_job
    return load_config(reference_job(current().model(builder), args)[0])


def _signature(desc):
    return (desc.input_dim, desc.sequential, [(b.units, b.activation, b.batchnorm_position, tuple(b.dropout_rates),
                                               (b.regularizer or {}).get("kind"), round((b.regularizer or {}).get("l2", 0.0), 9))
                                              for b in desc.blocks])


def given_model_problems(subject, builder):
    """A builder that is the module's own code must return the reference's network at the same
    arguments; the problem says what differs."""
    args = tuple(subject.builder_args(builder))
    mine, reference = subject.description(builder), _reference_description(builder, args)
    if _signature(mine) == _signature(reference):
        return []
    return [f"`{subject.label(builder)}` is the module's model (section 4), but it returns another network: "
            f"{describe_layout(mine)} instead of {describe_layout(reference)}; keep the module's "
            f"`{builder}` as it is"]


def _judge(subject, check_name, builder, protocol_name):
    if current().model(builder).given:
        problems = given_model_problems(subject, builder)
        if problems:
            return problems
    profile = current_profile()
    minimum = threshold(check_name, builder, profile, args=subject.builder_args(builder))
    result = retrained(subject, builder, protocol_name)
    protocol = get_protocol(protocol_name)
    got, label = result["best_val_acc"], subject.label(builder)
    print(f"{label}: retrained by the grader ({profile} profile: {protocol.describe(profile)}): "
          f"best validation accuracy {got:.4f} after {result['epochs_run']} epochs; needs {minimum:.4f}")
    if got < minimum:
        return [f"`{label}` reached {got:.4f} validation accuracy when the grader retrained it "
                f"({profile} profile); it needs at least {minimum:.4f}"]
    return []


def accuracy_check(accuracy):
    """The Check of ``accuracy`` (an ``assignment.Accuracy``): one model is all or nothing;
    several are a part each, each earning its share of the points."""

    def judge(subject):
        spec = current()
        if len(accuracy.models) == 1:
            builder = accuracy.models[0]
            return _judge(subject, accuracy.check, builder, spec.model(builder).protocol)
        parts = []
        for builder in accuracy.models:
            try:
                problems = _judge(subject, accuracy.check, builder, spec.model(builder).protocol)
            except GraderFault:
                raise
            except Problem as problem:
                problems = [str(problem)]
            parts.append(Part(f"`{builder}()`", tuple(problems)))
        return parts

    judge.__name__ = judge.__qualname__ = accuracy.check
    return Check(accuracy.check, accuracy.exercise, accuracy.points, True, accuracy.description,
                 judge, from_model=True, module=__name__)
