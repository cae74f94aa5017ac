"""In the kernel: stop a cell's printed output at its source once it passes the grader's cap.

The grader also cuts outputs as they arrive (``inside.LimitedClient``: the only cut for rich
display outputs), but an endless ``print`` would otherwise fill the kernel's own memory (IPython's
history keeps every write, see ``CappedStream.__setattr__``) and queue gigabytes for the grader to
drain after the cell's interrupt.  A notebook that undoes this only slows or kills its own
grading, which its wall-time and memory limits bound.
"""
import sys


class CappedStream:
    """A text stream that forwards writes until the cell's shared budget is spent."""

    def __init__(self, stream, budget):
        self._stream, self._budget = stream, budget

    def write(self, text):
        budget = self._budget
        if budget["left"] <= 0:
            return len(text)
        kept = text[:budget["left"]]
        budget["left"] -= len(kept)
        self._stream.write(kept)
        if budget["left"] <= 0:
            self._stream.write(f"\n[the grader stopped this cell's printed output after "
                               f"{budget['limit'] // 1024} KB]\n")
        return len(text)

    def __getattr__(self, name):         # flush, fileno, encoding, ... of the kernel's stream
        return getattr(self._stream, name)

    def __setattr__(self, name, value):
        # IPython 9 tees every write of a cell into its history by patching ``stream.write``
        # (``InteractiveShell._tee``), keeping all of it in memory: an endless print then fills
        # the kernel's memory within seconds, whatever reaches the grader.  Not here.
        if name != "write":
            object.__setattr__(self, name, value)


def install(max_kb):
    """Cap stdout and stderr together at three quarters of the ``max_kb`` the grader keeps per
    cell (room for the note and an error), reset as each cell starts."""
    limit = max_kb * 1024 * 3 // 4
    budget = {"limit": limit, "left": limit}
    sys.stdout = CappedStream(sys.stdout, budget)
    sys.stderr = CappedStream(sys.stderr, budget)

    def reset(*_):
        budget["left"] = budget["limit"]

    from IPython import get_ipython
    get_ipython().events.register("pre_run_cell", reset)
