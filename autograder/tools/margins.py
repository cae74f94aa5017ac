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
    from ..retrain.thresholds import threshold
    from ..retrain.protocols import get_protocol
    from ..retrain.runner import retrain
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


def tie_quick_bar(quick_rows, full_rows, entry):
    """Exercise 3's quick threshold tied to the full profile's outcome: no allowed variant that
    clears the module's bar in the full profile may fail the quick one. ``entry``: the quick
    calibration's entry (its ``threshold`` and seed ``margin``); returns the entry with the
    threshold lowered where a variant needs it (that variant's quick accuracy minus the same seed
    margin) and the measured table (``variants``: per variant both accuracies and both verdicts)."""
    full = {r["variant"]: r.get("best_val_acc") for r in full_rows}
    table, needed = {}, []
    for row in quick_rows:
        name, quick = row["variant"], row.get("best_val_acc")
        if name not in full or not isinstance(quick, (int, float)) or not isinstance(full[name], (int, float)):
            continue
        table[name] = {"quick": round(quick, 4), "full": round(full[name], 4),
                       "clears_full": full[name] >= row_bar(full_rows, name)}
        if table[name]["clears_full"]:
            needed.append(quick - entry["margin"])
    threshold = round(min([entry["threshold"], *needed]), 3)
    for row in table.values():
        row["clears_quick"] = row["quick"] >= threshold
    tied = dict(entry, threshold=threshold, variants=table)
    if threshold < entry["threshold"]:
        tied["threshold_from"] = ("the allowed variants that clear the module's bar in the full profile "
                                  "(`autograder bench-margins --tie`), each minus the seed margin")
    return tied


def row_bar(rows, name):
    return next(r["bar"] for r in rows if r["variant"] == name)


def tie(log=print):
    """``bench-margins --tie``: both profiles of every variant (trained, or read from the cache),
    then the course's quick threshold of ``ex3_accuracy`` tied to the full outcome, written where
    calibration writes. Returns the new entry."""
    from ..common.atomic import write_json
    from ..retrain.thresholds import load, written
    quick, full = run("quick"), run("full")
    thresholds = load()
    entry = thresholds["quick"]["ex3_accuracy"]["create_cifar_model"]
    tied = tie_quick_bar(quick["variants"], full["variants"], entry)
    thresholds["quick"]["ex3_accuracy"]["create_cifar_model"] = tied
    write_json(written(), thresholds, indent=1)
    log(f"quick threshold of ex3_accuracy: {entry['threshold']} -> {tied['threshold']}; "
        f"{sum(v['clears_quick'] for v in tied['variants'].values())} of {len(tied['variants'])} variants clear it, "
        f"{sum(v['clears_full'] for v in tied['variants'].values())} clear the full bar")
    return tied
