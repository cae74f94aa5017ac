"""The retraining worker runs in a sandbox of its own: no network, nothing writable but its
work folder, its own user (as root), memory bounded as a whole; a model that runs it out of
memory is the model's result, a worker killed from outside is the machine's fault."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from autograder.retrain import runner
from autograder.retrain.cache import ResultCache
from autograder.sandbox import cgroup
from autograder.sandbox import bwrap
from autograder.sandbox.bwrap import bwrap_path

pytestmark = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")

PROBE = textwrap.dedent("""
    import json, os, socket, sys
    out = {"uid": os.getuid()}
    def attempt(name, f):
        try:
            f(); out[name] = "ok"
        except Exception as exc:
            out[name] = type(exc).__name__
    attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
    attempt("write_data", lambda: open(os.path.join(sys.argv[1], "pwned.npz"), "w").write("x"))
    attempt("write_package", lambda: open(os.path.join(sys.argv[2], "pwned.py"), "w").write("x"))
    out["home"] = sorted(os.listdir(os.path.expanduser("~root")))
    attempt("write_work", lambda: open("mine.txt", "w").write("x"))
    print(json.dumps(out))
""")


def test_the_worker_box_has_no_network_and_writes_only_its_work_folder(tmp_path, monkeypatch):
    import autograder
    monkeypatch.setenv("AUTOGRADER_CACHE_DIR", str(tmp_path / "cache"))
    work = tmp_path / "work"
    work.mkdir()
    os.chmod(work, 0o755)
    package = os.path.dirname(autograder.__file__)
    box = runner.Sandboxed([sys.executable, "-I", "-c", PROBE, ResultCache().data_dir, package], str(work),
                           runner.worker_env("tensorflow"), slot=0, stdout=subprocess.PIPE)
    out, _ = box.proc.communicate(timeout=60)
    box.close()
    seen = json.loads(out)
    assert seen["network"] != "ok" and seen["write_data"] != "ok" and seen["write_package"] != "ok"
    assert seen["write_work"] == "ok" and (work / "mine.txt").exists()
    assert not os.path.exists(os.path.join(package, "pwned.py"))
    # The home folder is an empty tmpfs, but for the folders leading to Python itself.
    home = os.path.realpath(os.path.expanduser("~root"))
    python_dirs = {os.path.relpath(os.path.realpath(p), home).split(os.sep)[0]
                   for p in (sys.prefix, sys.base_prefix) if os.path.realpath(p).startswith(home + os.sep)}
    assert set(seen["home"]) <= python_dirs
    if os.geteuid() == 0:
        assert seen["uid"] == bwrap.lease_base() + runner.WORKER_SLOTS


@pytest.mark.skipif(not cgroup.available("memory"), reason="no writable cgroup with the memory controller")
def test_running_out_of_its_memory_is_the_models_result_and_a_kill_is_the_machines(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(runner.MEMORY_VARIABLE, "300")
    outcomes = {}
    for name, code in (("hog", "b = bytearray(1024 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1"),
                       ("killed", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")):
        work = tmp_path / name
        work.mkdir()
        os.chmod(work, 0o755)
        box = runner.Sandboxed([sys.executable, "-I", "-c", code], str(work), runner.worker_env("tensorflow"), slot=1)
        box.proc.wait(timeout=60)
        outcomes[name] = (box.proc.returncode != 0, box.ran_out_of_memory())
        box.close()
    assert outcomes == {"hog": (True, True), "killed": (True, False)}


def test_a_data_folder_reached_through_a_link_in_a_hidden_folder_retrains(tmp_path, monkeypatch, data_link):
    """AUTOGRADER_DATA_DIR naming a link under /tmp (hidden inside the worker's sandbox): the
    grader and the worker both use the folder's real path, so the prepared data is found."""
    monkeypatch.setenv("AUTOGRADER_CACHE_DIR", str(tmp_path / "cache"))
    assert runner.worker_env("tensorflow")["AUTOGRADER_DATA_DIR"] == data_link
    import keras
    model = keras.Sequential([keras.layers.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])
    result = runner.retrain(model.to_json(), "fashion_mnist_mlp", "quick", warm=False)
    assert result["type"] == "RetrainResult", result
