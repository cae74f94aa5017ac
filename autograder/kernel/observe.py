"""Runs in the student's kernel, in place of each test cell: what the grader needs to judge it.

nbgrader runs each test cell where it stands in the notebook; so does this, so a check sees
the notebook's state at that point, as it would under nbgrader. Two kinds of observation,
each sent to the grader as the cell runs:
- for the checks judged from the model (``from_model``): the Keras config and compile
  optimizer of the exercise's models; the grader describes and retrains them outside;
- for the checks that must call the student's functions (the sweep, the plot, the data
  loader, the callback): what those functions returned on inputs drawn at grading time from
  a seed the notebook could not know in advance. The grader judges these outputs; the
  README's security model says what code that tampers with the kernel can still forge.
"""
import contextlib
import io
import json
import os

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
    import math
    results = namespace.get("sweep_results")
    try:
        sweep = {str(float(r)): float(v["best_val_acc"]) for r, v in list(results.items())[:32]}
    except Exception:
        return None
    return sweep if all(math.isfinite(float(r)) and math.isfinite(v) for r, v in sweep.items()) else None


_OBSERVED_BUILDERS = set()


def _outputs(check, subject, inputs):
    """The check's observation of the student's functions on the grading-time inputs."""
    try:
        return check.observation(subject, inputs)
    except KeyboardInterrupt:
        return {"problem": "the student's function did not return within the cell's time limit"}
    except Exception as exc:
        return {"problem": f"the check could not run: {type(exc).__name__}: {exc}"}


def observe(name, namespace, seed):
    """Observe check ``name`` against the namespace as it is now, and hand the observation to
    the grader at once (a display message the sandbox's runner streams out, see ``inside``).
    Only what the student's functions returned, on inputs drawn from ``seed``, is reported:
    the grader judges it."""
    from IPython.display import display

    from ..assignment import current
    from ..checks import get_check
    from ..checks.inputs import GradingInputs
    from ..notebook import quiet, subject_for
    from .channel import OBSERVATION_MIME
    from .tamper_probe import findings
    check = get_check(name)
    out = {"type": "Observations", "checks": {}, "models": {}}
    with contextlib.redirect_stdout(io.StringIO()):
        if check.from_model:
            for builder in current().builders(check.exercise):
                if builder not in _OBSERVED_BUILDERS:
                    _OBSERVED_BUILDERS.add(builder)
                    out["models"][builder] = _model(subject_for(namespace), builder)
        else:
            with quiet():
                out["checks"][name] = _outputs(check, subject_for(namespace), GradingInputs(seed))
    out["sweep"] = _sweep(namespace)
    out["tampered"] = findings()
    display({OBSERVATION_MIME: out}, raw=True)
    print(f"{name}: observed; the grader judges it after the notebook has run.")
