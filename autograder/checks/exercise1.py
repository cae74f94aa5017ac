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


def _number(value):
    """A float for a real number, else a short description of what it was (for messages)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    return f"{type(value).__name__}: {str(value)[:60]}"


def _fits(model, rate, data, fits):
    """Wrap ``model.fit`` (on this model only) to record which of the grader's arrays it was
    given and the history the library's own ``fit`` returned."""
    original = getattr(model, "fit", None)
    if original is None:
        return model
    library_fit = _is_library(getattr(type(model), "fit", None))

    def fit(*args, **kwargs):
        x = args[0] if args else kwargs.get("x")
        validation = kwargs.get("validation_data", args[7] if len(args) > 7 else None)
        record = {"rate": rate, "x": _which(x, data), "library_fit": library_fit,
                  "validation": _which(validation[0], data) if isinstance(validation, (tuple, list)) and validation else "none"}
        history = original(*args, **kwargs)
        values = getattr(history, "history", {}).get("val_accuracy", []) if history is not None else []
        record["val_accuracy"] = [_number(v) for v in list(values)[:200]]
        fits.append(record)
        return history
    try:
        model.fit = fit
    except Exception:       # a model that refuses the attribute: its fits go unseen
        pass
    return model


def _is_library(function):
    import os
    import sys
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    if code is None:
        return False
    path = os.path.realpath(code.co_filename)
    return path.startswith(tuple(os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix)))


def _which(array, data):
    """'train' or 'valid' when ``array`` holds the grader's training or validation images."""
    x_train, _, x_valid, _ = data
    try:
        a = np.asarray(array, dtype="float64")
        for name, ref in (("train", x_train), ("valid", x_valid)):
            if a.shape[0] == len(ref) and a.size == ref.size and \
                    np.allclose(a.reshape(len(ref), -1)[:16], ref[:16], atol=1e-5):
                return name
    except Exception:
        pass
    return "other"


def observe_sweep(subject, inputs):
    """One run of the student's sweep on the grader's data, with a spy on the module's builder
    and on the fits of the models it built; shared by two checks."""
    def run():
        builder = subject.function("create_dropout_model")
        data = inputs.sweep_data
        built, fits = [], []

        def spy(*args, **kwargs):
            rate = kwargs.get("dropout_rate", args[0] if args else None)
            built.append(_number(rate) if rate is not None else None)
            return _fits(builder(*args, **kwargs), built[-1], data, fits)

        subject.namespace["create_dropout_model"] = spy
        try:
            results = subject.call("run_dropout_sweep", list(inputs.sweep_rates), *data, 1)
        finally:
            subject.namespace["create_dropout_model"] = builder
        out = {"type": type(results).__name__, "built": built, "fits": fits[:20], "results": None}
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
    if rate not in DROPOUT_RATES:
        raise Problem(f"the sweep's best rate {rate} is not one of DROPOUT_RATES {DROPOUT_RATES}")
    return rate


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
    if not isinstance(outputs, dict) or outputs.get("rates") != DROPOUT_RATES:
        got = outputs.get("rates") if isinstance(outputs, dict) and outputs.get("rates") is not None else \
            (outputs.get("repr") if isinstance(outputs, dict) else None)
        return [f"DROPOUT_RATES must be {DROPOUT_RATES}. Received: {got!r}"]
    return []


@check("ex1_sweep", exercise=1, points=2,
       description="run_dropout_sweep trains create_dropout_model(rate) once per rate and "
                   "returns best and final validation accuracy", observe=observe_sweep)
def sweep(outputs, inputs):
    _entries(outputs, inputs)
    built = outputs.get("built") if isinstance(outputs.get("built"), list) else []
    if sorted(r for r in built if isinstance(r, float)) != inputs.sweep_rates or len(built) != len(inputs.sweep_rates):
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


def observe_plot(subject, inputs):
    import matplotlib
    import matplotlib.pyplot as plt
    try:
        ax = subject.call("plot_dropout_sweep", {r: dict(v) for r, v in inputs.plot_results.items()})
        if not isinstance(ax, matplotlib.axes.Axes):
            return {"type": type(ax).__name__, "lines": None}
        lines = []
        for line in ax.get_lines()[:MAX_LINES]:
            try:
                x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            except (TypeError, ValueError):
                continue
            lines.append({"x": [_number(v) for v in x[:MAX_POINTS]], "y": [_number(v) for v in y[:MAX_POINTS]]})
        return {"type": "Axes", "lines": lines}
    finally:
        plt.close("all")


@check("ex1_plot", exercise=1, points=1,
       description="plot_dropout_sweep plots validation accuracy against dropout rate", observe=observe_plot)
def plot(outputs, inputs):
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
        if np.allclose(x, DROPOUT_RATES) and any(np.allclose(y, w) for w in wanted):
            return []
    return ["the Axes has no line of validation accuracy (y) against dropout rate (x) "
            "for the eight rates"]
