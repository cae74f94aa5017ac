"""Run a command under bubblewrap: no network, a read-only system, one writable folder.

What the sandbox sees: the system read-only, the Python environment and the grader's own
package (to run the kernel), the datasets, and its scratch folder (read-write). Hidden:
the course directory (source/, reference/, the gradebook, other students), the home folder,
the retraining cache, /tmp. Limits come from ``settings.Sandbox``.
"""
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

# When the grader runs as root, each parallel sandbox runs as its own unprivileged user, so
# that RLIMIT_NPROC (counted per user) bounds that sandbox alone. Each grading process leases
# a range of UIDS_PER_LEASE users of its own (a lock file held while it runs), so two batches
# or two courses on one host never share a user, nor its process limit.
BASE_UID = 61000
UIDS_PER_LEASE = 1000           # kernels' slots below 500, retraining workers' from 500
MAX_LEASES = 64
LOCK_DIRS = ("/run/lock", "/var/lock")
_lease = None
_LEASE_LOCK = threading.Lock()


class SandboxUnavailable(RuntimeError):
    pass


# The process groups of the sandboxes and retraining workers running now. Each runs in a
# session of its own, out of reach of the terminal's Ctrl-C, so stopping the grader ends them.
_LIVE, _LIVE_LOCK, STOPPING = set(), threading.Lock(), threading.Event()


def started(pid):
    with _LIVE_LOCK:
        _LIVE.add(pid)


def ended(pid):
    with _LIVE_LOCK:
        _LIVE.discard(pid)


def stop_all():
    """The grader is interrupted: end every sandbox and worker it started, now. What they were
    doing is never kept as anyone's result (``interrupted`` raises where it would be)."""
    STOPPING.set()
    with _LIVE_LOCK:
        groups = list(_LIVE)
    for pid in groups:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def interrupted():
    """Raise KeyboardInterrupt when the grader is stopping: a killed sandbox's outcome is not
    the submission's."""
    if STOPPING.is_set():
        raise KeyboardInterrupt("the grader was interrupted")


def bwrap_path():
    return shutil.which("bwrap")


def require_bwrap():
    if bwrap_path() is None:
        raise SandboxUnavailable(
            "bubblewrap (`bwrap`) is not installed, so student code cannot be sandboxed: install "
            "it (Debian/Ubuntu: `sudo apt-get install bubblewrap`), or pass --no-sandbox to run "
            "student code with your own rights")


@dataclass
class SandboxRun:
    returncode: int
    timed_out: bool
    duration_s: float
    stderr: str
    channel: bytes = b""            # what the sandbox wrote to its channel (see ``run``)
    channel_truncated: bool = False


def _parents_below(path, roots):
    """The folders strictly between one of ``roots`` and ``path``, outermost first."""
    out = []
    parent = os.path.dirname(path)
    while parent not in roots and parent != "/":
        out.append(parent)
        parent = os.path.dirname(parent)
    return list(reversed(out)) if parent in roots else []


def _readable_paths():
    import autograder
    paths = [sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(os.path.abspath(autograder.__file__)))
             + "/autograder"]
    # Package folders this interpreter reads beyond its prefix (another environment's, named by
    # a .pth file): only folders of installed packages, never a course or a checkout on sys.path.
    paths += [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    data = os.environ.get("AUTOGRADER_DATA_DIR")
    if data:
        paths.append(data)
    return [os.path.realpath(p) for p in paths if os.path.exists(p)]


def _process_count(uid):
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return count


def lease_base(lock_dir=None):
    """The first uid of this process's range, leased once (held until the process ends)."""
    if lock_dir is not None:
        return _take_lease(lock_dir)[0]
    global _lease
    # The batch's threads ask at once on the first submission: two leases would chown a scratch
    # folder to one range and run its kernel as the other (EACCES on the notebook, at random).
    with _LEASE_LOCK:
        if _lease is None:
            _lease = _take_lease(None)
        return _lease[0]


def _take_lease(lock_dir):
    folder = lock_dir or next((d for d in LOCK_DIRS if os.path.isdir(d) and os.access(d, os.W_OK)),
                              tempfile.gettempdir())
    for k in range(MAX_LEASES):
        fd = os.open(os.path.join(folder, f"autograder-uids-{k}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return BASE_UID + k * UIDS_PER_LEASE, fd
    raise SandboxUnavailable(f"{MAX_LEASES} grading processes already hold this host's sandbox users; "
                             "wait for one to finish")


def user_for(slot):
    """(uid, gid) the sandbox of worker ``slot`` runs as: a user of this process's lease."""
    if os.geteuid() == 0:
        if not 0 <= slot < UIDS_PER_LEASE:
            raise ValueError(f"Expected a slot in [0, {UIDS_PER_LEASE}). Received: {slot}")
        uid = lease_base() + slot
        return uid, uid
    return os.geteuid(), os.getegid()


def command(argv, *, scratch, hidden, settings, env, slot=0, readable=(), devices=()):
    """The full command line running ``argv`` in the sandbox with ``scratch`` writable.

    As root, bwrap mounts (it can read root-only folders such as a pyenv under /root) and the
    sandboxed process then drops to its own uid with no capabilities, so RLIMIT_NPROC counts
    that sandbox alone. Otherwise bwrap runs unprivileged in a user namespace.
    ``hidden``: folders replaced by empty ones (``retrain.private.hidden_paths``: the caller
    knows what is private); ``readable``: more folders bound read-only; ``devices``: device files passed through (a
    GPU's); ``settings.memory_mb`` 0: no address-space limit (CUDA maps more than any sane one)."""
    uid, gid = user_for(slot)
    root = os.geteuid() == 0
    nproc = settings.max_processes if root else _process_count(uid) + settings.max_processes
    address = [f"--as={settings.memory_mb * 2**20}"] if settings.memory_mb else []
    limits = ["prlimit", *address, f"--nproc={nproc}",
              f"--fsize={settings.max_file_mb * 2**20}", "--core=0", "--"]
    cmd = [] if root else list(limits)
    cmd += [bwrap_path(), "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not root:
        cmd += ["--unshare-user"]
    cmd += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    hidden = [os.path.realpath(p) for p in hidden]
    for path in hidden:
        cmd += ["--perms", "1777" if path == "/tmp" else "0755", "--tmpfs", path]
    for device in devices:
        cmd += ["--dev-bind", device, device]
    made = set()
    for path in _readable_paths() + [os.path.realpath(p) for p in readable if os.path.exists(p)]:
        # bwrap would create the folders leading to a bind inside a tmpfs as 0700.
        for parent in _parents_below(path, hidden):
            if parent not in made:
                made.add(parent)
                cmd += ["--perms", "0755", "--dir", parent]
        cmd += ["--ro-bind", path, path]
    for parent in _parents_below(os.path.realpath(scratch), hidden):
        if parent not in made:          # the sandbox's user must reach its scratch folder
            made.add(parent)
            cmd += ["--perms", "0755", "--dir", parent]
    cmd += ["--bind", scratch, scratch, "--chdir", scratch, "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    cmd += ["--"]
    if root:
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--no-new-privs",
                "--inh-caps=-all", "--bounding-set=-all"] + limits
    return cmd + list(argv)


def prepare_scratch(scratch, slot=0):
    """Make ``scratch`` writable by the sandbox's user (links are never followed)."""
    from .scratch import hand_over
    if os.geteuid() == 0:
        hand_over(scratch, *user_for(slot))


def run(cmd, *, timeout, cwd=None, keep=4000, cpus=0.0, memory_mb=0, name="sandbox", channel=None, channel_limit=0):
    """Run ``cmd`` in its own process group; kill the whole group at ``timeout``.

    Only the last ``keep`` bytes of stderr are kept, read as they come: a kernel may write
    gigabytes to its raw stderr, and neither our memory nor the disk should hold them.
    ``cpus``, ``memory_mb``: the CPU quota and memory bound of everything it runs together
    (see ``cgroup``); 0: none.
    ``channel``: a ``Channel``; its write end is handed to the command (its number is in
    ``cmd``), its read end drained as the command runs, keeping at most ``channel_limit``
    bytes; both are closed when this returns."""
    from .cgroup import limits
    try:
        with limits(name, cpus, memory_mb) as procs:
            return _run(cmd, timeout, cwd, keep, procs, channel, channel_limit)
    finally:
        if channel:
            channel.close()


class Channel:
    """A pipe from a sandboxed command to the grader; each end is closed once."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()

    def close_write(self):
        if self.write_fd is not None:
            os.close(self.write_fd)
            self.write_fd = None

    def close(self):
        self.close_write()
        if self.read_fd is not None:
            os.close(self.read_fd)
            self.read_fd = None


def _drain(stream, keep_chunk, read=lambda s: s.read1(65536)):
    import threading

    def loop():
        for chunk in iter(lambda: read(stream), b""):
            keep_chunk(chunk)
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def _run(cmd, timeout, cwd, keep, procs, channel, channel_limit):
    import collections
    from .cgroup import joiner
    start = time.monotonic()
    pass_fds = (channel.write_fd,) if channel else ()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=joiner(procs), pass_fds=pass_fds)
    started(proc.pid)
    tail = collections.deque(maxlen=64)
    readers = [_drain(proc.stderr, tail.append)]
    received = {"chunks": [], "size": 0, "truncated": False}
    if channel:
        channel.close_write()       # ours; the command holds its own copy, and EOF comes when it ends

        def keep_channel(chunk):
            if received["size"] + len(chunk) > channel_limit:
                received["truncated"] = True
                return
            received["chunks"].append(chunk)
            received["size"] += len(chunk)
        readers.append(_drain(channel.read_fd, keep_channel, read=lambda fd: os.read(fd, 1 << 20)))
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    try:
        os.killpg(proc.pid, signal.SIGKILL)     # whatever the notebook left running too
    except ProcessLookupError:
        pass
    proc.wait()
    ended(proc.pid)
    for reader in readers:
        reader.join(timeout=10)
    interrupted()
    err = b"".join(tail)[-keep:]
    return SandboxRun(proc.returncode, timed_out, time.monotonic() - start, err.decode("utf-8", "replace"),
                      b"".join(received["chunks"]), received["truncated"])
