"""Accuracy checks, judged by retraining the model the grader built, never by numbers the
notebook printed or a History it made."""
from ..retrain import current_profile, get_protocol, retrain
from ..retrain.thresholds import threshold  # noqa: I001  (retrain: loads the runner on first call only)
from .registry import Part, check
from .subject import GraderFault, Problem

EX2_BUILDERS = ("create_bn_before_activation", "create_bn_after_activation", "create_no_bn_baseline")
# What each accuracy check retrains: (builder, protocol).
RETRAINED = {"ex1_accuracy": [("create_dropout_model", "fashion_mnist_mlp")],
             "ex2_accuracy": [(b, "fashion_mnist_mlp") for b in EX2_BUILDERS],
             "ex3_accuracy": [("create_cifar_model", "cifar10_mlp")]}


def retrain_jobs(subject):
    """The retraining jobs the accuracy checks of ``subject`` will ask for, as
    (config, protocol, optimizer); models that cannot be extracted are left out."""
    jobs = []
    for pairs in RETRAINED.values():
        for builder, protocol in pairs:
            try:
                jobs.append((subject.model_config(builder), protocol, subject.optimizer_config(builder)))
            except Problem:
                pass
    return jobs


def retrained(subject, builder, protocol_name):
    """Retrain the model ``builder()`` returned (built once) in a clean process."""
    def run():
        config = subject.model_config(builder)
        result = retrain(config, protocol_name, current_profile(),
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


def _judge(subject, check_name, builder, protocol_name):
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


@check("ex1_accuracy", exercise=1, points=2, hidden=True,
       description="the module's model at the dropout rate your sweep found best, retrained by "
                   "the grader, reaches the minimum accuracy", from_model=True)
def ex1_accuracy(subject):
    return _judge(subject, "ex1_accuracy", "create_dropout_model", "fashion_mnist_mlp")


@check("ex2_accuracy", exercise=2, points=2, hidden=True,
       description="the three models, retrained by the grader, reach the minimum accuracy", from_model=True)
def ex2_accuracy(subject):
    """A part per model: each of the three earns its third of the points."""
    parts = []
    for builder in EX2_BUILDERS:
        try:
            problems = _judge(subject, "ex2_accuracy", builder, "fashion_mnist_mlp")
        except GraderFault:
            raise
        except Problem as problem:
            problems = [str(problem)]
        parts.append(Part(f"`{builder}()`", tuple(problems)))
    return parts


@check("ex3_accuracy", exercise=3, points=4, hidden=True,
       description="the regularized model, retrained by the grader, clears the accuracy threshold", from_model=True)
def ex3_accuracy(subject):
    return _judge(subject, "ex3_accuracy", "create_cifar_model", "cifar10_mlp")
