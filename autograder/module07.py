"""Module 07: Regularization Techniques (Dropout, Batch Normalization), declared once."""
import os

from .assignment import Accuracy, Assignment, ModelSpec
from .checks.exercise1 import DROPOUT_RATES, picked_rate_args

FASHION, CIFAR = "fashion_mnist_mlp", "cifar10_mlp"
EX2 = ("create_bn_before_activation", "create_bn_after_activation", "create_no_bn_baseline")
# The grader ships Module 07's calibration: a course folder without reference/thresholds.json
# of its own grades against it; one with its own (`autograder calibrate` writes it) against that.
PACKAGED_THRESHOLDS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   "reference", "thresholds.json")

SPEC = Assignment(
    name="regularization",
    title="Module 07: Regularization",
    checks=("autograder.checks.exercise1", "autograder.checks.exercise2", "autograder.checks.exercise3"),
    hidden_checks=("autograder.checks.hidden",),
    models=(
        # The module's own model, built at the rate the notebook's sweep found best; any rate
        # of the sweep may be a student's pick, so each is calibrated.
        ModelSpec("create_dropout_model", 1, FASHION, reference="reference.module_code",
                  args=picked_rate_args, calibrate_args=tuple((rate,) for rate in DROPOUT_RATES), given=True),
        *(ModelSpec(builder, 2, FASHION, reference="reference.exercise2") for builder in EX2),
        ModelSpec("create_cifar_model", 3, CIFAR, reference="reference.exercise3"),
        ModelSpec("create_cifar_baseline", 3),          # described, not retrained
    ),
    accuracy=(
        Accuracy("ex1_accuracy", 1, 2, ("create_dropout_model",),
                 "the module's model at the dropout rate your sweep found best, retrained by "
                 "the grader, reaches the minimum accuracy"),
        Accuracy("ex2_accuracy", 2, 2, EX2,
                 "the three models, retrained by the grader, reach the minimum accuracy"),
        Accuracy("ex3_accuracy", 3, 4, ("create_cifar_model",),
                 "the regularized model, retrained by the grader, clears the accuracy threshold",
                 bars={"full": 0.55}),           # the module's target: more than 55%
    ),
    thresholds="reference/thresholds.json",
    default_thresholds=PACKAGED_THRESHOLDS,
    student_package=True,
)
