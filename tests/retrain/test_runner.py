"""Retraining in a clean process: real training on real data slices, cached, deterministic,
and deaf to whatever the calling process did to Keras."""
import importlib.util
from concurrent.futures import ThreadPoolExecutor

import keras
import pytest
from keras import layers, models

from autograder.retrain import retrain
from autograder.retrain.cache import ResultCache
from autograder.retrain.protocols import get_protocol

import reference.exercise2 as e2


@pytest.fixture
def cache(tmp_path):
    return ResultCache(str(tmp_path / "cache"))


# Many GPU machines have a working JAX but no GPU build of TensorFlow: both backends must give
# a real, deterministic training and the same refusals.
BACKENDS = ["tensorflow", pytest.param("jax", marks=pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="JAX is not installed"))]


def small_model(name_offset=0):
    """The reference 'BN before activation' model, with layer names that differ per call."""
    for _ in range(name_offset):
        layers.Dense(1)     # bumps Keras' automatic layer names
    return e2.create_bn_before_activation()


@pytest.mark.parametrize("backend", BACKENDS)
def test_retrain_reports_real_training_and_is_deterministic(cache, backend):
    config = small_model().to_json()
    first = retrain(config, "fashion_mnist_mlp", "quick", cache=cache, backend=backend)
    assert first["type"] == "RetrainResult", first.get("message")
    budget = get_protocol("fashion_mnist_mlp").budget("quick")
    assert first["train_samples"] == budget.train_samples
    assert first["valid_samples"] == budget.valid_samples
    assert 1 <= first["epochs_run"] <= budget.epochs
    assert first["device"].lower().startswith(f"{backend}:cpu") and first["backend"] == backend
    assert first["cached"] is False
    assert 0.5 < first["best_val_acc"] <= 1.0      # a BN MLP learns Fashion-MNIST in 2 short epochs
    again = retrain(config, "fashion_mnist_mlp", "quick", cache=cache, use_cache=False, backend=backend)
    assert again["history"] == first["history"]


def test_identical_models_share_one_retraining(cache):
    # Two callers at once (two batches, two test workers): one trains, the other waits and reads it.
    config = small_model().to_json()
    with ThreadPoolExecutor(2) as pool:
        pair = list(pool.map(lambda slot: retrain(config, "fashion_mnist_mlp", "quick", cache=cache, slot=slot),
                             (0, 1)))
    assert sorted(r["cached"] for r in pair) == [False, True]
    a = next(r for r in pair if not r["cached"])
    assert [r["best_val_acc"] for r in pair] == [a["best_val_acc"]] * 2
    renamed = small_model(name_offset=3)
    b = retrain(renamed.to_json(), "fashion_mnist_mlp", "quick", cache=cache)
    assert b["cached"] is True and b["key"] == a["key"] and b["best_val_acc"] == a["best_val_acc"]
    assert cache.clear() == 1
    c = retrain(renamed.to_json(), "fashion_mnist_mlp", "quick", cache=cache)
    assert c["cached"] is False


def test_the_compiled_optimizers_generated_name_does_not_split_identical_models():
    from autograder.retrain.cache import canonical_config
    import json as _json
    configs = []
    for extra in (0, 15):               # a kernel that made 15 more optimizers before this one
        for _ in range(extra):
            keras.optimizers.Adam()
        model = small_model()
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        configs.append(_json.loads(model.to_json()))
    assert configs[0]["compile_config"]["optimizer"]["config"]["name"] != \
        configs[1]["compile_config"]["optimizer"]["config"]["name"]
    assert canonical_config(configs[0]) == canonical_config(configs[1])


def test_a_patched_fit_in_the_caller_changes_nothing(cache, monkeypatch):
    config = small_model().to_json()
    honest = retrain(config, "fashion_mnist_mlp", "quick", cache=cache, use_cache=False)

    def fake_fit(self, *args, **kwargs):
        raise AssertionError("the grader must not train in the calling process")
    monkeypatch.setattr(keras.Model, "fit", fake_fit)
    patched = retrain(config, "fashion_mnist_mlp", "quick", cache=cache, use_cache=False)
    assert patched["type"] == "RetrainResult" and patched["history"] == honest["history"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_lambda_layers_are_refused_with_a_reason(cache, backend):
    model = models.Sequential([layers.Input((784,)), layers.Lambda(lambda x: x * 2),
                               layers.Dense(10, activation="softmax")])
    result = retrain(model.to_json(), "fashion_mnist_mlp", "quick", cache=cache, backend=backend)
    assert result["type"] == "RetrainRefused"
    assert "Lambda layer" in result["message"] and "built-in Keras layers" in result["message"]


def test_an_enormous_layer_is_refused_before_it_is_built(cache):
    model = {"class_name": "Sequential", "config": {"name": "big", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 784], "name": "in"}},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "wide", "units": 10_000_000}},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "out", "units": 10, "activation": "softmax"}}]}}
    result = retrain(model, "fashion_mnist_mlp", "quick", cache=cache)
    assert result["type"] == "RetrainRefused"
    assert "parameters" in result["message"] and "at most 20,000,000" in result["message"]


def test_a_warm_worker_gives_what_a_fresh_interpreter_gives(cache):
    before = retrain(e2.create_bn_before_activation().to_json(), "fashion_mnist_mlp", "quick",
                     cache=cache, use_cache=False, warm=False)
    baseline = retrain(e2.create_no_bn_baseline().to_json(), "fashion_mnist_mlp", "quick",
                       cache=cache, use_cache=False, warm=True)
    again = retrain(e2.create_bn_before_activation().to_json(), "fashion_mnist_mlp", "quick",
                    cache=cache, use_cache=False, warm=True)   # after another job on the same worker
    assert baseline["type"] == again["type"] == "RetrainResult"
    assert again["history"] == before["history"]


def test_a_warm_worker_that_died_between_jobs_is_reported_as_the_machines_fault(tmp_path):
    from autograder.retrain.runner import WarmWorker
    worker = WarmWorker("tensorflow", None)
    worker.proc.kill()          # say, the machine's out-of-memory killer, before the job is handed over
    worker.proc.wait()
    failure = worker.run(str(tmp_path / "spec.json"), str(tmp_path / "result.json"), timeout=30)
    assert failure["phase"] == "worker" and "ended with code -9 without a result" in failure["message"]
    assert not worker.alive()


def test_the_grader_seeds_every_initializer_and_dropout_mask():
    """A student's seed (an initializer's, a Dropout's) is not the retraining's: a model that
    differs only in its seeds is the same job, started from the grader's own draw."""
    from autograder.retrain.runner import job_spec

    def build(seed):
        init = keras.initializers.GlorotUniform(seed=seed) if seed is not None else "glorot_uniform"
        return models.Sequential([layers.Input(shape=(784,)), layers.Dense(32, kernel_initializer=init),
                                  layers.Dropout(0.2, seed=seed), layers.Dense(10, activation="softmax")])
    seeded = job_spec(build(1234).to_json(), "fashion_mnist_mlp", "quick")
    plain = job_spec(build(None).to_json(), "fashion_mnist_mlp", "quick")
    assert seeded[-1] == plain[-1]
    layers_ = seeded[0]["config"]["layers"]
    assert layers_[1]["config"]["kernel_initializer"]["config"]["seed"] is None
    assert layers_[2]["config"]["seed"] is None
