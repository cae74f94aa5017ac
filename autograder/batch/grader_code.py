"""What the grader's own code adds to the keys of what a batch stores, so an upgrade changes
grades where it should: an execution is reused only when the code that runs and observes a
notebook is the same (``execution_code``), a judgement only when the whole grader is
(``judging_code``: judging a class again takes seconds). Each is the grader's version and a
digest of its Python sources, read once per process.
"""
import functools
import hashlib
import os

from .. import __version__

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What decides an execution's record: the kernel's side, the sandbox, the checks' observations,
# the cell plan, the code scan and how the sandbox's output is read back.
EXECUTION_PARTS = ("kernel", "sandbox", "checks", "batch/execute.py", "batch/needed.py", "untrusted/sandbox_output.py",
                   "batch/results.py", "batch/suspicious.py", "batch/timestamps.py", "untrusted/files.py",
                   "untrusted/metadata.py", "model_description.py", "data.py", "budget.py", "notebook.py",
                   "common/seeding.py", "assignment.py", "module07.py")


def _sources(parts):
    for part in parts:
        path = os.path.join(PACKAGE_DIR, part)
        if os.path.isfile(path):
            yield part
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                if name.endswith(".py"):
                    yield os.path.relpath(os.path.join(root, name), PACKAGE_DIR)


def _digest(parts):
    h = hashlib.sha256(__version__.encode())
    for rel in sorted(set(_sources(parts))):
        with open(os.path.join(PACKAGE_DIR, rel), "rb") as f:
            content = hashlib.sha256(f.read()).hexdigest()
        h.update(f"\0{rel}\0{content}".encode())
    return f"{__version__}+{h.hexdigest()[:16]}"


@functools.lru_cache(maxsize=None)
def execution_code():
    return _digest(EXECUTION_PARTS)


@functools.lru_cache(maxsize=None)
def judging_code():
    return _digest(["."])
