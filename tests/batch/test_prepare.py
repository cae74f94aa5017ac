"""The notebook the grader executes (``execute.prepare``): locked cells as the instructor wrote
them, test cells replaced by observations, and the cells no grade depends on listed to be left
as the student saved them. No kernel: milliseconds."""
import copy
import os

import nbformat

from autograder.batch import execute
from autograder.kernel.channel import OBSERVATION_CELLS_KEY, SKIPPED_CELLS_KEY
from autograder.untrusted.metadata import grade_id
from tests.helpers import CHECKS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(REPO, "source", "regularization", "regularization.ipynb")
RELEASE = os.path.join(REPO, "release", "regularization", "regularization.ipynb")


def submission():
    """The release with the reference answers, as a student hands it in (saved outputs kept)."""
    source = {grade_id(c): c.source for c in nbformat.read(SOURCE, 4).cells}
    nb = nbformat.read(RELEASE, 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = source[grade_id(cell)]
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"saved {grade_id(cell)}\n")]
    return nb


def by_id(nb):
    return {grade_id(c): i for i, c in enumerate(nb.cells)}


def test_demonstrations_and_runner_cells_are_skipped_the_answers_and_what_they_need_run():
    release = nbformat.read(RELEASE, 4)
    nb, plan = execute.prepare(submission(), CHECKS, seed=3, release=release)
    ids = by_id(nb)
    run = {grade_id(nb.cells[i]) for i in plan.run}
    assert plan.mode == "needed", plan.reason
    # setup, data, the module's create_dropout_model, the answers, Exercise 1's runner (it sets
    # sweep_results, whose best rate is retrained) and every observation cell.
    assert {"cell-002", "cell-004", "cell-011", "ex1_solution", "cell-026", "ex2_solution",
            "ex3_solution"} <= run
    skipped = {grade_id(nb.cells[i]) for i in plan.skipped}
    assert {"cell-005", "cell-006", "cell-008", "cell-011b", "cell-014", "cell-017", "cell-020",
            "cell-040", "cell-053", "check_all"} <= skipped
    observations = nb.metadata[OBSERVATION_CELLS_KEY]
    assert not set(observations) & set(plan.skipped)
    assert nb.metadata[SKIPPED_CELLS_KEY] == list(plan.skipped)
    # What the runner leaves alone keeps the student's saved outputs.
    assert nb.cells[ids["cell-017"]].outputs[0]["text"] == "saved cell-017\n"


def test_every_cell_runs_when_asked():
    nb, plan = execute.prepare(submission(), CHECKS, release=nbformat.read(RELEASE, 4), mode="all")
    assert plan.mode == "all" and nb.metadata[SKIPPED_CELLS_KEY] == []


def test_locked_cells_run_as_the_instructor_wrote_them():
    release = nbformat.read(RELEASE, 4)
    nb = submission()
    ids = by_id(nb)
    nb.cells[ids["cell-004"]].source = "X_train = X_valid = None   # the data, edited"
    nb.cells[ids["cell-011"]] = nbformat.v4.new_markdown_cell("def create_dropout_model(rate): ...",
                                                              metadata=copy.deepcopy(nb.cells[ids["cell-011"]].metadata))
    nb.cells.insert(5, nbformat.v4.new_code_cell("mine = 1"))          # a student's own cell: kept
    answer = "DROPOUT_RATES = [0.7]\n"
    nb.cells[by_id(nb)["ex1_solution"]].source = answer                  # an answer: kept
    restored = execute.restore_locked(nb, release)
    assert set(restored) == {"cell-004", "cell-011"}
    original = {grade_id(c): c for c in release.cells}
    ids = by_id(nb)
    assert nb.cells[ids["cell-004"]].source == original["cell-004"].source
    assert nb.cells[ids["cell-011"]].cell_type == "code"
    assert nb.cells[ids["cell-011"]].source == original["cell-011"].source
    assert nb.cells[5].source == "mine = 1" and nb.cells[ids["ex1_solution"]].source == answer
    nbformat.validate(nb)


def test_a_notebook_the_graph_cannot_follow_runs_in_full_with_the_reason():
    nb = submission()
    nb.cells.insert(30, nbformat.v4.new_code_cell("globals()['run_dropout_sweep'] = print"))
    nb, plan = execute.prepare(nb, CHECKS, release=nbformat.read(RELEASE, 4))
    assert plan.mode == "all" and "globals()" in plan.reason
    assert nb.metadata[SKIPPED_CELLS_KEY] == []


def test_a_deleted_test_cell_is_observed_at_the_end_with_what_its_check_needs():
    nb = submission()
    nb.cells = [c for c in nb.cells if grade_id(c) != "ex1_rates"]
    _, plan = execute.prepare(copy.deepcopy(nb), CHECKS, release=nbformat.read(RELEASE, 4))
    assert plan.mode == "all" and "globals()" in plan.reason     # check_all(globals()) now comes before it
    nb.cells = [c for c in nb.cells if grade_id(c) != "check_all"]
    nb, plan = execute.prepare(nb, CHECKS, release=nbformat.read(RELEASE, 4))
    assert nb.metadata[OBSERVATION_CELLS_KEY][-1] == len(nb.cells) - 1
    ids = by_id(nb)
    assert ids["ex1_solution"] in plan.run            # DROPOUT_RATES, read only at the end
