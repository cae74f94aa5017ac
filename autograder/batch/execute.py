"""Stage 1, untrusted: run one submission's notebook in the sandbox and collect what it left.

The notebook runs as nbgrader would run it (NBGRADER_EXECUTION set), in the grader's copy of
the submission's folder, each test cell replaced by an observation of its check; what the
sandbox reports comes back through a pipe and is validated (``untrusted.sandbox_output``) before
use. Input: the submission's folder. Output: an ``ExecutionResult`` dict (JSON) and, in the
student's work folder, the executed notebook.
"""
import functools
import os
import shutil
import sys
import tempfile

import nbformat

from ..assignment import NAME_VARIABLE, SPEC_PATH_VARIABLE, SPEC_VARIABLE, current, spec_paths
from ..untrusted import files, metadata, sandbox_output
from ..common.atomic import write_text
from ..data import data_dir
from ..checks import kernel_checks
from ..kernel.channel import OBSERVATION_CELLS_KEY, OBSERVE_PREFIX, SKIPPED_CELLS_KEY
from ..sandbox import bwrap as sandbox
from ..sandbox import font_cache
from ..sandbox import scratch as scratch_mod
from ..retrain.private import hidden_paths
from . import needed
from .results import MAX_FLAGS, Flag, bounded_flags, execution_result

OBSERVE_CELL = OBSERVE_PREFIX + ', fromlist=["observe"]).observe({name!r}, globals(), {seed})'
NEUTRALIZED = "# The grader judges this check after the notebook has run."
MAX_RESULT_BYTES = 50 * 2**20


@functools.lru_cache(maxsize=8)
def _source_ids(path, _mtime):
    nb = nbformat.read(path, as_version=4)
    return frozenset(metadata.grade_id(c) for c in nb.cells
                     if metadata.nbgrader(c).get("solution") or metadata.nbgrader(c).get("grade"))


def own_ids(checks, course_dir=None):
    """The grade ids that make a notebook this assignment's: its ``checks``' test cells and the
    source notebook's solution cells."""
    ids = set(checks)
    if course_dir:
        path = current().notebook_path(course_dir, "source")
        try:
            ids |= _source_ids(path, os.path.getmtime(path))
        except (OSError, ValueError):
            pass
    return ids


class SubmissionUnreadable(ValueError):
    """The submission is not a notebook we can run; the message is for the student."""


def read_submission(path, checks, course_dir=None, repairs=None):
    """The submission as an nbformat v4 notebook, or SubmissionUnreadable saying why not:
    one with none of ``checks``' test cells is another assignment's.

    Read through ``untrusted.files`` below the course directory: the notebook, or a folder
    above it, that is a link, a device or a FIFO is refused, never followed or opened; its
    metadata is then type-checked (``untrusted.metadata.repair``), each repair appended to
    ``repairs``."""
    try:
        data = files.read_path(path, MAX_RESULT_BYTES, base=course_dir)
    except files.Unreadable as exc:
        if "does not exist" in str(exc):
            raise SubmissionUnreadable("no notebook was submitted") from None
        raise SubmissionUnreadable(f"the submitted notebook cannot be graded: {exc}") from None
    except OSError as exc:
        if exc.errno in files.MACHINE_ERRNOS:
            raise           # the grading machine's fault: the submission is read again next run
        raise SubmissionUnreadable(f"the submitted notebook cannot be read ({type(exc).__name__})") from None
    if not data:
        raise SubmissionUnreadable("the submitted notebook is an empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionUnreadable("the submitted file is not UTF-8 text, so not a notebook") from None
    too_many = sandbox_output.too_many_containers(data, "submitted notebook")
    if too_many:
        raise SubmissionUnreadable(f"{too_many}: clear its outputs in Jupyter (Edit > Clear Outputs of "
                                   "All Cells), save it and hand it in again")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:
        raise SubmissionUnreadable(f"the submitted file is not a valid notebook ({type(exc).__name__}: "
                                   f"{sandbox_output.clean_text(exc, 200)}); download it again from Jupyter with "
                                   "File > Download") from None
    try:
        made = metadata.repair(nb, _release(course_dir))
    except metadata.MetadataUnusable as exc:
        raise SubmissionUnreadable(str(exc)) from None
    ours = own_ids(checks, course_dir)
    if not any(metadata.grade_id(c) in ours for c in nb.cells):
        raise SubmissionUnreadable("the notebook has none of this assignment's test cells: was "
                                   "the notebook of another assignment submitted?")
    if repairs is not None:
        repairs.extend(made)
    return nb


def _release(course_dir):
    if not course_dir:
        return None
    path = current().notebook_path(course_dir, "release")
    try:
        return _release_cells(path, os.path.getmtime(path))
    except (OSError, ValueError):
        return None


@functools.lru_cache(maxsize=8)
def _release_cells(path, _mtime):
    return nbformat.read(path, as_version=4)


def restore_locked(nb, release):
    """The locked cells as the instructor wrote them, as nbgrader's autograde restores them
    before it executes (``OverwriteCells``): each cell whose grade id is a locked cell of the
    release gets the release's source and type back. Returns the grade ids restored."""
    if release is None:
        return []
    locked = {metadata.grade_id(c): c for c in release.cells
              if metadata.nbgrader(c).get("locked") and metadata.grade_id(c)}
    restored = []
    for index, cell in enumerate(nb.cells):
        original = locked.get(metadata.grade_id(cell))
        if original is None or (cell.cell_type == original.cell_type and cell.source == original.source):
            continue
        if cell.cell_type != original.cell_type:
            outputs = {"outputs": [], "execution_count": None} if original.cell_type == "code" else {}
            nb.cells[index] = cell = nbformat.from_dict(dict(original, metadata=cell.metadata, **outputs))
        cell.source = original.source
        restored.append(metadata.grade_id(cell))
    return restored


def prepare(nb, checks, seed=0, mode="needed", release=None):
    """The notebook to execute, and the plan of which cells run (``needed.Plan``).

    As nbgrader's autograde would execute it: locked cells restored from the release; each
    test cell of ``checks`` (the assignment's) replaced by the observation of its check; the
    checks whose test cell was deleted are observed at the end (nbgrader's record puts their
    cells back). The cells the grader made observation cells are listed in the notebook's
    metadata, which the sandbox's runner reads (a student's cell that merely looks like one is
    not). With ``mode`` "needed", the cells no check depends on are listed too, and the runner
    leaves them as they were."""
    restore_locked(nb, release)
    observed = {}                   # cell index -> the check observed there
    for index, cell in enumerate(nb.cells):
        name = metadata.grade_id(cell)
        if name in checks and cell.cell_type == "code":
            cell.source = OBSERVE_CELL.format(name=name, seed=int(seed))
            cell.outputs = []
            observed[index] = name
    for name in checks:
        if name not in observed.values():
            observed[len(nb.cells)] = name
            nb.cells.append(nbformat.v4.new_code_cell(OBSERVE_CELL.format(name=name, seed=int(seed))))
    cells = sorted(observed)
    nb.metadata[OBSERVATION_CELLS_KEY] = cells
    plan = needed.Plan("all", reason="c.Batch.execute is 'all'")
    if mode == "needed":
        try:
            reads = needed.check_reads(current())
        except needed.Unknowable as exc:
            plan = needed.Plan("all", reason=f"the assignment's checks: {exc}")
        else:
            plan = needed.plan(nb, {i: reads.get(name, frozenset()) for i, name in observed.items()}, cells)
    nb.metadata[SKIPPED_CELLS_KEY] = list(plan.skipped)
    return nb, plan


def kernel_env(scratch):
    env = {"PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
           "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "NBGRADER_EXECUTION": "autograde", "TF_CPP_MIN_LOG_LEVEL": "3",
           # joblib (scikit-learn) runs serially in the sandbox, which has no shared memory: said
           # here, it does so without a warning in the student's feedback.
           "JOBLIB_MULTIPROCESSING": "0",
           "MPLBACKEND": "agg", "PYTHONHASHSEED": "0", "PYTHONSAFEPATH": "1"}
    env.update(scratch_mod.kernel_dirs(scratch))
    for key in ("AUTOGRADER_DATA_DIR", "AUTOGRADER_PROFILE", "KERAS_BACKEND",
                SPEC_VARIABLE, SPEC_PATH_VARIABLE, NAME_VARIABLE):     # the kernel observes this assignment's checks
        if os.environ.get(key):
            env[key] = os.environ[key]
    if data_dir():
        env["AUTOGRADER_DATA_DIR"] = data_dir()     # where it really is: what the sandbox binds
    return env


def kernel_command(scratch, prepared, channel_fd, *, course_dir, settings, slot=0):
    """The command executing ``prepared`` in ``scratch``, reporting on ``channel_fd``:
    sandboxed, or (``--no-sandbox``) with only the kernel's environment."""
    env = kernel_env(scratch)
    for key in ("HOME", "IPYTHONDIR", "KERAS_HOME", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR"):
        os.makedirs(env[key], exist_ok=True)
    font_cache.lay_font_lists(env["MPLCONFIGDIR"], env)
    argv = [sys.executable, "-I", "-m", "autograder.sandbox.inside", prepared, str(channel_fd),
            str(settings.cell_timeout_s), str(settings.max_output_kb)]
    if not settings.enabled:
        return ["env", "-i"] + [f"{k}={v}" for k, v in env.items()] + argv
    sandbox.prepare_scratch(scratch, slot)
    return sandbox.command(argv, scratch=scratch, hidden=hidden_paths(course_dir), settings=settings, env=env, slot=slot,
                           readable=spec_paths())


def run_prepared(scratch, prepared, *, course_dir, settings, slot=0):
    """Run the prepared notebook in ``scratch``; returns the sandbox's run, its channel read."""
    channel = sandbox.Channel()
    try:
        cmd = kernel_command(scratch, prepared, channel.write_fd, course_dir=course_dir, settings=settings, slot=slot)
    except BaseException:
        channel.close()
        raise
    return sandbox.run(cmd, timeout=settings.submission_timeout_s, cwd=scratch,
                       cpus=settings.cpus if settings.enabled else 0.0,
                       memory_mb=settings.total_memory_mb if settings.enabled else 0, name=f"slot{slot}",
                       channel=channel, channel_limit=sandbox_output.MAX_LINE_BYTES + 2**20)


def execute(*, student, submission_dir, notebook_name, workdir, course_dir, settings, checks, slot=0,
            content_hash=None, seed=None, mode="needed"):
    """Execute one submission; returns an ExecutionResult dict. Never raises for the student's
    faults: they become ``state`` and ``message``. ``checks``: the assignment's, observed in the
    kernel. ``seed``: the grading-time inputs' seed (``journal.grading_seed``); the judge
    rebuilds the same inputs from it."""
    if seed is None:
        import secrets
        seed = secrets.randbits(31)
    result = execution_result(student, content_hash, mode=mode, sandboxed=settings.enabled, seed=seed)
    os.makedirs(workdir, exist_ok=True)
    repairs = []
    try:
        try:
            nb = read_submission(os.path.join(submission_dir, notebook_name), checks, course_dir, repairs)
        except SubmissionUnreadable as exc:
            return dict(result, state="unreadable", message=str(exc))
        result["flags"] = [Flag(f"notebook: {why}").to_json() for why in repairs] + _scan(nb, submission_dir, notebook_name)
        return _run(result, nb, submission_dir, workdir, course_dir, settings, slot, mode, checks)
    except OSError as exc:      # the grading machine's fault (disk full, ...): nothing is held against the student
        return dict(result, state="grader_fault",
                    message=f"{type(exc).__name__}: {exc}; the submission will be executed again on the next run")
    except Exception as exc:    # something in this submission the grader could not handle: its result, not the batch's end
        return dict(result, state="failed", message=f"the grader could not run this submission: "
                                                    f"{type(exc).__name__}: {sandbox_output.clean_text(exc, 300)}")


def timestamp_notes(submission_dir):
    """The notice about the submission's own ``timestamp.txt`` (not part of its content hash, so
    a byte-identical classmate's result never carries it): [] when it reads well or is absent."""
    from .timestamps import read_timestamp
    _, problem = read_timestamp(submission_dir)
    return [Flag(f"has a `timestamp.txt` that {problem}: left out, so the work counts as handed in on time",
                 code="timestamp.txt").to_json()] if problem else []


def with_own_timestamp_notes(result, submission_dir):
    """``result`` (another submission's, byte-identical) with this submission's timestamp notice."""
    flags = [f for f in result.get("flags") or [] if not (isinstance(f, dict) and f.get("code") == "timestamp.txt")]
    return dict(result, flags=flags + timestamp_notes(submission_dir))


def _scan(nb, submission_dir, notebook_name):
    from .suspicious import scan, scan_folder
    notes = timestamp_notes(submission_dir)
    try:
        return notes + scan(nb) + scan_folder(submission_dir, notebook_name)
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in files.MACHINE_ERRNOS:
            raise           # the machine's fault, not a sign of tampering
        return notes + [Flag(f"could not be read by the grader's code scan ({type(exc).__name__})", "tampering").to_json()]


def _run(result, nb, submission_dir, workdir, course_dir, settings, slot, mode, checks):
    scratch = tempfile.mkdtemp(prefix=f"grade-{result['student']}-", dir=settings.scratch_dir or None)
    try:
        # The grader's copy of the submission's folder: files the student shipped beside the
        # notebook too, but only regular files, and none that configure the kernel.
        result["flags"] += [Flag(f"ships `{rel}`, which {why}: not copied into the folder the notebook runs in",
                                 code=rel).to_json() for rel, why in scratch_mod.copy_submission(submission_dir, scratch)]
        prepared = os.path.join(scratch, scratch_mod.GRADER_PREFIX + "prepared.ipynb")
        nb, plan = prepare(nb, checks, result["seed"], mode, _release(course_dir))
        result["plan"] = dict(plan.to_json(), requested=mode)
        nbformat.write(nb, prepared)
        run = run_prepared(scratch, prepared, course_dir=course_dir, settings=settings, slot=slot)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = sandbox_output.parse_channel(run.channel, kernel_checks(checks), truncated=run.channel_truncated)
    result["duration_s"] = run.duration_s
    if run.timed_out:
        result.update(state="timeout", message=f"the notebook ran longer than "
                                               f"{settings.submission_timeout_s} s and was stopped")
    elif not report.reported:
        result.update(state="failed", message=f"the notebook's execution ended with code {run.returncode} "
                      f"before finishing: {sandbox_output.clean_text(run.stderr[-500:], 500).strip()}")
    elif report.state != "completed" or report.message:
        result.update(state=report.state, message=report.message)
    observations = report.observations
    if observations is None and result["state"] == "completed":
        result.update(state="no_observations", message="the notebook ran, but none of the "
                      "grader's test cells finished (did the notebook end the kernel, or "
                      "change the grader's code?)")
    result["observations"] = observations.to_json() if observations is not None else None
    result["refused"] = report.refused[:MAX_FLAGS]
    result["flags"] += [Flag(f"seen while it ran: {what}", "tampering").to_json()
                        for what in (observations.tampered if observations else [])]
    if report.notebook is not None:
        write_text(os.path.join(workdir, "executed.ipynb"), report.notebook)
    result["cell_errors"] = cell_errors(report.notebook)
    result["flags"] = bounded_flags(result["flags"])
    return result


MAX_CELL_ERRORS = 10


def cell_errors(notebook_text):
    """[{"cell": its number among the code cells, "error": "NameError: ..."}] of the executed
    notebook's cells that raised (the grader's own observation cells left out), at most
    MAX_CELL_ERRORS; [] when there is no readable notebook."""
    import json
    try:
        nb = json.loads(notebook_text) if notebook_text else {}
    except (ValueError, RecursionError):
        return []
    cells = nb.get("cells") if isinstance(nb, dict) else None
    out, number = [], 0
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source")
        source = "".join(source) if isinstance(source, list) else str(source or "")
        if source.startswith(OBSERVE_PREFIX):
            continue
        for output in cell.get("outputs") if isinstance(cell.get("outputs"), list) else []:
            if isinstance(output, dict) and output.get("output_type") == "error":
                text = f"{output.get('ename')}: {output.get('evalue')}"
                out.append({"cell": number, "error": sandbox_output.clean_text(text, 200)})
                break
        if len(out) >= MAX_CELL_ERRORS:
            break
    return out
