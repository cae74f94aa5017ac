"""Runs in the student's kernel, after the notebook: what the grader needs to judge it.

Two kinds of observation, written as JSON:
- the Keras config (and compile optimizer) of each model builder's model: the grader judges
  structure and accuracy from these, outside the kernel, by describing and retraining them;
- the verdicts of the checks that must call the student's functions (the sweep, the plot,
  the data loader, the callback). Everything here can be forged by code that tampers with
  the kernel; the README's security model says what that can and cannot gain.
"""
import contextlib
import io
import json
import os

MODEL_BUILDERS = ("create_bn_before_activation", "create_bn_after_activation",
                  "create_no_bn_baseline", "create_cifar_model", "create_cifar_baseline")


def _models(subject):
    from ..checks import Problem
    models = {}
    for builder in MODEL_BUILDERS:
        try:
            models[builder] = {"config": subject.model_config(builder),
                               "optimizer": subject.optimizer_config(builder)}
        except Problem as problem:
            models[builder] = {"problem": str(problem)}
        except Exception as exc:
            models[builder] = {"problem": f"`{builder}()`: {type(exc).__name__}: {exc}"}
    return models


def _sweep(namespace):
    """The class report's sweep curves: the notebook's own sweep results, if any."""
    results = namespace.get("sweep_results")
    try:
        return {str(float(r)): float(v["best_val_acc"]) for r, v in results.items()}
    except Exception:
        return None


def observe(namespace, path):
    from ..checks import CHECKS
    from ..notebook import run_check, subject_for
    subject = subject_for(namespace)
    out = {"type": "Observations", "checks": {}}
    with contextlib.redirect_stdout(io.StringIO()):
        for name, check in CHECKS.items():
            if not check.from_model:
                out["checks"][name] = run_check(name, namespace).to_dict()
        out["models"] = _models(subject)
    out["sweep"] = _sweep(namespace)
    with open(path + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(path + ".tmp", path)
    print(f"Observations written for the grader ({len(out['checks'])} checks, "
          f"{len(out['models'])} models).")
