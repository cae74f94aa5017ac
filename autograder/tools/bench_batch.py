"""``autograder bench-batch``: the batch grader against plain serial ``nbgrader autograde``.

One run, one machine, the same generated class graded twice from cold caches: (a) by
``nbgrader autograde`` (serial, checks in the kernel), (b) by ``autograder grade``. Prints
wall times and their ratio, whether every check got the same score, the retraining jobs
against the distinct model configs, and the sandbox's per-submission overhead. Then a
simulated class of 200 runs through the scheduler with the retraining STUBBED (labelled as
such) to show job counts and scheduling overhead.
"""
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

from ..course import nbgrader_steps
from ..assignment import current
from ..checks import checks_of, kernel_checks
from ..course.gradebook import read_scores
from ..retrain import current_profile
from .sample_class import write_class

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _course(root, name):
    course = os.path.join(root, name)
    os.makedirs(course)
    for folder in ("source", "release"):
        shutil.copytree(os.path.join(REPO, folder), os.path.join(course, folder))
    shutil.copy(os.path.join(REPO, "nbgrader_config.py"), course)
    nbgrader_steps.generate_assignment(course)
    return course


def _scores(course):
    return {r.student: {k: v[0] for k, v in r.scores.items()} for r in read_scores(course)}


def _serial_nbgrader(course, log):
    start = time.monotonic()
    try:
        nbgrader_steps.autograde(course)
    except nbgrader_steps.NbgraderError as exc:   # broken notebooks fail; nbgrader goes on
        log(f"nbgrader reported failures: {str(exc).splitlines()[0][:200]}")
    return time.monotonic() - start


def sandbox_overhead(root, repeats=3):
    """Mean seconds the sandbox adds to executing a one-cell notebook (kernel start included)."""
    import nbformat
    from ..batch import execute as ex
    from ..batch.settings import Sandbox
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    times = {True: [], False: []}
    for _ in range(repeats):
        for enabled in (False, True):
            scratch = tempfile.mkdtemp(dir=root)
            path = os.path.join(scratch, "nb.ipynb")
            nbformat.write(nb, path)
            run = ex.run_prepared(scratch, path, course_dir=root,
                                  settings=Sandbox(enabled=enabled, cell_timeout_s=60, submission_timeout_s=120))
            times[enabled].append(run.duration_s)
    return {"sandboxed_s": statistics.mean(times[True]), "plain_s": statistics.mean(times[False]),
            "overhead_s": statistics.mean(times[True]) - statistics.mean(times[False])}


def simulate(course, size=200, seed=0):
    """The scheduler on a simulated class: real executions of ``course`` replicated with
    duplication to ``size`` students; retraining STUBBED (returns at once, trains nothing)."""
    from ..batch import grade
    from ..batch.journal import Journal
    journal = Journal(course)
    real = [journal.read(s, "execution") for s in sorted(os.listdir(journal.root))]
    real = [e for e in real if e]
    rng = random.Random(seed)
    executions = {f"sim{i:03d}": dict(rng.choice(real), student=f"sim{i:03d}") for i in range(size)}
    calls = []

    class StubPool:
        workers = 1

        def map(self, function, kwargs_list, gpus=(), gpu_task=False):
            for i, kwargs in enumerate(kwargs_list):
                calls.append(kwargs)
                yield i, {"type": "RetrainResult", "stub": True}

    os.environ["AUTOGRADER_CACHE_DIR"] = tempfile.mkdtemp(prefix="sim-cache-")   # all cold
    start = time.monotonic()
    jobs, _ = grade._retrain_all(executions, StubPool(), [], False)
    return {"label": "SIMULATED: retraining stubbed, nothing trained", "students": size,
            "model_checks": jobs["models"], "distinct_models": jobs["distinct"],
            "jobs_scheduled": len(calls), "scheduling_s": round(time.monotonic() - start, 3)}


def run(size=24, workers=None, log=print):
    root = tempfile.mkdtemp(prefix="bench-batch-")
    saved_cache = os.environ.get("AUTOGRADER_CACHE_DIR")
    try:
        out = {"students": size, "profile": current_profile(),     # as resolved (auto: by the GPU)
               "cpus": os.cpu_count()}
        serial, batch = _course(root, "serial"), _course(root, "batch")
        roster = write_class(serial, size)
        write_class(batch, size)
        os.environ["AUTOGRADER_CACHE_DIR"] = os.path.join(root, "cache-serial")
        log(f"(a) serial nbgrader autograde of {size} submissions ...")
        out["serial_nbgrader_s"] = round(_serial_nbgrader(serial, log), 1)
        os.environ["AUTOGRADER_CACHE_DIR"] = os.path.join(root, "cache-batch")
        log(f"(b) autograder grade of the same {size} submissions ...")
        from ..batch import grade
        start = time.monotonic()
        summary = grade.main(course_dir=batch, workers=workers, exports=False, feedback=False,
                             show_progress=False)
        out["batch_s"] = round(time.monotonic() - start, 1)
        out["speedup"] = round(out["serial_nbgrader_s"] / out["batch_s"], 2)
        out["batch_timings_s"] = {k: round(v, 1) for k, v in summary["timings"].items()}
        out["executions"] = summary["executions"]
        out["execute"] = {"mode": summary["execute"], "ran_in_full": summary["ran_in_full"]}
        out["retraining"] = summary["retraining"]
        out["retraining_jobs_equal_distinct_models"] = summary["retraining"]["trained"] == summary["retraining"]["distinct"]
        a, b = _scores(serial), _scores(batch)
        both = sorted(set(a) & set(b))
        # By design the batch withholds the in-kernel checks of tampering notebooks.
        observed = set(kernel_checks(checks_of(current())))     # the course grade.main activated
        for s in set(summary["withheld"]) & set(both):
            b[s] = {c: (a[s].get(c) if c in observed and v == 0 else v) for c, v in b[s].items()}
        out["same_scores"] = {"compared": len(both),
                              "differ": {s: {c: [a[s].get(c), b[s].get(c)] for c in set(a[s]) | set(b[s])
                                             if a[s].get(c) != b[s].get(c)} for s in both if a[s] != b[s]},
                              "only_batch": sorted(set(b) - set(a)),
                              "withheld_in_batch": sorted(summary["withheld"]),
                              "broken_in_roster": sorted(s for s, (k, _) in roster.items() if k == "broken")}
        log("sandbox overhead ...")
        out["sandbox"] = {k: round(v, 3) for k, v in sandbox_overhead(root).items()}
        log("simulated class of 200 (retraining stubbed) ...")
        out["simulated_200"] = simulate(batch)
        return out
    finally:
        if saved_cache is None:
            os.environ.pop("AUTOGRADER_CACHE_DIR", None)
        else:
            os.environ["AUTOGRADER_CACHE_DIR"] = saved_cache
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 24), indent=1))
