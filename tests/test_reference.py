"""The reference solutions are the source notebook's solution cells, and pass every check."""
import inspect
import re

import nbformat
import pytest

import reference.exercise1
import reference.exercise2
import reference.exercise3
import reference.module_code
from autograder.checks import Subject

from tests.helpers import CHECKS, SOURCE, run_sweep

MODULES = {1: reference.exercise1, 2: reference.exercise2, 3: reference.exercise3}


def _solution_cells():
    nb = nbformat.read(SOURCE, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}, nb


@pytest.mark.parametrize("exercise", [1, 2, 3])
def test_reference_module_holds_the_notebook_solution_cell(exercise):
    cells, _ = _solution_cells()
    text = inspect.getsource(MODULES[exercise])
    marker = re.search(r"# --- solution cell (\w+) ---\n", text)
    assert marker and marker.group(1) == f"ex{exercise}_solution"
    assert text[marker.end():].strip("\n") == cells[f"ex{exercise}_solution"].strip("\n"), (
        "reference/ and the source notebook's solution cell have drifted apart")


def test_module_builder_is_the_notebooks():
    _, nb = _solution_cells()
    code = inspect.getsource(reference.module_code.create_dropout_model)
    assert any(code.strip() in cell.source for cell in nb.cells if cell.cell_type == "code")


@pytest.mark.parametrize("exercise", [1, 2, 3])
def test_reference_passes_every_check(exercise):
    namespace = vars(MODULES[exercise])     # the module's own globals, as a notebook's
    if exercise == 1:
        run_sweep(namespace)        # the notebook's sweep cell: Exercise 1's accuracy check needs it
    try:
        subject = Subject(namespace)
        for check in CHECKS.values():
            if check.exercise == exercise:
                result = check.run(subject)
                assert result.passed and result.points == check.points, result.summary()
    finally:
        namespace.pop("sweep_results", None)
