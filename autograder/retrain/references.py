"""The reference models' jobs: the JSON config and optimizer of what a reference builder returns,
kept with the retraining results.

Calibration, the feedback's reference curves, the class report and the check that Exercise 1's
model is the module's all need the reference as a config, and building it means loading
TensorFlow (10 s of CPU on a 2-core machine) in the grader's own process. So the job is kept by
what it is built from: the reference's code (its file and the other Python files of its folder,
which import one another), the builder, its arguments and Keras' version. A batch that finds it
never loads TensorFlow; a changed reference file is built again.
"""
import hashlib
import json
from importlib.metadata import version

from ..assignment import current
from ..common.terminal import quiet_native_import
from .cache import ResultCache

KIND = "ReferenceJob"


def _key(assignment, model, args):
    digest = hashlib.sha256(repr((KIND, model.builder, tuple(args), version("keras"))).encode())
    for path in assignment.reference_code(model):
        with open(path, "rb") as f:
            digest.update(path.encode() + b"\0" + hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def reference_job(model, args=(), cache=None):
    """(JSON config, optimizer config or None) of the reference of ``model`` (a ModelSpec) built
    with ``args``: from the cache when it holds them, else built (and kept)."""
    assignment, cache = current(), cache or ResultCache()
    key = _key(assignment, model, args)
    kept = cache.get(key)
    if isinstance(kept, dict) and kept.get("type") == KIND and isinstance(kept.get("config"), str):
        return kept["config"], kept.get("optimizer")
    quiet_native_import("tensorflow")       # its C++ start-up lines stay off the terminal
    built = getattr(assignment.reference_module(model), model.builder)(*args)
    optimizer = built.get_compile_config()["optimizer"] if built.compiled else None
    config = built.to_json()
    try:
        json.dumps(optimizer)
    except (TypeError, ValueError):     # not JSON as it is: built again next time, never kept half
        return config, optimizer
    cache.put(key, {"type": KIND, "builder": model.builder, "args": list(args), "config": config,
                    "optimizer": optimizer})
    return config, optimizer
