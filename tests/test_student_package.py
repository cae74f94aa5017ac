"""The student package: built from this repository, it holds nothing of the solutions or the
hidden tests, and with it alone (no grader, no nbgrader, no Ray, no reference) the release
notebook's visible checks pass on the reference answers."""
import os
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.assignment import current
from autograder.tools.sample_class import SAMPLES, build_submission
from autograder.instructor.student_package import build, wheel_name
from tests.helpers import CHECKS, REPO, SOURCE

RELEASE = os.path.join(REPO, "release", "regularization", "regularization.ipynb")
# What a student's machine does not have: the grader's own parts and its tools.
ABSENT = ("nbgrader", "ray", "reference", "autograder.batch", "autograder.retrain", "autograder.sandbox",
          "autograder.kernel", "autograder.checks.hidden", "autograder.checks.accuracy")
BLOCKER = f'''
import importlib.abc, sys
ABSENT = {ABSENT!r}
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == a or name.startswith(a + ".") for a in ABSENT):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, NotInstalled())
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build(str(tmp_path_factory.mktemp("wheel")))


def solution_lines():
    """Every line a solution cell of the source has beyond the release's stub (the answers)."""
    source = nbformat.read(SOURCE, as_version=4)
    release = open(RELEASE).read()
    lines = set()
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            body = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            for line in "\n".join(body).splitlines():
                line = line.strip()
                if len(line) > 40 and line not in release:
                    lines.add(line)
    return lines


def test_the_wheel_holds_the_visible_checks_and_nothing_to_hide(wheel):
    assert os.path.basename(wheel) == wheel_name()
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        text = "\n".join(z.read(n).decode("utf-8") for n in names if not n.endswith("/"))
    assert all(n.startswith(("autograder/", "module07_student-")) for n in names), names
    assert not [n for n in names if re.search(r"reference|hidden|accuracy|retrain|batch|sandbox|kernel", n)]
    # The visible checks' code; of the hidden ones only the accuracy checks' declarations (the
    # assignment's spec: name, points, description, as the notebook's test cells state them).
    declared = {a.check for a in current().accuracy}
    for name, check in CHECKS.items():
        assert (f'"{name}"' in text) == (not check.hidden or name in declared), name
    assert "def accuracy_check" not in text and "def sweep_honest" not in text
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "import nbgrader", "from nbgrader", "import ray"):
        assert secret not in text, secret
    leaked = [line for line in solution_lines() if line in text]
    assert not leaked, leaked
    metadata = next(n for n in names if n.endswith("METADATA"))
    with zipfile.ZipFile(wheel) as z:
        requires = re.findall(r"^Requires-Dist: (\S+)", z.read(metadata).decode(), re.M)
    assert requires and not any(r.startswith(("nbgrader", "ray", "tensorflow")) for r in requires)


def test_the_wheel_is_the_same_bytes_each_build(wheel, tmp_path):
    with open(wheel, "rb") as a, open(build(str(tmp_path)), "rb") as b:
        assert a.read() == b.read()


@pytest.mark.slow
def test_the_release_notebooks_visible_checks_pass_with_the_student_package_alone(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    (tmp_path / "block").mkdir()
    (tmp_path / "block" / "sitecustomize.py").write_text(BLOCKER)
    nb = build_submission(nbformat.read(RELEASE, as_version=4), nbformat.read(SOURCE, as_version=4),
                          SAMPLES["lean"])
    nb.cells.append(nbformat.v4.new_code_cell(
        "import autograder, sys\nprint('package:', autograder.__file__)\n"
        "print('absent:', [m for m in sys.modules if m.split('.')[0] in ('nbgrader', 'ray', 'reference')])"))
    env = {"PYTHONPATH": f"{tmp_path / 'block'}{os.pathsep}{site}", "NBGRADER_EXECUTION": "validate",
           "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "agg"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)          # the kernel inherits this process's environment
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True, shutdown_kernel="immediate",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    verdicts = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in CHECKS:
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            errors = [o.get("evalue", "") for o in cell.outputs if o.output_type == "error"]
            verdicts[grade_id] = "PASS" if f"[PASS] {grade_id}" in text else (text + " ".join(errors))[:300]
    # Hidden test cells are empty in the release: they run without a word, or an error.
    assert verdicts == {n: "" if c.hidden else "PASS" for n, c in CHECKS.items()}
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert f"package: {site}" in last and "absent: []" in last


def test_the_notebook_says_how_to_install_the_package_it_ships_with():
    first = nbformat.read(RELEASE, as_version=4).cells[0].source
    assert f"%pip install {wheel_name()}" in first
    assert "05_feedforward" not in first and ".ipynb)" not in first         # no links to unreleased notebooks
    assert "nbgrader validate" in first and "check_all" in first
