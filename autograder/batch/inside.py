"""Runs inside the sandbox: execute one prepared notebook with nbclient, as nbgrader would.

    python -I -m autograder.batch.inside PREPARED.ipynb EXECUTED.ipynb STATUS.json CELL_TIMEOUT MAX_OUTPUT_KB

Nothing written here is trusted by the grader: the notebook is shown to the instructor, the
status only explains a failure, and the observations are judged outside.
"""
import json
import os
import sys
import time


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


def main(prepared, executed, status_path, cell_timeout, max_output_kb=256):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(prepared, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, startup_timeout=120,
                            resources={"metadata": {"path": os.getcwd()}})
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
    interrupted = [i for i, cell in enumerate(nb.cells, 1) if cell.cell_type == "code" and any(
        out.get("ename") == "KeyboardInterrupt" for out in cell.get("outputs", []))]
    if interrupted and status["state"] == "completed":
        status["message"] = (f"cell {', '.join(map(str, interrupted))} ran longer than {cell_timeout} s "
                             "and was interrupted")
    limit_outputs(nb, max_output_kb)
    nbformat.write(nb, executed)
    with open(status_path, "w") as f:
        json.dump(status, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
