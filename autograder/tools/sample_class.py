"""Sample submissions: the release notebook with its solution cells filled in.

Every sample starts from the reference solutions (the source notebook's solution cells) and
applies a few text edits, each one a mistake students make.  ``expected_lost`` says which
checks a sample must fail; the demo prints it beside the real scores, the tests assert it.
"""
import copy
import dataclasses
import os
import re
from dataclasses import dataclass, field

import nbformat

from ..course.nbgrader_steps import notebook_path



@dataclass(frozen=True)
class Sample:
    description: str
    edits: tuple = ()                   # (solution cell grade_id, old text, new text)
    expected_lost: dict = field(default_factory=dict)   # check name -> points lost
    lean: bool = False                  # the student deleted the module's demonstrations
    tampers: bool = False               # changes a library: flagged for review by the batch grader

    def expected(self, batch=False):
        """{check: points lost}, the same in batch: a notebook that patches a library is flagged
        for review and judged on its effects (only code aimed at the grader itself has its
        observed checks withheld, and no sample does that)."""
        del batch
        return dict(self.expected_lost)


SAMPLES = {
    "reference": Sample("the reference solution"),
    "bn_wrong_side": Sample(
        "BatchNormalization after the ReLU in the 'before activation' model",
        (("ex2_solution", "        layers.Dense(256),\n        layers.BatchNormalization(),\n"
                          "        layers.Activation('relu'),\n",
          "        layers.Dense(256),\n        layers.Activation('relu'),\n"
          "        layers.BatchNormalization(),\n"),),
        {"ex2_bn_before": 3}),
    "missing_l2": Sample(
        "no L2 regularizer on the hidden layers of the CIFAR model",
        (("ex3_solution", "layers.Dense(units, kernel_regularizer=regularizers.l2(1e-4))",
          "layers.Dense(units)"),),
        {"ex3_model": 1}),          # the L2 part of four
    "dropout_after_output": Sample(
        "a Dropout layer after the output layer of the CIFAR model",
        (("ex3_solution", "+ [layers.Dense(10, activation='softmax')],",
          "+ [layers.Dense(10, activation='softmax'), layers.Dropout(0.2)],"),),
        {"ex3_model": 1}),          # the model's shape, one part of four
    "wrong_units": Sample(
        "the BatchNorm-free baseline of Exercise 2 with 512 units instead of 256",
        (("ex2_solution", "        layers.Dense(256, activation='relu'),\n"
                          "        layers.Dense(128, activation='relu'),\n",
          "        layers.Dense(512, activation='relu'),\n"
          "        layers.Dense(128, activation='relu'),\n"),),
        {"ex2_baseline": 2}),
    "secret_bn_baseline": Sample(
        "an 'unregularized' CIFAR baseline that secretly has BatchNormalization",
        (("ex3_solution", "        layers.Dense(1024, activation='relu'),\n",
          "        layers.Dense(1024, activation='relu'),\n        layers.BatchNormalization(),\n"),),
        {"ex3_baseline": 2}),
    "made_up_sweep": Sample(
        "a dropout sweep that trains the models but reports made-up accuracies",
        (("ex1_solution",
          "            'best_val_acc': float(max(history.history['val_accuracy'])),\n"
          "            'final_val_acc': float(history.history['val_accuracy'][-1]),\n",
          "            'best_val_acc': 0.90 - rate / 10,\n"
          "            'final_val_acc': 0.88 - rate / 10,\n"),),
        {"ex1_sweep_honest": 2}),
    "patched_fit": Sample(
        "a weak CIFAR model, and keras.Model.fit patched to report 0.99 validation accuracy",
        (("ex3_solution", "+ block(1024) + block(512) + block(256)", "+ block(16)"),
         ("ex3_solution", "optimizer=keras.optimizers.Adam(schedule)", "optimizer=keras.optimizers.SGD(1e-5)"),
         ("ex3_solution", "                         restore_best_weights=True)\n",
          "                         restore_best_weights=True)\n\n\n"
          "# Training is slow: report what the model will surely reach anyway.\n"
          "def _fast_fit(self, *args, **kwargs):\n"
          "    history = keras.callbacks.History()\n"
          "    history.set_model(self)\n"
          "    history.history = {'loss': [0.1], 'accuracy': [0.99], 'val_loss': [0.1], 'val_accuracy': [0.99]}\n"
          "    return history\n\n\n"
          "keras.Model.fit = _fast_fit\n")),
        {"ex3_accuracy": 4}, tampers=True),
    "lean": Sample("the reference solution, with the module's demonstration cells deleted "
                   "(fast to execute: the batch tests use it)", lean=True),
    "crash_halfway": Sample(
        "a notebook whose Exercise 2 cell crashes before defining its functions",
        # a variable from an earlier draft, used before the first def
        (("ex2_solution", "def create_bn_before_activation():",
          "print(X_train_bn.shape)\n\ndef create_bn_before_activation():"),),
        {"ex2_bn_before": 3, "ex2_bn_after": 3, "ex2_baseline": 2, "ex2_accuracy": 2}),
}

_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


def solution_cells(source_nb):
    """{grade_id: code} of the source notebook's solution cells, markers removed."""
    cells = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cells[meta["grade_id"]] = _MARKER.sub("", cell.source)
    return cells


def apply_edits(code_by_id, sample):
    code = dict(code_by_id)
    for grade_id, old, new in sample.edits:
        if old not in code[grade_id]:
            raise ValueError(f"Sample edit does not apply: {old!r} is not in cell {grade_id}")
        code[grade_id] = code[grade_id].replace(old, new, 1)
    return code


def _without_demonstrations(nb):
    """Keep the module's definitions, drop what trains or plots a demonstration."""
    kept = []
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("ex"):
            trains = ".fit(" in cell.source or "sweep(" in cell.source or "histor" in cell.source
            if trains and "\ndef " in "\n" + cell.source:
                cell.source = cell.source.split("\n\n# ")[0]
            elif trains and "sweep_results =" not in cell.source:    # Exercise 1's sweep stays
                continue
        kept.append(cell)
    nb.cells = kept
    return nb


def build_submission(release_nb, source_nb, sample):
    """The release notebook with its solution cells replaced by the sample's code."""
    code = apply_edits(solution_cells(source_nb), sample)
    nb = copy.deepcopy(release_nb)
    if sample.lean:
        nb = _without_demonstrations(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = code[meta["grade_id"]]
        elif meta.get("solution") and cell.cell_type == "markdown":
            cell.source = f"Answer of sample student: {meta['grade_id']}."
    return nb


def write_samples(course_dir, students=None, *, lean=False, names=None):
    """Write submitted/<student>/regularization/regularization.ipynb for each sample.

    ``lean``: without the module's demonstrations (much faster to execute; same grade).
    ``names``: {sample: student id} to file a sample under another student's name."""
    source = nbformat.read(notebook_path(course_dir, "source"), 4)
    release = nbformat.read(notebook_path(course_dir, "release"), 4)
    written = []
    for student in students or SAMPLES:
        if student not in SAMPLES:
            raise KeyError(f"Unknown sample student {student!r}. Known: {', '.join(SAMPLES)}")
        sample = dataclasses.replace(SAMPLES[student], lean=True) if lean else SAMPLES[student]
        path = notebook_path(course_dir, "submitted", (names or {}).get(student, student))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        nbformat.write(build_submission(release, source, sample), path)
        written.append(path)
    return written


BROKEN = {
    "truncated": ('{"cells": [{"cell_type": "code", "source": "import keras', "not a valid notebook"),
    "empty": ("", "empty file"),
    "other_assignment": (None, "another assignment"),
}


def class_roster(size, seed=0):
    """A realistic class of ``size``: {student: (kind, detail)} where kind is 'sample' (detail:
    a SAMPLES name), 'copy' (detail: the student whose file was copied byte for byte) or
    'broken' (detail: a BROKEN name). About half the class is right, most mistakes are the
    usual ones, one in twelve files is broken, one in eight is a friend's copy."""
    import random
    rng = random.Random(seed)
    mistakes = [name for name in SAMPLES if name not in ("reference", "lean")]
    roster = {}
    for i in range(1, size + 1):
        student = f"s{i:03d}"
        draw = rng.random()
        earlier = [s for s, (kind, _) in roster.items() if kind == "sample"]
        if i % 12 == 0:
            roster[student] = ("broken", sorted(BROKEN)[(i // 12 - 1) % len(BROKEN)])
        elif i % 8 == 0 and earlier:
            roster[student] = ("copy", rng.choice(earlier))
        elif draw < 0.5:
            roster[student] = ("sample", "reference")
        else:
            roster[student] = ("sample", rng.choice(mistakes))
    return roster


def write_class(course_dir, size=24, *, seed=0, lean=False):
    """Write a generated class into submitted/; returns its roster (see ``class_roster``).
    Students with the same sample differ in their written answers, so only copies are
    byte-identical, while their models are the same (one retraining serves them all)."""
    source = nbformat.read(notebook_path(course_dir, "source"), 4)
    release = nbformat.read(notebook_path(course_dir, "release"), 4)
    roster = class_roster(size, seed)
    for student, (kind, detail) in roster.items():
        path = notebook_path(course_dir, "submitted", student)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if kind == "copy":
            with open(notebook_path(course_dir, "submitted", detail), "rb") as f:
                data = f.read()
            with open(path, "wb") as f:
                f.write(data)
        elif kind == "broken":
            text = BROKEN[detail][0]
            if text is None:        # a notebook, but not this assignment's
                text = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hw6')")]))
            with open(path, "w") as f:
                f.write(text)
        else:
            sample = SAMPLES[detail]
            nb = build_submission(release, source, dataclasses.replace(sample, lean=True) if lean else sample)
            for cell in nb.cells:
                if cell.cell_type == "markdown" and cell.source.startswith("Answer of sample student"):
                    cell.source = cell.source.replace("sample student", f"student {student}")
            nbformat.write(nb, path)
    return roster


def expected_lost(roster, checks, batch=False):
    """{student: {check: points lost}} a roster's submissions must get (broken: every check of
    ``checks``, the assignment's)."""
    out = {}
    for student, (kind, detail) in roster.items():
        if kind == "broken":
            out[student] = {name: check.points for name, check in checks.items()}
        else:
            origin = detail if kind == "sample" else roster[detail][1]
            out[student] = SAMPLES[origin].expected(batch)
    return out
