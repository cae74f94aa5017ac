"""The reference's config is built once and kept by what it is built from: a batch that finds it
does not load TensorFlow to describe the reference, and a changed reference file is built again."""
import json
import shutil

import pytest

from autograder.assignment import current
from autograder.retrain.cache import ResultCache
from autograder.retrain.references import reference_job


@pytest.fixture
def copied_reference(tmp_path, monkeypatch):
    """Module 07's Exercise 2 reference, as a copy whose files the test may change."""
    spec = current()
    model = spec.model("create_no_bn_baseline")
    folder = tmp_path / "reference"
    shutil.copytree(spec.reference_module(model).__file__.rsplit("/", 1)[0], folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(type(spec), "reference_code", lambda self, m: sorted(str(p) for p in folder.glob("*.py")))
    return spec, model, folder


def test_a_kept_reference_is_read_without_building_and_a_changed_file_is_built_again(copied_reference, tmp_path,
                                                                                       monkeypatch):
    spec, model, folder = copied_reference
    cache = ResultCache(str(tmp_path / "cache"))
    config, optimizer = reference_job(model, (), cache)
    assert json.loads(config)["class_name"] == "Sequential"

    built = []
    real = type(spec).reference_module
    monkeypatch.setattr(type(spec), "reference_module", lambda self, m: built.append(m) or real(self, m))
    assert reference_job(model, (), cache) == (config, optimizer) and built == []      # kept: nothing built

    (folder / "module_code.py").write_text((folder / "module_code.py").read_text() + "\n# changed\n")
    again, _ = reference_job(model, (), cache)
    assert built == [model] and layers(again) == layers(config)          # another key: built again
    assert reference_job(model, (), cache) == (again, optimizer) and built == [model]


def layers(config):
    return [layer["class_name"] for layer in json.loads(config)["config"]["layers"]]
