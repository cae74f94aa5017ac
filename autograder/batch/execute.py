"""Stage 1, untrusted: run one submission's notebook in the sandbox and collect what it left.

The notebook runs as nbgrader would run it (NBGRADER_EXECUTION set, test cells neutralized:
their verdicts are the judge's business), then one appended cell extracts the observations.
Input: the submission's folder. Output: an ``ExecutionResult`` dict (JSON) and, in the
student's work folder, the executed notebook.
"""
import json
import os
import shutil
import stat
import sys
import tempfile

import nbformat

from ..checks import CHECKS
from . import sandbox

OBSERVE_PREFIX = '__import__("autograder.batch.observe"'
OBSERVE_CELL = OBSERVE_PREFIX + ', fromlist=["observe"]).observe({name!r}, globals(), {path!r})'
NEUTRALIZED = "# The grader judges this check after the notebook has run."
MAX_RESULT_BYTES = 50 * 2**20
OWN_IDS = set(CHECKS) | {f"ex{n}_solution" for n in (1, 2, 3)}


class SubmissionUnreadable(ValueError):
    """The submission is not a notebook we can run; the message is for the student."""


def read_submission(path):
    """The submission as an nbformat v4 notebook, or SubmissionUnreadable saying why not."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise SubmissionUnreadable("no notebook was submitted") from None
    if size == 0:
        raise SubmissionUnreadable("the submitted notebook is an empty file")
    if size > MAX_RESULT_BYTES:
        raise SubmissionUnreadable(f"the submitted notebook is {size / 2**20:.0f} MB; notebooks of "
                                   f"at most {MAX_RESULT_BYTES // 2**20} MB are graded (clear large outputs)")
    try:
        with open(path, encoding="utf-8") as f:
            nb = nbformat.read(f, as_version=4)
    except UnicodeDecodeError:
        raise SubmissionUnreadable("the submitted file is not UTF-8 text, so not a notebook") from None
    except Exception as exc:
        raise SubmissionUnreadable(f"the submitted file is not a valid notebook ({type(exc).__name__}: "
                                   f"{str(exc)[:200]}); download it again from Jupyter with "
                                   "File > Download") from None
    if not any(c.metadata.get("nbgrader", {}).get("grade_id") in OWN_IDS for c in nb.cells):
        raise SubmissionUnreadable("the notebook has none of this assignment's test cells: was "
                                   "the notebook of another assignment submitted?")
    return nb


def prepare(nb, observations_path):
    """The notebook to execute: each test cell replaced by the observation of its check;
    the checks whose test cell was deleted are observed at the end (nbgrader's record puts
    their cells back)."""
    present = set()
    for cell in nb.cells:
        name = cell.metadata.get("nbgrader", {}).get("grade_id")
        if name in CHECKS and cell.cell_type == "code":
            cell.source = OBSERVE_CELL.format(name=name, path=observations_path)
            cell.outputs = []
            present.add(name)
    for name in CHECKS:
        if name not in present:
            nb.cells.append(nbformat.v4.new_code_cell(OBSERVE_CELL.format(name=name, path=observations_path)))
    return nb


def kernel_env(scratch):
    env = {"PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
           "HOME": os.path.join(scratch, ".home"), "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "NBGRADER_EXECUTION": "autograde", "TF_CPP_MIN_LOG_LEVEL": "3",
           "MPLBACKEND": "agg", "PYTHONHASHSEED": "0", "PYTHONSAFEPATH": "1",
           "JUPYTER_RUNTIME_DIR": os.path.join(scratch, ".runtime")}
    for key in ("AUTOGRADER_DATA_DIR", "AUTOGRADER_PROFILE", "KERAS_BACKEND"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    return env


def kernel_command(scratch, prepared, executed, status, *, course_dir, settings, slot=0):
    """The command executing ``prepared`` in ``scratch``: sandboxed, or (``--no-sandbox``) with
    only the kernel's environment."""
    for name in (".home", ".runtime"):
        os.makedirs(os.path.join(scratch, name), exist_ok=True)
    argv = [sys.executable, "-I", "-m", "autograder.batch.inside", prepared, executed, status,
            str(settings.cell_timeout_s), str(settings.max_output_kb)]
    env = kernel_env(scratch)
    if not settings.enabled:
        return ["env", "-i"] + [f"{k}={v}" for k, v in env.items()] + argv
    sandbox.prepare_scratch(scratch, slot)
    return sandbox.command(argv, scratch=scratch, course_dir=course_dir, settings=settings, env=env, slot=slot)


def _plain_file(path):
    """A regular file of sane size, not a link the sandbox planted to make us read elsewhere."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= MAX_RESULT_BYTES


def _read_json(path):
    if not _plain_file(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
        return value if isinstance(value, dict) else None
    except (ValueError, UnicodeDecodeError):
        return None


def execute(*, student, submission_dir, notebook_name, workdir, course_dir, settings, slot=0,
            content_hash=None):
    """Execute one submission; returns an ExecutionResult dict. Never raises for the student's
    faults: they become ``state`` and ``message``."""
    result = {"type": "ExecutionResult", "student": student, "hash": content_hash,
              "state": "completed", "message": "", "duration_s": 0.0, "observations": None,
              "sandboxed": bool(settings.enabled)}
    os.makedirs(workdir, exist_ok=True)
    try:
        nb = read_submission(os.path.join(submission_dir, notebook_name))
    except SubmissionUnreadable as exc:
        return dict(result, state="unreadable", message=str(exc))
    from .suspicious import scan, scan_folder
    result["flags"] = scan(nb) + scan_folder(submission_dir, notebook_name)   # read, before it runs
    try:
        return _run(result, nb, submission_dir, workdir, course_dir, settings, slot)
    except OSError as exc:      # the grading machine's fault (disk full, ...): nothing is held against the student
        return dict(result, state="grader_fault",
                    message=f"{type(exc).__name__}: {exc}; the submission will be executed again on the next run")


def _run(result, nb, submission_dir, workdir, course_dir, settings, slot):
    scratch = tempfile.mkdtemp(prefix=f"grade-{result['student']}-", dir=settings.scratch_dir or None)
    try:
        # A copy of the submission's folder: files the student shipped beside the notebook too.
        shutil.copytree(submission_dir, scratch, dirs_exist_ok=True, symlinks=True)
        paths = {k: os.path.join(scratch, f".grader-{k}") for k in ("prepared.ipynb", "executed.ipynb",
                                                                     "status.json", "observations.json")}
        nbformat.write(prepare(nb, paths["observations.json"]), paths["prepared.ipynb"])
        cmd = kernel_command(scratch, paths["prepared.ipynb"], paths["executed.ipynb"],
                             paths["status.json"], course_dir=course_dir, settings=settings, slot=slot)
        run = sandbox.run(cmd, timeout=settings.submission_timeout_s, cwd=scratch,
                          cpus=settings.cpus if settings.enabled else 0.0, name=f"slot{slot}")
        result["duration_s"] = run.duration_s
        status = _read_json(paths["status.json"]) or {}
        observations = _read_json(paths["observations.json"])
        if run.timed_out:
            result.update(state="timeout", message=f"the notebook ran longer than "
                                                   f"{settings.submission_timeout_s} s and was stopped")
        elif status.get("state") in ("kernel_died", "failed"):
            result.update(state=status["state"], message=str(status.get("message", ""))[:1000])
        elif status.get("message"):
            result["message"] = str(status["message"])[:1000]
        elif not status:
            result.update(state="failed", message=f"the notebook's execution ended with code "
                                                  f"{run.returncode} before finishing: {run.stderr[-500:].strip()}")
        if observations is None and result["state"] == "completed":
            result.update(state="no_observations", message="the notebook ran, but none of the "
                          "grader's test cells finished (did the notebook end the kernel, or "
                          "change the grader's code?)")
        result["observations"] = observations
        seen = (observations or {}).get("tampered")
        seen = seen if isinstance(seen, list) else []
        result["flags"] += [{"cell": 0, "line": 0, "code": "", "severity": "tampering",
                             "why": f"seen while it ran: {str(what)[:300]}"} for what in seen[:20]]
        executed = paths["executed.ipynb"]
        if _plain_file(executed):
            shutil.copyfile(executed, os.path.join(workdir, "executed.ipynb"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result
