"""A student fixes a function and runs the check again: the new function is judged, without a
kernel restart; and a grading still calls each builder once."""
import json
import os

import nbformat
from nbclient import NotebookClient

from autograder.checks import Subject, get_check

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BEFORE = """
import keras
from keras import layers, models
def create_bn_before_activation():
    return models.Sequential([layers.Input(shape=(784,)), layers.Dense(256), layers.BatchNormalization(),
                              layers.Activation('relu'), layers.Dense(128), layers.BatchNormalization(),
                              layers.Activation('relu'), layers.Dense(10, activation='softmax')])
"""
AFTER_RELU = BEFORE.replace("layers.Dense(256), layers.BatchNormalization(),\n                              layers.Activation('relu')",
                            "layers.Dense(256), layers.Activation('relu'), layers.BatchNormalization()")


def namespace_with(code, namespace=None):
    namespace = {} if namespace is None else namespace
    exec(compile(code, "cell", "exec"), namespace)
    return namespace


def test_fail_fix_pass_and_the_reverse_with_one_subject():
    namespace = {}
    subject = Subject(namespace)
    check = get_check("ex2_bn_before")
    assert "is not defined" in check.run(subject).message
    namespace_with(AFTER_RELU, namespace)
    assert "comes after the RELU" in check.run(subject).message
    namespace_with(BEFORE, namespace)
    assert check.run(subject).passed
    namespace_with(AFTER_RELU, namespace)
    assert not check.run(subject).passed


def test_a_fixed_helper_is_seen_through_the_function_that_calls_it():
    namespace = namespace_with(BEFORE.replace("def create_bn_before_activation():\n    return",
                                              "def create_bn_before_activation():\n    return hidden()\n"
                                              "def hidden():\n    return"))
    subject = Subject(namespace)
    check = get_check("ex2_bn_before")
    assert check.run(subject).passed
    namespace_with(AFTER_RELU.replace("def create_bn_before_activation():", "def hidden():"), namespace)
    assert "comes after the RELU" in check.run(subject).message


def test_a_grading_builds_each_model_once():
    namespace = namespace_with(BEFORE)
    calls = []
    original = namespace["create_bn_before_activation"]

    def counted():
        calls.append(1)
        return original()
    namespace["create_bn_before_activation"] = counted
    subject = Subject(namespace)
    first = subject.built("create_bn_before_activation")
    for _ in range(3):
        assert get_check("ex2_bn_before").run(subject).passed
    assert subject.built("create_bn_before_activation") is first and len(calls) == 1


def test_a_list_changed_in_place_is_judged_again():
    namespace = {"DROPOUT_RATES": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}
    subject = Subject(namespace)
    check = get_check("ex1_rates")
    assert not check.run(subject).passed
    namespace["DROPOUT_RATES"].append(0.7)
    assert check.run(subject).passed


def test_in_a_real_kernel_a_check_rerun_after_a_fix_passes():
    """The release's own check() in a kernel: fail, fix, pass, break, fail; no restart."""
    check_cell = 'from autograder.notebook import check\ncheck("ex2_bn_before", globals())'
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(check_cell), nbformat.v4.new_code_cell(AFTER_RELU),
                nbformat.v4.new_code_cell(check_cell), nbformat.v4.new_code_cell(BEFORE),
                nbformat.v4.new_code_cell(check_cell), nbformat.v4.new_code_cell(AFTER_RELU),
                nbformat.v4.new_code_cell(check_cell)]
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True, shutdown_kernel="immediate",
                   resources={"metadata": {"path": REPO}}).execute()
    verdicts = []
    for cell in nb.cells[0::2]:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        verdicts.append("PASS" if "[PASS] ex2_bn_before" in text else
                        "undefined" if "is not defined" in text else
                        "FAIL" if "[FAIL] ex2_bn_before" in text else json.dumps(cell.outputs)[:300])
    assert verdicts == ["undefined", "FAIL", "PASS", "FAIL"]


def test_check_all_prints_every_visible_verdict_and_the_visible_points(capsys):
    from autograder.notebook import check_all
    from tests.helpers import CHECKS
    check_all(namespace_with(BEFORE))
    out = capsys.readouterr().out.splitlines()
    visible = [n for n, c in CHECKS.items() if not c.hidden]
    assert [line.split()[1] for line in out[:-1]] == visible
    assert any(line.startswith("[PASS] ex2_bn_before (3/3)") for line in out)
    assert "`create_bn_after_activation` is not defined" in "\n".join(out)
    assert out[-1].startswith(f"3 / {sum(CHECKS[n].points for n in visible):g} visible points; 11 more points")
    check_all(namespace_with(BEFORE), exercise=2)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[-1].startswith("3 / 8 visible points; 2 more points")
