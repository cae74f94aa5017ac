"""Run a retraining job in a fresh interpreter, through the content-addressed cache."""
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import metadata

from .cache import ResultCache, canonical_config, job_key
from .datasets import fingerprint
from .protocols import current_profile, get_protocol

# What the worker inherits: nothing of the grading kernel but these.
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "AUTOGRADER_DATA_DIR", "KERAS_HOME",
              "TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES", "XLA_FLAGS")


def _versions(backend):
    names = ["keras", "numpy", "tensorflow" if backend == "tensorflow" else backend]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def job_parts(config, protocol, profile, optimizer, seed, backend):
    """Everything a result depends on; its hash is the cache key."""
    return {"config": canonical_config(config),
            "optimizer": canonical_config(optimizer) if protocol.honour_student_optimizer and optimizer else None,
            "protocol": protocol.to_dict(profile), "profile": profile, "seed": seed,
            "data": fingerprint(protocol.dataset), "backend": backend,
            "versions": _versions(backend)}


def worker_env(backend, gpu=None):
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env["KERAS_BACKEND"] = backend
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"   # JAX: share the GPU, no full-memory grab
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = str(gpu)
    return env


def retrain(config, protocol, profile=None, *, optimizer=None, seed=None, backend=None,
            cache=None, progress=False, timeout=None, gpu=None, use_cache=True):
    """Retrain a model config under a protocol; returns a result dict with a type tag:
    RetrainResult, RetrainRefused (the student's config cannot be retrained) or RetrainError."""
    # Our own copies: a caller (or Keras' deserialize) may change the dicts it passed.
    config = json.loads(config) if isinstance(config, (str, bytes)) else json.loads(json.dumps(config))
    optimizer = json.loads(json.dumps(optimizer)) if optimizer else None
    protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
    profile = profile or current_profile()
    budget = protocol.budget(profile)
    seed = protocol.seed if seed is None else seed
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    cache = cache or ResultCache()
    start = time.perf_counter()
    parts = job_parts(config, protocol, profile, optimizer, seed, backend)
    key = job_key(parts)
    if use_cache:
        hit = cache.get(key)
        if hit is not None:
            return dict(hit, cached=True, key=key, wall_s=time.perf_counter() - start)
    spec = {"config": config, "optimizer": optimizer, "protocol": protocol.name, "profile": profile,
            "seed": seed, "progress": progress, "data_cache": cache.data_dir}
    timeout = timeout or 600 + 120 * budget.epochs
    with tempfile.TemporaryDirectory(prefix="retrain-") as work:
        spec_path, out_path = os.path.join(work, "spec.json"), os.path.join(work, "result.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        try:
            proc = subprocess.run([sys.executable, "-I", "-m", "autograder.retrain.worker",
                                   spec_path, out_path], cwd=work, env=worker_env(backend, gpu),
                                  stdout=subprocess.DEVNULL,
                                  stderr=None if progress else subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"type": "RetrainError", "phase": "train", "key": key, "cached": False,
                    "message": f"retraining took longer than {timeout} s and was stopped"}
        if not os.path.exists(out_path):
            tail = (proc.stderr or b"").decode("utf-8", "replace")[-1500:]
            return {"type": "RetrainError", "phase": "worker", "key": key, "cached": False,
                    "message": f"the retraining process ended with code {proc.returncode} "
                               f"without a result: {tail.strip()}"}
        with open(out_path) as f:
            result = json.load(f)
    result.update(key=key, profile=profile, protocol=protocol.name, seed=seed, backend=backend)
    if result["type"] in ("RetrainResult", "RetrainRefused") and use_cache:
        cache.put(key, result)      # deterministic outcomes only; an infrastructure error is retried
    return dict(result, cached=False, total_wall_s=time.perf_counter() - start)
