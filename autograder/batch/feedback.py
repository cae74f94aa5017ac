"""The summary that opens a student's feedback, before their notebook: every check by name with
its points and message, and, for each model the grader retrained below its threshold, the
grader's own validation curve beside the reference solution's and the threshold, with what
the curve suggests trying. Trusted side: it reads the judgement, never the notebook's claims.
"""
import base64
import functools
import math
import os

import jinja2
import nbformat

from ..assignment import current
from ..retrain import current_profile, get_protocol
from .report import figure_png, integer_counts

SUMMARY_MARK = "autograder-feedback-summary"

_TEMPLATE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""\
<div class="{{ mark }}">
<h2>Your automatic grade: {{ "%g"|format(score) }} / {{ "%g"|format(possible) }}</h2>
{% if reason %}<p><b>Note:</b> {{ reason }}</p>{% endif %}
{% if written %}<p>Your written answers ({{ "%g"|format(written) }} point{{ "s" if written != 1 }}) are graded by your
instructor, not by this grader: nbgrader's score in your notebook below counts them once they are graded, and as 0
until then.</p>{% endif %}
{% if skipped %}<p>The grader ran the cells your grade depends on (your functions, the data they use, the cells that
define them) and not the other {{ skipped }} code cell{{ "s" if skipped != 1 }} (demonstrations, training runs, plots, your own
experiments): no grade depends on them, so they show the outputs you saved.</p>{% endif %}
<table style="border-collapse: collapse">
<tr><th style="{{ cell }}">check</th><th style="{{ cell }}">points</th><th style="{{ cell }}">what the grader found</th></tr>
{% for r in results %}
<tr><td style="{{ cell }}"><code>{{ r.name }}</code>{% if r.hidden %} (hidden){% endif %}</td><td style="{{ cell }}; white-space: nowrap">{{ "%g"|format(r.points) }} / {{ "%g"|format(r.possible) }}</td>
<td style="{{ cell }}{% if not r.passed %}; color: #a02020{% endif %}">{{ "✔" if r.passed else "✘" }} {{ r.message }}</td></tr>
{% endfor %}
</table>
{% for c in curves %}
<h3>Why <code>{{ c.label }}</code> missed its threshold</h3>
<p>{{ c.advice }}</p>
<img alt="validation accuracy per epoch of {{ c.label }}, the reference and the threshold" src="data:image/png;base64,{{ c.png }}">
{% endfor %}
<p>Your notebook, with each check's verdict under its test cell, follows.</p>
</div>
""")


def advice(entry, reference, epochs_budget):
    """What the grader's curve of a model below its threshold says, in a few sentences."""
    curve, minimum = entry["val_accuracy"], entry["threshold"]
    best = max(curve)
    at = curve.index(best) + 1
    out = [f"When the grader retrained it, your model reached {best:.4f} at epoch {at} and stopped "
           f"after {len(curve)} epoch(s); the threshold is {minimum:.4f} ({minimum - best:.4f} short)."]
    if reference:
        top = max(reference)
        out.append(f"The reference solution reached {top:.4f} at epoch {reference.index(top) + 1} under the same budget.")
    rate = entry.get("learning_rate")
    if isinstance(rate, (int, float)) and math.isfinite(rate) and rate >= 0.005:
        out.append(f"Your learning rate stays at {rate:g}: try 1e-3, or a schedule that decays it.")
    if best < 0.2:
        out.append("That is close to chance (10 classes): check the output layer (10 units, softmax) "
                   "and that nothing blocks learning (e.g. a dropout rate near 1).")
    elif len(curve) < epochs_budget and curve[-1] < best:
        out.append("Early stopping ended the training: validation accuracy stopped improving, "
                   "which heavy dropout or L2, or a learning rate that is too high, often cause.")
    elif len(curve) >= epochs_budget and curve[-1] >= best:
        out.append("It was still improving when the epoch budget ran out: it learns too slowly "
                   "for the budget (less dropout or L2, BatchNorm, or a higher learning rate help).")
    return " ".join(out)


def curve_png(entry, reference, title):
    def draw(ax):
        curve = entry["val_accuracy"]
        ax.plot(range(1, len(curve) + 1), curve, marker="o", label="your model")
        if reference:
            ax.plot(range(1, len(reference) + 1), reference, marker=".", linestyle="--", label="reference")
        ax.axhline(entry["threshold"], color="#c44e52", linewidth=1.5, label=f"threshold {entry['threshold']:.3f}")
        ax.set(title=title, xlabel="epoch", ylabel="validation accuracy")
        ax.title.set_fontsize(9)
        integer_counts(ax.xaxis)
        ax.legend(fontsize=7)
    return base64.b64encode(figure_png(draw, (5.2, 2.8), dpi=80)).decode()


def curve_args(entry):
    return tuple(a for a in entry.get("args") or () if isinstance(a, (int, float)))


@functools.lru_cache(maxsize=None)
def reference_job_spec(builder, protocol, profile, args):
    """The retraining job of the reference solution of ``builder`` at ``args``: a dict of
    ``retrain``'s arguments and its cache ``key``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")     # building a reference not kept imports Keras here
    from ..retrain.references import reference_job
    from ..retrain.runner import job_spec
    config, optimizer = reference_job(current().model(builder), args)
    return {"config": config, "protocol": protocol, "optimizer": optimizer, "profile": profile,
            "key": job_spec(config, protocol, profile, optimizer)[-1]}


def reference_jobs(judgements):
    """{key: job} of the reference curves the feedback of ``judgements`` shows (one per model
    below its threshold): jobs of the batch's retrain stage, like the students' models."""
    protocols = {b: p for _check, b, p in current().retrained()}
    jobs = {}
    for judgement in judgements:
        for builder, entry in missed(judgement):
            if protocols.get(builder):
                try:
                    job = reference_job_spec(builder, protocols[builder], current_profile(), curve_args(entry))
                except Exception:       # the summary goes without the reference's curve, never without a grade
                    continue
                jobs[job["key"]] = {k: v for k, v in job.items() if k != "key"}
    return jobs


def reference_curve(builder, protocol, profile, args):
    """The reference solution's validation curve under the grader's protocol, as the retrain stage
    left it in the cache (recording never trains), or None when it cannot be had."""
    from ..retrain.cache import ResultCache
    try:
        result = ResultCache().get(reference_job_spec(builder, protocol, profile, args)["key"]) or {}
        return tuple(result["history"]["val_accuracy"]) if result.get("type") == "RetrainResult" else None
    except Exception:
        return None


def missed(judgement):
    """The retrained models below their threshold: [(builder, entry)]."""
    out = []
    for builder, entry in sorted((judgement.get("retrained") or {}).items()):
        curve, minimum = entry.get("val_accuracy"), entry.get("threshold")
        if curve and isinstance(minimum, (int, float)) and isinstance(entry.get("best_val_acc"), (int, float)) \
                and entry["best_val_acc"] < minimum:
            out.append((builder, entry))
    return out


def summary_cell(judgement, checks, with_reference=True):
    """A markdown cell for the top of the feedback notebook (``checks``: the assignment's, which
    say which results are hidden)."""
    protocols = {b: p for _check, b, p in current().retrained()}
    profile = current_profile()
    curves = []
    for builder, entry in missed(judgement):
        protocol = protocols.get(builder)
        reference = (list(reference_curve(builder, protocol, profile, curve_args(entry)) or ())
                     if with_reference and protocol else [])
        epochs = get_protocol(protocol).budget(profile).epochs if protocol else len(entry["val_accuracy"])
        curves.append({"label": entry.get("label") or builder, "advice": advice(entry, reference, epochs),
                       "png": curve_png(entry, reference, f"{entry.get('label') or builder}, {profile} profile")})
    results = [dict(r, hidden=bool(checks.get(r["name"]) and checks[r["name"]].hidden)) for r in judgement["results"]]
    html = _TEMPLATE.render(mark=SUMMARY_MARK, cell="padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left", score=judgement["score"], possible=judgement["possible"],
                            reason=judgement.get("reason") or "", results=results, curves=curves,
                            skipped=int((judgement.get("plan") or {}).get("skipped") or 0),
                            written=written_points(current().notebook_path(current().course_dir, "release")))
    return nbformat.v4.new_markdown_cell(html)


@functools.lru_cache(maxsize=8)
def written_points(release_path):
    """The points of the release's cells graded by hand (written answers, tasks); 0 when unknown."""
    from nbgrader.utils import is_grade, is_solution, is_task
    try:
        nb = nbformat.read(release_path, as_version=4)
    except (OSError, ValueError):
        return 0
    return sum(float(c.metadata["nbgrader"].get("points") or 0) for c in nb.cells
               if "nbgrader" in c.metadata and ((is_grade(c) and is_solution(c)) or is_task(c)))

