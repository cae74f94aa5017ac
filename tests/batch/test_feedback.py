"""The summary that opens a student's feedback: every check by name, and for a model below its
threshold the grader's own curve with what it suggests."""
import nbformat

from autograder.batch.feedback import SUMMARY_MARK, advice, missed, summary_cell
from tests.batch.test_report import BN, judgement
from tests.helpers import CHECKS


def entry(curve, threshold=0.377, rate=None):
    return {"val_accuracy": curve, "threshold": threshold, "best_val_acc": max(curve),
            "learning_rate": rate, "check": "ex3_accuracy", "label": "create_cifar_model()", "args": []}


def test_advice_says_how_far_off_against_the_reference_and_what_to_try():
    text = advice(entry([0.30, 0.34, 0.33], rate=0.01), [0.30, 0.36, 0.39, 0.41], 4)
    assert text.startswith("When the grader retrained it, your model reached 0.3400 at epoch 2 and "
                           "stopped after 3 epoch(s); the threshold is 0.3770 (0.0370 short).")
    assert "The reference solution reached 0.4100 at epoch 4" in text
    assert "Your learning rate stays at 0.01" in text and "Early stopping ended the training" in text


def test_advice_for_a_slow_learner_and_for_chance():
    assert "still improving when the epoch budget ran out" in advice(entry([0.2, 0.25, 0.3, 0.33]), [], 4)
    assert "close to chance" in advice(entry([0.1, 0.1]), [], 4)


def test_the_summary_names_every_check_and_draws_the_missed_model():
    j = judgement("ann", {"ex2_bn_before": BN.format(1, 256),
                          "ex3_accuracy": "`create_cifar_model()` reached 0.3400 validation accuracy"})
    j["retrained"]["create_cifar_model"] = entry([0.30, 0.34, 0.33])
    j["retrained"]["create_dropout_model"] = dict(entry([0.8, 0.85], threshold=0.8), check="ex1_accuracy")
    assert [b for b, _ in missed(j)] == ["create_cifar_model"]
    cell = summary_cell(j, CHECKS, with_reference=False)
    assert cell.cell_type == "markdown" and SUMMARY_MARK in cell.source
    assert cell.source.count("<code>ex") == len(j["results"])
    assert "&lt;" not in BN and "BatchNormalization comes after the RELU" in cell.source
    assert "Why <code>create_cifar_model()</code> missed its threshold" in cell.source
    assert cell.source.count("data:image/png;base64,") == 1


def test_the_grading_machines_log_lines_leave_the_students_feedback_and_their_own_stay():
    from autograder.course.feedback_filters import without_grader_noise
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import tensorflow as tf")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=(
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796634486.585263       3 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n"
        "E0000 00:00:1796634486.585263       3 cuda_executor.cc:9] failed call to cuInit\n"
        "my own warning\n")),
        nbformat.v4.new_output("stream", name="stderr", text=(
            "/x/joblib/_multiprocessing_helpers.py:44: UserWarning: [Errno 13] Permission denied.  joblib will "
            "operate in serial mode\n  warnings.warn(\"%s.  joblib will operate in serial mode\" % (e,))\n"))]
    nb.cells = [cell]
    without_grader_noise(nb)
    assert [o["text"] for o in nb.cells[0].outputs] == [
        "E0000 00:00:1796634486.585263       3 cuda_executor.cc:9] failed call to cuInit\nmy own warning\n"]
