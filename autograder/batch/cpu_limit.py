"""A CPU quota for one sandbox: a cgroup of its own (cgroup v2's ``cpu.max``, or v1's CFS
quota), so a submission that burns every core (a busy loop, a fork bomb) gets its share of
the machine and the other submissions keep theirs.

Needs write access to the cgroup tree (the grader running as root, or a delegated cgroup);
without it the quota is skipped and ``available()`` says so (the README's security model
names the consequence).
"""
import contextlib
import os

PERIOD_US = 100_000
V2_ROOT = "/sys/fs/cgroup"
V1_ROOTS = ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct")


def _root():
    """(version, folder) of a writable cgroup hierarchy with the cpu controller, or None."""
    try:
        with open(os.path.join(V2_ROOT, "cgroup.controllers")) as f:
            if "cpu" in f.read().split() and os.access(V2_ROOT, os.W_OK):
                return 2, V2_ROOT
    except OSError:
        pass
    for folder in V1_ROOTS:
        if os.path.exists(os.path.join(folder, "cpu.cfs_quota_us")) and os.access(folder, os.W_OK):
            return 1, folder
    return None


def available():
    return _root() is not None


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


@contextlib.contextmanager
def cpu_quota(name, cpus):
    """Yield the ``cgroup.procs`` path a process joins to run under ``cpus`` CPUs (None when
    there is no quota to apply); the cgroup is removed afterwards."""
    root = _root() if cpus and cpus > 0 else None
    if root is None:
        yield None
        return
    version, base = root
    folder = os.path.join(base, f"autograder-{os.getpid()}-{name}")
    try:
        os.makedirs(folder, exist_ok=True)
        quota = max(1000, int(cpus * PERIOD_US))
        if version == 2:
            _write(os.path.join(folder, "cpu.max"), f"{quota} {PERIOD_US}")
        else:
            _write(os.path.join(folder, "cpu.cfs_period_us"), str(PERIOD_US))
            _write(os.path.join(folder, "cpu.cfs_quota_us"), str(quota))
    except OSError:
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        yield None
        return
    try:
        yield os.path.join(folder, "cgroup.procs")
    finally:
        for _ in range(50):         # the sandbox's processes are gone once it has exited
            try:
                os.rmdir(folder)
                break
            except OSError:
                import time
                time.sleep(0.1)


def joiner(procs_path):
    """A ``preexec_fn`` moving the new process (and so all it starts) into the cgroup."""
    if procs_path is None:
        return None

    def join():
        fd = os.open(procs_path, os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)
    return join
