"""Calibrate the accuracy thresholds from the reference solutions.

Each reference model is retrained under the profile over several seeds; the threshold is the
reference mean minus a margin covering the seed-to-seed spread (3 standard deviations, at
least ``MIN_MARGIN``).  Where the module sets a bar (Exercise 3: more than 55% in the full
profile) the bar is the threshold, and calibration fails when the reference does not clear
it with that margin: improve the reference, never lower the bar.
"""
import importlib
import json
import os
import statistics
import time

from .protocols import get_protocol
from .runner import retrain
from .thresholds import PATH, ThresholdMissing, args_key, load

MIN_MARGIN = 0.02
BARS = {("full", "ex3_accuracy"): 0.55}
REFERENCE_MODELS = {
    "ex1_accuracy": [("reference.module_code", "create_dropout_model", "fashion_mnist_mlp")],
    "ex2_accuracy": [("reference.exercise2", b, "fashion_mnist_mlp")
                     for b in ("create_bn_before_activation", "create_bn_after_activation",
                               "create_no_bn_baseline")],
    "ex3_accuracy": [("reference.exercise3", "create_cifar_model", "cifar10_mlp")],
}


def derive_threshold(accs, bar=None):
    """The threshold implied by the reference's accuracies over seeds: the mean minus a margin
    covering the seed-to-seed spread, or the module's bar, which the reference must clear."""
    mean, std = statistics.fmean(accs), statistics.pstdev(accs)
    margin = max(3 * std, MIN_MARGIN)
    entry = {"best_val_acc": accs, "mean": round(mean, 4), "std": round(std, 4),
             "margin": round(margin, 4)}
    if bar is None:
        return dict(entry, threshold=round(mean - margin, 3))
    return dict(entry, threshold=bar, bar="the module's target",
                clears_bar_with_margin=min(accs) - margin >= bar)


def builder_args(builder):
    """The argument tuples a reference model is calibrated with, each getting its own threshold:
    the module's dropout model at every rate of the sweep (any may be a student's pick)."""
    if builder == "create_dropout_model":
        from ..checks.exercise1 import DROPOUT_RATES
        return [(rate,) for rate in DROPOUT_RATES]
    return [()]


def _reference_job(module_name, builder, args=()):
    model = getattr(importlib.import_module(module_name), builder)(*args)
    optimizer = model.get_compile_config()["optimizer"] if model.compiled else None
    return model.to_json(), optimizer


def calibrate(profile, seeds=3, path=PATH, checks=None, log=print):
    """Measure, derive and write the thresholds of ``profile`` (only ``checks`` when given:
    the profile's other entries are kept); returns (entries, ok)."""
    unknown = sorted(set(checks or ()) - set(REFERENCE_MODELS))
    if unknown:
        raise ValueError(f"Expected checks among {sorted(REFERENCE_MODELS)}. Received: {unknown}")
    try:
        thresholds = load(path)
    except ThresholdMissing:
        thresholds = {}
    entries, ok = {}, True
    for check, models in REFERENCE_MODELS.items():
        if checks and check not in checks:
            continue
        entries[check] = {}
        for module_name, builder, protocol in models:
            by_args = {}
            for args in builder_args(builder):
                config, optimizer = _reference_job(module_name, builder, args)
                accs, walls = [], []
                for seed in range(seeds):
                    r = retrain(config, protocol, profile, optimizer=optimizer, seed=seed)
                    if r["type"] != "RetrainResult":
                        raise RuntimeError(f"{builder}{args} (seed {seed}): {r['message']}")
                    accs.append(round(r["best_val_acc"], 4))
                    walls.append(round(r.get("train_wall_s", 0.0), 1))
                    log(f"{profile} {check} {builder}{args or ''} seed {seed}: {accs[-1]:.4f} ({walls[-1]} s)")
                by_args[args] = {"seeds": list(range(seeds)), "train_wall_s": walls,
                                 **derive_threshold(accs, BARS.get((profile, check)))}
            entry = {"protocol": protocol, "budget": get_protocol(protocol).to_dict(profile)["budgets"][profile]}
            if list(by_args) == [()]:
                entry.update(by_args[()])
            else:
                entry["by_args"] = {args_key(a): e for a, e in by_args.items()}
                entry["threshold"] = min(e["threshold"] for e in by_args.values())
                entry["threshold_is"] = ("each argument's own (by_args); this one, the lowest, "
                                         "for arguments not calibrated")
            if entry.get("clears_bar_with_margin") is False:
                ok = False
                log(f"{builder} does not clear the bar {entry['threshold']} with margin "
                    f"{entry['margin']:.3f} (min {min(accs):.4f}): improve the reference solution")
            entry["calibrated"] = time.strftime("%Y-%m-%d")
            entries[check][builder] = entry
    thresholds[profile] = dict(thresholds.get(profile, {}), **entries) if checks else entries
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:        # atomic: grading may read the file meanwhile
        json.dump(thresholds, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return entries, ok
