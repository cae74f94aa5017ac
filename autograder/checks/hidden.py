"""The hidden checks judged from what the kernel observed: whether the sweep's numbers are the
ones its own fits measured, and whether the CIFAR-10 split is the module's. They run only when
a notebook is graded (the accuracy checks, by retraining, are in ``accuracy``); the student
package does not ship them.
"""
import functools

import numpy as np

from .exercise1 import _entries, observe_sweep
from .exercise3 import INPUT_DIM, SPLIT_ROWS, observe_load
from .registry import check


@check("ex1_sweep_honest", exercise=1, points=2, hidden=True,
       description="the sweep trains on the training data, validates on the validation data, and "
                   "reports the validation accuracy its models reached", observe=observe_sweep)
def sweep_honest(outputs, inputs):
    results = _entries(outputs, inputs)
    fits = [f for f in outputs.get("fits") or [] if isinstance(f, dict)]
    problems = []
    for rate in inputs.sweep_rates:
        mine = [f for f in fits if f.get("rate") == rate]
        if not mine:
            problems.append(f"rate {rate}: the model built by create_dropout_model({rate}) was never "
                            "trained with model.fit(...)")
            continue
        fit = mine[-1]
        if fit.get("library_fit") is not True:
            problems.append(f"rate {rate}: the model was trained by a `fit` that is not Keras' own")
        if fit.get("x") != "train":
            where = "the validation data" if fit.get("x") == "valid" else "data other than X_train"
            problems.append(f"rate {rate}: the model was trained on {where}; train it on X_train, y_train")
        if fit.get("validation") != "valid":
            problems.append(f"rate {rate}: the model was not validated on the validation data it was "
                            "given (pass validation_data=(X_valid, y_valid) to fit)")
        measured = [v for v in fit.get("val_accuracy") or [] if isinstance(v, float)]
        if not measured:
            problems.append(f"rate {rate}: fit recorded no val_accuracy")
            continue
        reported = results[rate]
        for key, value in (("best_val_acc", max(measured)), ("final_val_acc", measured[-1])):
            if abs(reported[key] - value) > 1e-6:
                problems.append(f"rate {rate}: reported {key} {reported[key]:.4f}, but its model's "
                                f"history.history['val_accuracy'] gives {value:.4f}")
    if problems:
        problems.append("report history.history['val_accuracy'] of models trained on the training "
                        "data, not training accuracy or made-up numbers")
    return problems


@functools.lru_cache(maxsize=1)
def reference_split():
    """The module's split: train_test_split(test_size=0.2, random_state=42) of the training set."""
    from sklearn.model_selection import train_test_split
    from ..data import load_cifar10
    (x, y), _ = load_cifar10()
    train_idx, valid_idx = train_test_split(np.arange(len(y)), test_size=0.2, random_state=42)
    return x, y.reshape(-1), train_idx, valid_idx


@check("ex3_load_split", exercise=3, points=1, hidden=True, observe=observe_load,
       description="the validation split is the module's (train_test_split, random_state=42)")
def load_split(outputs, inputs):
    # Judged on the split alone: label shape and pixel scale are ex3_load's business.
    x, y, _, valid_idx = reference_split()
    labels, sums = outputs.get("y_valid_labels"), outputs.get("x_valid_row_sums")
    expected = x[valid_idx[:SPLIT_ROWS]].reshape(-1, INPUT_DIM).astype("float64").sum(axis=1)
    ok = isinstance(labels, list) and labels == [int(v) for v in y[valid_idx]]
    if ok and isinstance(sums, list) and len(sums) == len(expected) and all(isinstance(v, float) for v in sums):
        got = np.asarray(sums)
        ok = np.allclose(got, expected, rtol=1e-4) or np.allclose(got, expected / 255.0, rtol=1e-4)
    else:
        ok = False
    if not ok:
        return ["the validation split differs from the module's: use train_test_split(X, y, "
                "test_size=0.2, random_state=42) on the full training set, without shuffling first"]
    return []
