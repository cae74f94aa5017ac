"""Calibrate the accuracy thresholds from the reference solutions.

Each reference model the assignment's accuracy checks retrain (``assignment.Accuracy``, its
``ModelSpec.reference``) is retrained under the profile over several seeds; the threshold is
the reference mean minus a margin covering the seed-to-seed spread (3 standard deviations, at
least ``MIN_MARGIN``).  Where the module sets a bar (``Accuracy.bars``; Module 07's Exercise 3:
more than 55% in the full profile) the bar is the threshold, and calibration fails when the
reference does not clear it with that margin: improve the reference, never lower the bar.
"""
import json
import os
import statistics
import time

from ..assignment import current
from .protocols import get_protocol
from .references import reference_job
from .runner import retrain
from .thresholds import ThresholdMissing, args_key, in_force, load, written

MIN_MARGIN = 0.02


def reference_models():
    """{accuracy check: [ModelSpec]} of the assignment in force."""
    spec = current()
    return {a.check: [spec.model(b) for b in a.models] for a in spec.accuracy}


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
    """The argument tuples a reference model is calibrated with, each getting its own threshold
    (Module 07: the dropout model at every rate of the sweep, any may be a student's pick)."""
    return [tuple(args) for args in current().model(builder).calibrate_args]


def calibrate(profile, seeds=3, path=None, checks=None, log=print):
    """Measure, derive and write the thresholds of ``profile`` (only ``checks`` when given:
    the profile's other entries are kept); returns (entries, ok)."""
    path = path or written()
    models = reference_models()
    unknown = sorted(set(checks or ()) - set(models))
    if unknown:
        raise ValueError(f"Expected checks among {sorted(models)}. Received: {unknown}")
    thresholds = {}
    # A course's first calibration starts from the calibration it graded with until now (the
    # spec's shipped one), so the checks and profiles not calibrated here keep their thresholds.
    for source in (path, in_force()):
        try:
            thresholds = load(source)
            break
        except ThresholdMissing:
            continue
    entries, ok = {}, True
    for check, specs in models.items():
        if checks and check not in checks:
            continue
        entries[check] = {}
        bar = current().accuracy_for(check).bars.get(profile)
        for model in specs:
            builder, protocol = model.builder, model.protocol
            by_args = {}
            for args in builder_args(builder):
                config, optimizer = reference_job(model, args)
                accs, walls = [], []
                for seed in range(seeds):
                    r = retrain(config, protocol, profile, optimizer=optimizer, seed=seed)
                    if r["type"] != "RetrainResult":
                        raise RuntimeError(f"{builder}{args} (seed {seed}): {r['message']}")
                    accs.append(round(r["best_val_acc"], 4))
                    walls.append(round(r.get("train_wall_s", 0.0), 1))
                    log(f"{profile} {check} {builder}{args or ''} seed {seed}: {accs[-1]:.4f} ({walls[-1]} s)")
                by_args[args] = {"seeds": list(range(seeds)), "train_wall_s": walls,
                                 **derive_threshold(accs, bar)}
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
