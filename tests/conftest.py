"""Shared fixtures: the real datasets (offline copies when ../shared is beside the checkout),
the repository as an nbgrader course, and the reference solutions' namespaces."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from autograder.common.lean_imports import lean_start

lean_start()      # as the grader's own processes do: nbformat loads in 0.4 s, not 3

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREPARE = os.path.join(os.path.dirname(REPO), "shared", "datasets", "prepare.py")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_OWN_CACHE = [None]


def pytest_configure(config):
    """Tests read real data (the offline copies, laid out once, when they are at hand) and
    retrain into a cache of their own, shared by the whole session."""
    if not os.environ.get("AUTOGRADER_CACHE_DIR"):
        os.environ["AUTOGRADER_CACHE_DIR"] = _OWN_CACHE[0] = tempfile.mkdtemp(prefix="autograder-test-cache-")
    if os.environ.get("AUTOGRADER_DATA_DIR") or not os.path.exists(PREPARE):
        return
    data = os.path.join(REPO, ".data")
    subprocess.run([sys.executable, PREPARE, data], check=True, stdout=subprocess.DEVNULL)
    os.environ["AUTOGRADER_DATA_DIR"] = data


# The longest modules first, longest first: on two workers (scripts/test.sh: a module per
# worker, in this order) the corpus starts at once on one worker and the other takes the rest as
# it comes, so neither is left with a long module at the end. (xdist's default reordering, by
# tests per module, had started the corpus minutes late.)
FIRST = ("tests/hostile/test_corpus.py", "tests/test_second_assignment.py", "tests/test_end_to_end.py",
         "tests/batch/test_grade.py", "tests/hostile/test_limits.py")


def pytest_collection_modifyitems(config, items):
    rank = {module: i for i, module in enumerate(FIRST)}
    items.sort(key=lambda item: (rank.get(item.nodeid.split("::")[0], len(FIRST)), "slow" not in item.keywords))


def pytest_unconfigure(config):
    """The session's retraining cache goes with the session (a cache given by the caller stays)."""
    if _OWN_CACHE[0]:
        shutil.rmtree(_OWN_CACHE[0], ignore_errors=True)


def _keeping_the_assignment():
    from autograder import assignment
    saved = {k: os.environ.get(k) for k in (assignment.SPEC_VARIABLE, assignment.SPEC_PATH_VARIABLE,
                                            assignment.NAME_VARIABLE, assignment.COURSE_VARIABLE)}
    active = dict(assignment._ACTIVE)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    assignment._ACTIVE.clear()
    assignment._ACTIVE.update(active)


@pytest.fixture(autouse=True)
def _assignment_restored():
    """A test that grades another course activates its assignment: the next test starts from
    Module 07's again, as a fresh process would."""
    yield from _keeping_the_assignment()


@pytest.fixture(autouse=True, scope="module")
def _assignment_restored_per_module():
    """The same around a module, whose module-scoped fixtures (a graded class) activate courses too."""
    yield from _keeping_the_assignment()


@pytest.fixture
def data_link(tmp_path, monkeypatch):
    """AUTOGRADER_DATA_DIR set to a link under /tmp (a folder the sandboxes hide) to the real
    data folder; returns the real folder's path."""
    data = os.environ.get("AUTOGRADER_DATA_DIR")
    if not data:
        pytest.skip("no offline datasets")
    link = tmp_path / "data-link"
    os.symlink(os.path.realpath(data), link)
    monkeypatch.setenv("AUTOGRADER_DATA_DIR", str(link))
    return os.path.realpath(data)


@pytest.fixture
def course(tmp_path):
    """A copy of the course directory (source, release, config), as nbgrader sees it."""
    dst = tmp_path / "course"
    dst.mkdir()
    for name in ("source", "release"):
        shutil.copytree(os.path.join(REPO, name), dst / name)
    shutil.copy(os.path.join(REPO, "nbgrader_config.py"), dst / "nbgrader_config.py")
    return dst
