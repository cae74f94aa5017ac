"""The retraining needs neither TensorFlow nor nbgrader: the GPU machines it is meant for have
Keras on JAX only. In an interpreter where both are unimportable, the worker, protocols,
datasets, cache and benchmark import, and a real quick-profile job trains under JAX and goes
through the cache. (The job runs in that interpreter: the worker's own subprocess starts with
``python -I``, and Keras imports TensorFlow there whenever it is installed, without needing it.)"""
import json
import os
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = r'''
import importlib.abc, json, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "nbgrader"):
            raise ImportError(f"No module named {name!r} (made unimportable by the test)")

sys.meta_path.insert(0, NotInstalled())
import autograder.tools.bench_retrain, autograder.retrain.datasets, autograder.retrain.protocols
from autograder.retrain import worker
from autograder.retrain.cache import ResultCache
from autograder.retrain.runner import job_spec
import reference.exercise3 as e3
model = e3.create_cifar_model()
config, optimizer = model.to_json(), model.get_compile_config()["optimizer"]
config, optimizer, protocol, profile, seed, backend, key = job_spec(config, "cifar10_mlp", "quick", optimizer)
spec = {"config": config, "optimizer": optimizer, "protocol": protocol.name, "profile": profile, "seed": seed}
result = worker.run(spec)
ResultCache().put(key, result)
assert ResultCache().get(key)["best_val_acc"] == result["best_val_acc"]
print(json.dumps({"result": {k: result.get(k) for k in ("type", "device", "best_val_acc", "epochs_run", "message")},
                  "backend": backend,
                  "host_loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "nbgrader"))}))
'''


def test_a_quick_job_trains_under_jax_with_tensorflow_and_nbgrader_unimportable(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="jax", AUTOGRADER_CACHE_DIR=str(tmp_path / "cache"), JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    result = out["result"]
    assert result["type"] == "RetrainResult", result["message"]
    assert result["device"].startswith("jax:cpu") and out["backend"] == "jax"
    assert 1 <= result["epochs_run"] <= 4 and 0.2 < result["best_val_acc"] <= 1.0
    assert out["host_loaded"] == []


def test_the_hand_written_jax_loop_of_the_gpu_benchmark_learns():
    """The benchmark's practical limit is a real training: on a slice it beats chance."""
    import numpy as np
    pytest = __import__("pytest")
    pytest.importorskip("optax")
    from autograder.tools.gpu_bench import jax_loop
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 1024).astype("int32")
    x = rng.random((1024, 3072), dtype=np.float32) * 0.5
    for label in range(10):                             # a learnable rule: each class lights its own pixels
        x[y == label, label * 30:(label + 1) * 30] += 0.5
    best, wall, first = jax_loop((x[:768], y[:768], x[768:], y[768:]), epochs=3, decay_steps=100,
                                 widths=(64, 32))
    assert best > 0.3 and wall >= first > 0
