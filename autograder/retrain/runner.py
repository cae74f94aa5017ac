"""Run a retraining job in a fresh interpreter, through the content-addressed cache."""
import atexit
import json
import os
import select
import shutil
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


def job_spec(config, protocol, profile=None, optimizer=None, seed=None, backend=None):
    """The job's normalized inputs (our own copies: a caller, or Keras' deserialize, may change
    the dicts it passed) and its cache key."""
    config = json.loads(config) if isinstance(config, (str, bytes)) else json.loads(json.dumps(config))
    optimizer = json.loads(json.dumps(optimizer)) if optimizer else None
    protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
    profile = profile or current_profile()
    seed = protocol.seed if seed is None else seed
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    key = job_key(job_parts(config, protocol, profile, optimizer, seed, backend))
    return config, optimizer, protocol, profile, seed, backend, key


def worker_env(backend, gpu=None):
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env["KERAS_BACKEND"] = backend
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"   # JAX: share the GPU, no full-memory grab
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = str(gpu)
    return env


def _fresh_worker(spec_path, out_path, work, backend, gpu, progress, timeout):
    """One job in a new interpreter; None on success, else what went wrong."""
    try:
        proc = subprocess.run([sys.executable, "-I", "-m", "autograder.retrain.worker",
                               spec_path, out_path], cwd=work, env=worker_env(backend, gpu),
                              stdout=subprocess.DEVNULL,
                              stderr=None if progress else subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"phase": "train", "message": f"retraining took longer than {timeout} s and was stopped"}
    if not os.path.exists(out_path):
        tail = (proc.stderr or b"").decode("utf-8", "replace")[-1500:]
        return {"phase": "worker", "message": f"the retraining process ended with code "
                                              f"{proc.returncode} without a result: {tail.strip()}"}
    return None


class WarmWorker:
    """A worker interpreter kept for job after job; it never runs student code."""

    def __init__(self, backend, gpu):
        self.workdir = tempfile.mkdtemp(prefix="retrain-worker-")
        self.stderr = open(os.path.join(self.workdir, "stderr.log"), "w+b")
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "autograder.retrain.worker", "--serve"],
            cwd=self.workdir, env=worker_env(backend, gpu), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.stderr)

    def alive(self):
        return self.proc.poll() is None

    def run(self, spec_path, out_path, timeout):
        """None on success, else what went wrong (the worker is then stopped)."""
        from .worker import DONE
        deadline = time.monotonic() + timeout
        try:
            self.proc.stdin.write(f"{spec_path}\t{out_path}\n".encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):    # it died between two jobs
            return self._died()
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(remaining, 0))
            if not ready:
                self.stop()
                return {"phase": "train", "message": f"retraining took longer than {timeout} s and was stopped"}
            line = self.proc.stdout.readline()
            if not line:            # the worker died
                return self._died()
            if line.decode("utf-8", "replace").rstrip("\n") == DONE:
                return None

    def _died(self):
        self.proc.wait()
        self.stderr.seek(0)
        tail = self.stderr.read().decode("utf-8", "replace")[-1500:]
        self.stop()
        return {"phase": "worker", "message": f"the retraining process ended with code "
                                              f"{self.proc.returncode} without a result: {tail.strip()}"}

    def stop(self):
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self.stderr.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


_WARM = {}


def warm_worker(backend, gpu=None, slot=0):
    """This process's warm worker for (backend, gpu, slot): one per concurrent caller."""
    worker = _WARM.get((backend, gpu, slot))
    if worker is None or not worker.alive():
        worker = _WARM[(backend, gpu, slot)] = WarmWorker(backend, gpu)
    return worker


@atexit.register
def _stop_warm_workers():
    for worker in _WARM.values():
        worker.stop()
    _WARM.clear()


def retrain(config, protocol, profile=None, *, optimizer=None, seed=None, backend=None,
            cache=None, progress=False, timeout=None, gpu=None, use_cache=True, warm=True, slot=0):
    """Retrain a model config under a protocol; returns a result dict with a type tag:
    RetrainResult, RetrainRefused (the student's config cannot be retrained) or RetrainError
    (``infrastructure``: true when the grading machine failed rather than the model).
    ``warm``: run on this process's warm worker (started on first use) instead of a new one;
    callers running jobs concurrently pass each their own ``slot``."""
    start = time.perf_counter()
    config, optimizer, protocol, profile, seed, backend, key = job_spec(
        config, protocol, profile, optimizer, seed, backend)
    budget = protocol.budget(profile)
    cache = cache or ResultCache()
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
        if warm and not progress:
            failure = warm_worker(backend, gpu, slot).run(spec_path, out_path, timeout)
        else:
            failure = _fresh_worker(spec_path, out_path, work, backend, gpu, progress, timeout)
        if failure and failure["phase"] == "train":
            # The model's own cost: kept with the student's result, so it is not paid again.
            result = {"type": "RetrainRefused", "phase": "train", "message": failure["message"] +
                      "; the grader retrains a model once, within a time limit, so a model this slow "
                      "cannot be judged"}
        elif failure:
            return {"type": "RetrainError", "key": key, "cached": False,
                    "infrastructure": True, **failure}
        else:
            with open(out_path) as f:
                result = json.load(f)
    # The machine's fault, not the model's: the process died, or the data could not be read.
    result["infrastructure"] = result["type"] == "RetrainError" and result.get("phase") == "data"
    result.update(key=key, profile=profile, protocol=protocol.name, seed=seed, backend=backend)
    if not result["infrastructure"] and use_cache:
        # The model's outcome, whatever it is, is deterministic: paid once. A fault of the
        # machine is retried on the next run.
        cache.put(key, result)
    return dict(result, cached=False, total_wall_s=time.perf_counter() - start)
