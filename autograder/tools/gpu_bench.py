"""The GPU figures, in one prepared run (``scripts/gpu_bench.sh``): JSON written after each part,
so a run stopped at its time limit still leaves what it measured.

- ``reference``: Exercise 3's reference retrained through the harness under the full profile
  (Keras on JAX on the GPU): wall time, epochs, best validation accuracy against the 55% bar;
- ``limit``: the same network, data, batch size, epochs and learning-rate schedule as a jitted
  JAX/optax loop written by hand: the practical limit the harness is compared with;
- ``class``: distinct CIFAR-10 models (generated widths, dropout, L2, optimizers) through the
  batch's retraining stage (``LocalPool`` of slots, one warm worker each, sharing the GPU) at
  several concurrency levels: models per minute, and what a class of 200 would take;
- ``thresholds``: the reference models over seeds against the committed thresholds of the
  profile, on this backend and card.

``--scale tiny`` runs every part in seconds on a CPU (quick profile, few models), which is how
it is tested; ``--scale device`` is the real run.
"""
import argparse
import json
import os
import platform
import time

from ..common.atomic import write_json
from ..retrain.protocols import get_protocol
from ..retrain.runner import retrain

SCALES = {
    "tiny": {"profile": "quick", "levels": (1, 2), "seeds": 1, "threshold_models": 2},
    "device": {"profile": "full", "levels": (1, 4, 8, 16), "seeds": 3, "threshold_models": None},
}


def _reference_job():
    import reference.exercise3 as e3
    model = e3.create_cifar_model()
    return model.to_json(), model.get_compile_config()["optimizer"]


def part_reference(profile, log):
    config, optimizer = _reference_job()
    start = time.perf_counter()
    result = retrain(config, "cifar10_mlp", profile, optimizer=optimizer, use_cache=False, warm=False)
    wall = time.perf_counter() - start
    if result["type"] != "RetrainResult":
        raise RuntimeError(result["message"])
    log(f"reference: {result['best_val_acc']:.4f} after {result['epochs_run']} epochs in {wall:.1f} s")
    return {"wall_s": round(wall, 2), "train_s": round(result["train_wall_s"], 2), "device": result["device"],
            "epochs_run": result["epochs_run"], "best_val_acc": round(result["best_val_acc"], 4),
            "bar": 0.55 if profile == "full" else None,
            "clears_bar": result["best_val_acc"] > 0.55 if profile == "full" else None}


def jax_loop(data, epochs, batch_size=128, seed=0, decay_steps=30 * 313, widths=(1024, 512, 256),
             dropout=0.2, l2=1e-4, momentum=0.9, epsilon=1e-3):
    """The reference network trained by a hand-written jitted loop: Rescaling(2, -1), then per
    hidden layer Dense + L2, BatchNorm (momentum 0.9), ReLU, Dropout; softmax 10; Adam on a
    cosine decay; glorot-uniform weights as Keras draws them. The last partial batch of an
    epoch is dropped (one shape, one compilation). Returns (best val acc, wall s, first epoch s)."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    x_train, y_train, x_valid, y_valid = (jnp.asarray(a) for a in data)
    key = jax.random.PRNGKey(seed)
    sizes = (x_train.shape[1],) + tuple(widths) + (10,)
    params, state = [], []
    for i, (din, dout) in enumerate(zip(sizes[:-1], sizes[1:])):
        key, sub = jax.random.split(key)
        limit = float(np.sqrt(6.0 / (din + dout)))
        layer = {"w": jax.random.uniform(sub, (din, dout), minval=-limit, maxval=limit), "b": jnp.zeros(dout)}
        if i < len(widths):
            layer.update(gamma=jnp.ones(dout), beta=jnp.zeros(dout))
            state.append({"mean": jnp.zeros(dout), "var": jnp.ones(dout)})
        params.append(layer)

    def forward(params, state, x, train, key):
        h, new_state = x * 2.0 - 1.0, []
        for p, s in zip(params[:-1], state):
            z = h @ p["w"] + p["b"]
            if train:
                mean, var = z.mean(0), z.var(0)
                new_state.append({"mean": momentum * s["mean"] + (1 - momentum) * mean,
                                  "var": momentum * s["var"] + (1 - momentum) * var})
            else:
                mean, var = s["mean"], s["var"]
                new_state.append(s)
            h = jax.nn.relu((z - mean) / jnp.sqrt(var + epsilon) * p["gamma"] + p["beta"])
            if train:
                key, sub = jax.random.split(key)
                h = jnp.where(jax.random.bernoulli(sub, 1 - dropout, h.shape), h / (1 - dropout), 0.0)
        return h @ params[-1]["w"] + params[-1]["b"], new_state

    def loss(params, state, x, y, key):
        logits, new_state = forward(params, state, x, True, key)
        penalty = l2 * sum(jnp.sum(p["w"] ** 2) for p in params[:-1])
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean() + penalty, new_state

    optimizer = optax.adam(optax.cosine_decay_schedule(1e-3, decay_steps), eps=1e-7)
    opt_state = optimizer.init(params)

    @jax.jit
    def step(params, state, opt_state, x, y, key):
        (_, new_state), grads = jax.value_and_grad(loss, has_aux=True)(params, state, x, y, key)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), new_state, opt_state

    @jax.jit
    def accuracy(params, state, x, y):
        return (forward(params, state, x, False, None)[0].argmax(-1) == y).mean()

    batches = x_train.shape[0] // batch_size
    rng, best, first = np.random.default_rng(seed), 0.0, None
    start = time.perf_counter()
    for _ in range(epochs):
        order = jnp.asarray(rng.permutation(x_train.shape[0])[:batches * batch_size].reshape(batches, batch_size))
        for b in range(batches):
            key, sub = jax.random.split(key)
            params, state, opt_state = step(params, state, opt_state, x_train[order[b]], y_train[order[b]], sub)
        best = max(best, float(accuracy(params, state, x_valid, y_valid)))
        first = first if first is not None else time.perf_counter() - start
    return best, time.perf_counter() - start, first


def part_limit(profile, epochs, log):
    from ..retrain import datasets
    protocol = get_protocol("cifar10_mlp")
    data = datasets.load(protocol, protocol.budget(profile))
    best, wall, first = jax_loop(data, epochs)
    log(f"hand-written JAX loop: {best:.4f} after {epochs} epochs in {wall:.1f} s")
    return {"epochs": epochs, "wall_s": round(wall, 2), "first_epoch_s": round(first, 2),
            "best_val_acc": round(best, 4)}


def class_models(count, seed=0):
    """``count`` distinct CIFAR-10 MLPs as a class would hand them in: (config, optimizer)."""
    import keras
    import numpy as np
    from keras import layers, regularizers
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    while len(out) < count:
        widths = tuple(int(w) for w in rng.choice([128, 256, 512, 1024], size=int(rng.integers(2, 4))))
        rate = float(rng.choice([0.1, 0.2, 0.3, 0.5]))
        factor = float(rng.choice([1e-5, 1e-4, 1e-3]))
        lr = float(rng.choice([3e-4, 1e-3, 2e-3]))
        kind = str(rng.choice(["adam", "rmsprop", "sgd"]))
        if (widths, rate, factor, lr, kind) in seen:
            continue
        seen.add((widths, rate, factor, lr, kind))
        model = keras.Sequential([layers.Input((3072,)), layers.Rescaling(2.0, offset=-1.0)]
                                 + [layer for w in widths for layer in (
                                     layers.Dense(w, kernel_regularizer=regularizers.l2(factor)),
                                     layers.BatchNormalization(momentum=0.9), layers.Activation("relu"),
                                     layers.Dropout(rate))]
                                 + [layers.Dense(10, activation="softmax")])
        optimizer = {"adam": keras.optimizers.Adam(lr), "rmsprop": keras.optimizers.RMSprop(lr),
                     "sgd": keras.optimizers.SGD(lr * 10, momentum=0.9)}[kind]
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        out.append((model.to_json(), model.get_compile_config()["optimizer"]))
    return out


def part_class(profile, levels, deadline, log):
    """Models per minute through the batch's retraining stage at each concurrency level: one
    wave of as many distinct models as jobs run at once, each model new to the cache."""
    from ..batch.pool import LocalPool
    from ..retrain.devices import visible_gpus
    gpus = visible_gpus()
    models = class_models(sum(levels))
    out, used = [], 0
    for level in levels:
        if time.monotonic() > deadline:
            log(f"class: level {level} skipped (time limit)")
            break
        jobs = [dict(config=c, protocol="cifar10_mlp", profile=profile, optimizer=o, use_cache=False)
                for c, o in models[used:used + level]]
        used += level

        def task(slot=0, gpu=None, **job):
            return retrain(slot=slot, gpu=gpu, **job)
        start = time.perf_counter()
        results = [r for _, r in LocalPool(level).map(task, jobs, gpus=gpus, gpu_task=True)]
        wall = time.perf_counter() - start
        trained = sum(r["type"] == "RetrainResult" for r in results)
        per_minute = trained / wall * 60 if wall else 0.0
        log(f"class: {level} concurrent job(s): {trained} models in {wall:.1f} s = {per_minute:.1f} / min")
        out.append({"concurrent_jobs": level, "models": trained, "wall_s": round(wall, 2),
                    "models_per_minute": round(per_minute, 2),
                    "class_of_200_minutes": round(200 / per_minute, 1) if per_minute else None,
                    "failed": [r.get("message", "")[:200] for r in results if r["type"] != "RetrainResult"]})
    return out


def part_thresholds(profile, seeds, limit_models, deadline, concurrency, log):
    """Every reference model over ``seeds`` seeds against the committed threshold of ``profile``."""
    from ..batch.pool import LocalPool
    from ..retrain.calibrate import builder_args, reference_models
    from ..retrain.devices import visible_gpus
    from ..retrain.references import reference_job
    from ..retrain.thresholds import threshold
    jobs, meta = [], []
    for check, models in reference_models().items():
        for model in models:
            builder, protocol = model.builder, model.protocol
            for args in builder_args(builder):
                config, optimizer = reference_job(model, args)
                for seed in range(seeds):
                    jobs.append(dict(config=config, protocol=protocol, profile=profile, optimizer=optimizer,
                                     seed=seed, use_cache=False))
                    meta.append((check, builder, args))
    if limit_models:
        keep = sorted({m for m in meta}, key=meta.index)[:limit_models]
        jobs, meta = [j for j, m in zip(jobs, meta) if m in keep], [m for m in meta if m in keep]

    def task(slot=0, gpu=None, **job):
        if time.monotonic() > deadline:
            return {"type": "Skipped", "message": "time limit"}
        return retrain(slot=slot, gpu=gpu, **job)
    results = dict(LocalPool(concurrency).map(task, jobs, gpus=visible_gpus(), gpu_task=True))
    table = {}
    for i, (check, builder, args) in enumerate(meta):
        r = results.get(i, {})
        entry = table.setdefault(f"{check} {builder}({', '.join(map(repr, args))})", {
            "threshold": threshold(check, builder, profile, args=args), "best_val_acc": []})
        if r.get("type") == "RetrainResult":
            entry["best_val_acc"].append(round(r["best_val_acc"], 4))
    for entry in table.values():
        accs = entry["best_val_acc"]
        entry["clears"] = bool(accs) and min(accs) >= entry["threshold"]
    log(f"thresholds: {sum(e['clears'] for e in table.values())} of {len(table)} reference models clear theirs")
    return table


def run(scale="device", parts=("reference", "limit", "class", "thresholds"), out=None, deadline_s=500, log=print):
    settings = SCALES[scale]
    profile = settings["profile"]
    deadline = time.monotonic() + deadline_s
    import keras
    report = {"scale": scale, "profile": profile, "backend": keras.backend.backend(), "keras": keras.__version__,
              "machine": f"{platform.machine()} {platform.processor() or ''}".strip(), "parts": {}}
    try:
        import jax
        report["device"] = f"{jax.devices()[0].platform}:{getattr(jax.devices()[0], 'device_kind', '')}"
    except Exception as exc:
        report["device"] = f"unknown ({type(exc).__name__})"

    def save():
        if out:
            write_json(out, report, indent=1)
    for part in parts:
        if time.monotonic() > deadline:
            report["parts"][part] = {"skipped": "time limit"}
            continue
        start = time.perf_counter()
        try:
            if part == "reference":
                value = part_reference(profile, log)
            elif part == "limit":
                epochs = (report["parts"].get("reference") or {}).get("epochs_run") or \
                    get_protocol("cifar10_mlp").budget(profile).epochs
                value = part_limit(profile, epochs, log)
                harness = (report["parts"].get("reference") or {}).get("train_s")
                if harness:
                    value["harness_over_limit"] = round(harness / value["wall_s"], 2)
            elif part == "class":
                value = part_class(profile, settings["levels"], deadline, log)
            elif part == "thresholds":
                value = part_thresholds(profile, settings["seeds"], settings["threshold_models"], deadline,
                                        max(settings["levels"]), log)
            else:
                raise ValueError(f"Expected a part in reference, limit, class, thresholds. Received: {part!r}")
        except Exception as exc:
            value = {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
        report["parts"][part] = value
        report.setdefault("part_wall_s", {})[part] = round(time.perf_counter() - start, 1)
        save()
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.gpu_bench")
    parser.add_argument("--scale", choices=sorted(SCALES), default="device")
    parser.add_argument("--part", action="append", help="reference, limit, class, thresholds (default: all)")
    parser.add_argument("--deadline-s", type=float, default=500)
    parser.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."), "gpu_bench.json"))
    args = parser.parse_args(argv)
    report = run(args.scale, tuple(args.part or ("reference", "limit", "class", "thresholds")), args.out,
                 args.deadline_s)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
