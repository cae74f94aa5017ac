"""The sandbox, for real: bubblewrap with the grader's settings, probed by a hostile script."""
import json
import os
import sys
import textwrap
import time

import pytest

from autograder.sandbox import bwrap as sandbox
from autograder.retrain.private import hidden_paths
from autograder.sandbox.settings import Sandbox
from tests.helpers import cmdline

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is not installed")

PROBE = textwrap.dedent("""
    import json, os, socket, subprocess, sys
    course, home = sys.argv[1], sys.argv[2]
    out = {}
    def attempt(name, f):
        try:
            out[name] = ["ok", repr(f())[:200]]
        except BaseException as exc:
            out[name] = ["denied", type(exc).__name__]
    attempt("read_source", lambda: open(os.path.join(course, "source", "secret.txt")).read())
    attempt("list_course", lambda: os.listdir(course))
    attempt("read_home", lambda: os.listdir(home))
    attempt("write_etc", lambda: open("/etc/grader-was-here", "w").write("x"))
    attempt("write_scratch", lambda: open("mine.txt", "w").write("x"))
    attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
    attempt("memory", lambda: len(bytearray(3 * 2**30)))
    children = []
    attempt("processes", lambda: [children.append(subprocess.Popen(["sleep", "30"])) for _ in range(80)])
    for child in children:
        child.kill(); child.wait()
    attempt("big_file", lambda: open("big.bin", "wb").write(b"x" * (40 * 2**20)))
    subprocess.Popen(["sleep", "300"], start_new_session=True)   # left behind on purpose
    json.dump(out, open("probe.json", "w"))
""")


def test_student_code_sees_only_its_scratch_and_stays_within_limits(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "source" / "secret.txt").write_text("hidden tests")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "probe.py").write_text(PROBE)
    settings = Sandbox(memory_mb=2048, max_processes=60, max_file_mb=20)
    sandbox.prepare_scratch(str(scratch))
    cmd = sandbox.command([sys.executable, "-I", "probe.py", str(course), os.path.expanduser("~")],
                          scratch=str(scratch), hidden=hidden_paths(str(course)), settings=settings,
                          env={"PATH": "/usr/bin:/bin"})
    run = sandbox.run(cmd, timeout=60)
    assert not run.timed_out and run.returncode == 0, run.stderr
    seen = json.loads((scratch / "probe.json").read_text())
    # The home folder is an empty tmpfs, but for the folders leading to Python itself.
    home = os.path.realpath(os.path.expanduser("~"))
    python_dirs = {os.path.relpath(os.path.realpath(p), home).split(os.sep)[0]
                   for p in (sys.prefix, sys.base_prefix) if os.path.realpath(p).startswith(home + os.sep)}
    assert seen["read_home"][0] == "denied" or set(eval(seen["read_home"][1])) <= python_dirs
    for name in ("read_source", "write_etc", "network", "memory", "processes", "big_file"):
        assert seen[name][0] == "denied", (name, seen[name])
    assert seen["list_course"] == ["ok", "[]"]            # the course directory is an empty tmpfs
    assert seen["write_scratch"][0] == "ok" and (scratch / "mine.txt").read_text() == "x"
    assert not os.path.exists("/etc/grader-was-here")
    # Nothing outlives the sandbox: its pid namespace died with it (the kernel tears a namespace
    # down asynchronously, so a loaded machine may show its last process for a moment).
    deadline = time.monotonic() + 10
    while (leftovers := [p for p in os.listdir("/proc") if p.isdigit() and cmdline(p) == "sleep\x00300\x00"]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers == []


def test_a_hanging_submission_is_killed_at_its_wall_time(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    sandbox.prepare_scratch(str(scratch))
    cmd = sandbox.command([sys.executable, "-c", "while True: pass"], scratch=str(scratch),
                          hidden=hidden_paths(str(tmp_path)), settings=Sandbox(), env={"PATH": "/usr/bin:/bin"})
    run = sandbox.run(cmd, timeout=3)
    assert run.timed_out and 2.5 < run.duration_s < 15


def test_missing_bubblewrap_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap.*--no-sandbox"):
        sandbox.require_bwrap()


BUSY = textwrap.dedent("""
    import os, time
    children = []
    for _ in range(2):                      # two busy processes: all the CPU they can get
        pid = os.fork()
        if pid == 0:
            end = time.monotonic() + 3
            while time.monotonic() < end:
                pass
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    times = os.times()
    print(times.children_user + times.children_system)
""")


@pytest.mark.skipif(not __import__("autograder.sandbox.cgroup", fromlist=["x"]).available(),
                    reason="no writable cgroup with the cpu controller (run as root)")
def test_a_busy_submission_gets_only_its_cpu_share(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "busy.py").write_text(BUSY + "\nopen('cpu.txt', 'w').write(str(times.children_user + times.children_system))\n")
    settings = Sandbox(memory_mb=2048, max_processes=60, max_file_mb=20)
    sandbox.prepare_scratch(str(scratch))
    cmd = sandbox.command([sys.executable, "-I", "busy.py"], scratch=str(scratch), hidden=hidden_paths(str(tmp_path / "c")),
                          settings=settings, env={"PATH": "/usr/bin:/bin"})
    run = sandbox.run(cmd, timeout=60, cpus=0.5, name="cputest")
    assert run.returncode == 0, run.stderr
    used = float((scratch / "cpu.txt").read_text())
    # 3 s of wall time at half a CPU: about 1.5 s of CPU, where two free cores would give 6 s.
    assert used < 2.0, used


HOGS = textwrap.dedent("""
    import os, sys
    # Six children of 200 MB each: every one within its own address-space limit.
    children = []
    for _ in range(6):
        pid = os.fork()
        if pid == 0:
            block = bytearray(200 * 2**20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            import time; time.sleep(2)
            os._exit(0)
        children.append(pid)
    killed = sum(os.WIFSIGNALED(status) for _, status in (os.waitpid(pid, 0) for pid in children))
    open('killed.txt', 'w').write(str(killed))
""")


@pytest.mark.skipif(not __import__("autograder.sandbox.cgroup", fromlist=["x"]).available("memory"),
                    reason="no writable cgroup with the memory controller (run as root)")
def test_a_sandbox_is_bounded_in_memory_as_a_whole(tmp_path):
    results = {}
    for bound in (0, 512):
        scratch = tmp_path / f"scratch{bound}"
        scratch.mkdir()
        (scratch / "hogs.py").write_text(HOGS)
        sandbox.prepare_scratch(str(scratch))
        cmd = sandbox.command([sys.executable, "-I", "hogs.py"], scratch=str(scratch), hidden=hidden_paths(str(tmp_path / "c")),
                              settings=Sandbox(memory_mb=1024, max_processes=60), env={"PATH": "/usr/bin:/bin"})
        run = sandbox.run(cmd, timeout=60, memory_mb=bound, name=f"memtest{bound}")
        assert run.returncode == 0, run.stderr
        results[bound] = int((scratch / "killed.txt").read_text())
    # 1.2 GB in all: fine without a bound, past a 512 MB bound for the sandbox as a whole.
    assert results[0] == 0 and results[512] >= 3, results


def test_a_data_folder_reached_through_a_link_in_a_hidden_folder_is_found_inside(tmp_path, data_link):
    """AUTOGRADER_DATA_DIR may name a link under /tmp or the home folder, both hidden inside:
    the kernel is handed the folder's real path, which the sandbox binds read-only."""
    from autograder.batch.execute import kernel_env
    link = os.environ["AUTOGRADER_DATA_DIR"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = kernel_env(str(scratch))
    assert env["AUTOGRADER_DATA_DIR"] == data_link
    (scratch / "probe.py").write_text("import os; open('seen.txt', 'w').write(' '.join(sorted(os.listdir("
                                      "os.environ['AUTOGRADER_DATA_DIR']))))")
    sandbox.prepare_scratch(str(scratch))

    def listing(folder):
        cmd = sandbox.command([sys.executable, "-I", "probe.py"], scratch=str(scratch), hidden=hidden_paths(str(tmp_path / "course")),
                              settings=Sandbox(), env={"PATH": "/usr/bin:/bin", "AUTOGRADER_DATA_DIR": folder})
        return sandbox.run(cmd, timeout=60)
    assert listing(link).returncode != 0            # the link's folder is hidden inside
    run = listing(env["AUTOGRADER_DATA_DIR"])
    assert run.returncode == 0, run.stderr
    assert (scratch / "seen.txt").read_text().split() == ["cifar-10-batches-py", "fashion-mnist"]
