"""Runs inside the sandbox: execute one prepared notebook with nbclient, as nbgrader would.

    python -I -m autograder.sandbox.inside PREPARED.ipynb CHANNEL_FD CELL_TIMEOUT MAX_OUTPUT_KB

What the grader gets back travels through CHANNEL_FD, a pipe it reads *while* the notebook
runs, one JSON record per line: each observation cell's observation as it arrives, then the
executed notebook and the run's status. No file is left in the scratch folder for the grader
to read later, so nothing the notebook does after an observation (an IPython hook, a process
left running) can rewrite it. The kernel never holds the pipe (it is not inherited), and this
process makes itself non-dumpable so the kernel, running as the same user, cannot reach it
through /proc or ptrace.
"""
import json
import os
import sys
import time

from ..common.lean_imports import GC_THRESHOLDS, lean_start
from ..kernel.channel import OBSERVATION_CELLS_KEY, OBSERVATION_MIME, SKIPPED_CELLS_KEY

# The kernel starts with PYTHONSAFEPATH (no folder of the notebook on sys.path), imports the
# grader, then puts the notebook's folder at the *end* of sys.path: a student's own helper.py
# still imports, but a shipped keras.py, numpy.py or autograder/ cannot shadow the real ones.
# The tamper probe comes first: the originals it keeps are taken before any cell runs.
# keras.datasets' loaders read the grader's offline copy (the sandbox has no network).
# The collector runs less often, as in the grader's own processes (``lean_start``): the
# notebook's `import tensorflow` costs a fifth less, and nothing it computes changes.
KERNEL_PREFLIGHT = ("import gc as _c; _c.set_threshold" + repr(GC_THRESHOLDS) + "; del _c; "
                    "import autograder.kernel.tamper_probe as _p, autograder.kernel.observe as _g, "
                    "autograder.kernel.output_cap as _o, autograder.kernel.offline_datasets as _d, sys as _s; "
                    "_o.install({max_kb}); _d.install(); _s.path.append(''); del _p, _g, _o, _d, _s")


def limit_outputs(nb, max_kb):
    """Replace the outputs of a cell that printed more than ``max_kb`` by a note saying so."""
    import nbformat
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.outputs:
            continue
        size = len(json.dumps(cell.outputs)) // 1024
        if size > max_kb:
            cell.outputs = [nbformat.v4.new_output(
                "stream", name="stdout", text=f"[the grader removed this cell's output: {size} KB, "
                                              f"more than the {max_kb} KB kept per cell]\n")]


def limited_client_class():
    """nbclient's client, keeping at most ``max_output_kb`` of output per cell *while* it runs:
    a cell printing gigabytes must not fill this process's memory before we can cut it."""
    import nbformat
    from nbclient import NotebookClient

    class LimitedClient(NotebookClient):
        max_output_kb = 256
        channel = None                  # callable(record): the observations' way out
        observation_cells = frozenset()
        skipped_cells = frozenset()     # no grade depends on them: left as the student saved them

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if cell_index in self.skipped_cells:
                return cell
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

        def output(self, outs, msg, display_id, cell_index):
            data = msg.get("content", {}).get("data")
            if msg["msg_type"] == "display_data" and isinstance(data, dict) and OBSERVATION_MIME in data:
                return self._observation(outs, data[OBSERVATION_MIME], cell_index)
            sizes, cut = self.__dict__.setdefault("_sizes", {}), self.__dict__.setdefault("_cut", set())
            sizes[cell_index] = sizes.get(cell_index, 0) + len(json.dumps(msg.get("content", {})))
            # An error is always kept: it says why the cell stopped (an interrupt, say).
            if sizes[cell_index] <= self.max_output_kb * 1024 or msg["msg_type"] == "error":
                return super().output(outs, msg, display_id, cell_index)
            if cell_index not in cut:
                cut.add(cell_index)
                outs.append(nbformat.v4.new_output(
                    "stream", name="stdout", text=f"\n[the grader stopped keeping this cell's output "
                                                  f"after {self.max_output_kb} KB]\n"))
            return None

        def _observation(self, outs, payload, cell_index):
            # The first observation of an observation cell counts; anything later in that cell,
            # or in any other cell, is the notebook's doing and is dropped.
            seen = self.__dict__.setdefault("_observed", set())
            if cell_index in self.observation_cells and cell_index not in seen and self.channel:
                seen.add(cell_index)
                self.channel({"type": "Observation", "cell": cell_index, "data": payload})
            return None

        async def _async_handle_timeout(self, timeout, cell=None):
            # Remembered here: a cell flooding its output may never get its interrupt's error
            # message through before the kernel moves on.
            self.__dict__.setdefault("_timed_out", set()).add(id(cell))
            return await super()._async_handle_timeout(timeout, cell)

    return LimitedClient


def _non_dumpable():
    """No process of the sandbox's user (the kernel) may read this one's memory or descriptors."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)    # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def open_channel(fd):
    os.set_inheritable(fd, False)
    stream = os.fdopen(fd, "wb", buffering=0)

    def send(record):
        try:
            stream.write(json.dumps(record).encode("utf-8", "replace") + b"\n")
        except (OSError, ValueError):       # the grader stopped reading: it has what it needs
            pass
    return send, stream


def main(prepared, channel_fd, cell_timeout, max_output_kb=256):
    lean_start()
    import nbformat
    from nbclient.exceptions import DeadKernelError

    _non_dumpable()
    send, stream = open_channel(channel_fd)
    nb = nbformat.read(prepared, as_version=4)
    client_class = limited_client_class()
    client_class.max_output_kb = max_output_kb
    client_class.channel = staticmethod(send)
    client_class.observation_cells = frozenset(nb.metadata.get(OBSERVATION_CELLS_KEY, ()))
    client_class.skipped_cells = frozenset(nb.metadata.get(SKIPPED_CELLS_KEY, ())) - client_class.observation_cells
    # The kernel is killed, not asked to shut down, once the last cell has run: everything the
    # grade reads has arrived by then, and a kernel that imported TensorFlow spends 2-3 s of CPU
    # tearing itself down (module finalization), for nothing anyone reads.
    client = client_class(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                          interrupt_on_timeout=True, startup_timeout=120, shutdown_kernel="immediate",
                          resources={"metadata": {"path": os.getcwd()}},
                          extra_arguments=["--IPKernelApp.exec_lines=" + KERNEL_PREFLIGHT.format(max_kb=max_output_kb)])
    status = {"type": "ExecutionStatus", "state": "completed", "message": ""}
    start = time.monotonic()
    try:
        client.execute()
    except DeadKernelError as exc:
        status.update(state="kernel_died", message=f"the kernel died while running the notebook "
                                                   f"(out of memory, or the code ended the process): {exc}")
    except Exception as exc:  # a kernel that would not start, a broken notebook
        status.update(state="failed", message=f"{type(exc).__name__}: {exc}")
    status["duration_s"] = time.monotonic() - start
    timed_out = client.__dict__.get("_timed_out", set())
    interrupted = [i for i, cell in enumerate(nb.cells, 1) if cell.cell_type == "code" and (id(cell) in timed_out or any(
        out.get("ename") == "KeyboardInterrupt" for out in cell.get("outputs", [])))]
    if interrupted and status["state"] == "completed":
        status["message"] = (f"cell {', '.join(map(str, interrupted))} ran longer than {cell_timeout} s "
                             "and was interrupted")
    limit_outputs(nb, max_output_kb)
    send({"type": "ExecutedNotebook", "notebook": nbformat.writes(nb)})
    send(status)
    stream.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
