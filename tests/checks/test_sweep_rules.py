"""The sweep judged by what makes it a comparison: real Keras, the grader's real inputs, one
epoch on 256 images per rate (about a second a case). Correct work written in unusual ways
passes; unfair comparisons fail, each with a message naming the rule."""
import pytest

from autograder.checks import Subject
from tests.helpers import CHECKS

BUILDER = '''
import numpy as np
import tensorflow as tf
import keras
from keras import layers

def create_dropout_model(dropout_rate=0.0):
    model = keras.Sequential([layers.Input((784,)), layers.Dense(16, activation="relu"),
                              layers.Dropout(dropout_rate), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
'''

PLAIN = '''
def run_dropout_sweep(rates, X_train, y_train, X_valid, y_valid, epochs):
    results = {}
    for rate in rates:
        h = create_dropout_model(rate).fit(X_train, y_train, epochs=epochs, verbose=0,
                                           validation_data=(X_valid, y_valid))
        acc = h.history["val_accuracy"]
        results[rate] = {"best_val_acc": max(acc), "final_val_acc": acc[-1]}
    return results
'''

SWEEPS = {
    "shuffled_float64": PLAIN.replace('''        h = create_dropout_model(rate).fit(X_train, y_train,''', '''        order = np.random.default_rng(0).permutation(len(X_train))
        h = create_dropout_model(rate).fit(X_train[order].astype("float64"), y_train[order],'''),
    "one_hot": PLAIN.replace('''        h = create_dropout_model(rate).fit(X_train, y_train,''', '''        model = create_dropout_model(rate)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(X_train, keras.utils.to_categorical(y_train, 10),''').replace(
        "validation_data=(X_valid, y_valid)", "validation_data=(X_valid, keras.utils.to_categorical(y_valid, 10))"),
    "tf_data": PLAIN.replace('''        h = create_dropout_model(rate).fit(X_train, y_train, epochs=epochs, verbose=0,
                                           validation_data=(X_valid, y_valid))''', '''        train = tf.data.Dataset.from_tensor_slices((X_train, y_train)).batch(32)
        valid = tf.data.Dataset.from_tensor_slices((X_valid, y_valid)).batch(32)
        h = create_dropout_model(rate).fit(train, epochs=epochs, verbose=0, validation_data=valid)'''),
    "metric_name": PLAIN.replace('''        h = create_dropout_model(rate).fit(''', '''        model = create_dropout_model(rate)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
        h = model.fit(''').replace('h.history["val_accuracy"]', 'h.history["val_sparse_categorical_accuracy"]'),
    "summary_model": PLAIN.replace('''    results = {}''', '''    print(create_dropout_model().count_params())       # built, never trained
    results = {}'''),
    "warm_start": PLAIN.replace('''    results = {}
    for rate in rates:
        h = create_dropout_model(rate).fit(''', '''    results, previous = {}, None
    for rate in rates:
        model = create_dropout_model(rate)
        if previous is not None:
            model.set_weights(previous.get_weights())
        previous = model
        h = model.fit('''),
    "uneven_epochs": PLAIN.replace("epochs=epochs,", "epochs=epochs + (1 if rate == max(rates) else 0),"),
    "wrong_labels": PLAIN.replace("fit(X_train, y_train,", "fit(X_train, (y_train + 1) % 10,"),
}
FAIR = {"shuffled_float64", "one_hot", "tf_data", "metric_name", "summary_model"}
RULE = {"warm_start": "start fresh", "uneven_epochs": "must train for that many",
        "wrong_labels": "labels that are not y_train's"}


def _run(code):
    namespace = {}
    exec(BUILDER + code, namespace)
    subject = Subject(namespace)
    return {name: CHECKS[name].run(subject, seed=5) for name in ("ex1_sweep", "ex1_sweep_honest")}


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_the_sweep_is_judged_by_what_makes_it_a_fair_comparison(name):
    results = _run(SWEEPS[name])
    honest = results["ex1_sweep_honest"]
    assert results["ex1_sweep"].passed, results["ex1_sweep"].message
    assert honest.passed == (name in FAIR), honest.message
    if name in RULE:
        assert RULE[name] in honest.message
    assert "made-up" not in honest.message


PLOTS = {
    "line": "ax.plot(rates, best, marker='o')",
    "scatter": "ax.scatter(rates[::-1], best[::-1])",
    "percent": "ax.plot(rates, [100 * b for b in best])",
    "bars": "ax.bar(rates, best, width=0.05)",
    "training_accuracy": "ax.plot(rates, [b - 0.2 for b in best])",
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_the_plot_is_read_from_every_artist_that_carries_the_data(name):
    code = f'''
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt

def plot_dropout_sweep(results):
    rates = sorted(results)
    best = [results[r]["best_val_acc"] for r in rates]
    fig, ax = plt.subplots()
    {PLOTS[name]}
    return ax
'''
    namespace = {}
    exec(code, namespace)
    result = CHECKS["ex1_plot"].run(Subject(namespace), seed=3)
    assert result.passed == (name != "training_accuracy"), result.message


def test_a_callback_that_edits_the_logs_is_caught_by_the_graders_own_measure():
    """A public Keras callback may change ``logs`` before History records them; the grader
    measures the trained model itself."""
    forged = PLAIN.replace('''    results = {}''', '''    class Polish(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_accuracy"] = 0.99
    results = {}''').replace("validation_data=(X_valid, y_valid))", "validation_data=(X_valid, y_valid), callbacks=[Polish()])")
    honest = _run(forged)["ex1_sweep_honest"]
    assert not honest.passed and "when the grader measures it" in honest.message
