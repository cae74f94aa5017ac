"""The instructor's class report: what the batch found, as one HTML page (jinja2 template,
plots by matplotlib, embedded so the page can be mailed alone and also written beside it).

What an instructor reads first: how the class did (summary, pass rate per exercise), which
mistakes are common (to re-teach them), then the numbers the grades rest on (the grader's
own retraining against each threshold), then who needs attention, then every student.
"""
import base64
import functools
import os
import re
import statistics
from collections import defaultdict

import jinja2

from ..common.atomic import write_bytes, write_text
from ..assignment import current
from ..retrain import current_profile
from ..untrusted.sandbox_output import printed_sweep

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
FULL_SWEEP = 4          # a printed sweep with at least this many rates is a student's own full run
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


# ---- what the class did ------------------------------------------------------------------

def mistake_pattern(message):
    """A message with the student's own numbers taken out, so the same mistake made with
    other numbers groups together: 'hidden layer 2 (Dense 128): ...' -> 'hidden layer # (Dense #): ...'."""
    return _NUMBER.sub("#", " ".join(str(message).split()))[:400]


def common_mistakes(judgements, checks):
    """Lost points grouped by check and message pattern, most shared first, in the order of
    ``checks`` (the assignment's) among equals:
    [{"check", "pattern", "count", "points_lost", "students", "example": {"student", "message"}}]."""
    groups = defaultdict(list)
    for student, judgement in sorted(judgements.items()):
        for r in judgement["results"]:
            if not r["passed"]:
                groups[(r["name"], mistake_pattern(r["message"]))].append((student, r))
    out = []
    for (name, pattern), members in groups.items():
        out.append({"check": name, "exercise": checks[name].exercise if name in checks else None,
                    "pattern": pattern, "count": len(members),
                    "points_lost": sum(r["possible"] - r["points"] for _, r in members),
                    "students": [s for s, _ in members],
                    "example": {"student": members[0][0], "message": members[0][1]["message"]}})
    order = list(checks)
    out.sort(key=lambda g: (-g["count"], order.index(g["check"]) if g["check"] in order else len(order), g["pattern"]))
    return out


def class_statistics(judgements, summary, checks):
    """The summary at the top of the report (also in summary.json), per exercise of ``checks``."""
    scores = [j["score"] for j in judgements.values()]
    exercises = sorted({c.exercise for c in checks.values()})
    per_exercise = {}
    for exercise in exercises:
        names = [n for n, c in checks.items() if c.exercise == exercise]
        full = sum(all(r["passed"] for r in j["results"] if r["name"] in names) for j in judgements.values())
        points = [sum(r["points"] for r in j["results"] if r["name"] in names) for j in judgements.values()]
        per_exercise[str(exercise)] = {
            "possible": sum(checks[n].points for n in names), "full_marks": full,
            "pass_rate": full / len(judgements) if judgements else 0.0,
            "mean": statistics.fmean(points) if points else 0.0}
    not_graded = {**(summary.get("grader_faults") or {}), **(summary.get("not_recorded") or {})}
    return {"graded": len(judgements), "not_graded": len(not_graded),
            "failed_to_run": len(summary.get("failed") or {}), "flagged": len(summary.get("flagged") or {}),
            "mean": statistics.fmean(scores) if scores else 0.0,
            "median": statistics.median(scores) if scores else 0.0,
            "full_marks": sum(s == summary["possible"] for s in scores), "exercises": per_exercise}


IDENTICAL_MODEL = "create_cifar_model"     # the model students design themselves


def reference_model_key(builder=IDENTICAL_MODEL):
    """The retraining key of the reference's ``builder`` model, or None: students whose model is
    the reference's did what the exercise prescribes, which says nothing about copying."""
    return _reference_model_key(current().fingerprint(), builder, current_profile())


@functools.lru_cache(maxsize=8)
def _reference_model_key(fingerprint, builder, profile):
    """Built once per assignment (its fingerprint), builder and profile in a process."""
    try:
        from ..retrain.references import reference_job
        from ..retrain.runner import job_spec
        model = current().model(builder)
        config, optimizer = reference_job(model)
        return job_spec(config, model.protocol, profile, optimizer)[-1]
    except Exception:       # noqa: BLE001  (no reference here: every group is reported)
        return None


def identical_groups(judgements, reference_key=None, release_hash=None):
    """Students who handed in the same thing: byte-identical notebooks (by content hash) and,
    separately, the same Exercise 3 model (by its canonical config), leaving out models
    identical to the reference's, and the release notebook handed in unchanged (listed on its
    own: doing nothing is not copying). Reported, never graded."""
    by_hash, by_model = defaultdict(list), defaultdict(list)
    for student, judgement in sorted(judgements.items()):
        if judgement.get("hash"):
            by_hash[judgement["hash"]].append(student)
        key = ((judgement.get("retrained") or {}).get(IDENTICAL_MODEL) or {}).get("key")
        if key and key != reference_key:
            by_model[key].append(student)
    unchanged = by_hash.pop(release_hash, []) if release_hash else []
    same_file = [g for g in by_hash.values() if len(g) > 1]
    in_files = {tuple(g) for g in same_file}
    same_model = [g for g in by_model.values() if len(g) > 1 and tuple(g) not in in_files]
    return {"identical_notebooks": same_file, "identical_cifar_models": same_model, "unchanged_release": unchanged}


# ---- plots ---------------------------------------------------------------------------------

def figure_png(draw, size=(6.4, 3.6), dpi=90):
    """The PNG bytes of a matplotlib figure that ``draw(ax)`` fills."""
    import io
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=size)
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


def _figure(path, draw, size=(6.4, 3.6)):
    write_bytes(path, figure_png(draw, size))
    return path


def integer_counts(axis):
    """Students are counted in whole numbers (matplotlib's default ticks say 0.5, 1.5)."""
    from matplotlib.ticker import MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))


def plots(folder, judgements, possible, sweeps, checks):
    """{title: (png path, caption)}."""
    os.makedirs(folder, exist_ok=True)
    out = {}
    scores = [j["score"] for j in judgements.values()]

    def distribution(ax):
        ax.hist(scores, bins=[b - 0.5 for b in range(0, int(possible) + 2)], color="#4c72b0", edgecolor="white")
        ax.set(title="Automatic points per student", xlabel=f"points (of {possible:g})", ylabel="students",
               xlim=(-0.5, possible + 0.5))
        integer_counts(ax.yaxis)
    out["Automatic points"] = (_figure(os.path.join(folder, "score_distribution.png"), distribution),
                               "How many students earned each score.")

    def pass_counts(ax):
        names = list(checks)
        counts = [sum(any(r["name"] == n and r["passed"] for r in j["results"]) for j in judgements.values())
                  for n in names]
        ax.barh(names[::-1], counts[::-1], color="#55a868")
        ax.set(title="Students passing each check", xlim=(0, max(len(judgements), 1)), xlabel="students")
        integer_counts(ax.xaxis)
        ax.tick_params(axis="y", labelsize=7)
    out["Checks passed"] = (_figure(os.path.join(folder, "check_pass_counts.png"), pass_counts, (6.4, 4.4)),
                            f"Of {len(judgements)} graded students.")

    rows = _retrained_rows(judgements)

    def retrained(ax):
        for y, (label, points, minimum) in enumerate(rows):
            jitter = [((i * 0.37) % 1 - 0.5) * 0.35 for i in range(len(points))]
            ax.scatter([p for p, _ in points], [y + j for j in jitter], s=18, alpha=0.75,
                       c=["#c44e52" if minimum is not None and p < minimum else "#4c72b0" for p, _ in points])
            if minimum is not None:
                ax.plot([minimum, minimum], [y - 0.4, y + 0.4], color="black", linewidth=2)
        ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
        ax.set(title=f"The grader's retraining ({current_profile()} profile)",
               xlabel="best validation accuracy (bar: the threshold)")
        ax.invert_yaxis()
    if rows:
        out["Retrained accuracy against the thresholds"] = (
            _figure(os.path.join(folder, "retrained_accuracy.png"), retrained, (6.4, 0.6 * len(rows) + 1.4)),
            "One dot per student: the grader's own retraining, which the accuracy points rest on; "
            "red dots are below the threshold (black bar).")

    if sweeps:
        def sweep_plot(ax):
            for student, sweep in sorted(sweeps.items()):
                points = sorted((float(r), a) for r, a in sweep.items())
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", alpha=0.6, label=student)
            ax.set(title="Dropout sweeps as the notebooks printed them",
                   xlabel="dropout rate", ylabel="best validation accuracy")
            if len(sweeps) <= 12:
                ax.legend(fontsize=6)
        out["The class's own dropout sweeps"] = (
            _figure(os.path.join(folder, "printed_sweeps.png"), sweep_plot),
            f"From the outputs saved in {len(sweeps)} submitted notebook(s) with a sweep of "
            f"{FULL_SWEEP} or more rates: what each student saw, not checked by the grader.")
    return out


def _retrained_rows(judgements):
    """[(model label, [(accuracy, student)], threshold)] in the order of the accuracy checks."""
    rows = []
    for check_name, builder, _protocol in current().retrained():
        points, minima = [], set()
        for student, j in sorted(judgements.items()):
            entry = (j.get("retrained") or {}).get(builder) or {}
            if isinstance(entry.get("best_val_acc"), (int, float)):
                points.append((float(entry["best_val_acc"]), student))
                if isinstance(entry.get("threshold"), (int, float)):
                    minima.add(float(entry["threshold"]))
        if points:
            # A threshold may depend on each student's arguments: the bar shows the lowest.
            rows.append((f"{check_name}: {builder}", points, min(minima) if minima else None))
    return rows


# ---- the page ------------------------------------------------------------------------------

def _links(course_dir, report_dir, student):
    out = {}
    for name, path in (("feedback", current().feedback_path(course_dir, student)),
                       ("gradescope", os.path.join(course_dir, "exports", "gradescope", student, "results.json"))):
        if os.path.isfile(path):
            out[name] = os.path.relpath(path, report_dir)
    return out


def report_data(course_dir, judgements, summary, checks):
    """Everything the page shows of ``checks``' judgements, as plain data (the test reads it too)."""
    report_dir = os.path.join(course_dir, "exports")
    sweeps = {}
    for student in judgements:
        sweep = printed_sweep(current().notebook_path(course_dir, "submitted", student), base=course_dir)
        if sweep and len(sweep) >= FULL_SWEEP:
            sweeps[student] = sweep
    exercises = sorted({c.exercise for c in checks.values()})
    students = []
    for student, j in sorted(judgements.items()):
        by_exercise = {e: sum(r["points"] for r in j["results"]
                              if checks.get(r["name"]) and checks[r["name"]].exercise == e)
                       for e in exercises}
        lost = [{"check": r["name"], "lost": r["possible"] - r["points"], "message": r["message"]}
                for r in j["results"] if not r["passed"]]
        students.append({"student": student, "score": j["score"], "possible": j["possible"],
                         "exercises": by_exercise, "lost": lost, "links": _links(course_dir, report_dir, student),
                         "flagged": student in (summary.get("flagged") or {}),
                         "failed": (summary.get("failed") or {}).get(student, "")})
    return {"summary": summary, "stats": summary.get("class") or class_statistics(judgements, summary, checks),
            "cell_errors": summary.get("cell_errors") or {}, "hand": hand_grading(course_dir),
            "mistakes": summary.get("common_mistakes") or common_mistakes(judgements, checks),
            "identical": summary.get("identical") or identical_groups(judgements),
            "exercises": exercises, "students": students, "sweeps": sweeps, "profile": current_profile(),
            "not_graded": {**(summary.get("grader_faults") or {}), **(summary.get("not_recorded") or {})}}


def hand_grading(course_dir):
    """{"pending": [students with answers to grade by hand], "late": {student: penalty}} from
    nbgrader's gradebook (empty when it cannot be read)."""
    try:
        from ..course.lms import totals
        rows = totals(course_dir)
    except Exception:       # noqa: BLE001  (no gradebook yet: nothing to say)
        return {"pending": [], "late": {}}
    return {"pending": [t.student for t in rows if t.needs_manual_grade],
            "late": {t.student: t.late_penalty for t in rows if t.late_penalty}}


def render(data, figures):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    embedded = []
    for title, (png, caption) in figures.items():
        with open(png, "rb") as f:
            embedded.append({"title": title, "caption": caption, "data": base64.b64encode(f.read()).decode()})
    return env.get_template("report.html.j2").render(figures=embedded, **data)


def write_report(path, judgements, summary, checks, course_dir=None):
    course_dir = course_dir or os.path.dirname(os.path.dirname(os.path.abspath(path)))
    data = report_data(course_dir, judgements, summary, checks)
    figures = plots(os.path.join(os.path.dirname(path), "report"), judgements, summary["possible"], data["sweeps"],
                    checks)
    write_text(path, render(data, figures))
    return path
