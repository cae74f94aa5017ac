"""Exercise 3: regularization for CIFAR-10."""
import numpy as np

from . import structure as s
from .registry import check
from .subject import Problem

INPUT_DIM = 3072


def reference_split():
    """The module's split: train_test_split(test_size=0.2, random_state=42) of the training set."""
    from sklearn.model_selection import train_test_split
    from ..data import load_cifar10
    (x, y), _ = load_cifar10()
    train_idx, valid_idx = train_test_split(np.arange(len(y)), test_size=0.2, random_state=42)
    return x, y.reshape(-1), train_idx, valid_idx


def _loaded(subject):
    def load():
        data = subject.call("load_cifar10_flat")
        if not isinstance(data, (tuple, list)) or len(data) != 4:
            raise Problem("`load_cifar10_flat()` must return (X_train, y_train, X_valid, y_valid)")
        return [np.asarray(a) for a in data]
    return subject.memo("ex3_loaded", load)


@check("ex3_load", exercise=3, points=1,
       description="load_cifar10_flat returns flat float32 images in [0, 1] and 1-D labels, split 80/20")
def load(subject):
    x_train, y_train, x_valid, y_valid = _loaded(subject)
    problems = []
    for name, x, n in (("X_train", x_train, 40000), ("X_valid", x_valid, 10000)):
        if x.shape != (n, INPUT_DIM):
            problems.append(f"{name} must have shape ({n}, {INPUT_DIM}). Received: {x.shape}")
        elif x.dtype != np.float32:
            problems.append(f"{name} must be float32. Received: {x.dtype}")
        elif x.min() < 0.0 or x.max() > 1.0:
            problems.append(f"{name} must be scaled to [0, 1] (divide by 255). "
                            f"Received values in [{x.min():g}, {x.max():g}]")
    for name, y, n in (("y_train", y_train, 40000), ("y_valid", y_valid, 10000)):
        if y.shape != (n,):
            problems.append(f"{name} must be a 1-D array of {n} labels (use .flatten()). "
                            f"Received shape: {y.shape}")
        elif not np.issubdtype(y.dtype, np.integer):
            problems.append(f"{name} must hold integer labels. Received: {y.dtype}")
    return problems


@check("ex3_load_split", exercise=3, points=1, hidden=True,
       description="the validation split is the module's (train_test_split, random_state=42)")
def load_split(subject):
    _, _, x_valid, y_valid = _loaded(subject)
    x, y, _, valid_idx = reference_split()
    # Judge the split alone: label shape and pixel scale are ex3_load's business.
    y_valid = y_valid.reshape(-1)
    head = x_valid[:100].reshape(len(x_valid[:100]), -1).astype("float32")
    if head.size and head.max() > 1.5:
        head = head / 255.0
    expected = x[valid_idx[:100]].reshape(-1, INPUT_DIM).astype("float32") / 255.0
    if y_valid.shape != (len(valid_idx),) or not np.array_equal(y_valid.astype(np.int64), y[valid_idx]) \
            or head.shape != expected.shape or not np.allclose(head, expected, atol=1e-6):
        return ["the validation split differs from the module's: use train_test_split(X, y, "
                "test_size=0.2, random_state=42) on the full training set, without shuffling first"]
    return []


def _cifar_mlp(subject, builder):
    """The description of a CIFAR-10 MLP and the problems any such model has."""
    desc = subject.description(builder)
    problems = s.structure_problems(desc) + s.input_problems(desc, INPUT_DIM)
    if not desc.hidden:
        problems.append("the model needs at least one hidden Dense layer")
    return desc, problems


@check("ex3_model", exercise=3, points=4,
       description="every hidden Dense layer has BatchNormalization, Dropout and an L2 regularizer", from_model=True)
def model(subject):
    builder = "create_cifar_model"
    desc, problems = _cifar_mlp(subject, builder)
    for b in desc.hidden:
        where = f"hidden layer {b.index} (Dense {b.units})"
        if not b.has_batchnorm:
            problems.append(f"{where}: no BatchNormalization")
        rates = b.dropout_rates
        if not rates:
            problems.append(f"{where}: no Dropout")
        elif not all(0.0 < r < 1.0 for r in rates):
            problems.append(f"{where}: the dropout rate must be between 0 and 1 (exclusive). "
                            f"Received: {rates}")
        reg = b.regularizer
        if not reg or reg["l2"] <= 0.0:
            problems.append(f"{where}: no L2 kernel regularizer "
                            "(use kernel_regularizer=regularizers.l2(...))")
        if b.activation is None:
            problems.append(f"{where}: no activation")
    problems += s.output_problems(desc)
    return [f"`{builder}()`: {p}" for p in problems]


@check("ex3_baseline", exercise=3, points=2,
       description="the baseline has no regularization at all", from_model=True)
def baseline(subject):
    builder = "create_cifar_baseline"
    desc, problems = _cifar_mlp(subject, builder)
    for kind, name in (("batchnorm", "BatchNormalization"), ("dropout", "Dropout")):
        if desc.count(kind):
            problems.append(f"has {desc.count(kind)} {name} layer(s); the baseline must have "
                            "no regularization")
    regularized = [b.index for b in desc.blocks if b.regularizer and b.regularizer["kind"] != "none"]
    if regularized:
        problems.append(f"Dense layer(s) {regularized} have a kernel regularizer; the baseline "
                        "must have no regularization")
    problems += s.output_problems(desc)
    return [f"`{builder}()`: {p}" for p in problems]


@check("ex3_early_stopping", exercise=3, points=2,
       description="make_early_stopping returns EarlyStopping on a validation metric, "
                   "restoring the best weights")
def early_stopping(subject):
    callback = subject.call("make_early_stopping")
    import keras    # after the call: a notebook without the function costs no Keras import
    if not isinstance(callback, keras.callbacks.EarlyStopping):
        return ["`make_early_stopping()` must return a keras.callbacks.EarlyStopping. "
                f"Received: {type(callback).__name__}"]
    problems = []
    if not str(callback.monitor).startswith("val_"):
        problems.append(f"EarlyStopping must monitor a validation metric such as 'val_loss'. "
                        f"Received: monitor={callback.monitor!r}")
    if not callback.restore_best_weights:
        problems.append("EarlyStopping must restore the best weights (restore_best_weights=True)")
    if callback.patience < 1:
        problems.append(f"EarlyStopping needs a patience of at least 1 epoch. "
                        f"Received: patience={callback.patience}")
    return problems
