"""Problems of a described model against what an exercise asks, in words for the student."""


def _where(block):
    return f"hidden layer {block.index} (Dense {block.units})"


def input_problems(desc, expected_dim):
    if desc.input_dim is None:
        return [f"the model has no input shape: start it with layers.Input(shape=({expected_dim},))"]
    if desc.input_dim != expected_dim:
        return [f"the model's input must have {expected_dim} features. "
                f"Received: {desc.input_dim}"]
    return []


def output_problems(desc, classes=10):
    out = desc.output
    if out is None:
        return ["the model has no Dense layer"]
    problems = []
    if out.units != classes or out.activation != "softmax":
        problems.append(f"the output layer must be Dense({classes}, activation='softmax'). "
                        f"Received: Dense({out.units}) with activation {out.activation or 'linear'}")
    extra = [op for op in out.ops if op.kind != "activation"]
    if extra:
        names = ", ".join(f"{op.class_name}" + (f"({op.rate:g})" if op.rate is not None else "")
                          for op in extra)
        problems.append(f"{names} comes after the output layer: the output Dense layer must be "
                        "the last layer (never use dropout or BatchNormalization on the output)")
    return problems


def hidden_units_problems(desc, expected):
    units = [b.units for b in desc.hidden]
    if units != list(expected):
        return [f"expected hidden Dense layers of {list(expected)} units. Received: {units}"]
    return []


def structure_problems(desc):
    problems = []
    if not desc.sequential:
        problems.append("the model's layers must form a single chain (no branches)")
    others = sorted({op.class_name for op in desc.ops if op.kind == "other"})
    if others:
        problems.append(f"unexpected layer types: {', '.join(others)}; use Dense, "
                        "BatchNormalization, Activation/ReLU and Dropout")
    if desc.pre_ops:
        names = ", ".join(op.class_name for op in desc.pre_ops)
        problems.append(f"{names} comes before the first Dense layer; normalize and drop out "
                        "inside the hidden layers")
    return problems


def activation_problems(desc, expected="relu"):
    return [f"{_where(b)}: expected a {expected} activation. Received: {b.activation or 'none'}"
            for b in desc.hidden if b.activation != expected]


def batchnorm_problems(desc, position):
    """position: 'before' or 'after' the activation, or None for no BatchNormalization."""
    problems = []
    for b in desc.hidden:
        where = _where(b)
        if position is None:
            if b.has_batchnorm:
                problems.append(f"{where}: has BatchNormalization; this model must have none")
        elif not b.has_batchnorm:
            problems.append(f"{where}: no BatchNormalization; expected {b.layout()} to "
                            f"normalize {position} the activation")
        elif frozen_batchnorm(b):
            problems.append(f"{where}: {FROZEN}")
        elif b.batchnorm_position != position:
            side = {"before": "after", "after": "before"}[position]
            if b.batchnorm_position == "no activation":
                problems.append(f"{where}: BatchNormalization but no activation")
            else:
                problems.append(f"{where}: BatchNormalization comes {side} the "
                                f"{b.activation.upper() if b.activation == 'relu' else b.activation}; "
                                f"this model must normalize {position} the activation")
    return problems


FROZEN = ("its BatchNormalization is frozen (trainable=False), so it never learns the batch "
          "statistics it normalizes with")


def frozen_batchnorm(block):
    return any(op.kind == "batchnorm" and not op.trainable for op in block.ops)


def regularizing_dropout(desc):
    """The Dropout layers that drop something: Dropout(0.0) is no regularization."""
    return [op for op in desc.ops if op.kind == "dropout" and (op.rate or 0.0) > 0.0]


def describe_layout(desc):
    return " | ".join(b.layout() for b in desc.blocks)


def unwanted_regularization(desc, kinds, why):
    """A problem for each kind of regularization in ``kinds`` ("batchnorm", "dropout",
    "penalty") the model has, each ending with ``why``. What does nothing is none: Dropout(0.0)
    and l2(0.0) (kind "none") are allowed where regularization is not."""
    names = {"batchnorm": "BatchNormalization", "dropout": "Dropout"}
    problems = []
    for kind in kinds:
        if kind == "penalty":
            regularized = [b.index for b in desc.blocks if b.regularizer and b.regularizer["kind"] != "none"]
            if regularized:
                problems.append(f"Dense layer(s) {regularized} have a kernel regularizer; {why}")
        elif kind == "dropout":
            if regularizing_dropout(desc):
                problems.append(f"has {len(regularizing_dropout(desc))} Dropout layer(s) with a rate above 0; {why}")
        elif desc.count(kind):
            problems.append(f"has {desc.count(kind)} {names[kind]} layer(s); {why}")
    return problems
