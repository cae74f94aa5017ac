"""The retraining job, run as ``python -I -m autograder.retrain.worker SPEC OUT``.

A fresh interpreter that never ran student code: it reads the job spec (JSON), rebuilds the
model from its config in Keras' safe mode, trains it under the protocol and writes the
result (JSON with a type tag) to OUT atomically.

``--serve`` keeps one such interpreter for job after job (a line "SPEC<TAB>OUT" on stdin,
the line DONE on stdout after each): importing Keras costs seconds, a job on a warm worker
does not pay it again. Every job starts from a cleared Keras session and its own seed, so
it gives the same result as in a fresh interpreter (a test holds it to that).
"""
import json
import os
import sys
import time
import traceback

from ..common.lean_imports import TENSORFLOW_UNUSED, TRAINING_UNUSED, lean_start, without


def _device():
    import keras
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:             # share the card: no full-memory grab
            tf.config.experimental.set_memory_growth(gpu, True)
        return f"tensorflow:{'GPU:0' if gpus else 'CPU'}"
    if backend == "jax":
        import jax
        d = jax.devices()[0]
        return f"jax:{d.platform}:{getattr(d, 'device_kind', '')}"
    return backend


class _Progress:
    """Epoch lines on stderr, for a terminal watching a long retraining."""

    def __init__(self, epochs):
        import keras

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(cb, epoch, logs=None):
                logs = logs or {}
                print(f"  epoch {epoch + 1}/{epochs}: val_accuracy {logs.get('val_accuracy', 0):.4f}",
                      file=sys.stderr, flush=True)
        self.callback = Callback()


def plain(exc):
    """An exception's text for a student: no terminal colours, Keras' call details cut."""
    import re
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    text = text.split("\n\nArguments received")[0]
    return " ".join(text.split())[:500]


def run(spec):
    from ..common.seeding import set_seed
    from . import datasets
    from .protocols import get_protocol
    from .safety import INPUT_DIMS, check_config, check_optimizer

    protocol = get_protocol(spec["protocol"])
    budget = protocol.budget(spec["profile"])
    phase = "deserialize"
    try:
        params_estimate = check_config(spec["config"], input_dim=INPUT_DIMS.get(protocol.dataset))
        if protocol.honour_student_optimizer and spec.get("optimizer"):
            check_optimizer(spec["optimizer"])
        device = _device()
        import keras
        keras.backend.clear_session()       # nothing of the previous job on a warm worker
        set_seed(spec["seed"], deterministic=spec.get("deterministic", True))
        model = keras.saving.deserialize_keras_object(spec["config"], safe_mode=True)
        optimizer_config = protocol.optimizer
        if protocol.honour_student_optimizer and spec.get("optimizer"):
            optimizer_config = spec["optimizer"]
        optimizer = keras.optimizers.deserialize(optimizer_config)
        model.compile(optimizer=optimizer, loss=protocol.loss, metrics=["accuracy"])
        phase = "data"
        x_train, y_train, x_valid, y_valid = datasets.load(protocol, budget, spec.get("data_cache"))
        phase = "train"
        mode = "max" if "acc" in protocol.monitor else "min"
        callbacks = [keras.callbacks.EarlyStopping(monitor=protocol.monitor, mode=mode,
                                                   patience=budget.patience,
                                                   restore_best_weights=True)]
        if spec.get("progress"):
            callbacks.append(_Progress(budget.epochs).callback)
        start = time.perf_counter()
        history = model.fit(x_train, y_train, batch_size=protocol.batch_size, epochs=budget.epochs,
                            validation_data=(x_valid, y_valid), callbacks=callbacks,
                            shuffle=True, verbose=0)
        wall = time.perf_counter() - start
    except Exception as exc:
        from .safety import RetrainRefused
        kind = "RetrainRefused" if isinstance(exc, RetrainRefused) else "RetrainError"
        message = str(exc) if kind == "RetrainRefused" else f"{type(exc).__name__}: {plain(exc)}"
        return {"type": kind, "phase": phase, "message": message[:2000],
                "traceback": traceback.format_exc()[-4000:] if kind == "RetrainError" else None}
    hist = {k: [float(v) for v in values] for k, values in history.history.items()}
    val = hist.get("val_accuracy", [0.0])
    return {"type": "RetrainResult", "history": hist, "best_val_acc": max(val),
            "final_val_acc": val[-1], "epochs_run": len(val), "train_wall_s": wall,
            "device": device, "parameters": int(model.count_params()),
            "parameters_estimate": params_estimate,
            "train_samples": int(len(x_train)), "valid_samples": int(len(x_valid))}


DONE = "\x00AUTOGRADER-JOB-DONE"


def job(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    start = time.perf_counter()
    result = run(spec)
    result["wall_s"] = time.perf_counter() - start
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, out_path)


def serve():
    for line in sys.stdin:
        spec_path, out_path = line.rstrip("\n").split("\t")
        job(spec_path, out_path)
        sys.stdout.write(DONE + "\n")
        sys.stdout.flush()


def main(argv):
    tensorflow = os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"
    unused = TRAINING_UNUSED + (TENSORFLOW_UNUSED if tensorflow else ())
    lean_start()
    with without(unused):
        import keras  # noqa: F401  (every job needs it; imported here without what no job reads)
    if argv == ["--serve"]:
        serve()
    else:
        job(*argv)
        # The result is on disk: ending here spares the caller, who waits for this process, the
        # 1-2 s of CPU an interpreter holding TensorFlow spends finalizing its modules.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
