"""What the grader's own processes keep from loading: optional imports fail while it is kept out,
and the module is importable again afterwards; a module already loaded is never taken away."""
import gc
import importlib
import subprocess
import sys

import pytest

from autograder.common.lean_imports import without


def test_a_module_is_absent_inside_and_importable_after():
    sys.modules.pop("colorsys", None)
    loaded = sys.modules["json"]
    with without(("colorsys", "json")):
        with pytest.raises(ImportError):
            importlib.import_module("colorsys")
        assert importlib.import_module("json") is loaded
    assert importlib.import_module("colorsys").rgb_to_hsv(1, 0, 0) == (0.0, 1.0, 1.0)
    assert sys.modules["json"] is loaded


def test_the_graders_processes_and_the_students_kernels_collect_less_often():
    from autograder.common.lean_imports import GC_THRESHOLDS
    from autograder.sandbox.inside import KERNEL_PREFLIGHT
    assert gc.get_threshold() == GC_THRESHOLDS              # conftest starts as the grader does
    # The sandbox's kernel runs the preflight in IPython before any cell (here IPython's shell).
    proc = subprocess.run([sys.executable, "-I", "-m", "IPython", "--quick", "--no-banner",
                           "--InteractiveShellApp.exec_lines=" + KERNEL_PREFLIGHT.format(max_kb=256),
                           "-c", "import gc; print(gc.get_threshold())"], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip().endswith(repr(GC_THRESHOLDS)), (proc.stdout, proc.stderr[-2000:])
