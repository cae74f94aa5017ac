"""Run a retraining job in a fresh interpreter, through the content-addressed cache."""
import atexit
import contextlib
import functools
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata

from .. import data
from ..model_description import normalize_config
from . import datasets
from .cache import ResultCache, canonical_config, job_key
from .datasets import fingerprint
from .protocols import current_profile, get_protocol
from .safety import grader_seeded

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
    config = grader_seeded(normalize_config(json.loads(config) if isinstance(config, (str, bytes)) else config))
    optimizer = json.loads(json.dumps(optimizer)) if optimizer else None
    protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
    profile = profile or current_profile()
    seed = protocol.seed if seed is None else seed
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    key = job_key(job_parts(config, protocol, profile, optimizer, seed, backend))
    return config, optimizer, protocol, profile, seed, backend, key


def _read_result(path):
    """The worker's result: a regular file of bounded size holding a JSON object."""
    import stat
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RESULT_BYTES:
        raise OSError(f"the retraining result at {path} is not a plain file of at most {MAX_RESULT_BYTES} bytes")
    with open(path) as f:
        result = json.load(f)
    if not isinstance(result, dict) or result.get("type") not in ("RetrainResult", "RetrainRefused", "RetrainError"):
        raise ValueError("the retraining result has no known type")
    return result


def worker_env(backend, gpu=None):
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    if data.data_dir():
        env["AUTOGRADER_DATA_DIR"] = data.data_dir()
    env["KERAS_BACKEND"] = backend
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"   # JAX: share the GPU, no full-memory grab
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = str(gpu)
    return env


# The workers' own users when the grader runs as root (the kernels' are BASE_UID + slot).
WORKER_SLOTS = 500
SANDBOX_VARIABLE = "AUTOGRADER_RETRAIN_SANDBOX"     # "0": run the worker without bubblewrap
MEMORY_VARIABLE = "AUTOGRADER_RETRAIN_MEMORY_MB"
MAX_RESULT_BYTES = 16 * 2**20


def sandboxed():
    """Whether the worker runs under bubblewrap (whenever bwrap is installed, unless turned off)."""
    from ..sandbox.bwrap import bwrap_path
    return os.environ.get(SANDBOX_VARIABLE, "1") != "0" and bwrap_path() is not None


def memory_mb():
    """The memory bound of one worker, all its processes together: half the machine by default."""
    try:
        return int(os.environ[MEMORY_VARIABLE])
    except (KeyError, ValueError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20 // 2


class Sandboxed:
    """A worker process in its own sandbox: no network, the system, Python, the grader's code and
    the data read-only, its work folder the only one it writes, its memory bounded as a whole
    (a cgroup); its own user when the grader runs as root. GPUs' device files are passed through."""

    def __init__(self, argv, workdir, env, slot, **popen):
        from ..sandbox import bwrap
        from ..sandbox.cgroup import joiner, limits
        from ..sandbox.scratch import hand_over
        from .cache import ResultCache
        self.workdir, self._stack = workdir, contextlib.ExitStack()
        self.procs = []
        if sandboxed():
            import glob
            from ..sandbox.settings import Sandbox
            from .private import hidden_paths
            uid_slot = WORKER_SLOTS + slot
            env = dict(env, HOME=workdir, KERAS_HOME=os.path.join(workdir, ".keras"), TMPDIR=workdir)
            data = ResultCache().data_dir
            os.makedirs(data, exist_ok=True)
            if os.geteuid() == 0:
                hand_over(workdir, *bwrap.user_for(uid_slot))
            argv = bwrap.command(argv, scratch=workdir, hidden=hidden_paths(), env=env, slot=uid_slot,
                                 settings=Sandbox(memory_mb=0, max_processes=4096, max_file_mb=4096),
                                 readable=[data], devices=sorted(glob.glob("/dev/nvidia*")))
            self.procs = self._stack.enter_context(limits(f"retrain-{slot}-{os.path.basename(workdir)}",
                                                          0, memory_mb()))
            env = {"PATH": env.get("PATH", "/usr/bin:/bin")}
        self.proc = subprocess.Popen(argv, cwd=workdir, env=env, preexec_fn=joiner(self.procs),
                                     start_new_session=True, **popen)
        bwrap.started(self.proc.pid)

    def ran_out_of_memory(self):
        from ..sandbox.cgroup import out_of_memory
        return out_of_memory(self.procs)

    def close(self):
        from ..sandbox.cgroup import kill_all
        from ..sandbox.bwrap import ended
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        ended(self.proc.pid)
        kill_all(self.procs)        # anything of the sandbox that outlived its outer process
        self._stack.close()


def _out_of_memory_failure(timeout_note=""):
    return {"phase": "memory", "message": f"retraining this model used more than the {memory_mb()} MB "
                                          "of memory the grader gives one retraining" + timeout_note}


def _fresh_worker(spec_path, out_path, work, backend, gpu, progress, timeout):
    """One job in a new interpreter; None on success, else what went wrong."""
    box = Sandboxed([sys.executable, "-I", "-m", "autograder.retrain.worker", spec_path, out_path],
                    work, worker_env(backend, gpu), slot=0, stdout=subprocess.DEVNULL,
                    stderr=None if progress else subprocess.PIPE)
    try:
        _, err = box.proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        box.close()
        return {"phase": "train", "message": f"retraining took longer than {timeout} s and was stopped"}
    oom = box.ran_out_of_memory()
    box.close()
    if not os.path.exists(out_path):
        if oom:
            return _out_of_memory_failure()
        tail = (err or b"").decode("utf-8", "replace")[-1500:]
        return {"phase": "worker", "message": f"the retraining process ended with code "
                                              f"{box.proc.returncode} without a result: {tail.strip()}"}
    return None


class WarmWorker:
    """A worker interpreter kept for job after job; it never runs student code."""

    def __init__(self, backend, gpu, slot=0):
        self.workdir = tempfile.mkdtemp(prefix="retrain-worker-")
        os.chmod(self.workdir, 0o755)
        self.stderr = open(os.path.join(self.workdir, "stderr.log"), "w+b")
        self.box = Sandboxed([sys.executable, "-I", "-m", "autograder.retrain.worker", "--serve"],
                             self.workdir, worker_env(backend, gpu), slot,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        self.proc = self.box.proc

    def alive(self):
        return self.proc.poll() is None

    def job_dir(self):
        """A folder for one job's spec and result, inside what the worker can see."""
        folder = tempfile.mkdtemp(prefix="job-", dir=self.workdir)
        os.chmod(folder, 0o777)
        return folder

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
            ready, _, _ = select.select([self.proc.stdout], [], [], min(max(remaining, 0), 1.0))
            if not ready and self.proc.poll() is not None:
                return self._died()     # its outer process died: whatever still runs inside is not ours to trust
            if not ready and remaining <= 1.0:
                self.stop()
                return {"phase": "train", "message": f"retraining took longer than {timeout} s and was stopped"}
            if not ready:
                continue
            line = self.proc.stdout.readline()
            if not line:            # the worker died
                return self._died()
            if line.decode("utf-8", "replace").rstrip("\n") == DONE:
                return None

    def _died(self):
        self.proc.wait()
        oom = self.box.ran_out_of_memory()
        self.stderr.seek(0)
        tail = self.stderr.read().decode("utf-8", "replace")[-1500:]
        self.stop()
        if oom:         # the model's own cost, not the machine's fault
            return _out_of_memory_failure()
        return {"phase": "worker", "message": f"the retraining process ended with code "
                                              f"{self.proc.returncode} without a result: {tail.strip()}"}

    def stop(self):
        self.box.close()
        self.stderr.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


_WARM = {}


def warm_worker(backend, gpu=None, slot=0):
    """This process's warm worker for (backend, gpu, slot): one per concurrent caller."""
    worker = _WARM.get((backend, gpu, slot))
    if worker is None or not worker.alive():
        worker = _WARM[(backend, gpu, slot)] = WarmWorker(backend, gpu, slot)
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
    cache = cache or ResultCache()
    train = functools.partial(_train, config=config, optimizer=optimizer, protocol=protocol, profile=profile,
                              seed=seed, backend=backend, key=key, cache=cache, progress=progress,
                              timeout=timeout, gpu=gpu, warm=warm, slot=slot, start=start, use_cache=use_cache)
    if not use_cache:
        return train()
    hit = cache.get(key)
    if hit is None:
        with cache.claim(key):
            hit = cache.get(key)        # trained by another process while this one waited
            if hit is None:
                return train()
    return dict(hit, cached=True, key=key, wall_s=time.perf_counter() - start)


def _train(*, config, optimizer, protocol, profile, seed, backend, key, cache, progress, timeout, gpu, warm,
           slot, start, use_cache):
    budget = protocol.budget(profile)
    spec = {"config": config, "optimizer": optimizer, "protocol": protocol.name, "profile": profile,
            "seed": seed, "progress": progress, "data_cache": cache.data_dir}
    timeout = timeout or 600 + 120 * budget.epochs
    try:
        # The data the worker reads, cut here: the sandboxed worker cannot write the cache.
        datasets.prepare(protocol, budget, cache.data_dir)
    except Exception as exc:        # unreadable data: the machine's fault, retried next run
        return {"type": "RetrainError", "key": key, "cached": False, "infrastructure": True, "phase": "data",
                "message": f"the grader's data could not be prepared: {type(exc).__name__}: {exc}"}
    worker = warm_worker(backend, gpu, slot) if warm and not progress else None
    work = worker.job_dir() if worker else tempfile.mkdtemp(prefix="retrain-")
    try:
        os.chmod(work, 0o777)
        spec_path, out_path = os.path.join(work, "spec.json"), os.path.join(work, "result.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        os.chmod(spec_path, 0o644)
        if worker:
            failure = worker.run(spec_path, out_path, timeout)
        else:
            failure = _fresh_worker(spec_path, out_path, work, backend, gpu, progress, timeout)
        from ..sandbox.bwrap import interrupted
        interrupted()           # a worker killed by Ctrl-C: no result, nothing cached
        if failure and failure["phase"] in ("train", "memory"):
            # The model's own cost: kept with the student's result, so it is not paid again.
            result = {"type": "RetrainRefused", "phase": "train", "message": failure["message"] +
                      "; the grader retrains a model once, within a time limit, so a model this slow "
                      "cannot be judged"}
        elif failure:
            return {"type": "RetrainError", "key": key, "cached": False,
                    "infrastructure": True, **failure}
        else:
            try:
                result = _read_result(out_path)
            except (OSError, ValueError) as exc:
                return {"type": "RetrainError", "key": key, "cached": False, "infrastructure": True,
                        "phase": "worker", "message": f"the retraining result could not be read: {exc}"}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # The machine's fault, not the model's: the process died, or the data could not be read.
    result["infrastructure"] = result["type"] == "RetrainError" and result.get("phase") == "data"
    result.update(key=key, profile=profile, protocol=protocol.name, seed=seed, backend=backend)
    if not result["infrastructure"] and use_cache:
        # The model's outcome, whatever it is, is deterministic: paid once. A fault of the
        # machine is retried on the next run.
        cache.put(key, result)
    return dict(result, cached=False, total_wall_s=time.perf_counter() - start)
