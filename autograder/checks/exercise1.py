"""Exercise 1: the dropout sweep."""
import numbers

import numpy as np

from .registry import check
from .subject import Problem

DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
PROBE_RATES = [0.0, 0.5]
TRAIN_SAMPLES = 256


def probe_data():
    """Real Fashion-MNIST training images, and a validation set on which every model scores
    exactly 0.1: one image ten times, labelled 0..9 (one prediction matches one label)."""
    from ..data import load_fashion_mnist
    (x, y), _ = load_fashion_mnist()
    x = x[:TRAIN_SAMPLES + 1].reshape(-1, 784).astype("float32") / 255.0
    y = y[:TRAIN_SAMPLES + 1].astype("int64")
    x_valid = np.repeat(x[-1:], 10, axis=0)
    y_valid = np.arange(10, dtype="int64")
    return x[:-1], y[:-1], x_valid, y_valid


def _probe_sweep(subject):
    """One run of the student's sweep, with a spy on the module's builder, shared by checks."""
    def run():
        builder = subject.function("create_dropout_model")
        built_rates = []

        def spy(*args, **kwargs):
            built_rates.append(kwargs.get("dropout_rate", args[0] if args else None))
            return builder(*args, **kwargs)

        subject.namespace["create_dropout_model"] = spy
        try:
            x, y, xv, yv = probe_data()
            results = subject.call("run_dropout_sweep", list(PROBE_RATES), x, y, xv, yv, 1)
        finally:
            subject.namespace["create_dropout_model"] = builder
        return results, built_rates
    return subject.memo("ex1_probe_sweep", run)


def picked_rate(subject):
    """The rate the notebook's own sweep (``sweep_results``) found best, by the module's rule:
    the highest best_val_acc, ties to the smallest rate."""
    if "sweep_results" not in subject.namespace:
        raise Problem("the notebook's sweep did not run (`sweep_results`, set by the cell after "
                      "Exercise 1's solution, is not defined), so there is no rate to retrain")
    results = subject.namespace["sweep_results"]
    try:
        scores = {float(rate): float(entry["best_val_acc"]) for rate, entry in results.items()}
    except Exception:
        raise Problem("`sweep_results` must be {rate: {'best_val_acc': ...}} as `run_dropout_sweep` "
                      f"returns it. Received: {str(results)[:200]}") from None
    if not scores:
        raise Problem("`sweep_results` is empty: the sweep trained no model")
    rate = min(scores, key=lambda r: (-scores[r], r))
    if rate not in DROPOUT_RATES:
        raise Problem(f"the sweep's best rate {rate} is not one of DROPOUT_RATES {DROPOUT_RATES}")
    return rate


def _entries(results):
    if not isinstance(results, dict):
        raise Problem("`run_dropout_sweep` must return a dict {rate: {'best_val_acc': ..., "
                      f"'final_val_acc': ...}}. Received: {type(results).__name__}")
    if sorted(results) != PROBE_RATES:
        raise Problem(f"`run_dropout_sweep(rates=[0.0, 0.5], ...)` must return one entry per "
                      f"rate it was given. Received keys: {sorted(results, key=str)}")
    for rate in PROBE_RATES:
        entry = results[rate]
        if not isinstance(entry, dict):
            raise Problem(f"results[{rate}] must be a dict. Received: {type(entry).__name__}")
        for key in ("best_val_acc", "final_val_acc"):
            value = entry.get(key)
            if not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
                raise Problem(f"results[{rate}]['{key}'] must be an accuracy between 0 and 1. "
                              f"Received: {value!r}")
    return results


@check("ex1_rates", exercise=1, points=1, description="DROPOUT_RATES lists the eight rates")
def rates(subject):
    value = subject.value("DROPOUT_RATES")
    if list(value) != DROPOUT_RATES:
        return [f"DROPOUT_RATES must be {DROPOUT_RATES}. Received: {value!r}"]
    return []


@check("ex1_sweep", exercise=1, points=2,
       description="run_dropout_sweep trains create_dropout_model(rate) once per rate and "
                   "returns best and final validation accuracy")
def sweep(subject):
    results, built_rates = _probe_sweep(subject)
    _entries(results)
    if sorted(r for r in built_rates if r is not None) != PROBE_RATES or \
            len(built_rates) != len(PROBE_RATES):
        return [f"`run_dropout_sweep` must build each model with create_dropout_model(rate), "
                f"once per rate: for rates {PROBE_RATES} it built {built_rates}"]
    return []


@check("ex1_sweep_honest", exercise=1, points=2, hidden=True,
       description="the sweep reports the validation accuracy its models really reached")
def sweep_honest(subject):
    results = _entries(_probe_sweep(subject)[0])
    wrong = {rate: entry for rate, entry in results.items()
             if any(abs(float(entry[k]) - 0.1) > 1e-6 for k in ("best_val_acc", "final_val_acc"))}
    if wrong:
        return ["the accuracies returned by `run_dropout_sweep` are not the validation "
                "accuracy of the trained models on the validation data it was given "
                f"(grader's data: every model must score exactly 0.1; received {wrong}); "
                "report history.history['val_accuracy'], not training accuracy or made-up numbers"]
    return []


BEST_RATE_CASES = [
    ({0.1: {"best_val_acc": 0.80, "final_val_acc": 0.79},
      0.2: {"best_val_acc": 0.85, "final_val_acc": 0.70},
      0.3: {"best_val_acc": 0.83, "final_val_acc": 0.83}}, 0.2, "the highest best_val_acc"),
    ({0.5: {"best_val_acc": 0.90, "final_val_acc": 0.88},
      0.3: {"best_val_acc": 0.90, "final_val_acc": 0.89},
      0.0: {"best_val_acc": 0.70, "final_val_acc": 0.70}}, 0.3, "a tie, broken by the smallest rate"),
    ({0.4: {"best_val_acc": 0.61, "final_val_acc": 0.61}}, 0.4, "a single rate"),
]


@check("ex1_best_rate", exercise=1, points=2,
       description="best_dropout_rate picks the highest best_val_acc, ties to the smallest rate")
def best_rate(subject):
    problems = []
    for results, expected, case in BEST_RATE_CASES:
        got = subject.call("best_dropout_rate", {r: dict(v) for r, v in results.items()})
        if got != expected:
            problems.append(f"best_dropout_rate returned {got!r} for {case} "
                            f"({ {r: v['best_val_acc'] for r, v in results.items()} }); expected {expected}")
    return problems


@check("ex1_plot", exercise=1, points=1,
       description="plot_dropout_sweep plots validation accuracy against dropout rate")
def plot(subject):
    import matplotlib
    import matplotlib.pyplot as plt
    results = {r: {"best_val_acc": 0.8 + r / 10, "final_val_acc": 0.78 + r / 20} for r in DROPOUT_RATES}
    try:
        ax = subject.call("plot_dropout_sweep", results)
        if not isinstance(ax, matplotlib.axes.Axes):
            return ["`plot_dropout_sweep` must return the matplotlib Axes it drew on. "
                    f"Received: {type(ax).__name__}"]
        wanted = [[results[r][k] for r in DROPOUT_RATES] for k in ("best_val_acc", "final_val_acc")]
        for line in ax.get_lines():
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            if len(x) == len(DROPOUT_RATES) and np.allclose(x, DROPOUT_RATES) and \
                    any(np.allclose(y, w) for w in wanted):
                return []
        return ["the Axes has no line of validation accuracy (y) against dropout rate (x) "
                "for the eight rates"]
    finally:
        plt.close("all")
