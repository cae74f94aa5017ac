"""What a test cell prints: a verdict on stdout, never a library's warning on stderr."""
import os
import warnings

import pytest

from autograder.notebook import CheckFailed, check


def noisy_builder():
    import keras
    warnings.warn("a library warning", UserWarning)
    os.write(2, b"E0000 a C++ log line on file descriptor 2\n")
    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(256), keras.layers.BatchNormalization(),
                             keras.layers.ReLU(), keras.layers.Dense(128), keras.layers.BatchNormalization(),
                             keras.layers.ReLU(), keras.layers.Dense(10, activation="softmax")])


def test_a_passing_check_writes_nothing_to_stderr(capfd):
    assert check("ex2_bn_before", {"create_bn_before_activation": noisy_builder}) is None
    out, err = capfd.readouterr()
    assert err == ""
    assert "[PASS] ex2_bn_before (3/3)" in out
    assert "not counted against you" in out


def test_a_failing_check_raises_with_the_reason(capfd):
    with pytest.raises(CheckFailed, match="BatchNormalization comes before the RELU; this model "
                                          "must normalize after the activation"):
        check("ex2_bn_after", {"create_bn_after_activation": noisy_builder})
    out, err = capfd.readouterr()
    assert "[FAIL] ex2_bn_after (0/3)" in out and err == ""
