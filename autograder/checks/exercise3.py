"""Exercise 3: regularization for CIFAR-10."""
import numpy as np

from . import structure as s
from .registry import Part, check
from .subject import Problem

INPUT_DIM = 3072
# What counts as regularization in Exercise 3 (the notebook states the same ranges): a rate or a
# factor outside them regularizes in name only (Dropout(1e-6), l2(1e-12)) or stops learning.
DROPOUT_RANGE = (0.1, 0.6)
L2_RANGE = (1e-6, 1e-1)


def _summary(array):
    """What the checks need to know of one returned array, as plain data."""
    a = np.asarray(array)
    out = {"shape": [int(d) for d in a.shape[:4]], "dtype": str(a.dtype)[:20], "min": None, "max": None}
    if a.size and np.issubdtype(a.dtype, np.number):
        low, high = float(a.min()), float(a.max())
        out["min"], out["max"] = (low if np.isfinite(low) else None), (high if np.isfinite(high) else None)
    return out


SPLIT_LABELS, SPLIT_ROWS = 10000, 100


def observe_load(subject, inputs):
    """Shapes, dtypes and ranges of the four arrays; the validation labels and the sums of the
    first validation images' pixels (for the split check, judged against the grader's own)."""
    def load():
        data = subject.call("load_cifar10_flat")
        if not isinstance(data, (tuple, list)) or len(data) != 4:
            raise Problem("`load_cifar10_flat()` must return (X_train, y_train, X_valid, y_valid)")
        arrays = [np.asarray(a) for a in data]
        out = {name: _summary(a) for name, a in zip(("X_train", "y_train", "X_valid", "y_valid"), arrays)}
        y_valid, x_valid = arrays[3].reshape(-1), arrays[2]
        out["y_valid_labels"] = [int(v) for v in y_valid[:SPLIT_LABELS]] if np.issubdtype(y_valid.dtype, np.number) else None
        head = x_valid[:SPLIT_ROWS].reshape(len(x_valid[:SPLIT_ROWS]), -1).astype("float64") if x_valid.ndim else None
        out["x_valid_row_sums"] = [float(v) for v in head.sum(axis=1)] if head is not None and head.size else None
        return out
    return subject.memo("ex3_loaded", load)


@check("ex3_load", exercise=3, points=1, observe=observe_load,
       description="load_cifar10_flat returns flat float32 images in [0, 1] and 1-D labels, split 80/20")
def load(outputs, inputs):
    problems = []
    for name, n in (("X_train", 40000), ("X_valid", 10000)):
        x = outputs[name]
        if x["shape"] != [n, INPUT_DIM]:
            problems.append(f"{name} must have shape ({n}, {INPUT_DIM}). Received: {tuple(x['shape'])}")
        elif x["dtype"] != "float32":
            problems.append(f"{name} must be float32. Received: {x['dtype']}")
        elif x["min"] is None or x["min"] < 0.0 or x["max"] > 1.0:
            problems.append(f"{name} must be scaled to [0, 1] (divide by 255). "
                            f"Received values in [{x['min']}, {x['max']}]")
    for name, n in (("y_train", 40000), ("y_valid", 10000)):
        y = outputs[name]
        if y["shape"] != [n]:
            problems.append(f"{name} must be a 1-D array of {n} labels (use .flatten()). "
                            f"Received shape: {tuple(y['shape'])}")
        elif not str(y["dtype"]).startswith(("int", "uint")):
            problems.append(f"{name} must hold integer labels. Received: {y['dtype']}")
    return problems


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
    """Four parts of a point each: the model's shape, then BatchNorm, Dropout and L2, each in
    every hidden layer (the notebook states the split)."""
    builder = "create_cifar_model"
    desc, shape = _cifar_mlp(subject, builder)
    batchnorm, dropout, l2 = [], [], []
    for b in desc.hidden:
        where = f"hidden layer {b.index} (Dense {b.units})"
        if not b.has_batchnorm:
            batchnorm.append(f"{where}: no BatchNormalization")
        elif s.frozen_batchnorm(b):
            batchnorm.append(f"{where}: {s.FROZEN}")
        rates = b.dropout_rates
        if not rates:
            dropout.append(f"{where}: no Dropout")
        elif not all(DROPOUT_RANGE[0] <= r <= DROPOUT_RANGE[1] for r in rates):
            dropout.append(f"{where}: a dropout rate that regularizes lies between {DROPOUT_RANGE[0]} and "
                           f"{DROPOUT_RANGE[1]} (below it, Dropout regularizes in name only). Received: {rates}")
        reg = b.regularizer
        if not reg or reg["l2"] <= 0.0:         # l2(0.0) is no L2 at all
            l2.append(f"{where}: no L2 kernel regularizer (use kernel_regularizer=regularizers.l2(...))")
        elif not L2_RANGE[0] <= reg["l2"] <= L2_RANGE[1]:
            l2.append(f"{where}: an L2 factor that regularizes lies between {L2_RANGE[0]:g} and "
                      f"{L2_RANGE[1]:g}. Received: {reg['l2']:g}")
        if b.activation is None:
            shape.append(f"{where}: no activation")
    shape += s.output_problems(desc)
    if not desc.hidden:         # nothing to regularize: the requirements cannot be met
        batchnorm = dropout = l2 = ["there is no hidden layer to put it in"]
    label = f"`{builder}()`"
    return [Part(f"{label} shape", tuple(shape)), Part(f"{label} BatchNorm", tuple(batchnorm)),
            Part(f"{label} Dropout", tuple(dropout)), Part(f"{label} L2", tuple(l2))]


@check("ex3_baseline", exercise=3, points=2,
       description="the baseline has no regularization at all", from_model=True)
def baseline(subject):
    builder = "create_cifar_baseline"
    desc, problems = _cifar_mlp(subject, builder)
    problems += s.unwanted_regularization(desc, ("batchnorm", "dropout", "penalty"),
                                          "the baseline must have no regularization")
    problems += s.output_problems(desc)
    return [f"`{builder}()`: {p}" for p in problems]


def observe_early_stopping(subject, inputs):
    callback = subject.call("make_early_stopping")
    import keras    # after the call: a notebook without the function costs no Keras import
    out = {"type": type(callback).__name__[:60],
           "early_stopping": isinstance(callback, keras.callbacks.EarlyStopping)}
    for name in ("monitor", "mode", "restore_best_weights", "patience", "min_delta", "baseline", "start_from_epoch"):
        value = getattr(callback, name, None)
        out[name] = value if isinstance(value, (bool, str)) else (float(value) if isinstance(value, (int, float)) else None)
    return out


# Early stopping that can act (the notebook states the rule): Exercise 3 trains for EPOCHS epochs
# towards TARGET validation accuracy.
EPOCHS, TARGET, MAX_PATIENCE, MAX_MIN_DELTA = 60, 0.55, 20, 0.01
# Metrics Keras logs for a model compiled with metrics=["accuracy"], and the direction each improves.
VALIDATION_METRICS = {"val_accuracy": "max", "val_loss": "min"}


@check("ex3_early_stopping", exercise=3, points=2, observe=observe_early_stopping,
       description="make_early_stopping returns EarlyStopping on val_accuracy or val_loss, in the "
                   "mode that metric improves in, restoring the best weights")
def early_stopping(outputs, inputs):
    if not outputs.get("early_stopping"):
        return ["`make_early_stopping()` must return a keras.callbacks.EarlyStopping. "
                f"Received: {outputs.get('type')}"]
    problems = []
    monitor, mode = outputs.get("monitor"), outputs.get("mode")
    if monitor not in VALIDATION_METRICS:
        problems.append("EarlyStopping must monitor a metric Keras logs on the validation data: "
                        f"'val_accuracy' or 'val_loss'. Received: monitor={monitor!r}")
    elif mode not in ("auto", VALIDATION_METRICS[monitor]):
        direction = "up" if VALIDATION_METRICS[monitor] == "max" else "down"
        problems.append(f"{monitor} improves when it goes {direction}: use mode='{VALIDATION_METRICS[monitor]}' "
                        f"(or 'auto'). Received: mode={mode!r}")
    if outputs.get("restore_best_weights") is not True:
        problems.append("EarlyStopping must restore the best weights (restore_best_weights=True)")
    patience = outputs.get("patience")
    if not isinstance(patience, float) or patience < 1:
        problems.append(f"EarlyStopping needs a patience of at least 1 epoch. Received: patience={patience}")
    elif patience > MAX_PATIENCE:
        problems.append(f"a patience of {patience:g} epochs leaves early stopping no room to act in the "
                        f"{EPOCHS} epochs Exercise 3 trains for: use at most {MAX_PATIENCE}")
    baseline = outputs.get("baseline")
    if isinstance(baseline, float) and monitor == "val_accuracy" and baseline > TARGET:
        problems.append(f"baseline={baseline:g} stops the training unless it beats {baseline:g} within "
                        f"`patience` epochs, above the {TARGET:.0%} target itself: leave baseline unset "
                        f"(or at most {TARGET})")
    elif isinstance(baseline, float) and monitor == "val_loss":
        problems.append(f"baseline={baseline:g} on val_loss stops the training unless the loss gets below it "
                        "within `patience` epochs: leave baseline unset")
    min_delta = outputs.get("min_delta")
    if isinstance(min_delta, float) and abs(min_delta) > MAX_MIN_DELTA:
        problems.append(f"min_delta={min_delta:g} counts only improvements larger than {MAX_MIN_DELTA}: "
                        "real progress would read as none; use a min_delta of at most "
                        f"{MAX_MIN_DELTA}")
    start = outputs.get("start_from_epoch")
    if isinstance(start, float) and start + (patience if isinstance(patience, float) else 0) >= EPOCHS:
        problems.append(f"start_from_epoch={start:g} leaves early stopping no room to act in "
                        f"{EPOCHS} epochs")
    return problems
