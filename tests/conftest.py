"""Shared fixtures: the real datasets (offline copies when ../shared is beside the checkout),
the repository as an nbgrader course, and the reference solutions' namespaces."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREPARE = os.path.join(os.path.dirname(REPO), "shared", "datasets", "prepare.py")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_configure(config):
    """Tests read real data (the offline copies, laid out once, when they are at hand) and
    retrain into a cache of their own, shared by the whole session."""
    if not os.environ.get("AUTOGRADER_CACHE_DIR"):
        os.environ["AUTOGRADER_CACHE_DIR"] = tempfile.mkdtemp(prefix="autograder-test-cache-")
    if os.environ.get("AUTOGRADER_DATA_DIR") or not os.path.exists(PREPARE):
        return
    data = os.path.join(REPO, ".data")
    subprocess.run([sys.executable, PREPARE, data], check=True, stdout=subprocess.DEVNULL)
    os.environ["AUTOGRADER_DATA_DIR"] = data


@pytest.fixture
def course(tmp_path):
    """A copy of the course directory (source, release, config), as nbgrader sees it."""
    dst = tmp_path / "course"
    dst.mkdir()
    for name in ("source", "release"):
        shutil.copytree(os.path.join(REPO, name), dst / name)
    shutil.copy(os.path.join(REPO, "nbgrader_config.py"), dst / "nbgrader_config.py")
    return dst
