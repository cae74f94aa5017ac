"""Exercise 1: the dropout sweep.

The checks that call the student's functions observe them on grading-time inputs
(``GradingInputs``) and judge the observed outputs; the judging functions read those outputs
as hostile data (they may come from a kernel).
"""
import math
import numbers

import numpy as np

from .inputs import DROPOUT_RATES, GradingInputs  # noqa: F401  (DROPOUT_RATES is the module's list)
from .registry import check
from .subject import Problem

MAX_LINES, MAX_POINTS = 20, 64
RATE_TOLERANCE = 1e-6
SWEEP_EPOCHS = 1            # the epochs the grader runs the student's sweep for


def module_rate(value):
    """The module's rate ``value`` stands for (within RATE_TOLERANCE), or None."""
    return next((r for r in DROPOUT_RATES if abs(r - value) <= RATE_TOLERANCE), None)


def _number(value):
    """A float for a real number, else a short description of what it was (for messages)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    return f"{type(value).__name__}: {str(value)[:60]}"


# Keras' names for a validation accuracy, by the metric the model was compiled with.
VALIDATION_ACCURACY = ("val_accuracy", "val_sparse_categorical_accuracy", "val_categorical_accuracy", "val_acc")
MAX_ROWS = 4096


def _weights_digest(model):
    """A digest of the model's current weights (empty: not built yet)."""
    import hashlib
    digest = hashlib.sha256()
    try:
        for w in model.get_weights():
            digest.update(np.ascontiguousarray(w).tobytes())
    except Exception:
        return None
    return digest.hexdigest()[:16]


def _fits(model, rate, data, fits):
    """Wrap ``model.fit`` (on this model only) to record which of the grader's arrays it was
    given (in any order, dtype, label encoding or container), whether its weights were the
    ones it was built with, the epochs it was asked for and ran, and the history the
    library's own ``fit`` returned."""
    original = getattr(model, "fit", None)
    if original is None:
        return model
    library_fit = _is_library(getattr(type(model), "fit", None))
    built_weights = _weights_digest(model)

    def fit(*args, **kwargs):
        x = args[0] if args else kwargs.get("x")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        epochs = kwargs.get("epochs", args[3] if len(args) > 3 else 1)
        validation = kwargs.get("validation_data", args[7] if len(args) > 7 else None)
        callbacks = kwargs.get("callbacks", args[6] if len(args) > 6 else None) or []
        vx, vy = (validation[0], validation[1] if len(validation) > 1 else None) \
            if isinstance(validation, (tuple, list)) and validation else (validation, None)
        record = {"rate": rate, "library_fit": library_fit, "model": id(model) % 2**31,
                  "fresh": _weights_digest(model) == built_weights, "epochs_asked": _number(epochs),
                  "early_stopping": any(type(c).__name__ == "EarlyStopping" for c in list(callbacks)[:20]),
                  **{f"x_{k}": v for k, v in _which(x, y, data).items()},
                  **{f"validation_{k}": v for k, v in _which(vx, vy, data).items()}}
        history = original(*args, **kwargs)
        logged = getattr(history, "history", {}) if history is not None else {}
        logged = logged if isinstance(logged, dict) else {}
        key = next((k for k in VALIDATION_ACCURACY if k in logged), None)
        record["metric"] = key
        record["epochs_run"] = len(next(iter(logged.values()), [])) if logged else 0
        record["val_accuracy"] = [_number(v) for v in list(logged.get(key) or [])[:200]]
        record["measured"] = _measure(model, data)
        fits.append(record)
        return history
    try:
        model.fit = fit
    except Exception:       # a model that refuses the attribute: its fits go unseen
        pass
    return model


def _measure(model, data):
    """The trained model's accuracy on the grader's validation images, measured by the grader
    (Keras' own ``predict``, the argmax against the grader's labels): what the model scores,
    whatever a callback let ``History`` record. None when ``predict`` is not the library's."""
    predict = getattr(type(model), "predict", None)
    if not _is_library(predict):
        return None
    try:
        scores = np.asarray(predict(model, data[2], verbose=0))
        return float(np.mean(scores.argmax(axis=-1) == np.asarray(data[3]).reshape(-1)))
    except Exception:
        return None


def _is_library(function):
    import os
    import sys
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    if code is None:
        return False
    path = os.path.realpath(code.co_filename)
    return path.startswith(tuple(os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix)))


def _materialize(x, y):
    """(images, labels) as arrays, also from a tf.data.Dataset of (images, labels) batches
    (read up to MAX_ROWS rows); (None, None) when they are not arrays."""
    if hasattr(x, "element_spec") and hasattr(x, "as_numpy_iterator"):
        images, labels, rows = [], [], 0
        for element in x.as_numpy_iterator():
            if not isinstance(element, tuple) or len(element) < 2:
                return None, None
            images.append(np.asarray(element[0]))
            labels.append(np.asarray(element[1]))
            rows += len(images[-1]) if images[-1].ndim else 1
            if rows > MAX_ROWS:
                break
        if not images:
            return None, None
        stack = np.concatenate if images[0].ndim > 1 else np.stack
        return stack(images), (np.concatenate(labels) if labels[0].ndim else np.stack(labels))
    try:
        return np.asarray(x), (np.asarray(y) if y is not None else None)
    except Exception:
        return None, None


def _row_keys(images):
    """One key per image, independent of dtype: the grader's pixels are k/255."""
    flat = np.asarray(images, dtype="float64").reshape(len(images), -1)
    return [row.tobytes() for row in np.clip(np.rint(flat * 255.0), -1, 256).astype(np.int16)]


def _which(x, y, data):
    """{"set": 'train', 'valid' or 'other', "labels": whether ``y`` gives each image its own
    label}: the images recognised as one of the grader's arrays in any order."""
    x_train, y_train, x_valid, y_valid = data
    try:
        images, labels = _materialize(x, y)
        if images is None or images.ndim < 2 or len(images) > MAX_ROWS:
            return {"set": "other", "labels": False}
        keys = _row_keys(images)
        for name, ref_x, ref_y in (("train", x_train, y_train), ("valid", x_valid, y_valid)):
            ref_keys = _row_keys(ref_x)
            if len(keys) != len(ref_keys) or sorted(keys) != sorted(ref_keys):
                continue
            truth = dict(zip(ref_keys, (int(v) for v in np.asarray(ref_y).reshape(-1))))
            return {"set": name, "labels": _labels_match(labels, keys, truth)}
    except Exception:
        pass
    return {"set": "other", "labels": False}


def _labels_match(labels, keys, truth):
    if labels is None or len(labels) != len(keys):
        return False
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:           # one-hot
        labels = labels.argmax(axis=1)
    labels = labels.reshape(-1)
    return len(labels) == len(keys) and all(int(v) == truth[k] for v, k in zip(labels, keys))


def observe_sweep(subject, inputs):
    """One run of the student's sweep on the grader's data, with a spy on the module's builder
    and on the fits of the models it built; shared by two checks."""
    def run():
        builder = subject.function("create_dropout_model")
        data = inputs.sweep_data
        built, models, fits = [], [], []

        def spy(*args, **kwargs):
            rate = kwargs.get("dropout_rate", args[0] if args else None)
            built.append(_number(rate) if rate is not None else None)
            model = builder(*args, **kwargs)
            models.append(id(model) % 2**31)
            return _fits(model, built[-1], data, fits)

        subject.namespace["create_dropout_model"] = spy
        try:
            results = subject.call("run_dropout_sweep", list(inputs.sweep_rates), *data, SWEEP_EPOCHS)
        finally:
            subject.namespace["create_dropout_model"] = builder
        out = {"type": type(results).__name__, "built": built[:50], "built_models": models[:50], "fits": fits[:20],
               "results": None}
        if isinstance(results, dict):
            out["results"] = [[_number(rate), {k: _number(entry.get(k)) if isinstance(entry, dict) else None
                                               for k in ("best_val_acc", "final_val_acc")}
                               if isinstance(entry, dict) else _number(entry)]
                              for rate, entry in list(results.items())[:20]]
        return out
    return subject.memo(("ex1_sweep", inputs.seed), run)


def picked_rate(subject):
    """The rate the notebook's own sweep (``sweep_results``) found best, by the module's rule:
    the highest best_val_acc, ties to the smallest rate."""
    try:
        results = subject.value("sweep_results")
    except Problem:
        raise Problem("the notebook's sweep did not run (`sweep_results`, set by the cell after "
                      "Exercise 1's solution, is not defined), so there is no rate to retrain") from None
    try:
        scores = {float(rate): float(entry["best_val_acc"]) for rate, entry in results.items()}
    except Exception:
        raise Problem("`sweep_results` must be {rate: {'best_val_acc': ...}} as `run_dropout_sweep` "
                      f"returns it. Received: {str(results)[:200]}") from None
    if not scores:
        raise Problem("`sweep_results` is empty: the sweep trained no model")
    rate = min(scores, key=lambda r: (-scores[r], r))
    if module_rate(rate) is None:
        raise Problem(f"the sweep's best rate {rate} is not one of DROPOUT_RATES {DROPOUT_RATES}")
    return module_rate(rate)


def picked_rate_args(subject):
    """The arguments the grader builds the student's ``create_dropout_model`` with."""
    return subject.memo("picked_rate", lambda: (picked_rate(subject),))


def _entries(outputs, inputs):
    """{rate: entry} of the sweep's returned results, or Problem saying what is wrong."""
    rates = inputs.sweep_rates
    if not isinstance(outputs, dict) or outputs.get("results") is None:
        got = outputs.get("type") if isinstance(outputs, dict) else "nothing"
        raise Problem("`run_dropout_sweep` must return a dict {rate: {'best_val_acc': ..., "
                      f"'final_val_acc': ...}}. Received: {got}")
    results = {}
    for pair in outputs["results"]:
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], float):
            results[pair[0]] = pair[1]
    if sorted(results) != rates or len(outputs["results"]) != len(rates):
        keys = [p[0] if isinstance(p, list) and p else p for p in outputs["results"]]
        raise Problem(f"`run_dropout_sweep(rates={rates}, ...)` must return one entry per "
                      f"rate it was given. Received keys: {keys}")
    for rate in rates:
        entry = results[rate]
        if not isinstance(entry, dict):
            raise Problem(f"results[{rate}] must be a dict. Received: {entry}")
        for key in ("best_val_acc", "final_val_acc"):
            value = entry.get(key)
            if not isinstance(value, float) or not 0.0 <= value <= 1.0:
                raise Problem(f"results[{rate}]['{key}'] must be an accuracy between 0 and 1. "
                              f"Received: {value!r}")
    return results


def observe_rates(subject, inputs):
    value = subject.value("DROPOUT_RATES")
    try:
        return {"rates": [_number(v) for v in list(value)[:50]]}
    except TypeError:
        return {"rates": None, "repr": f"{type(value).__name__}: {str(value)[:100]}"}


@check("ex1_rates", exercise=1, points=1, description="DROPOUT_RATES lists the eight rates", observe=observe_rates)
def rates(outputs, inputs):
    """Compared as values: any sequence of the eight numbers (np.arange(0, 0.8, 0.1)'s
    0.30000000000000004 is 0.3), in any order."""
    got = outputs.get("rates") if isinstance(outputs, dict) else None
    if not (isinstance(got, list) and len(got) == len(DROPOUT_RATES) and all(isinstance(v, float) for v in got)
            and np.allclose(sorted(got), DROPOUT_RATES, rtol=0, atol=RATE_TOLERANCE)):
        got = outputs.get("rates") if isinstance(outputs, dict) and outputs.get("rates") is not None else \
            (outputs.get("repr") if isinstance(outputs, dict) else None)
        return [f"DROPOUT_RATES must be {DROPOUT_RATES}. Received: {got!r}"]
    return []


@check("ex1_sweep", exercise=1, points=2,
       description="run_dropout_sweep trains create_dropout_model(rate) once per rate and "
                   "returns best and final validation accuracy", observe=observe_sweep)
def sweep(outputs, inputs):
    """Once per rate: the models built with a rate of the sweep, the trained one where a rate
    was built more than once. A model built and never trained at another rate (the default,
    to print a summary, say) does not count."""
    _entries(outputs, inputs)
    built = outputs.get("built") if isinstance(outputs.get("built"), list) else []
    ids = outputs.get("built_models") if isinstance(outputs.get("built_models"), list) else []
    trained = {f.get("model") for f in outputs.get("fits") or [] if isinstance(f, dict)}
    per_rate = {}
    for rate, model in zip(built, ids + [None] * (len(built) - len(ids))):
        per_rate.setdefault(rate, []).append(model)
    counted = []
    for rate, models in per_rate.items():
        fitted = [m for m in models if m in trained]
        if fitted:
            counted += [rate] * len(fitted)
        elif rate in inputs.sweep_rates:
            counted += [rate] * len(models)
    if sorted(r for r in counted if isinstance(r, float)) != inputs.sweep_rates or len(counted) != len(inputs.sweep_rates):
        return [f"`run_dropout_sweep` must build each model with create_dropout_model(rate), "
                f"once per rate: for rates {inputs.sweep_rates} it built {built}"]
    return []


def observe_best_rate(subject, inputs):
    return {"answers": [_number(subject.call("best_dropout_rate", {r: dict(v) for r, v in table.items()}))
                        for table in inputs.best_rate_tables]}


def expected_best_rate(table):
    return min(table, key=lambda rate: (-table[rate]["best_val_acc"], rate))


@check("ex1_best_rate", exercise=1, points=2,
       description="best_dropout_rate picks the highest best_val_acc, ties to the smallest rate",
       observe=observe_best_rate)
def best_rate(outputs, inputs):
    answers = outputs.get("answers") if isinstance(outputs, dict) else None
    tables = inputs.best_rate_tables
    if not isinstance(answers, list) or len(answers) != len(tables):
        return ["`best_dropout_rate` was not called on every table it was given"]
    problems = []
    for table, got in zip(tables, answers):
        expected = expected_best_rate(table)
        if got != expected:
            tie = " (a tie, broken by the smallest rate)" if sum(
                v["best_val_acc"] == table[expected]["best_val_acc"] for v in table.values()) > 1 else ""
            problems.append(f"best_dropout_rate returned {got!r} for best_val_acc "
                            f"{ {r: v['best_val_acc'] for r, v in table.items()} }; expected {expected}{tie}")
    return problems


def _series(ax):
    """(x, y) of every artist on ``ax`` that carries data: lines, scatter collections (their
    offsets) and bars (their centres and heights)."""
    import matplotlib
    found = []
    for line in ax.get_lines()[:MAX_LINES]:
        found.append((line.get_xdata(), line.get_ydata()))
    for collection in ax.collections[:MAX_LINES]:
        offsets = np.asarray(collection.get_offsets(), dtype=float)
        if offsets.ndim == 2 and offsets.shape[1] == 2:
            found.append((offsets[:, 0], offsets[:, 1]))
    for container in ax.containers[:MAX_LINES]:
        if isinstance(container, matplotlib.container.BarContainer):
            patches = list(container)[:MAX_POINTS]
            found.append(([p.get_x() + p.get_width() / 2 for p in patches], [p.get_height() for p in patches]))
    return found[:MAX_LINES]


def observe_plot(subject, inputs):
    import matplotlib
    import matplotlib.pyplot as plt
    try:
        ax = subject.call("plot_dropout_sweep", {r: dict(v) for r, v in inputs.plot_results.items()})
        if not isinstance(ax, matplotlib.axes.Axes):
            return {"type": type(ax).__name__, "lines": None}
        lines = []
        for xdata, ydata in _series(ax):
            try:
                x, y = np.asarray(xdata, float), np.asarray(ydata, float)
            except (TypeError, ValueError):
                continue
            lines.append({"x": [_number(v) for v in x[:MAX_POINTS]], "y": [_number(v) for v in y[:MAX_POINTS]]})
        return {"type": "Axes", "lines": lines}
    finally:
        plt.close("all")


@check("ex1_plot", exercise=1, points=1,
       description="plot_dropout_sweep plots validation accuracy against dropout rate", observe=observe_plot)
def plot(outputs, inputs):
    """Any artist that carries the eight points counts (a line, a scatter, bars), its points in
    any order, the accuracy as a fraction or in percent."""
    if not isinstance(outputs, dict) or outputs.get("type") != "Axes":
        got = outputs.get("type") if isinstance(outputs, dict) else None
        return ["`plot_dropout_sweep` must return the matplotlib Axes it drew on. Received: " + str(got)]
    results = inputs.plot_results
    wanted = [[results[r][k] for r in DROPOUT_RATES] for k in ("best_val_acc", "final_val_acc")]
    for line in outputs.get("lines") or []:
        x, y = (line.get("x"), line.get("y")) if isinstance(line, dict) else (None, None)
        if not (isinstance(x, list) and isinstance(y, list) and len(x) == len(y) == len(DROPOUT_RATES)):
            continue
        if not all(isinstance(v, float) for v in x + y):
            continue
        order = np.argsort(x, kind="stable")
        xs, ys = np.asarray(x)[order], np.asarray(y)[order]
        if np.allclose(xs, DROPOUT_RATES, atol=RATE_TOLERANCE) and any(
                np.allclose(ys, w, atol=1e-6) or np.allclose(ys / 100.0, w, atol=1e-6) for w in wanted):
            return []
    return ["the Axes has no line, scatter or bars of validation accuracy (y) against dropout rate (x) "
            "for the eight rates"]
