"""The instructor's class report: one HTML page, its plots as PNG files rendered by
matplotlib beside it (and embedded, so the page can be mailed alone)."""
import base64
import html
import os

from ..checks import CHECKS
from ..retrain import current_profile
from ..retrain.thresholds import threshold


def _figure(path, draw):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    draw(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plots(folder, judgements, possible):
    os.makedirs(folder, exist_ok=True)
    scores = [j["score"] for j in judgements.values()]
    out = {}

    def distribution(ax):
        ax.hist(scores, bins=range(0, int(possible) + 2), color="#4c72b0", edgecolor="white")
        ax.set(title="Automatic score per student", xlabel=f"points (of {possible:g})", ylabel="students")
    out["Score distribution"] = _figure(os.path.join(folder, "score_distribution.png"), distribution)

    def pass_rates(ax):
        names = list(CHECKS)
        rates = [sum(any(r["name"] == n and r["passed"] for r in j["results"]) for j in judgements.values())
                 / max(len(judgements), 1) for n in names]
        ax.barh(names[::-1], rates[::-1], color="#55a868")
        ax.set(title="Pass rate of each check", xlim=(0, 1), xlabel="share of students")
        ax.tick_params(axis="y", labelsize=7)
    out["Pass rate of each check"] = _figure(os.path.join(folder, "check_pass_rates.png"), pass_rates)

    def sweeps(ax):
        drawn = 0
        for student, j in sorted(judgements.items()):
            sweep = j.get("sweep")
            if isinstance(sweep, dict) and sweep:
                points = sorted((float(r), float(a)) for r, a in sweep.items())
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", alpha=0.6, label=student)
                drawn += 1
        ax.set(title="The class's dropout sweeps (best validation accuracy, as the notebooks ran)",
               xlabel="dropout rate", ylabel="validation accuracy")
        ax.title.set_fontsize(9)
        if 0 < drawn <= 12:
            ax.legend(fontsize=6)
    out["Dropout-sweep curves"] = _figure(os.path.join(folder, "dropout_sweeps.png"), sweeps)

    minimum = threshold("ex3_accuracy", "create_cifar_model", current_profile())

    def ex3(ax):
        values = [j["retrained"]["create_cifar_model"]["best_val_acc"] for j in judgements.values()
                  if (j.get("retrained") or {}).get("create_cifar_model", {}).get("best_val_acc") is not None]
        ax.hist(values, bins=15, color="#8172b2", edgecolor="white")
        ax.axvline(minimum, color="#c44e52", linestyle="--", label=f"threshold {minimum:.3f}")
        ax.set(title=f"Exercise 3, retrained by the grader ({current_profile()} profile)",
               xlabel="best validation accuracy", ylabel="students")
        ax.legend(fontsize=8)
    out["Exercise 3 accuracy against the threshold"] = _figure(os.path.join(folder, "ex3_accuracy.png"), ex3)
    return out


def write_report(path, judgements, summary):
    folder = os.path.join(os.path.dirname(path), "report")
    figures = plots(folder, judgements, summary["possible"])
    parts = ["<html><head><meta charset='utf-8'><title>Module 07 class report</title></head><body>",
             "<h1>Module 07 — class report</h1>",
             f"<p>{summary['students']} submissions; sandbox {'on' if summary['sandboxed'] else 'OFF'}; "
             f"{summary['retraining']['distinct']} distinct models retrained for "
             f"{summary['retraining']['models']} model checks; profile {current_profile()}.</p>"]
    for title, png in figures.items():
        with open(png, "rb") as f:
            data = base64.b64encode(f.read()).decode()
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' "
                     f"src='data:image/png;base64,{data}'>")
    parts.append("<h2>Failed submissions</h2>")
    failed = summary.get("failed") or {}
    if failed:
        parts.append("<table border='1'><tr><th>student</th><th>reason</th></tr>" + "".join(
            f"<tr><td>{html.escape(s)}</td><td>{html.escape(r)}</td></tr>" for s, r in sorted(failed.items()))
            + "</table>")
    else:
        parts.append("<p>None: every notebook ran to the end.</p>")
    faults = {**(summary.get("grader_faults") or {}), **(summary.get("not_recorded") or {})}
    if faults:
        parts.append("<h2>Not graded yet: the grading machine failed</h2><p>Nothing is recorded for "
                     "these students; run <code>autograder grade</code> again once the cause is fixed.</p><ul>"
                     + "".join(f"<li>{html.escape(s)}: {html.escape(r)}</li>" for s, r in sorted(faults.items()))
                     + "</ul>")
    parts.append("<h2>Flagged for review</h2>")
    flagged = summary.get("flagged") or {}
    if flagged:
        withheld = summary.get("withheld") or {}
        parts.append("<p>Code that changes a library, the grader or the kernel, found by reading the "
                     "notebook or seen while it ran. Structure and accuracy are judged outside the "
                     "kernel whatever it did; for <em>tampering</em> flags the checks observed inside "
                     "the kernel are withheld (scored 0 with the reason) until you review the notebook "
                     "and accept it in <code>nbgrader_config.py</code> with "
                     "<code>c.Batch.reviewed = {'student': 'hash'}</code>, then grade again.</p><ul>" + "".join(
                         f"<li>{html.escape(s)}"
                         + (f" (withheld; hash <code>{html.escape(str(withheld[s])[:12])}</code>)" if s in withheld else "")
                         + f": {html.escape('; '.join(f))}</li>" for s, f in sorted(flagged.items()))
                     + "</ul>")
    else:
        parts.append("<p>None.</p>")
    parts.append("<h2>Scores</h2><table border='1'><tr><th>student</th><th>score</th><th>lost</th></tr>")
    for student, j in sorted(judgements.items()):
        lost = "; ".join(f"{r['name']} (-{r['possible'] - r['points']:g}): {r['message']}"
                         for r in j["results"] if not r["passed"])
        parts.append(f"<tr><td>{html.escape(student)}</td><td>{j['score']:g}/{j['possible']:g}</td>"
                     f"<td>{html.escape(lost)}</td></tr>")
    parts.append("</table></body></html>")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    os.replace(path + ".tmp", path)
    return path
