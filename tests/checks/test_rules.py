"""The stricter rules, on model configs and observed outputs alone: no training, milliseconds
per case (the whole-notebook mistakes in test_samples.py run the real functions)."""
import json

import pytest

from autograder.checks import ExtractedSubject
from tests.helpers import CHECKS
from autograder.checks.inputs import GradingInputs


def _cifar(dropout=0.2, l2=1e-4, trainable=True, branch=False):
    import keras
    from keras import layers, regularizers
    inputs = keras.Input((3072,))
    x = inputs
    for units in (64, 32):
        x = layers.Dense(units, kernel_regularizer=regularizers.l2(l2))(x)
        x = layers.BatchNormalization(trainable=trainable)(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(dropout)(x)
    outputs = [layers.Dense(10, activation="softmax")(x)]
    if branch:
        outputs.append(layers.Dense(10, activation="softmax")(x))
    return keras.Model(inputs, outputs if branch else outputs[0])


@pytest.mark.parametrize("kwargs, part, earned", [
    ({"l2": 1e-12}, "`create_cifar_model()` L2 (-1 of 4): hidden layer 1 (Dense 64): an L2 factor", 3.0),
    ({"trainable": False, "dropout": 0.9}, "`create_cifar_model()` BatchNorm (-1 of 4)", 2.0),
    # a second output head: read from the graph, the hidden layers are regularized; the shape is not one chain
    ({"branch": True}, "`create_cifar_model()` shape (-1 of 4): the model's layers must form a single chain", 3.0),
])
def test_exercise3_model_earns_a_point_per_requirement_met(kwargs, part, earned):
    result = _judge("ex3_model", "create_cifar_model", _cifar(**kwargs))
    assert not result.passed and result.points == earned and result.message.startswith(part)
    assert result.summary().startswith(f"[{'PARTIAL' if earned else 'FAIL'}] ex3_model ({earned:g}/4)")


def _ex2_baseline(extra):
    import keras
    from keras import layers
    return keras.Sequential([layers.Input((784,)), layers.Dense(256, activation="relu"), *extra,
                             layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])


def _judge(check, builder, model):
    subject = ExtractedSubject({builder: {"config": model.to_json(), "optimizer": None, "args": []}})
    return CHECKS[check].run(subject)


@pytest.mark.parametrize("kwargs, words", [
    ({}, None),
    ({"dropout": 1e-6}, "a dropout rate that regularizes lies between 0.1 and 0.6"),
    ({"dropout": 0.9}, "a dropout rate that regularizes lies between 0.1 and 0.6"),
    ({"l2": 1e-12}, "an L2 factor that regularizes lies between 1e-06 and 0.1"),
    ({"trainable": False}, "frozen (trainable=False)"),
    ({"branch": True}, "single chain"),
])
def test_exercise3_regularization_must_do_real_work(kwargs, words):
    result = _judge("ex3_model", "create_cifar_model", _cifar(**kwargs))
    assert result.passed == (words is None), result.message
    assert words is None or words in result.message


def test_exercise2_baseline_is_the_same_stack_without_batchnorm():
    from keras import layers, regularizers
    assert _judge("ex2_baseline", "create_no_bn_baseline", _ex2_baseline([])).passed
    dropout = _judge("ex2_baseline", "create_no_bn_baseline", _ex2_baseline([layers.Dropout(0.3)]))
    assert not dropout.passed and "no Dropout" in dropout.message
    model = _ex2_baseline([])
    config = json.loads(model.to_json())
    config["config"]["layers"][1]["config"]["kernel_regularizer"] = json.loads(
        json.dumps(regularizers.serialize(regularizers.l2(1e-4))))
    subject = ExtractedSubject({"create_no_bn_baseline": {"config": json.dumps(config)}})
    penalty = CHECKS["ex2_baseline"].run(subject)
    assert not penalty.passed and "kernel regularizer" in penalty.message


@pytest.mark.parametrize("monitor, mode, restore, words", [
    ("val_accuracy", "max", True, None), ("val_loss", "auto", True, None), ("val_loss", "min", True, None),
    ("val_acc", "max", True, "Received: monitor='val_acc'"), ("accuracy", "max", True, "monitor='accuracy'"),
    ("val_accuracy", "min", True, "use mode='max'"), ("val_loss", "max", True, "use mode='min'"),
    ("val_loss", "min", False, "restore_best_weights=True"),
])
def test_early_stopping_must_watch_a_logged_metric_the_right_way(monitor, mode, restore, words):
    outputs = {"type": "EarlyStopping", "early_stopping": True, "monitor": monitor, "mode": mode,
               "restore_best_weights": restore, "patience": 3.0, "min_delta": 0.0}
    result = CHECKS["ex3_early_stopping"].judge({"outputs": outputs}, GradingInputs(1))
    assert result.passed == (words is None), result.message
    assert words is None or words in result.message


def test_observed_outputs_are_judged_against_inputs_drawn_from_the_seed():
    """A table of answers for one grading is wrong for the next: the inputs follow the seed."""
    def correct(inputs):
        return {"answers": [min(t, key=lambda r: (-t[r]["best_val_acc"], r)) for t in inputs.best_rate_tables]}
    first, second = GradingInputs(11), GradingInputs(12)
    assert first.best_rate_tables != second.best_rate_tables
    assert GradingInputs(11).best_rate_tables == first.best_rate_tables       # same seed, same inputs
    check = CHECKS["ex1_best_rate"]
    assert check.judge({"outputs": correct(first)}, first).passed
    assert not check.judge({"outputs": correct(first)}, second).passed
    assert not check.judge({"outputs": {"answers": "0.1"}}, first).passed


def _loaded(x_train, y_train, x_valid, y_valid):
    from autograder.checks import Subject
    subject = Subject({"load_cifar10_flat": lambda: (x_train, y_train, x_valid, y_valid)})
    return CHECKS["ex3_load"].run(subject)


def test_the_loader_check_reads_shapes_types_and_scale_from_what_the_function_returned():
    import numpy as np
    x_train, x_valid = np.zeros((40000, 3072), "float32"), np.zeros((10000, 3072), "float32")
    y_train, y_valid = np.zeros(40000, "int64"), np.zeros(10000, "int64")
    assert _loaded(x_train, y_train, x_valid, y_valid).passed
    column = _loaded(x_train, y_train.reshape(-1, 1), x_valid, y_valid.reshape(-1, 1))
    assert "y_train must be a 1-D array of 40000 labels" in column.message
    x_train[0, 0] = 255.0
    assert "must be scaled to [0, 1]" in _loaded(x_train, y_train, x_valid, y_valid).message
    assert "must be float32" in _loaded(x_train[:, :].astype("float64"), y_train, x_valid, y_valid).message


# ------------------------------------------------------------------ values compared as values
@pytest.mark.parametrize("rates, ok", [
    ([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], True),
    ([float(v) for v in __import__("numpy").arange(0, 0.8, 0.1)], True),          # 0.30000000000000004
    ([float(__import__("numpy").float32(v)) for v in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)], True),
    ([0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0], True),
    ([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], False), ([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8], False),
])
def test_the_rates_are_compared_as_values(rates, ok):
    result = CHECKS["ex1_rates"].judge({"outputs": {"rates": rates}}, GradingInputs(1))
    assert result.passed == ok, result.message


def test_dropout_zero_and_l2_zero_are_no_regularization_in_a_baseline_and_in_name_only_in_exercise3():
    from keras import layers, regularizers
    assert _judge("ex2_baseline", "create_no_bn_baseline", _ex2_baseline([layers.Dropout(0.0)])).passed
    model = _ex2_baseline([])
    config = json.loads(model.to_json())
    config["config"]["layers"][1]["config"]["kernel_regularizer"] = json.loads(
        json.dumps(regularizers.serialize(regularizers.l2(0.0))))
    assert CHECKS["ex2_baseline"].run(ExtractedSubject({"create_no_bn_baseline": {"config": json.dumps(config)}})).passed
    result = _judge("ex3_model", "create_cifar_model", _cifar(dropout=0.0))
    assert not result.passed and "in name only" in result.message
    result = _judge("ex3_model", "create_cifar_model", _cifar(l2=0.0))
    assert not result.passed and "no L2 kernel regularizer" in result.message


def test_batchnorm_must_train_in_exercise2_too():
    import keras
    from keras import layers
    model = keras.Sequential([layers.Input((784,))] + [x for units in (256, 128) for x in (
        layers.Dense(units), layers.BatchNormalization(trainable=False), layers.ReLU())]
        + [layers.Dense(10, activation="softmax")])
    result = _judge("ex2_bn_before", "create_bn_before_activation", model)
    assert not result.passed and "frozen (trainable=False)" in result.message


@pytest.mark.parametrize("extra, words", [
    ({}, None), ({"patience": 20.0}, None), ({"baseline": 0.5}, None),
    ({"patience": 100.0}, "leaves early stopping no room"),
    ({"baseline": 0.9}, "leave baseline unset"),
    ({"monitor": "val_loss", "mode": "min", "baseline": 0.5}, "leave baseline unset"),
    ({"min_delta": 0.2}, "min_delta=0.2"),
    ({"start_from_epoch": 58.0}, "start_from_epoch=58"),
])
def test_early_stopping_must_be_able_to_act(extra, words):
    outputs = dict({"type": "EarlyStopping", "early_stopping": True, "monitor": "val_accuracy", "mode": "max",
                    "restore_best_weights": True, "patience": 8.0, "min_delta": 0.0, "baseline": None,
                    "start_from_epoch": 0.0}, **extra)
    result = CHECKS["ex3_early_stopping"].judge({"outputs": outputs}, GradingInputs(1))
    assert result.passed == (words is None), result.message
    assert words is None or words in result.message


def test_exercise1s_model_is_the_modules_whatever_the_notebook_redefines_it_as():
    """The retrained model is the module's create_dropout_model at the picked rate: a notebook
    that redefines it as another network fails, before any retraining, saying what differs."""
    import keras
    from keras import layers
    from autograder.checks.accuracy import given_model_problems
    from reference.module_code import create_dropout_model
    same = ExtractedSubject({"create_dropout_model": {"config": create_dropout_model(0.3).to_json(), "args": [0.3]}})
    assert given_model_problems(same, "create_dropout_model") == []
    other = keras.Sequential([layers.Input((784,)), layers.Dense(1024, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(10, activation="softmax")])
    changed = ExtractedSubject({"create_dropout_model": {"config": other.to_json(), "args": [0.3]}})
    result = CHECKS["ex1_accuracy"].run(changed)
    assert not result.passed and "returns another network: Dense(1024)" in result.message
    assert "Dense(512) -> relu -> Dropout(0.3)" in result.message
