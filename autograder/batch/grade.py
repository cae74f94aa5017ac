"""``autograder grade``: grade every submission of the assignment, in batch.

submitted/<student>/regularization/ -> execute (sandboxed, in parallel) -> retrain each
distinct model once -> judge -> record in the gradebook with feedback -> exports and report.
Each step's output is journaled, so a killed batch resumes where it stopped.
"""
import fnmatch
import functools
import os
import sys
import time

from ..checks import checks_of
from ..data import DatasetNotFoundError, require_for_grading
from ..assignment import activate, current
from ..retrain import current_profile
from ..retrain import settings as retrain_settings
from ..retrain.cache import ResultCache
from ..sandbox import bwrap as sandbox
from .execute import execute, with_own_timestamp_notes
from .feedback import reference_jobs
from .grader_code import execution_code, judging_code
from .journal import Journal, digest, grading_seed, judging_context, judging_key, release_hash, submission_hash
from .judge import judge_safely
from ..untrusted.sandbox_output import clean_text
from .results import Flag, execution_result
from .report import class_statistics, common_mistakes, identical_groups, reference_model_key
from .timestamps import read_timestamp
from .pool import LocalPool, visible_gpus
from ..common.interrupts import interrupts_kept
from ..common.terminal import StageProgress
from .settings import Sandbox, settings


def machine_memory_mb():
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


class BatchError(RuntimeError):
    """A problem with the batch as a whole; the message says what to do."""


def discover(course_dir):
    """{student: submission folder} from nbgrader's submitted/ layout."""
    root = os.path.join(course_dir, "submitted")
    if not os.path.isdir(root):
        raise BatchError(f"no submissions: {root} does not exist; put them in "
                         f"submitted/<student>/{current().name}/ or use `autograder collect`")
    found = {}
    for student in sorted(os.listdir(root)):
        folder = os.path.join(root, student, current().name)
        if os.path.isdir(folder):
            found[student] = folder
    if not found:
        raise BatchError(f"no submissions of '{current().name}' under {root}")
    return found


def select(found, students):
    """The submissions to grade now: ``students`` are ids or shell patterns (``'a*'``), as
    nbgrader's ``--student``; none means the whole class."""
    if not students:
        return dict(found)
    chosen = {}
    for pattern in students:
        matched = [s for s in found if fnmatch.fnmatchcase(s, pattern)]
        if not matched:
            known = ", ".join(list(found)[:8]) + (" ..." if len(found) > 8 else "")
            raise BatchError(f"no submission matches --student {pattern!r} in submitted/ "
                             f"(students with a submission: {known})")
        chosen.update((s, found[s]) for s in matched)
    return dict(sorted(chosen.items()))


EXECUTE_LINES = {"needed": "Cells: those a grade depends on (c.Batch.execute = 'needed'; 'all' runs every cell)",
                 "all": "Cells: all of them, as nbgrader runs them (c.Batch.execute = 'all')"}


def execute_task(*, course_dir, student, folder, workdir, content_hash, sandbox_settings, seed=None, slot=0, gpu=None,
                 mode="needed", run=None):
    """One submission's execution (module-level, so Ray can ship it); whatever happens is
    this student's result. ``run``: the executor (``execute``, the sandbox, by default)."""
    try:
        assignment = activate(course_dir)       # a Ray worker is a process of its own: the course's assignment
        return (run or execute)(student=student, submission_dir=folder, notebook_name=f"{assignment.name}.ipynb",
                       workdir=workdir, course_dir=course_dir, settings=Sandbox(**sandbox_settings),
                       checks=checks_of(assignment), slot=slot, content_hash=content_hash, seed=seed, mode=mode)
    except Exception as exc:
        return execution_result(student, content_hash, mode=mode, sandboxed=sandbox_settings.get("enabled"),
                                seed=seed or 0,
                                state="failed", message="the grader could not run this submission: "
                                                        f"{type(exc).__name__}: {clean_text(exc, 300)}")


def retrain_task(*, config, protocol, optimizer, profile, slot=0, gpu=None):
    from ..retrain import retrain
    try:
        return retrain(config, protocol, profile, optimizer=optimizer, slot=slot, gpu=gpu)
    except Exception as exc:    # the machine's fault: the students who submitted it wait for a re-run
        return {"type": "RetrainError", "key": None, "cached": False, "best_val_acc": None, "infrastructure": True,
                "phase": "grader", "message": f"{type(exc).__name__}: {clean_text(exc, 300)}"}


def _sandbox_traits(box):
    return {name: getattr(box, name) for name in box.trait_names() if box.trait_metadata(name, "config")}


def _make_pool(ray_address, workers):
    if ray_address:
        from .ray_pool import RayPool
        return RayPool(ray_address)
    return LocalPool(workers)


def reusable_execution(record, content_hash, mode):
    """Whether a stored execution stands for running these bytes now: the same bytes, run the
    same way (c.Batch.execute), by the same code that runs and observes a notebook."""
    return _same_run(record, content_hash, mode) and record.get("code") == execution_code()


def _same_run(record, content_hash, mode):
    """The stored execution ran these bytes the way asked now (whatever code ran them)."""
    return isinstance(record, dict) and record.get("hash") == content_hash \
        and (record.get("plan") or {}).get("requested", "all") == mode


def upgrade_notice(journal, hashes, mode):
    """One line when results stored by another version of the grader are about to be redone
    (or '' when none are): an upgrade changes the grades it should, and says so."""
    executions = judgements = 0
    for student, content_hash in hashes.items():
        execution = journal.read(student, "execution")
        stale = _same_run(execution, content_hash, mode) and execution.get("code") != execution_code()
        judgement = journal.read(student, "judgement")
        executions += stale
        judgements += isinstance(judgement, dict) and judgement.get("grader") != judging_code()
    if not executions and not judgements:
        return ""
    parts = [f"{executions} notebook(s) run again" if executions else "",
             f"{judgements} submission(s) judged again" if judgements else ""]
    return (f"The grader is not the one that stored these results (now {judging_code()}): "
            f"{' and '.join(p for p in parts if p)}.")


def _execute_all(course_dir, journal, found, hashes, box, pool, show, mode="needed", force=(), executor=None):
    todo = [s for s in found if s in force or not reusable_execution(journal.read(s, "execution"), hashes[s], mode)]
    progress = StageProgress("execute", len(found), enabled=show)
    progress.skip(len(found) - len(todo))
    # Byte-identical submissions run once; the others copy the result.
    leaders = {}
    for student in todo:
        leaders.setdefault(hashes[student], []).append(student)
    jobs = [dict(course_dir=course_dir, student=group[0], folder=found[group[0]],
                 workdir=journal.workdir(group[0]), content_hash=h, sandbox_settings=_sandbox_traits(box),
                 seed=grading_seed(course_dir, h), mode=mode)
            for h, group in leaders.items()]
    groups = list(leaders.values())
    for index, result in pool.map(functools.partial(execute_task, run=executor), jobs):
        for n, student in enumerate(groups[index]):
            own = result
            if n:
                _copy_executed(journal, groups[index][0], student)
                own = with_own_timestamp_notes(result, found[student])
            # A grading-machine fault keeps no hash: the next run executes it again.
            kept = dict(own, hash=None) if own["state"] == "grader_fault" else own
            journal.write(student, "execution", dict(kept, student=student, code=execution_code()))
            progress.advance(failed=result["state"] != "completed", cached=n > 0)
    progress.finish()
    counts = {"run": len(jobs), "reused": len(todo) - len(jobs), "resumed": len(found) - len(todo)}
    return {s: journal.read(s, "execution") for s in found}, counts


def _copy_executed(journal, leader, student):
    import shutil
    source = os.path.join(journal.workdir(leader), "executed.ipynb")
    os.makedirs(journal.workdir(student), exist_ok=True)
    if os.path.exists(source):
        shutil.copyfile(source, os.path.join(journal.workdir(student), "executed.ipynb"))


def _retrain_all(executions, pool, gpus, show):
    """The retrain stage: each distinct model of the class retrained once (or read from the
    cache), before judging; returns (counts, {job key: outcome}), the only results the judge reads.
    A job that failed is its outcome for this batch (the next run tries it again)."""
    from ..checks import ExtractedSubject
    from ..checks.accuracy import retrain_jobs
    from ..retrain.runner import job_spec
    profile = current_profile()
    distinct, total = {}, 0
    for execution in executions.values():
        models = (execution.get("observations") or {}).get("models")
        for config, protocol, optimizer in retrain_jobs(ExtractedSubject(models)):
            total += 1
            try:
                key = job_spec(config, protocol, profile, optimizer)[-1]
            except Exception:
                continue        # unreadable configs are the judge's to report
            distinct.setdefault(key, dict(config=config, protocol=protocol,
                                          optimizer=optimizer, profile=profile))
    outcomes, trained = _retrain_jobs(distinct, pool, gpus, show)
    return {"models": total, "distinct": len(distinct), "trained": trained}, outcomes


def _retrain_jobs(jobs, pool, gpus, show, label="retrain"):
    """({key: outcome} of ``jobs`` ({key: retrain_task's arguments}), how many were trained now):
    each read from the cache or trained once on the pool's slots."""
    cache = ResultCache()
    outcomes = {k: hit for k in jobs if (hit := cache.get(k)) is not None}
    todo = {k: v for k, v in jobs.items() if k not in outcomes}
    if not jobs and label != "retrain":
        return outcomes, 0
    progress = StageProgress(label, len(jobs), enabled=show)
    progress.skip(len(jobs) - len(todo))
    keys = list(todo)
    for index, result in pool.map(retrain_task, [todo[k] for k in keys], gpus=gpus, gpu_task=True):
        outcomes[keys[index]] = result
        progress.advance(failed=result["type"] != "RetrainResult")
    progress.finish()
    return outcomes, len(todo)


def is_reviewed(reviewed, student, content_hash):
    prefix = str(reviewed.get(student) or "")
    return len(prefix) >= 8 and str(content_hash or "").startswith(prefix)


def _judge_all(journal, executions, reviewed, show, checks, force=(), outcomes=None):
    progress = StageProgress("judge", len(executions), enabled=show)
    judgements, context = {}, judging_context()
    for student, execution in executions.items():
        trusted = is_reviewed(reviewed, student, execution.get("hash"))
        previous, mark = journal.read(student, "judgement"), judging_key(execution, trusted, context)
        if previous and previous.get("execution") == mark and previous.get("grader") == judging_code() \
                and student not in force:
            judgements[student] = previous
            progress.advance(cached=True)
            continue
        judgement = dict(judge_safely(execution, checks, reviewed=trusted, outcomes=outcomes), execution=mark,
                         grader=judging_code())
        if judgement["state"] == "grader_fault":     # judged again next run, never recorded
            judgements[student] = judgement
            progress.advance(failed=True)
            continue
        journal.write(student, "judgement", judgement)
        judgements[student] = judgement
        progress.advance(failed=judgement["state"] != "completed")
    progress.finish()
    return judgements


def _record_all(course_dir, journal, judgements, feedback, show, checks, force=()):
    """Record each judgement; a student nbgrader cannot record at all is reported, and the
    batch goes on (the journal keeps it unrecorded, so the next run tries again)."""
    from .record import record
    progress = StageProgress("record", len(judgements), enabled=show)
    failed = {}
    for student, judgement in judgements.items():
        # The hand-in time is part of what is recorded (nbgrader's late penalty): a new
        # timestamp.txt records the student again, nothing else does.
        stamp, _ = read_timestamp(os.path.join(course_dir, "submitted", student, current().name))
        mark = digest([judgement, stamp])
        if (journal.read(student, "recorded") or {}).get("judgement") == mark and student not in force:
            progress.advance(cached=True)
            continue
        try:
            with interrupts_kept():     # nbgrader's API swallows a Ctrl-C (common/interrupts.py)
                record(course_dir, student, judgement, journal.workdir(student), checks, feedback=feedback)
        except Exception as exc:
            failed[student] = f"{type(exc).__name__}: {str(exc)[-500:]}"
            progress.advance(failed=True)
            continue
        journal.write(student, "recorded", {"type": "Recorded", "judgement": mark, "time": time.time()})
        progress.advance()
    progress.finish()
    return failed


def _recorded_before(journal, everyone, selected):
    """The judgements of the students not graded in this run, as last recorded, so a run for
    a few students still exports the whole class."""
    out = {}
    for student in everyone:
        if student in selected:
            continue
        judgement = journal.read(student, "judgement")
        if isinstance(judgement, dict) and judgement.get("state") != "grader_fault" and judgement.get("results") \
                and journal.read(student, "recorded"):
            out[student] = judgement
    return out


def flag_line(flag):
    return Flag.from_json(flag).line_text()


def main(*, course_dir, sandboxed=True, workers=None, ray_address=None, feedback=True,
         exports=True, show_progress=True, students=None, force=False, executor=None):
    """Grade the class (or the ``students`` named: ids or patterns; the others' records stay
    as they are); returns a summary dict (also written to exports/summary.json).

    ``force``: execute, judge and record the selected submissions again whatever the journal
    holds (retraining results stay: they are keyed by everything a training depends on).
    ``executor``: what runs one submission (``execute``'s keyword arguments, an
    ExecutionResult back); the sandbox by default."""
    course_dir = os.path.abspath(course_dir)
    start = time.monotonic()
    checks = checks_of(activate(course_dir))
    try:
        overridden = retrain_settings.apply(course_dir)
    except retrain_settings.SettingsError as exc:
        raise BatchError(f"{course_dir}/nbgrader_config.py: {exc}") from None
    box, batch = settings(course_dir)
    if not sandboxed:
        box.enabled = False
    if box.enabled:
        sandbox.require_bwrap()
    try:
        require_for_grading(sandboxed=box.enabled)
    except DatasetNotFoundError as exc:
        raise BatchError(f"nothing was graded: {exc}") from None
    everyone = discover(course_dir)
    found = select(everyone, students)
    from ..retrain.protocols import PROFILE_VARIABLE, profile_line
    if show_progress:       # after the refusals: a refusal is one line
        for line in overridden:
            print(line, file=sys.stderr, flush=True)
        print(profile_line(), file=sys.stderr, flush=True)
        print(EXECUTE_LINES[batch.execute], file=sys.stderr, flush=True)
    os.environ[PROFILE_VARIABLE] = current_profile()    # one profile for the whole batch
    from . import integrity
    before = integrity.snapshot(course_dir)
    journal = Journal(course_dir)
    hashes = {s: submission_hash(folder, course_dir) for s, folder in found.items()}
    forced = set(found) if force else set()
    notice = "" if force else upgrade_notice(journal, hashes, batch.execute)
    if show_progress and (notice or force):
        print(notice or f"--force: {len(found)} submission(s) executed, judged and recorded again.",
              file=sys.stderr, flush=True)
    workers = workers or batch.workers or os.cpu_count() or 1
    if not box.cpus:            # each sandbox gets its share of the machine, no more
        box.cpus = max(1.0, (os.cpu_count() or 1) / workers)
    if not box.total_memory_mb:
        box.total_memory_mb = max(box.memory_mb, int(machine_memory_mb() * 0.8 / workers))
    pool = _make_pool(ray_address, workers)
    gpus = visible_gpus()
    timings = {}
    t = time.monotonic()
    executions, execution_counts = _execute_all(course_dir, journal, found, hashes, box, pool, show_progress,
                                                batch.execute, forced, executor)
    timings["execute_s"] = time.monotonic() - t
    t = time.monotonic()
    slots = batch.retrain_slots or max(len(gpus), 1)
    retrain_pool = pool if ray_address else LocalPool(slots)
    jobs, outcomes = _retrain_all(executions, retrain_pool, gpus, show_progress)
    timings["retrain_s"] = time.monotonic() - t
    t = time.monotonic()
    judgements = _judge_all(journal, executions, batch.reviewed, show_progress, checks, forced, outcomes)
    timings["judge_s"] = time.monotonic() - t
    t = time.monotonic()
    if feedback:        # the feedback's reference curves: the retrain stage's jobs too
        _retrain_jobs(reference_jobs(judgements.values()), retrain_pool, gpus, show_progress, "references")
    timings["retrain_s"] += time.monotonic() - t
    t = time.monotonic()
    # A grading-machine fault is neither recorded nor exported: the next run grades it.
    graded = {s: j for s, j in judgements.items() if j["state"] != "grader_fault"}
    not_recorded = _record_all(course_dir, journal, graded, feedback, show_progress, checks, forced)
    timings["record_s"] = time.monotonic() - t
    checked = integrity.compare(before, integrity.snapshot(course_dir))
    summary = {"type": "BatchSummary", "students": len(found), "sandboxed": box.enabled,
               "workers": workers, "ray": bool(ray_address), "executions": execution_counts,
               "retraining": jobs,
               "possible": sum(c.points for c in checks.values()),
               "scores": {s: j["score"] for s, j in graded.items()},
               "failed": {s: j["reason"] for s, j in graded.items() if j["reason"]},
               "grader_faults": {s: j["reason"] for s, j in judgements.items() if s not in graded},
               "flagged": {s: [flag_line(f) for f in j["flags"]] for s, j in judgements.items() if j.get("flags")},
               "withheld": {s: j["hash"] for s, j in judgements.items() if j.get("withheld")},
               "not_recorded": not_recorded, "integrity": checked, "timings": timings,
               "profile": current_profile(), "execute": batch.execute,
               # Where the cell graph could not tell which cells a grade needs: every cell ran.
               "ran_in_full": {s: (j.get("plan") or {}).get("reason", "") for s, j in graded.items()
                               if batch.execute == "needed" and (j.get("plan") or {}).get("mode") == "all"
                               and j.get("state") not in ("unreadable",)}}
    # The class's figures cover everyone recorded, also those a --student run left alone.
    whole = {**_recorded_before(journal, everyone, found), **graded}
    summary["class_size"] = len(everyone)
    summary["class"] = class_statistics(whole, summary, checks)
    summary["common_mistakes"] = common_mistakes(whole, checks)
    summary["identical"] = identical_groups(whole, reference_model_key(), release_hash(course_dir))
    summary["cell_errors"] = {s: j["cell_errors"] for s, j in whole.items() if j.get("cell_errors")}
    summary["wall_s"] = time.monotonic() - start
    if exports:
        from .outputs import write_outputs
        summary["outputs"] = write_outputs(course_dir, whole, summary, checks)
    return summary
