"""Exercise 2: BatchNorm placement (input 784, Dense 256 then 128, softmax output of 10)."""
from . import structure as s
from .registry import check

HIDDEN_UNITS = (256, 128)


def _problems(subject, builder, batchnorm):
    desc = subject.description(builder)
    problems = (s.structure_problems(desc) + s.input_problems(desc, 784)
                + s.hidden_units_problems(desc, HIDDEN_UNITS) + s.activation_problems(desc)
                + s.batchnorm_problems(desc, batchnorm) + s.output_problems(desc)
                # BatchNorm is the only difference between the three: Dropout or a penalty confounds it.
                + s.unwanted_regularization(desc, ("dropout", "penalty"), "Exercise 2's models differ in "
                                            "BatchNormalization only: no Dropout, no kernel regularizer"))
    return [f"`{builder}()`: {p}" for p in problems]


@check("ex2_bn_before", exercise=2, points=3,
       description="Dense -> BatchNormalization -> ReLU in each hidden layer", from_model=True)
def bn_before(subject):
    return _problems(subject, "create_bn_before_activation", "before")


@check("ex2_bn_after", exercise=2, points=3,
       description="Dense with ReLU -> BatchNormalization in each hidden layer", from_model=True)
def bn_after(subject):
    return _problems(subject, "create_bn_after_activation", "after")


@check("ex2_baseline", exercise=2, points=2,
       description="the same stack without BatchNormalization", from_model=True)
def baseline(subject):
    return _problems(subject, "create_no_bn_baseline", None)
