"""How much room the accuracy bars leave: Exercise 3's reference retrained in variants across
the ranges the notebook allows (dropout 0.1-0.6, L2 1e-6-1e-1, Adam/SGD/RMSprop at sensible
rates), each against the bar in force for the profile (``autograder bench-margins``).

A variant is the reference with one thing changed; every job goes through the grader's own
retraining (``retrain``), so results land in (and come from) the same cache grading uses.
Prints one JSON object: per variant the best validation accuracy, the bar, and whether it
clears it; and how many variants clear the bar.
"""
import json
import time

VARIANTS = (
    ("reference", {}),
    *((f"dropout {rate:g}", {"dropout": rate}) for rate in (0.1, 0.3, 0.4, 0.5, 0.6)),
    *((f"l2 {factor:g}", {"l2": factor}) for factor in (1e-6, 1e-5, 1e-3, 1e-2, 1e-1)),
    ("adam 1e-3 constant", {"optimizer": ("Adam", 1e-3)}),
    ("sgd 0.01 momentum 0.9", {"optimizer": ("SGD", 0.01)}),
    ("rmsprop 1e-3", {"optimizer": ("RMSprop", 1e-3)}),
)


def variant(dropout=0.2, l2=1e-4, optimizer=None):
    """Exercise 3's reference model with one setting changed (``reference.exercise3``)."""
    import keras
    from keras import layers, models, regularizers

    def block(units):
        return [layers.Dense(units, kernel_regularizer=regularizers.l2(l2)),
                layers.BatchNormalization(momentum=0.9), layers.Activation("relu"), layers.Dropout(dropout)]

    model = models.Sequential([layers.Input(shape=(3072,)), layers.Rescaling(2.0, offset=-1.0)]
                              + block(1024) + block(512) + block(256) + [layers.Dense(10, activation="softmax")])
    if optimizer is None:
        opt = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=30 * 313))
    elif optimizer[0] == "SGD":
        opt = keras.optimizers.SGD(optimizer[1], momentum=0.9)
    else:
        opt = getattr(keras.optimizers, optimizer[0])(optimizer[1])
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(profile, names=None):
    from .thresholds import threshold
    from .protocols import get_protocol
    from .runner import retrain
    bar = threshold("ex3_accuracy", "create_cifar_model", profile)
    rows, start = [], time.monotonic()
    for name, settings in VARIANTS:
        if names and name not in names:
            continue
        model = variant(**settings)
        result = retrain(model.to_json(), "cifar10_mlp", profile,
                         optimizer=keras_optimizer_config(model), warm=False)
        got = result.get("best_val_acc")
        rows.append({"variant": name, "best_val_acc": got, "bar": bar, "clears": got is not None and got >= bar,
                     "margin": None if got is None else round(got - bar, 4), "epochs_run": result.get("epochs_run"),
                     "cached": bool(result.get("cached")), "type": result["type"]})
        print(json.dumps(rows[-1]), flush=True)
    return {"profile": profile, "protocol": get_protocol("cifar10_mlp").describe(profile), "bar": bar,
            "variants": rows, "clear": sum(r["clears"] for r in rows), "of": len(rows),
            "wall_s": round(time.monotonic() - start, 1)}


def keras_optimizer_config(model):
    """The compiled optimizer as the grader extracts it from a notebook's model."""
    config = model.get_compile_config() or {}
    return config.get("optimizer")
