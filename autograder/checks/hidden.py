"""The hidden checks judged from what the kernel observed: whether the sweep's numbers are the
ones its own fits measured, and whether the CIFAR-10 split is the module's. They run only when
a notebook is graded (the accuracy checks, by retraining, are in ``accuracy``); the student
package does not ship them.
"""
import functools

import numpy as np

from .exercise1 import SWEEP_EPOCHS, _entries, observe_sweep
from .exercise3 import INPUT_DIM, SPLIT_ROWS, observe_load
from .registry import check


# The grader's own accuracy on the validation images against the one fit logged: the same
# computation up to float order; a real difference is a whole image of 64 (0.0156).
MEASURE_TOLERANCE = 1e-3


@check("ex1_sweep_honest", exercise=1, points=2, hidden=True,
       description="the sweep is a fair comparison: each rate's model starts from fresh weights, trains "
                   "for the epochs the sweep was given on the training data, validates on the validation "
                   "data, and reports the validation accuracy its fit logged", observe=observe_sweep)
def sweep_honest(outputs, inputs):
    """Each rule its own sentence; the data is recognised in any order, dtype, label encoding or
    container, the validation accuracy under any of Keras' names for it."""
    results = _entries(outputs, inputs)
    fits = [f for f in outputs.get("fits") or [] if isinstance(f, dict)]
    epochs = SWEEP_EPOCHS
    problems = []
    for rate in inputs.sweep_rates:
        mine = [f for f in fits if f.get("rate") == rate]
        if not mine:
            problems.append(f"rate {rate}: the model built by create_dropout_model({rate}) was never "
                            "trained with model.fit(...)")
            continue
        model = mine[-1].get("model")
        runs = [f for f in mine if f.get("model") == model]
        fit = runs[-1]
        if fit.get("library_fit") is not True:
            problems.append(f"rate {rate}: the model was trained by a `fit` that is not Keras' own")
        if runs[0].get("fresh") is not True:
            problems.append(f"rate {rate}: the model did not start from the weights create_dropout_model "
                            "gave it (weights set or trained before its fit): every rate must start fresh "
                            "for the comparison to be fair")
        asked = [f.get("epochs_asked") for f in runs]
        ran = sum(f.get("epochs_run") or 0 for f in runs if isinstance(f.get("epochs_run"), int))
        stopped = any(f.get("early_stopping") for f in runs)
        if ran != epochs and not (stopped and ran < epochs):
            problems.append(f"rate {rate}: trained for {ran} epoch(s) (fit asked for {asked}); the sweep "
                            f"was given epochs={epochs}, and every rate must train for that many")
        if fit.get("x_set") != "train":
            where = "the validation data" if fit.get("x_set") == "valid" else "images that are not X_train's"
            problems.append(f"rate {rate}: the model was trained on {where}; train it on X_train, y_train")
        elif fit.get("x_labels") is not True:
            problems.append(f"rate {rate}: the model was trained on X_train with labels that are not y_train's")
        if fit.get("validation_set") != "valid" or fit.get("validation_labels") is not True:
            problems.append(f"rate {rate}: the model was not validated on the validation data it was "
                            "given (pass validation_data=(X_valid, y_valid) to fit)")
        measured = [v for v in fit.get("val_accuracy") or [] if isinstance(v, float)]
        if not measured:
            problems.append(f"rate {rate}: fit logged no validation accuracy (compile with "
                            "metrics=['accuracy'] and pass validation_data)")
            continue
        reported = results[rate]
        own = fit.get("measured")
        if isinstance(own, float) and abs(reported["final_val_acc"] - own) > MEASURE_TOLERANCE:
            problems.append(f"rate {rate}: reported final_val_acc {reported['final_val_acc']:.4f}, but the "
                            f"trained model scores {own:.4f} on the validation data when the grader measures it")
            continue
        for key, value in (("best_val_acc", max(measured)), ("final_val_acc", measured[-1])):
            if abs(reported[key] - value) > 1e-6:
                problems.append(f"rate {rate}: reported {key} {reported[key]:.4f}, but its fit logged "
                                f"{fit.get('metric') or 'val_accuracy'} giving {value:.4f}: report the "
                                "validation accuracy from the history its fit returned")
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
