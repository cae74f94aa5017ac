"""Stage 3: record a judgement in nbgrader's gradebook, and write the student's feedback.

The judged notebook (the executed one, its test cells carrying the judge's verdicts as
outputs) goes through nbgrader's own ``autograde``, minus execution and output clearing, so
the gradebook, formgrader, ``nbgrader export`` and ``generate_feedback`` work as usual.
"""
import copy
import hashlib
import json
import os
import shutil
import warnings

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, DeduplicateIds, LimitOutput, OverwriteCells, OverwriteKernelspec,
                                    SaveAutoGrades)

from ..assignment import current
from ..checks.result import CheckResult
from ..course.feedback_filters import FeedbackExporter, inert_cells, seal_feedback, without_grader_noise
from ..course.lms import sync_student
from ..course.nbgrader_steps import notebook_path, open_gradebook, stamp_in_process
from ..untrusted.metadata import grade_id as grade_id_of
from .execute import NEUTRALIZED, OBSERVE_PREFIX, SubmissionUnreadable, read_submission
from .feedback import summary_cell
from ..course_config import load_config
from .timestamps import read_timestamp

JUDGED_DIR = os.path.join(".autograder", "judged")


class RecordError(RuntimeError):
    pass


CONTENT_ERRORS = (RecordError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError)


def _verdict_outputs(result):
    result = CheckResult.from_dict(result)
    if result.passed:
        return [nbformat.v4.new_output("stream", name="stdout", text=result.summary() + "\n")]
    if result.points > 0:        # partial credit: nbgrader reads a test cell's numeric value
        return [nbformat.v4.new_output("stream", name="stdout", text=result.summary() + "\n"),
                nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(result.points))},
                                       execution_count=None)]
    return [nbformat.v4.new_output("error", ename="CheckFailed", evalue=result.message,
                                   traceback=[f"CheckFailed: {result.message}"])]


def _keep_release_ids(nb, release):
    """nbgrader metadata only on cells whose id the release has, each id once: a student's
    extra or duplicated ids would make nbgrader refuse the whole notebook."""
    known, seen = {grade_id_of(c) for c in release.cells} - {None}, set()
    for cell in nb.cells:
        grade_id = grade_id_of(cell)
        if "nbgrader" in cell.metadata and (grade_id not in known or grade_id in seen):
            del cell.metadata["nbgrader"]
        seen.add(grade_id)
    return nb


def judged_notebook(course_dir, student, judgement, workdir, checks, blank=False):
    """The notebook nbgrader records: executed if it ran, else as submitted, else the blank
    release (so that even an unreadable file gets its zeros and reasons recorded); ``checks``:
    the assignment's."""
    release = nbformat.read(notebook_path(course_dir, "release"), as_version=4)
    nb = None
    paths = (os.path.join(workdir, "executed.ipynb"), notebook_path(course_dir, "submitted", student))
    for path in () if blank else paths:
        try:
            nb = _keep_release_ids(read_submission(path, checks, course_dir), release)
            break
        except SubmissionUnreadable:
            continue
    if nb is None:
        nb = copy.deepcopy(release)
    # Observation cells appended for deleted test cells: nbgrader gets the release's cells back.
    nb.cells = [c for c in nb.cells if grade_id_of(c)
                or not c.source.startswith(OBSERVE_PREFIX)]
    by_name = {r["name"]: r for r in judgement["results"]}
    present = set()
    for cell in nb.cells:
        grade_id = grade_id_of(cell)
        if grade_id in by_name and cell.cell_type == "code":
            present.add(grade_id)
            cell.outputs = _verdict_outputs(by_name[grade_id])
            cell.execution_count = None
            if cell.source.startswith(OBSERVE_PREFIX):
                cell.source = NEUTRALIZED   # nbgrader restores the test's source from the gradebook
    missing = [n for n in by_name if n not in present]
    if missing:   # deleted test cells come back from the release, verdicts and all
        for cell in release.cells:
            if grade_id_of(cell) in missing:
                cell = copy.deepcopy(cell)
                cell.outputs = _verdict_outputs(by_name[cell.metadata["nbgrader"]["grade_id"]])
                nb.cells.append(cell)
    without_grader_noise(nb)                        # the grading machine's log lines are not the student's
    inert_cells(nb)                                 # the student's HTML is shown, never run
    nb.cells.insert(0, summary_cell(judgement, checks))     # the feedback opens with the summary
    return nb


def _api(course_dir):
    config = load_config(course_dir)
    config.CourseDirectory.root = course_dir
    config.CourseDirectory.submitted_directory = JUDGED_DIR
    # Deleted test cells were put back above, with their verdicts. (nbgrader's own
    # OverwriteCells.add_missing_cells would re-add them without outputs, i.e. as passed, and
    # fails with a KeyError when the locked cell before a missing one is missing too.)
    config.Autograde.sanitize_preprocessors = [DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                               CheckCellMetadata]
    config.Autograde.autograde_preprocessors = [ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                                AssignLatePenalties, CheckCellMetadata]
    config.GenerateFeedback.exporter_class = FeedbackExporter
    coursedir = CourseDirectory(config=config)
    stamp_in_process()          # nbgrader's autograde creates the gradebook of a new course
    return NbGraderAPI(coursedir=coursedir, config=config)


def record(course_dir, student, judgement, workdir, checks, feedback=True):
    """Record one judgement (of ``checks``, the assignment's); returns the path of the student's
    feedback. When nbgrader refuses the student's notebook, the verdicts are recorded on the
    blank release instead: the grade and its reasons are the same, only the student's own cells
    are missing."""
    try:
        return _record(course_dir, student, judgement, workdir, checks, feedback, blank=False)
    except CONTENT_ERRORS as exc:
        # What the student's notebook holds broke nbgrader or nbconvert (a machine's fault is an
        # OSError or the gradebook's own error, and is not caught here): their verdicts still count.
        why = str(exc) if isinstance(exc, RecordError) else f"{type(exc).__name__}: {exc}"
        judgement = dict(judgement, record_note=f"recorded on the blank notebook: {why[-300:]}")
        return _record(course_dir, student, judgement, workdir, checks, feedback, blank=True)


def _cell_digests(nb):
    """{grade_id: digest of its source} of a notebook's graded cells: what a hand grade judged."""
    return {grade_id_of(c): hashlib.sha256(c.source.encode()).hexdigest() for c in nb.cells if grade_id_of(c)}


def _hand_graded(course_dir, student):
    """{grade_id: (needs_manual_grade, auto_score)} of the student's grades a person scored."""
    db = os.path.join(course_dir, "gradebook.db")
    if not os.path.exists(db):
        return {}
    with open_gradebook(course_dir) as gb:
        try:
            submission = gb.find_submission(current().name, student)
        except MissingEntry:
            return {}
        return {g.name: (g.needs_manual_grade, g.auto_score) for n in submission.notebooks for g in n.grades
                if g.manual_score is not None}


def _keep_hand_grading(course_dir, student, before, digests_before, digests_now):
    """nbgrader's autograde marks every hand-scored cell "needs manual grade" again. A grade
    whose cell is what the person graded (its source unchanged, its automatic score unchanged)
    keeps their verdict; a changed one is left for them to review, as nbgrader intends."""
    keep = [gid for gid, (needed, _) in before.items()
            if not needed and digests_before.get(gid) is not None and digests_before.get(gid) == digests_now.get(gid)]
    if not keep:
        return
    with open_gradebook(course_dir) as gb:
        for gid in keep:
            grade = gb.find_grade(gid, current().name, current().name, student)
            if grade.auto_score == before[gid][1]:
                grade.needs_manual_grade = False
        gb.db.commit()


def _record(course_dir, student, judgement, workdir, checks, feedback, blank):
    nb = judged_notebook(course_dir, student, judgement, workdir, checks, blank=blank)
    target = os.path.join(course_dir, JUDGED_DIR, student, current().name)
    digests_path = os.path.join(course_dir, JUDGED_DIR, student, "cells.json")
    try:
        with open(digests_path) as f:
            digests_before = json.load(f)
    except (OSError, ValueError):
        digests_before = {}
    digests_now = _cell_digests(nb)
    hand = _hand_graded(course_dir, student)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    nbformat.write(nb, os.path.join(target, f"{current().name}.ipynb"))
    stamp, _ = read_timestamp(os.path.join(course_dir, "submitted", student, current().name))
    if stamp:
        with open(os.path.join(target, "timestamp.txt"), "w") as f:
            f.write(stamp)
    api = _api(course_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # SQLAlchemy's autoflush notes from inside nbgrader
        outcome = api.autograde(current().name, student, force=True, create=True)
    if not outcome.get("success"):
        raise RecordError(f"nbgrader could not record {student}: {outcome.get('error') or outcome.get('log')}")
    _keep_hand_grading(course_dir, student, hand, digests_before, digests_now)
    with open_gradebook(course_dir) as gb:
        sync_student(course_dir, student, gb)
    with open(digests_path, "w") as f:
        json.dump(digests_now, f)
    if feedback:
        outcome = api.generate_feedback(current().name, student, force=True)
        if not outcome.get("success"):
            raise RecordError(f"nbgrader could not write the feedback of {student}: "
                              f"{outcome.get('error') or outcome.get('log')}")
        seal_feedback(course_dir, student)
    return current().feedback_path(course_dir, student)
