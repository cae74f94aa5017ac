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


# ------------------------------------------------------------------ the graph, not the list
import copy  # noqa: E402

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from autograder.model_description import normalize_config  # noqa: E402
from autograder.retrain.safety import RetrainRefused, check_config  # noqa: E402

REFERENCE_LIKE = [(64, "relu", "before", (0.3,), None), (10, "softmax", None, (), None)]


def _bn_block_graph(shared_relu):
    inputs = keras.Input(shape=(784,))
    relu = layers.ReLU()
    x = inputs
    for units in (64, 32):
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = (relu if shared_relu else layers.ReLU())(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def test_a_stateless_layer_reused_at_every_depth_is_counted_at_each_call():
    shared, own = describe_model(_bn_block_graph(True)), describe_model(_bn_block_graph(False))
    assert shared.sequential and _summary(shared) == _summary(own)
    assert [b.activation for b in shared.hidden] == ["relu", "relu"]


def test_a_hidden_layer_written_as_a_nested_sequential_block_is_the_same_model():
    block = models.Sequential([layers.Input((64,)), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.3)])
    nested = models.Sequential([layers.Input((784,)), layers.Dense(64), block, layers.Dense(10, activation="softmax")])
    flat = models.Sequential([layers.Input((784,)), layers.Dense(64), layers.BatchNormalization(), layers.ReLU(),
                              layers.Dropout(0.3), layers.Dense(10, activation="softmax")])
    assert _summary(describe_model(nested)) == _summary(describe_model(flat)) == (REFERENCE_LIKE, 784)
    config = json.loads(nested.to_json())
    check_config(config, input_dim=784)         # only the outermost input is the protocol's
    assert check_config(config, input_dim=784) == check_config(json.loads(flat.to_json()), input_dim=784)


def test_listed_layers_nothing_calls_and_the_lists_order_change_nothing():
    config = json.loads(_bn_block_graph(False).to_json())
    before = _summary(describe_model(config))
    crafted = copy.deepcopy(config)
    crafted["config"]["layers"].reverse()                                  # listed in another order
    crafted["config"]["layers"].insert(1, {"class_name": "Dropout", "module": "keras.layers",
                                           "config": {"name": "decoy", "rate": 0.5}, "inbound_nodes": []})
    crafted["config"]["layers"].insert(2, {"class_name": "BatchNormalization", "module": "keras.layers",
                                           "config": {"name": "decoy_bn"}, "inbound_nodes": []})
    desc = describe_model(crafted)
    assert _summary(desc) == before and desc.count("dropout") == 0 and desc.sequential


def test_a_branch_in_the_graph_is_still_a_branch():
    inputs = keras.Input(shape=(784,))
    a, b = layers.Dense(32)(inputs), layers.Dense(32)(inputs)
    out = layers.Dense(10, activation="softmax")(layers.Add()([a, b]))
    assert not describe_model(keras.Model(inputs, out)).sequential


def test_tensorflows_spelling_of_softmax_is_keras_softmax():
    tf_spelled = models.Sequential([layers.Input((784,)), layers.Dense(64, activation=tf.nn.relu),
                                    layers.Dense(10, activation=tf.nn.softmax)])
    config = json.loads(tf_spelled.to_json())
    assert describe_model(config).output.activation == "softmax"
    normalized = normalize_config(config)
    assert normalized["config"]["layers"][-1]["config"]["activation"] == "softmax"
    check_config(normalized, input_dim=784)     # the retraining's allow-list reads the same spelling


@pytest.mark.parametrize("initializer", [keras.initializers.Constant([[0.1, 0.2]] * 4),
                                         {"class_name": "Constant", "module": "keras.initializers",
                                          "config": {"value": {"class_name": "__numpy__", "config": {"value": [1.0]}}}}])
def test_an_initializer_that_carries_values_is_refused(initializer):
    config = json.loads(models.Sequential([layers.Input((4,)), layers.Dense(2)]).to_json())
    init = initializer if isinstance(initializer, dict) else keras.saving.serialize_keras_object(initializer)
    config["config"]["layers"][-1]["config"]["kernel_initializer"] = init
    with pytest.raises(RetrainRefused, match="carries values"):
        check_config(config, input_dim=4)
    config["config"]["layers"][-1]["config"]["kernel_initializer"] = keras.saving.serialize_keras_object(
        keras.initializers.Constant(0.05))
    check_config(config, input_dim=4)           # one number is an initializer's kind, not weights


@pytest.mark.parametrize("optimizer, refused", [
    (keras.optimizers.Adam(1e-3), False),
    (keras.optimizers.SGD(0.1, momentum=0.9), False),
    (keras.optimizers.SGD(1e-5), False),             # the bound itself, as float32 keeps it (9.99999974e-06)
    (keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, 1000)), False),
    (keras.optimizers.Adam(1e-9), True),             # a model that cannot move from where it starts
    (keras.optimizers.SGD(50.0), True),
    (keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-12, 100, 0.9)), True),
    (keras.optimizers.Adam(keras.optimizers.schedules.PiecewiseConstantDecay([10], [1e-3, 1e-8])), True),
])
def test_the_learning_rate_is_held_to_the_stated_range(optimizer, refused):
    from autograder.retrain.safety import check_optimizer
    config = keras.saving.serialize_keras_object(optimizer)
    if refused:
        with pytest.raises(RetrainRefused, match="Expected a learning rate between 1e-05 and 1"):
            check_optimizer(config)
    else:
        check_optimizer(config)


def test_a_layer_entry_whose_two_names_differ_is_refused_not_described_as_another_model():
    """Keras wires a functional graph by each entry's own name; a description reading the name
    inside the layer's config could be pointed at one network while another trains."""
    import pytest
    from autograder.model_description import ModelConfigError
    config = json.loads(functional().to_json())
    entries = config["config"]["layers"]
    assert all(e["name"] == e["config"]["name"] for e in entries)        # what Keras writes
    assert describe_model(config).blocks
    crafted = copy.deepcopy(config)
    crafted["config"]["layers"][1]["config"]["name"] = "something_else"
    with pytest.raises(ModelConfigError, match="calls its layer 'something_else' in its config"):
        describe_model(crafted)
    twice = copy.deepcopy(config)
    twice["config"]["layers"].append(copy.deepcopy(twice["config"]["layers"][2]))
    with pytest.raises(ModelConfigError, match="two layers are named"):
        describe_model(twice)
    unhashable = copy.deepcopy(config)
    unhashable["config"]["layers"][1]["name"] = ["a"]
    with pytest.raises(ModelConfigError, match="name is not text"):
        describe_model(unhashable)
