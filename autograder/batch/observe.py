"""Runs in the student's kernel, in place of each test cell: what the grader needs to judge it.

nbgrader runs each test cell where it stands in the notebook; so does this, so a check sees
the notebook's state at that point, as it would under nbgrader. Two kinds of observation,
each sent to the grader as the cell runs:
- for the checks judged from the model (``from_model``): the Keras config and compile
  optimizer of the exercise's models; the grader describes and retrains them outside;
- for the checks that must call the student's functions (the sweep, the plot, the data
  loader, the callback): their verdicts. Code that tampers with the kernel can forge these;
  the README's security model says what that can and cannot gain.
"""
import contextlib
import io
import json
import os

BUILDERS = {1: ("create_dropout_model",),
            2: ("create_bn_before_activation", "create_bn_after_activation", "create_no_bn_baseline"),
            3: ("create_cifar_model", "create_cifar_baseline")}
MODEL_BUILDERS = BUILDERS[1] + BUILDERS[2] + BUILDERS[3]


def _model(subject, builder):
    from ..checks import Problem
    try:
        return {"config": subject.model_config(builder), "optimizer": subject.optimizer_config(builder),
                "args": list(subject.builder_args(builder))}
    except Problem as problem:
        return {"problem": str(problem)}
    except KeyboardInterrupt:       # the cell's time limit: record it, so later cells skip it
        return {"problem": f"`{builder}()` did not return within the cell's time limit"}
    except Exception as exc:
        return {"problem": f"`{builder}()`: {type(exc).__name__}: {exc}"}


def _sweep(namespace):
    """The class report's sweep curves: the notebook's own sweep results, if any."""
    results = namespace.get("sweep_results")
    try:
        return {str(float(r)): float(v["best_val_acc"]) for r, v in results.items()}
    except Exception:
        return None


_OBSERVED_BUILDERS = set()


def observe(name, namespace):
    """Observe check ``name`` against the namespace as it is now, and hand the observation to
    the grader at once (a display message the sandbox's runner streams out, see ``inside``)."""
    from IPython.display import display

    from ..checks import get_check
    from ..notebook import run_check, subject_for
    from .inside import OBSERVATION_MIME
    from .tamper_probe import findings
    check = get_check(name)
    out = {"type": "Observations", "checks": {}, "models": {}}
    with contextlib.redirect_stdout(io.StringIO()):
        if check.from_model:
            for builder in BUILDERS.get(check.exercise, ()):
                if builder not in _OBSERVED_BUILDERS:
                    _OBSERVED_BUILDERS.add(builder)
                    out["models"][builder] = _model(subject_for(namespace), builder)
        else:
            out["checks"][name] = run_check(name, namespace).to_dict()
    out["sweep"] = _sweep(namespace)
    out["tampered"] = findings()
    display({OBSERVATION_MIME: out}, raw=True)
    print(f"{name}: observed; the grader judges it after the notebook has run.")
