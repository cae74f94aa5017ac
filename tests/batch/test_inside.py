"""What the sandbox hands back is bounded: a cell's flood of output becomes one line."""
import nbformat

from autograder.sandbox.inside import limit_outputs


def test_a_flood_of_output_is_replaced_by_a_note():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('x' * 10**6)"),
                                         nbformat.v4.new_code_cell("print('ok')")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 10**6)]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok\n")]
    limit_outputs(nb, 256)
    assert "removed this cell's output" in nb.cells[0].outputs[0].text
    assert "976 KB" in nb.cells[0].outputs[0].text
    assert nb.cells[1].outputs[0].text == "ok\n"
