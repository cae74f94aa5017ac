"""A Gradescope autograder: ``autograder gradescope-bundle`` writes the ``autograder.zip`` that
Gradescope builds its image from, and ``python -m autograder.instructor.gradescope`` is what its
``run_autograder`` runs for each submission.

Gradescope's layout: the zip is unpacked in ``/autograder/source`` and ``setup.sh`` runs once
(as root, with internet) to install; for each submission the student's files are in
``/autograder/submission/`` and ``run_autograder`` must leave ``/autograder/results/results.json``.
Each submission runs in a container of its own, so the grade is the batch's, with bubblewrap
where the container allows it and without otherwise. Whatever fails, a results.json is
written: a student never meets Gradescope's "autograder failed to produce results".
"""
import argparse
import glob
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile

from ..common.atomic import write_json
from ..common.lean_imports import lean_start
from ..assignment import activate, current, spec_paths
from ..course.nbgrader_steps import generate_assignment, notebook_path
from .student_package import build_wheel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUDENT = "gradescope"
DISTRIBUTION = "module07-autograder"


def course_files(course_dir):
    """The course files the grading reads, shipped in the bundle under course/: the config, the
    notebooks, the thresholds, and the assignment's own spec, checks and reference files."""
    spec = current()
    # The thresholds in force go where the bundled course reads them (its own file), whether
    # they are the course's or the calibration its spec ships (``bundle`` picks the source).
    files = ["nbgrader_config.py", f"source/{spec.name}/{spec.name}.ipynb",
             f"release/{spec.name}/{spec.name}.ipynb", os.path.relpath(spec.thresholds_path, course_dir)]
    for folder in spec_paths():
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            files += [os.path.relpath(os.path.join(root, n), course_dir) for n in sorted(names) if n.endswith(".py")]
    files += [m.reference for m in spec.models if m.reference.endswith(".py")]
    outside = [f for f in files if f.startswith("..") or os.path.isabs(f)]
    if outside:
        raise ValueError(f"the Gradescope bundle ships the course directory's files; these are outside it: {outside}")
    return list(dict.fromkeys(files))

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q /autograder/source/wheels/*.whl
# The sandboxed kernels have no network: the data is laid out once here, from the copy shipped
# in the bundle (--datasets) or else downloaded through keras.datasets' sources.
if [ -f /autograder/source/datasets/prepare.py ]; then
  python3 /autograder/source/datasets/prepare.py /autograder/data
else
  /autograder/venv/bin/python -m autograder.data /autograder/data
fi
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission; it leaves /autograder/results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
if [ -d "$ROOT/data" ] && [ -z "${AUTOGRADER_DATA_DIR:-}" ]; then export AUTOGRADER_DATA_DIR="$ROOT/data"; fi
exec "$PYTHON" -m autograder.instructor.gradescope --root "$ROOT"
"""


def _pyproject():
    """The grader's pyproject.toml: the checkout's, or (an installed grader) one restated from
    the installed distribution's metadata, so a wheel of the same package can be built."""
    own = os.path.join(ROOT, "pyproject.toml")
    if os.path.exists(own):
        with open(own) as f:
            return f.read()
    meta = importlib.metadata.metadata(DISTRIBUTION)
    requires = [r for r in (meta.get_all("Requires-Dist") or []) if "extra ==" not in r]
    return (f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{meta["Name"]}"\nversion = "{meta["Version"]}"\n'
            f'requires-python = "{meta.get("Requires-Python") or ">=3.11"}"\ndependencies = {requires!r}\n\n'
            '[project.scripts]\nautograder = "autograder.cli:main"\n\n'
            '[tool.setuptools.packages.find]\ninclude = ["autograder*", "reference*"]\n\n'
            '[tool.setuptools.package-data]\n"autograder.batch" = ["templates/*.j2"]\n"reference" = ["thresholds.json"]\n')


def bundle(out_path, course_dir=ROOT, datasets=None):
    """Write autograder.zip: setup.sh, run_autograder, the grader as a wheel, the course files
    and, when given, an offline dataset folder (with its prepare.py); returns the path. The zip
    appears whole or not at all."""
    from ..retrain.thresholds import in_force
    activate(course_dir)            # the course bundled is the one whose assignment is in force
    files = course_files(course_dir)
    sources = {os.path.relpath(current().thresholds_path, course_dir): in_force()}
    with tempfile.TemporaryDirectory(prefix="gradescope-bundle-") as tmp:
        wheels, project = os.path.join(tmp, "wheels"), os.path.join(tmp, "project")
        # Built from a copy: pip builds in the source tree, which stays as it is.
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in ("autograder", "reference"):
            shutil.copytree(os.path.join(ROOT, name), os.path.join(project, name), ignore=ignore)
        with open(os.path.join(project, "pyproject.toml"), "w") as f:
            f.write(_pyproject())
        build_wheel(project, wheels, "the grader's wheel")
        out_dir = os.path.dirname(os.path.abspath(out_path))
        os.makedirs(out_dir, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=".autograder-", suffix=".zip.partial", dir=out_dir)
        os.close(fd)
        try:
            _write_zip(partial, wheels, course_dir, files, sources, datasets)
            os.chmod(partial, 0o644)
            os.replace(partial, out_path)
        except BaseException:
            os.unlink(partial)
            raise
    return out_path


def _write_zip(out_path, wheels, course_dir, files, sources, datasets):
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
        for path in sorted(glob.glob(os.path.join(wheels, "*.whl"))):
            z.write(path, f"wheels/{os.path.basename(path)}")
        for rel in files:
            z.write(sources.get(rel) or os.path.join(course_dir, rel), f"course/{rel}")
        if datasets:
            for root, _, files in os.walk(datasets):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    z.write(path, f"datasets/{os.path.relpath(path, datasets)}")


def _fail_results(message, elapsed):
    return {"score": 0.0, "execution_time": round(elapsed, 1), "output_format": "text",
            "output": f"The autograder could not grade this submission: {message}. This is not held "
                      "against you; your instructor has been told and will grade it.",
            "visibility": "visible", "tests": []}


def _submitted_notebook(submission):
    """The submission's notebook: regularization.ipynb, or the only .ipynb handed in."""
    found = [p for p in glob.glob(os.path.join(submission, "**", "*.ipynb"), recursive=True)
             if ".ipynb_checkpoints" not in p]
    named = [p for p in found if os.path.basename(p) == f"{current().name}.ipynb"]
    if len(named) == 1:
        return named[0]
    if len(found) == 1:
        return found[0]
    raise ValueError(f"hand in one notebook named {current().name}.ipynb (found {len(found)} notebooks: "
                     f"{', '.join(sorted(os.path.basename(p) for p in found)[:5])})")


UNSANDBOXED_VARIABLE = "AUTOGRADER_UNSANDBOXED"


def _bwrap_runs(require_bwrap, unavailable):
    try:
        require_bwrap()
        return True
    except unavailable:
        return False


def sandbox_choice(bwrap_runs, has_data, allow_unsandboxed=None):
    """(sandboxed, why): sandboxed whenever bubblewrap runs, failing closed: without the
    offline data (a sandboxed kernel has no network) nothing is graded (None, what to do),
    unless the instructor chose to run unsandboxed (``AUTOGRADER_UNSANDBOXED=1`` in
    run_autograder's environment), which the results then say."""
    if allow_unsandboxed is None:
        allow_unsandboxed = os.environ.get(UNSANDBOXED_VARIABLE) == "1"
    if allow_unsandboxed:
        return False, ("The student's code ran without the grader's sandbox "
                       f"({UNSANDBOXED_VARIABLE}=1 was set by the instructor).")
    if not bwrap_runs:
        return False, ("The student's code ran without bubblewrap, which this container does not allow; "
                       "Gradescope's container isolates each submission.")
    if not has_data:
        return None, ("the autograder has no offline copy of the datasets, which its sandboxed kernels need: "
                      "rebuild the autograder (setup.sh lays the data out in /autograder/data; "
                      "`autograder gradescope-bundle --datasets DIR` ships a copy), or set "
                      f"{UNSANDBOXED_VARIABLE}=1 to grade without the sandbox")
    return True, ""


def run(root):
    """Grade ``root``/submission into ``root``/results/results.json; returns the results."""
    from ..batch import grade
    from ..data import data_dir
    from ..sandbox.bwrap import SandboxUnavailable, require_bwrap
    start = time.monotonic()
    results_path = os.path.join(root, "results", "results.json")
    activate(os.path.join(root, "source", "course"))
    try:
        notebook = _submitted_notebook(os.path.join(root, "submission"))
    except ValueError as exc:
        results = _fail_results(str(exc), time.monotonic() - start)
        results["output"] = f"Nothing was graded: {exc}."
        write_json(results_path, results, indent=1)
        return results
    work = tempfile.mkdtemp(prefix="gradescope-course-")
    try:
        course = os.path.join(work, "course")
        shutil.copytree(os.path.join(root, "source", "course"), course)
        target = notebook_path(course, "submitted", STUDENT)
        os.makedirs(os.path.dirname(target))
        shutil.copyfile(notebook, target)
        generate_assignment(course)
        sandboxed, why = sandbox_choice(bwrap_runs=_bwrap_runs(require_bwrap, SandboxUnavailable),
                                        has_data=data_dir() is not None)
        if sandboxed is None:
            results = _fail_results(why, time.monotonic() - start)
            results["output"] = f"Nothing was graded: {why}"
            write_json(results_path, results, indent=1)
            return results
        summary = grade.main(course_dir=course, sandboxed=sandboxed, feedback=False, exports=True,
                             show_progress=False)
        produced = os.path.join(course, "exports", "gradescope", STUDENT, "results.json")
        if STUDENT not in summary["scores"] or not os.path.exists(produced):
            reason = (summary.get("grader_faults") or summary.get("not_recorded") or {}).get(STUDENT, "no result")
            results = _fail_results(reason, time.monotonic() - start)
        else:
            with open(produced) as f:
                results = json.load(f)
            results["execution_time"] = round(time.monotonic() - start, 1)
            results["stdout_visibility"] = "hidden"
            results["output_format"] = "text"
            if not sandboxed:
                results["output"] = (results.get("output", "") + f"\n{why}").strip()
    except Exception as exc:
        results = _fail_results(f"{type(exc).__name__}: {str(exc)[:500]}", time.monotonic() - start)
        traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_json(results_path, results, indent=1)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.instructor.gradescope")
    parser.add_argument("--root", default="/autograder")
    args = parser.parse_args(argv)
    lean_start()
    results = run(os.path.abspath(args.root))
    print(f"score {results.get('score')}, {len(results.get('tests', []))} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
