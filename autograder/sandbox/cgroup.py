"""Limits for one sandbox as a whole, in cgroups of its own: a CPU quota (cgroup v2's
``cpu.max``, or v1's CFS quota), so a submission that burns every core (a busy loop, a fork
bomb) gets its share of the machine and the others keep theirs; and a memory bound (v2's
``memory.max``, v1's ``memory.limit_in_bytes``), so 400 forked children of 300 MB each, every
one within its own address-space limit, run into the sandbox's bound (the kernel's OOM killer
then picks inside that sandbox) and not into a classmate's kernel.

Needs write access to the cgroup tree (the grader running as root, or a delegated cgroup);
without it the limit is skipped and ``available()`` says so (the README's security model
names the consequence).
"""
import contextlib
import os
import time

PERIOD_US = 100_000
V2_ROOT = "/sys/fs/cgroup"
V1_ROOTS = {"cpu": ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"), "memory": ("/sys/fs/cgroup/memory",)}
V1_FILES = {"cpu": "cpu.cfs_quota_us", "memory": "memory.limit_in_bytes"}


def _root(controller):
    """(version, folder) of a writable cgroup hierarchy with ``controller``, or None."""
    try:
        with open(os.path.join(V2_ROOT, "cgroup.controllers")) as f:
            if controller in f.read().split() and os.access(V2_ROOT, os.W_OK):
                return 2, V2_ROOT
    except OSError:
        pass
    for folder in V1_ROOTS[controller]:
        if os.path.exists(os.path.join(folder, V1_FILES[controller])) and os.access(folder, os.W_OK):
            return 1, folder
    return None


def available(controller="cpu"):
    return _root(controller) is not None


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _settings(controller, version, amount):
    if controller == "cpu":
        quota = max(1000, int(amount * PERIOD_US))
        if version == 2:
            return [("cpu.max", f"{quota} {PERIOD_US}")]
        return [("cpu.cfs_period_us", str(PERIOD_US)), ("cpu.cfs_quota_us", str(quota))]
    limit = str(int(amount * 2**20))
    if version == 2:
        return [("memory.max", limit), ("memory.swap.max", "0")]
    return [("memory.limit_in_bytes", limit)]


@contextlib.contextmanager
def limits(name, cpus=0.0, memory_mb=0):
    """Yield the ``cgroup.procs`` paths a process joins to run under ``cpus`` CPUs and
    ``memory_mb`` MB in all (an empty list when there is nothing to apply); the cgroups are
    removed afterwards."""
    folders, procs = [], []
    try:
        for controller, amount in (("cpu", cpus), ("memory", memory_mb)):
            root = _root(controller) if amount and amount > 0 else None
            if root is None:
                continue
            version, base = root
            folder = os.path.join(base, f"autograder-{os.getpid()}-{name}")
            try:
                os.makedirs(folder, exist_ok=True)
                if folder not in folders:
                    folders.append(folder)
                for file, value in _settings(controller, version, amount):
                    with contextlib.suppress(FileNotFoundError):     # memory.swap.max without swap
                        _write(os.path.join(folder, file), value)
            except OSError:
                continue
            path = os.path.join(folder, "cgroup.procs")
            if path not in procs:
                procs.append(path)
        yield procs
    finally:
        for folder in folders:
            for _ in range(50):         # the sandbox's processes are gone once it has exited
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def joiner(procs_paths):
    """A ``preexec_fn`` moving the new process (and so all it starts) into the cgroups."""
    if not procs_paths:
        return None

    def join():
        for path in procs_paths:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)
    return join


def _read_counts(path):
    counts = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[1].isdigit():
                    counts[parts[0]] = int(parts[1])
    except OSError:
        pass
    return counts


def out_of_memory(procs_paths):
    """True when a process of these cgroups was killed for reaching the group's own memory bound
    (the model's cost), not by the machine running short (which is the machine's fault)."""
    for procs in procs_paths or ():
        folder = os.path.dirname(procs)
        if os.path.exists(os.path.join(folder, "memory.events")):          # cgroup v2
            events = _read_counts(os.path.join(folder, "memory.events"))
            if events.get("oom_kill", 0) and events.get("max", 0):
                return True
        elif os.path.exists(os.path.join(folder, "memory.oom_control")):  # cgroup v1
            killed = _read_counts(os.path.join(folder, "memory.oom_control")).get("oom_kill", 0)
            try:
                with open(os.path.join(folder, "memory.failcnt")) as f:
                    hit = int(f.read().strip() or 0)
            except (OSError, ValueError):
                hit = 0
            if killed and hit:
                return True
    return False


def kill_all(procs_paths):
    """SIGKILL every process still in these cgroups: a sandbox whose outer process died during
    its set-up may leave its inner processes running, outside any parent we still hold."""
    import signal
    for procs in procs_paths or ():
        try:
            with open(procs) as f:
                pids = [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            continue
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
