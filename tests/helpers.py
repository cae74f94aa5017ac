"""Run a sample's solution cells in a namespace built like the notebook's, and grade it."""
import atexit
import functools
import os
import shutil
import sys
import tempfile

import nbformat

from autograder.assignment import current
from autograder.checks import Subject, checks_of
from autograder.course.nbgrader_steps import generate_assignment
from autograder.tools.sample_class import apply_edits, solution_cells

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(REPO, "source", "regularization", "regularization.ipynb")
# The suite grades Module 07 (a test that activates another course restores it after, conftest):
# its checks, for the tests to hand to the batch and read points from.
CHECKS = checks_of(current())


def notebook_namespace():
    """The names the notebook's solution cells rely on: the setup cell's imports and the
    module's create_dropout_model (the reference modules import exactly those)."""
    import reference.exercise1 as e1
    import reference.exercise3 as e3
    namespace = {}
    for module in (e1, e3):
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    for name in ("DROPOUT_RATES", "run_dropout_sweep", "best_dropout_rate", "plot_dropout_sweep",
                 "load_cifar10_flat", "create_cifar_model", "create_cifar_baseline",
                 "make_early_stopping"):
        namespace.pop(name)
    return namespace


def run_sweep(namespace):
    """The notebook's sweep cell, on a small slice: ``sweep_results`` for Exercise 1's accuracy
    check (which retrains the module's model at the rate the sweep found best)."""
    from autograder.data import fashion_mnist
    (x, y), _ = fashion_mnist.load_data()
    x, y = x[:512].reshape(-1, 784).astype("float32") / 255.0, y[:512]
    try:
        namespace["sweep_results"] = namespace["run_dropout_sweep"]([0.0, 0.4], x[:256], y[:256],
                                                                    x[256:], y[256:], 1)
    except Exception:       # the notebook's cell would fail the same way: no sweep_results
        pass


def run_sample(sample, exercises=(1, 2, 3)):
    """Execute the sample's solution cells as the kernel would (a cell that raises stops
    there, the next cell runs), then run every check of the given exercises."""
    source = nbformat.read(SOURCE, as_version=4)
    code = apply_edits(solution_cells(source), sample)
    namespace = notebook_namespace()
    errors = {}
    # A kernel is thrown away after grading; this process is not: undo what a sample patches.
    import keras
    saved = {name: vars(keras.Model).get(name) for name in ("fit", "evaluate", "predict")}
    try:
        for grade_id in ("ex1_solution", "ex2_solution", "ex3_solution"):
            try:
                exec(compile(code[grade_id], grade_id, "exec"), namespace)
            except Exception as exc:  # the notebook goes on after a failing cell
                errors[grade_id] = exc
        if 1 in exercises:
            run_sweep(namespace)
        subject = Subject(namespace)
        results = {name: check.run(subject) for name, check in CHECKS.items()
                   if check.exercise in exercises}
    finally:
        for name, method in saved.items():
            if method is None:
                if name in vars(keras.Model):
                    delattr(keras.Model, name)
            else:
                setattr(keras.Model, name, method)
    return results, errors


@functools.cache
def _generated():
    """A course nbgrader generated once in this test process: the repository's source, release
    and configuration, then a real `nbgrader generate_assignment` (its release and gradebook)."""
    root = tempfile.mkdtemp(prefix="autograder-generated-")
    atexit.register(shutil.rmtree, root, True)
    course = os.path.join(root, "course")
    os.mkdir(course)
    for name in ("source", "release"):
        shutil.copytree(os.path.join(REPO, name), os.path.join(course, name))
    shutil.copy(os.path.join(REPO, "nbgrader_config.py"), os.path.join(course, "nbgrader_config.py"))
    generate_assignment(course)
    return course


def make_course(root, config=""):
    """A course directory under ``root`` with the assignment generated in its gradebook, and
    ``config`` (what grading reads) appended to its nbgrader_config.py: a copy of the course
    nbgrader generated once in this process (its generation is tested in test_release.py and
    test_end_to_end.py; each generation costs an nbgrader process)."""
    course = root / "course"
    shutil.copytree(_generated(), course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(config)
    return course


def cmdline(pid):
    """A process's command line (NUL-separated), or '' once it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read()
    except OSError:
        return ""


def installed_grader(root):
    """The python of a fresh virtual environment holding the grader as an instructor installs it:
    ``pip install --no-deps`` of a copy of this checkout (a wheel, not editable), its other
    packages read from this test environment (a .pth line), nothing downloaded."""
    import shutil
    import subprocess
    import sysconfig
    venv, project = root / "venv", root / "project"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(purelib, "test-environment.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    # Jupyter's data files (nbconvert's templates, the kernel spec) as pip put them in this environment.
    os.makedirs(venv / "share", exist_ok=True)
    os.symlink(os.path.join(sys.prefix, "share", "jupyter"), venv / "share" / "jupyter")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("autograder", "reference"):
        shutil.copytree(os.path.join(REPO, name), project / name, ignore=ignore)
    shutil.copy(os.path.join(REPO, "pyproject.toml"), project / "pyproject.toml")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
                           "--no-build-isolation", "--no-index", str(project)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    where = subprocess.run([python, "-c", "import autograder, reference; print(autograder.__file__, reference.__file__)"],
                           capture_output=True, text=True, cwd=str(root), check=True).stdout
    assert where.count(purelib) == 2, where       # the installed copy, not this checkout
    return python
