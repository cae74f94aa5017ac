"""Tampering is found by reading the submission: the samples, and the tricks students try."""
import nbformat
import pytest

from autograder.batch.suspicious import scan
from autograder.tools.sample_class import SAMPLES, build_submission
from tests.conftest import REPO


@pytest.fixture(scope="module")
def notebooks():
    source = nbformat.read(f"{REPO}/source/regularization/regularization.ipynb", 4)
    release = nbformat.read(f"{REPO}/release/regularization/regularization.ipynb", 4)
    return {name: build_submission(release, source, sample) for name, sample in SAMPLES.items()}


def test_honest_samples_are_not_flagged(notebooks):
    for name, nb in notebooks.items():
        if name != "patched_fit":
            assert scan(nb) == [], name


def test_a_patched_fit_is_flagged_with_its_line(notebooks):
    flags = scan(notebooks["patched_fit"])
    assert [f["code"] for f in flags] == ["keras.Model.fit = _fast_fit"]
    assert "belongs to a library" in flags[0]["why"]


@pytest.mark.parametrize("code, why", [
    ("import autograder.checks.registry as r\nr.Check.run = lambda self, s: None", "grader's internals"),
    ("import builtins\nbuiltins.AssertionError = Exception", "`builtins.AssertionError`"),
    ("get_ipython().set_custom_exc((Exception,), lambda *a: None)", "set_custom_exc"),
    ("import os\nos._exit(0)", "os._exit"),
    ("import sys\nsys.modules['keras'] = None", "`sys.modules['keras']`"),
    ("import numpy as np\nnp.mean = lambda *a, **k: 0.99", "`np.mean`"),
    ("exec('import keras; keras.Model.fit = None')", "exec"),
    ("import keras\nsetattr(keras.Model, 'fit', None)", "setattr"),
])
def test_tampering_tricks_are_flagged(code, why):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    assert any(why in f["why"] for f in scan(nb)), scan(nb)


def test_display_settings_are_notices_and_tampering_withholds():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os\nimport matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (8, 4)\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\nget_ipython().showtraceback = print")])
    flags = scan(nb)
    assert [f["severity"] for f in flags] == ["notice", "notice", "tampering"]
    assert "showtraceback" in flags[2]["why"]


def test_files_named_like_installed_modules_are_noticed(tmp_path):
    from autograder.batch.suspicious import scan_folder
    for name in ("keras.py", "helper.py", "regularization.ipynb"):
        (tmp_path / name).write_text("")
    (tmp_path / "autograder").mkdir()
    flags = scan_folder(str(tmp_path), "regularization.ipynb")
    assert [f["code"] for f in flags] == ["autograder", "keras.py"]
    assert all(f["severity"] == "notice" for f in flags)


def test_only_tampering_aimed_at_the_grader_withholds_the_observed_checks():
    from autograder.batch.judge import withheld_reason
    from autograder.batch.suspicious import against_grader
    library = scan(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import keras\nkeras.Model.fit = lambda *a, **k: None")]))
    grader = scan(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import autograder.checks.registry as r\nr.Check.run = print")]))
    assert library and against_grader(library) == [] and withheld_reason(library) == ""
    assert against_grader(grader) and withheld_reason(grader).startswith("withheld for review")


@pytest.mark.parametrize("code, line, text", [
    ("%%time\nimport keras\nkeras.Model.fit = None", 3, "keras.Model.fit = None"),
    ("%%capture out\nimport numpy as np\n\nnp.mean = len", 4, "np.mean = len"),
    ("import keras\n%time keras.Model.evaluate = None", 2, "keras.Model.evaluate = None"),
    ("import numpy as np\n!echo hi\nnp.max = min", 3, "np.max = min"),
])
def test_code_a_magic_runs_is_read_as_the_kernel_runs_it(code, line, text):
    """A cell magic's body is a string in the cell's Python: it is read too, at its own line."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    flags = scan(nb)
    assert [(f["line"], f["code"]) for f in flags] == [(line, text)], flags
    assert "belongs to a library" in flags[0]["why"]


def test_the_scan_and_the_cell_analysis_read_each_cell_once():
    """One reading per cell text, shared: the scan reads the submitted notebook, the analysis
    the prepared one, whose solution cells are the same text."""
    from autograder.batch import cell_code, needed
    cells = ["import numpy as np", "x = np.arange(3)", "y = x + 1", "x = np.arange(3)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    cell_code._kept.cache_clear()
    scan(nb)
    needed.analyze(nb)
    info = cell_code._kept.cache_info()
    assert (info.misses, info.hits) == (3, 5), info
