"""One description, however the network is written."""
import json

import keras
from keras import layers, models, regularizers

from autograder.model_description import describe_model


def _summary(desc):
    return [(b.units, b.activation, b.batchnorm_position, tuple(b.dropout_rates),
             b.regularizer and (b.regularizer["kind"], round(b.regularizer["l2"], 6)))
            for b in desc.blocks], desc.input_dim


def sequential_fused():
    return models.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-3)),
        layers.BatchNormalization(),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax")])


def sequential_split():
    return models.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(64, kernel_regularizer=regularizers.L1L2(l1=0.0, l2=1e-3)),
        layers.ReLU(),
        layers.BatchNormalization(),
        layers.Dropout(0.3),
        layers.Dense(10),
        layers.Activation("softmax")])


def functional():
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, kernel_regularizer=regularizers.L2(1e-3))(inputs)
    x = layers.Activation("relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def test_the_three_spellings_describe_alike():
    expected = ([(64, "relu", "after", (0.3,), ("l2", 0.001)), (10, "softmax", None, (), None)], 784)
    for build in (sequential_fused, sequential_split, functional):
        assert _summary(describe_model(build())) == expected, build.__name__


def test_json_string_and_model_give_the_same_description():
    model = sequential_split()
    assert describe_model(model.to_json()) == describe_model(model)
    assert describe_model(json.loads(model.to_json())) == describe_model(model)


def test_batchnorm_before_activation_and_regularizer_by_name():
    model = models.Sequential([layers.Input(shape=(3072,)), layers.Rescaling(1 / 255),
                               layers.Dense(32, kernel_regularizer="l2"), layers.BatchNormalization(),
                               layers.ReLU(), layers.Dense(10, activation="softmax")])
    desc = describe_model(model)
    hidden = desc.hidden[0]
    assert desc.input_dim == 3072 and hidden.batchnorm_position == "before"
    assert hidden.regularizer == {"kind": "l2", "l1": 0.0, "l2": 0.01}
    assert hidden.layout() == "Dense(32) -> BatchNormalization -> relu"
