"""What the grader's own processes keep from loading: optional imports fail while it is kept out,
and the module is importable again afterwards; a module already loaded is never taken away."""
import importlib
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
