"""``autograder bench``: what the trusted retraining costs, measured side by side.

- overhead: the Exercise 3 reference retrained under the quick profile through the harness
  (worker process, data loading, cache write: everything) against a bare in-process
  ``model.fit`` of the same model, data and epochs: as the first job (worker start and data
  cut included), as every later job on the warm worker, and in a new interpreter of its own;
- a cache hit of the same job;
- on a GPU (when one is visible): the full-profile time (not measured on CPU-only machines).
"""
import copy
import json
import platform
import tempfile
import time

from ..retrain.cache import ResultCache
from ..retrain.protocols import get_protocol
from ..retrain.runner import retrain


def _bare_fit(config, optimizer, protocol, budget, epochs):
    import keras
    from ..common.seeding import set_seed
    from ..retrain import datasets
    x_train, y_train, x_valid, y_valid = datasets.load(protocol, budget)
    set_seed(protocol.seed)
    model = keras.saving.deserialize_keras_object(json.loads(config), safe_mode=True)
    # deserialize() consumes the dict it is given
    model.compile(optimizer=keras.optimizers.deserialize(copy.deepcopy(optimizer)), loss=protocol.loss,
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=protocol.batch_size, epochs=epochs,
              validation_data=(x_valid, y_valid), verbose=0)
    return time.perf_counter() - start


def run(profile="quick", log=print):
    import reference.exercise3 as e3
    protocol = get_protocol("cifar10_mlp")
    budget = protocol.budget(profile)
    model = e3.create_cifar_model()
    config, optimizer = model.to_json(), model.get_compile_config()["optimizer"]
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache(tmp)
        log("retraining the Exercise 3 reference through the harness (first job: cuts the data) ...")
        start = time.perf_counter()
        first = retrain(config, protocol, profile, optimizer=optimizer, cache=cache)
        first_s = time.perf_counter() - start
        if first["type"] != "RetrainResult":
            raise RuntimeError(first["message"])
        log("again, as every later job of a batch runs (warm worker, data already cut, not cached) ...")
        start = time.perf_counter()
        harness = retrain(config, protocol, profile, optimizer=optimizer, cache=cache, use_cache=False)
        harness_s = time.perf_counter() - start
        log("again, in a new interpreter of its own ...")
        start = time.perf_counter()
        fresh = retrain(config, protocol, profile, optimizer=optimizer, cache=cache, use_cache=False,
                        warm=False)
        fresh_s = time.perf_counter() - start
        log("the same training as a bare in-process model.fit ...")
        bare_s = _bare_fit(config, optimizer, protocol, budget, harness["epochs_run"])
        start = time.perf_counter()
        hit = retrain(config, protocol, profile, optimizer=optimizer, cache=cache)
        hit_s = time.perf_counter() - start
    return {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "profile": profile,
        "device": harness["device"],
        "epochs": harness["epochs_run"],
        "best_val_acc": round(harness["best_val_acc"], 4),
        "harness_first_job_wall_s": round(first_s, 2),
        "harness_wall_s": round(harness_s, 2),
        "harness_fresh_interpreter_wall_s": round(fresh_s, 2),
        "harness_train_s": round(harness["train_wall_s"], 2),
        "bare_fit_s": round(bare_s, 2),
        "overhead_ratio": round(harness_s / bare_s, 3),
        "overhead_ratio_first_job": round(first_s / bare_s, 3),
        "overhead_ratio_fresh_interpreter": round(fresh_s / bare_s, 3),
        "same_result": first["history"] == harness["history"] == fresh["history"],
        "cache_hit_s": round(hit_s, 4),
        "cache_hit": bool(hit["cached"]),
        "gpu": None if "GPU" not in harness["device"] and ":gpu" not in harness["device"]
        else "see the full-profile figures in the README",
    }
