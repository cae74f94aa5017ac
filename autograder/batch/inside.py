"""Runs inside the sandbox: execute one prepared notebook with nbclient, as nbgrader would.

    python -I -m autograder.batch.inside PREPARED.ipynb EXECUTED.ipynb STATUS.json CELL_TIMEOUT MAX_OUTPUT_KB

Nothing written here is trusted by the grader: the notebook is shown to the instructor, the
status only explains a failure, and the observations are judged outside.
"""
import json
import os
import sys
import time

# The kernel starts with PYTHONSAFEPATH (no folder of the notebook on sys.path), imports the
# grader, then puts the notebook's folder at the *end* of sys.path: a student's own helper.py
# still imports, but a shipped keras.py, numpy.py or autograder/ cannot shadow the real ones.
KERNEL_PREFLIGHT = ("import autograder.batch.observe as _g, autograder.batch.output_cap as _o, sys as _s; "
                    "_o.install({max_kb}); _s.path.append(''); del _g, _o, _s")


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

        def output(self, outs, msg, display_id, cell_index):
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

        async def _async_handle_timeout(self, timeout, cell=None):
            # Remembered here: a cell flooding its output may never get its interrupt's error
            # message through before the kernel moves on.
            self.__dict__.setdefault("_timed_out", set()).add(id(cell))
            return await super()._async_handle_timeout(timeout, cell)

    return LimitedClient


def main(prepared, executed, status_path, cell_timeout, max_output_kb=256):
    import nbformat
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(prepared, as_version=4)
    client_class = limited_client_class()
    client_class.max_output_kb = max_output_kb
    client = client_class(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, startup_timeout=120,
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
    nbformat.write(nb, executed)
    with open(status_path, "w") as f:
        json.dump(status, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
