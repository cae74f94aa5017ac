"""Each sample submission loses exactly the points it should, with a message that says why."""
import pytest

from autograder.tools.sample_class import SAMPLES, Sample

from tests.helpers import CHECKS, run_sample

# The sentence each wrong sample's student must read.
MESSAGES = {
    "bn_wrong_side": {"ex2_bn_before": "hidden layer 1 (Dense 256): BatchNormalization comes after the RELU; "
                                      "this model must normalize before the activation"},
    "missing_l2": {"ex3_model": "hidden layer 1 (Dense 1024): no L2 kernel regularizer"},
    "dropout_after_output": {"ex3_model": "Dropout(0.2) comes after the output layer"},
    "wrong_units": {"ex2_baseline": "expected hidden Dense layers of [256, 128] units. Received: [512, 128]"},
    "secret_bn_baseline": {"ex3_baseline": "has 1 BatchNormalization layer(s); the baseline must have no regularization"},
    "made_up_sweep": {"ex1_sweep_honest": "when the grader measures it"},
    "crash_halfway": {"ex2_bn_before": "`create_bn_before_activation` is not defined"},
    "patched_fit": {"ex3_accuracy": "when the grader retrained it (quick profile); it needs at least"},
}


# "lean" only deletes demonstration cells, which these in-process runs never execute; the
# reference's answers pass every check in test_reference.py.
@pytest.mark.parametrize("student", [s for s in SAMPLES if s not in ("lean", "reference")])
def test_sample_loses_exactly_the_intended_points(student):
    sample = SAMPLES[student]
    # Exercises a sample does not edit run the reference code, graded in test_reference.py.
    touched = tuple(sorted({int(grade_id[2]) for grade_id, _, _ in sample.edits})) or (1, 2, 3)
    results, _ = run_sample(sample, exercises=touched)
    lost = {name: r.possible - r.points for name, r in results.items() if not r.passed}
    assert lost == sample.expected_lost, {n: results[n].message for n in lost}
    for name, text in MESSAGES.get(student, {}).items():
        assert text in results[name].message
    assert {n: r.possible for n, r in results.items()} == \
        {n: c.points for n, c in CHECKS.items() if c.exercise in touched}


MORE_MISTAKES = [
    # (exercise, edits, the check whose message is read, words of its message[, other checks that fail])
    (2, (("ex2_solution", "        layers.Dense(10, activation='softmax')\n    ], name='bn_before_activation')",
          "        layers.Dense(10)\n    ], name='bn_before_activation')"),),
     "ex2_bn_before", "the output layer must be Dense(10, activation='softmax'). Received: Dense(10) with activation linear",
     {"ex2_accuracy"}),     # and, trained on probabilities it does not output, it learns little
    (2, (("ex2_solution", "    return models.Sequential([\n        layers.Input(shape=(784,)),\n        layers.Dense(256, activation='relu'),\n        layers.BatchNormalization(),",
          "    return\n    models.Sequential([\n        layers.Input(shape=(784,)),\n        layers.Dense(256, activation='relu'),\n        layers.BatchNormalization(),"),),
     "ex2_bn_after", "returned None", {"ex2_accuracy"}),
    (1, (("ex1_solution", "return min(results, key=lambda rate: (-results[rate]['best_val_acc'], rate))",
          "return max(results, key=lambda rate: results[rate]['best_val_acc'])"),),
     "ex1_best_rate", "(a tie, broken by the smallest rate)"),
    # A sweep that fits on the validation data reports real numbers of the wrong experiment.
    (1, (("ex1_solution", "history = model.fit(X_train, y_train,", "history = model.fit(X_valid, y_valid,"),),
     "ex1_sweep_honest", "was trained on the validation data"),
]


@pytest.mark.parametrize("mistake", MORE_MISTAKES, ids=[m[2] + "-" + str(i) for i, m in enumerate(MORE_MISTAKES)])
def test_common_mistakes_fail_only_their_check(mistake):
    exercise, edits, failing, words, *also = mistake
    results, _ = run_sample(Sample("mistake", edits), exercises=(exercise,))
    failed = {name for name, r in results.items() if not r.passed}
    assert failed == {failing} | (also[0] if also else set()), {n: results[n].message for n in failed}
    assert words in results[failing].message
    assert results[failing].points == 0
