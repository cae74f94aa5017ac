"""Each kernel finds matplotlib's font list ready in its fresh configuration folder."""
import os
import subprocess
import sys

from autograder.batch.execute import kernel_command
from autograder.sandbox import font_cache
from autograder.sandbox.settings import Sandbox

READ = ("import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stdout); "
        "import matplotlib.font_manager as fm; print('fonts:', len(fm.fontManager.ttflist))")


def test_a_kernels_matplotlib_reads_the_laid_font_list_and_scans_no_font(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "prepared.ipynb").write_text("{}")
    kernel_command(str(scratch), str(scratch / "prepared.ipynb"), 3, course_dir=str(tmp_path),
                   settings=Sandbox(enabled=False))
    home = scratch / ".grader-home"
    mpl = home / ".matplotlib"
    laid = sorted(p.name for p in mpl.iterdir())
    assert laid and all(name.startswith("fontlist-") and name.endswith(".json") for name in laid), laid
    before = {name: (mpl / name).stat().st_mtime_ns for name in laid}

    proc = subprocess.run([sys.executable, "-I", "-c", READ], capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ["PATH"], "HOME": str(home), "MPLCONFIGDIR": str(mpl)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"Using fontManager instance from {mpl}" in proc.stdout, proc.stdout[-2000:]
    assert "building the font cache" not in proc.stdout + proc.stderr
    assert int(proc.stdout.rsplit("fonts:", 1)[1]) > 0
    assert {name: (mpl / name).stat().st_mtime_ns for name in laid} == before     # read, not rebuilt


def test_a_kernel_gets_its_own_copy_and_no_list_is_built_twice(tmp_path):
    env = {"PATH": os.environ["PATH"]}
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    font_cache.lay_font_lists(str(first), env)
    built = font_cache.font_lists(env)
    font_cache.lay_font_lists(str(second), env)
    assert font_cache.font_lists(env) == built
    (first / os.path.basename(built[0])).write_text("the student's own")     # theirs to change
    assert (second / os.path.basename(built[0])).read_bytes() == open(built[0], "rb").read()
