"""``autograder``: the command line.

    autograder demo      generate the release, write the sample class, grade it in batch
                         (sandboxed, in parallel) and print the per-check scores
    autograder grade     grade every submission in submitted/ (or a folder/zip of notebooks);
                         --student ID regrades one
    autograder release   generate the student notebook (nbgrader) and the student package beside it
    autograder gradescope-bundle  write autograder.zip (setup.sh, run_autograder) for Gradescope
    autograder samples   write the sample submissions into submitted/
    autograder scores    print the per-check scores found in the gradebook
    autograder collect   place LMS-downloaded notebooks (folder or zip) into submitted/
    autograder export    write grades.csv (one row per student, one column per check), or
                         --format csv|canvas|moodle: totals with manual points and late penalties
    autograder feedback  after manual grading: regenerate the feedback, zipped for the LMS
    autograder calibrate derive accuracy thresholds from the reference solutions
    autograder cache     show or clear the retraining cache
    autograder bench     measure the retraining overhead (JSON)
    autograder bench-batch  batch grading against serial nbgrader on a generated class (JSON)
    autograder bench-margins  Exercise 3's reference in allowed variants against the bar (JSON)

User errors exit with code 2 and one line, not a traceback.
"""
import builtins
import argparse
import os
import sys
import time

from .common.lean_imports import lean_start
from .common.terminal import one_line, quiet_native_import

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130          # as a shell reports a command ended by Ctrl-C
# Commands that load TensorFlow in this process (calibration, the benchmarks, the demo): it is
# loaded first with its C++ start-up lines kept off the terminal. `grade` and `feedback` load it
# the same way after their refusals (10 s of CPU here), so a refusal is said at once.
NATIVE_LOGGING_COMMANDS = ("demo", "calibrate", "bench", "bench-batch", "bench-margins")


def _course_dir(path):
    """The course directory, its assignment (``nbgrader_config.py``) put in force."""
    from .assignment import SpecError, activate
    from .retrain.settings import SettingsError, apply
    course = os.path.abspath(path)
    if not os.path.isfile(os.path.join(course, "nbgrader_config.py")):
        raise UserError(f"{course} is not the course directory (no nbgrader_config.py): "
                        "run from the repository root or pass --course DIR")
    _refuse_moved_names(course)
    try:
        activate(course)
        apply(course)       # a batch says what the environment overrides, with its profile
    except (SpecError, SettingsError) as exc:
        raise UserError(f"{course}/nbgrader_config.py: {exc}") from None
    return course


class UserError(Exception):
    pass


# Modules a course's nbgrader_config.py may name that have moved: nbgrader would fail on them later,
# with a traceback of its own.
MOVED = {"autograder.feedback_filters": ("autograder.course.feedback_filters", "c.GenerateFeedback.preprocessors")}


def _refuse_moved_names(course):
    """A UserError when ``course``'s nbgrader_config.py names a module under the path it left."""
    with open(os.path.join(course, "nbgrader_config.py"), encoding="utf-8", errors="replace") as f:
        text = f.read()
    for old, (new, where) in MOVED.items():
        if old in text:
            raise UserError(f"{course}/nbgrader_config.py names {old}, which moved: write {new} instead (in {where})")


def _graded_course_dir(path):
    course = _course_dir(path)
    if not os.path.exists(os.path.join(course, "gradebook.db")):
        raise UserError(f"no gradebook in {course}: grade the class first (`autograder grade`)")
    return course


def score_table(rows, checks=False, totals=None):
    """(header, body) of the scores: automatic points per exercise (every check with
    ``checks``), and with ``totals`` (``lms.totals``) the written, late and total columns
    nbgrader's gradebook adds; about 80 columns wide unless ``checks``."""
    from .assignment import current
    from .checks import checks_of
    from .course.export import check_names
    in_force = checks_of(current())     # the course's, which ``_course_dir`` activated
    names = check_names(in_force)
    if checks:
        groups = [(n, [n]) for n in names]
    else:
        exercises = sorted({in_force[n].exercise for n in names})
        groups = [(f"ex{k}", [n for n in names if in_force[n].exercise == k]) for k in exercises]
    header = ["student", "auto", *(label for label, _ in groups)]
    if totals is not None:
        header += ["written", "late", "total"]
    body = []
    for row in rows:
        cells = []
        for _, members in groups:
            got = sum(row.scores.get(n, (0.0, in_force[n].points))[0] for n in members)
            cells.append(f"{got:g}/{sum(in_force[n].points for n in members):g}")
        line = [row.student, f"{row.auto_total:g}/{row.auto_possible:g}", *cells]
        if totals is not None:
            t = totals.get(row.student)
            line += ([f"{t.written:g}" + (" (to grade)" if t.needs_manual_grade else ""),
                      f"-{t.late_penalty:g}" if t.late_penalty else "", f"{t.total:g}/{t.possible:g}"]
                     if t else ["", "", ""])
        body.append(line)
    return header, body


def print_scores(rows, expected=None, checks=False, totals=None):
    from .common.terminal import console, inert, table
    header, body = score_table(rows, checks, totals)
    out = console(sys.stdout, wide=checks)
    out.print(table(None, header, body, right=tuple(header[1:])))
    print()
    for row in rows:
        for gid, lost in row.lost().items():
            print(inert(f"{row.student}: -{lost:g} {gid}: {row.messages.get(gid, '(no message)')[:300]}"))
    if expected is not None:
        mismatched = [r.student for r in rows if r.lost() != expected.get(r.student)]
        print()
        print("All samples lost exactly the expected points." if not mismatched else
              f"Samples whose points differ from what they should lose: {', '.join(mismatched)}")
        return not mismatched
    return True


def _grade(course, args):
    from .batch import grade
    from .sandbox.bwrap import SandboxUnavailable
    try:
        return grade.main(course_dir=course, sandboxed=not args.no_sandbox, workers=args.workers,
                          ray_address=args.ray, feedback=True, exports=True,
                          students=getattr(args, "student", None), force=getattr(args, "force", False))
    except (grade.BatchError, SandboxUnavailable) as exc:
        raise UserError(str(exc)) from exc


def print_summary(summary):
    from .common.terminal import console, inert, table
    print = _inert_print(inert)
    r, t, e = summary["retraining"], summary["timings"], summary.get("executions") or {}
    print(f"Graded {summary['students']} submissions in {summary['wall_s']:.0f} s "
          f"(sandbox {'on' if summary['sandboxed'] else 'OFF'}, {summary['workers']} workers"
          f"{', on Ray' if summary['ray'] else ''}; {summary.get('profile', 'quick')} profile, "
          f"{summary.get('execute', 'all')} cells): "
          f"execute {t['execute_s']:.0f} s, retrain {t['retrain_s']:.0f} s, judge {t['judge_s']:.0f} s, "
          f"record {t['record_s']:.0f} s.")
    stats = summary.get("class") or {}
    rows = [["execute", f"{t['execute_s']:.0f} s",
             f"{e.get('run', 0)} run, {e.get('reused', 0)} identical copies, {e.get('resumed', 0)} from the journal"],
            ["retrain", f"{t['retrain_s']:.0f} s",
             f"{r['models']} model checks, {r['distinct']} distinct models, {r['trained']} trained now"],
            ["judge", f"{t['judge_s']:.0f} s", ""], ["record", f"{t['record_s']:.0f} s", ""]]
    if stats.get("graded"):
        rows.append(["class", "", f"mean {stats['mean']:.1f}, median {stats['median']:g} of "
                                  f"{summary['possible']:g}; {stats['graded']} graded"])
    console(sys.stdout, wide=True).print(table(None, ["stage", "time", ""], rows, right=("time",)))
    print(f"Retraining: {r['models']} model checks, {r['distinct']} distinct models, "
          f"{r['trained']} trained now (the rest from the cache).")
    mistakes = [m for m in summary.get("common_mistakes") or [] if m["count"] > 1][:5]
    if mistakes:
        console(sys.stdout, wide=True).print(table(
            "Most common mistakes (all of them: the report)", ["students", "check", "mistake"],
            [[m["count"], m["check"], m["pattern"][:160]] for m in mistakes], right=("students",)))
    for student, reason in sorted(summary["failed"].items()):
        print(f"Failed to run: {student}: {one_line(reason)}")
    for student, reason in sorted({**summary.get("grader_faults", {}), **summary.get("not_recorded", {})}.items()):
        print(f"NOT GRADED (the grading machine failed; run `autograder grade` again): {student}: {one_line(reason)}")
    for student, flags in sorted(summary.get("flagged", {}).items()):
        print(f"Flagged for review: {student}: {one_line(flags[0])}" + (f" (+{len(flags) - 1} more)" if len(flags) > 1 else ""))
    identical = summary.get("identical") or {}
    for group in identical.get("identical_notebooks") or []:
        print(f"Identical notebooks (reported, grades unchanged): {', '.join(group)}")
    for group in identical.get("identical_cifar_models") or []:
        print(f"The same Exercise 3 model (reported, grades unchanged): {', '.join(group)}")
    if identical.get("unchanged_release"):
        print(f"Handed in the release notebook unchanged: {', '.join(identical['unchanged_release'])}")
    for student, content_hash in sorted(summary.get("withheld", {}).items()):
        print(f"Withheld until reviewed: {student}'s in-kernel checks; to accept after review: "
              f"c.Batch.reviewed = {{{student!r}: {str(content_hash)[:12]!r}}} in nbgrader_config.py")
    integrity = summary["integrity"]
    if integrity["ok"]:
        print("Integrity: source/, release/, submitted/, the reference, the cached results, the grader's code and its environment are unchanged.")
    else:
        print(f"INTEGRITY CHECK FAILED: changed {integrity['changed']}, removed {integrity['removed']}, "
              f"added {integrity['added']}")
    for name, path in (summary.get("outputs") or {}).items():
        print(f"{name}: {path}")


def _inert_print(inert):
    def safe(*parts, **kw):
        builtins.print(*(inert(p) for p in parts), **kw)
    return safe


def cmd_demo(args):
    from .course import nbgrader_steps as steps
    from .course.gradebook import read_scores
    from .tools.sample_class import SAMPLES, write_samples
    course = _course_dir(args.course)
    students = args.student or list(SAMPLES)
    start = time.perf_counter()
    print("Generating the release with nbgrader generate_assignment ...", flush=True)
    steps.generate_assignment(course)
    write_samples(course, students)
    if args.nbgrader:
        for i, student in enumerate(students, 1):
            print(f"[{i}/{len(students)}] nbgrader autograde {student} ...", flush=True)
            steps.autograde(course, student)
        print("Generating feedback ...", flush=True)
        steps.generate_feedback(course)
        print(f"Graded {len(students)} submissions in {time.perf_counter() - start:.0f} s.\n")
    else:
        print(f"Grading {len(students)} sample submissions in batch ...", flush=True)
        summary = _grade(course, args)
    expected = {s: SAMPLES[s].expected(batch=not args.nbgrader) for s in students}
    rows = read_scores(course, students)
    print()
    ok = print_scores(rows, expected, checks=args.checks)
    print()
    if args.nbgrader:
        from .assignment import current
        from .checks import checks_of
        from .course.export import write_grades_csv
        grades = write_grades_csv(rows, os.path.join(course, 'exports', 'grades.csv'), checks_of(current()))
        print(f"Grades: {grades}")
    else:
        print_summary(summary)
    print(f"Feedback: {os.path.join(course, 'feedback')}/<student>/regularization/regularization.html")
    return 0 if ok else 1


def cmd_grade(args):
    from .assignment import current
    course = _course_dir(args.course)
    if args.source and not os.path.lexists(args.source):
        # nbgrader's habit: `grade ASSIGNMENT`; this course grades one assignment.
        if args.source != current().name:
            raise UserError(f"{args.source!r} is neither a folder or zip of notebooks nor this course's "
                            f"assignment ('{current().name}'): `autograder grade` grades submitted/, "
                            "`autograder grade DOWNLOAD.zip` collects an LMS download first")
        args.source = None
    with course_lock(course):
        if args.source:
            cmd_collect(argparse.Namespace(source=args.source, course=course, replace=args.replace,
                                           roster=args.roster, timezone=args.timezone))
        from .batch.grade import BatchError, discover
        try:
            discover(course)
        except BatchError as exc:
            raise UserError(str(exc)) from exc
        _require_assignment(course)
        try:
            summary = _grade(course, args)
        except KeyboardInterrupt:
            print(f"\nautograder: interrupted: {_journaled(course)} submission(s) graded so far are kept; "
                  "run `autograder grade` again to resume where it stopped", file=sys.stderr)
            return EXIT_INTERRUPTED
    from .course.gradebook import read_scores      # nbgrader's: seconds a refusal above does not pay
    print()
    print_scores(read_scores(course, sorted(summary["scores"])), checks=args.checks)
    print()
    print_summary(summary)
    return 0


class course_lock:
    """One `autograder grade` per course at a time: a lock file naming the running pid (the
    lock itself is the kernel's, released when the process ends however it ends)."""

    def __init__(self, course):
        self.path = os.path.join(course, ".autograder", "grade.lock")
        self.fd = None

    def __enter__(self):
        import fcntl
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise UserError(f"another `autograder grade` (pid {holder}) is grading this course; wait for "
                            "it to finish, or stop it (what it graded is kept) and run again") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
        return False


def _journaled(course):
    """How many students the batch journal holds a judgement of."""
    root = os.path.join(course, ".autograder", "batch")
    try:
        return sum(os.path.exists(os.path.join(root, s, "judgement.json")) for s in os.listdir(root))
    except OSError:
        return 0


def _require_assignment(course):
    from nbgrader.api import MissingEntry
    from .assignment import current
    from .course.nbgrader_steps import open_gradebook
    name = current().name
    db = os.path.join(course, "gradebook.db")
    hint = (f"the gradebook does not know '{name}' yet: run `autograder release` first (it "
            "generates the assignment in the gradebook and the student version)")
    if not os.path.exists(db):      # opening it would create an empty one
        raise UserError(hint)
    try:
        with open_gradebook(course) as gb:
            gb.find_assignment(name)
    except MissingEntry:
        raise UserError(hint) from None


def cmd_release(args):
    from .course import nbgrader_steps as steps
    from .assignment import current
    from .instructor.student_package import build
    course = _course_dir(args.course)
    steps.generate_assignment(course)
    name = current().name
    folder = os.path.join(course, "release", name)
    print(f"release notebook: {os.path.join(folder, name + '.ipynb')}")
    if current().student_package:
        print(f"student package:  {build(folder)}  (the notebook's first cell says how to install it)")
    return 0


def cmd_gradescope_bundle(args):
    from .instructor.gradescope import bundle
    course = _course_dir(args.course)
    out = args.out or os.path.join(course, "exports", "autograder.zip")
    try:
        path = bundle(out, course, datasets=args.datasets)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(f"Gradescope autograder: {path} "
          "(upload it as the assignment's autograder; Gradescope builds its image with setup.sh)")
    return 0


def cmd_samples(args):
    from .tools.sample_class import write_class, write_samples
    if args.class_size:
        for student, (kind, detail) in write_class(_course_dir(args.course), args.class_size).items():
            print(f"{student}: {kind} {detail}")
        return 0
    for path in write_samples(_course_dir(args.course), args.student or None):
        print(path)
    return 0


def cmd_scores(args):
    from .course.gradebook import read_scores
    course = _graded_course_dir(args.course)
    from .course.lms import totals
    print_scores(read_scores(course, args.student or None), checks=args.checks,
                 totals={t.student: t for t in totals(course)})
    return 0


def cmd_collect(args):
    from .instructor.collect import CollectError, collect, describe
    try:
        placed = collect(args.source, _course_dir(args.course), replace=args.replace,
                         roster=getattr(args, "roster", None), tz=getattr(args, "timezone", None) or "UTC")
    except CollectError as exc:
        raise UserError(str(exc)) from exc
    print(describe(placed), end="")
    print(f"collected {len(placed)} submission(s) into submitted/")
    return 0


def cmd_export(args):
    from .assignment import current
    from .checks import checks_of
    from .course.export import write_grades_csv
    from .course.gradebook import read_scores
    course = _graded_course_dir(args.course)
    if args.format == "checks":
        print(write_grades_csv(read_scores(course, args.student or None),
                               args.out or os.path.join(course, "exports", "grades.csv"), checks_of(current())))
        return 0
    from .course_config import Course, load_config
    from .course.lms import write_export
    out = args.out or os.path.join(course, "exports", f"totals-{args.format}.csv")
    path, warnings = write_export(course, args.format, out, Course(config=load_config(course)).lms_assignment_id)
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    print(f"{path}: totals with manual points and late penalties from the gradebook, as {args.format} imports them")
    return 0


def cmd_feedback(args):
    from .course.lms import feedback_bundle, totals
    course = _graded_course_dir(args.course)
    try:
        graded = totals(course)
    except Exception as exc:        # noqa: BLE001  (a gradebook without this assignment)
        from .assignment import current
        raise UserError(f"the gradebook has no graded '{current().name}' submissions ({type(exc).__name__}): "
                        "grade the class first (`autograder grade`)") from None
    if not graded:
        raise UserError(f"nothing is graded yet in {course}: grade the class first (`autograder grade`), "
                        "then grade the written answers in formgrader")
    out = args.out or os.path.join(course, "exports", f"feedback-{args.lms}.zip")
    quiet_native_import("tensorflow")       # the feedback's curves
    path, students = feedback_bundle(course, args.lms, out)
    print(f"regenerated the feedback of {len(students)} student(s) from the gradebook (manual points "
          f"and comments included): {os.path.join(course, 'feedback')}")
    print(f"{args.lms} upload: {path}")
    return 0


def cmd_calibrate(args):
    from .retrain.calibrate import calibrate
    _course_dir(args.course)
    from .retrain.thresholds import written
    try:
        entries, ok = calibrate(args.profile, args.seeds, path=args.out or written(), checks=args.check)
    except ValueError as exc:
        raise UserError(str(exc))
    for check, models in entries.items():
        for builder, e in models.items():
            for label, m in (e.get("by_args") or {"": e}).items():
                print(f"{args.profile} {check} {builder}({label}): mean {m['mean']:.4f} std {m['std']:.4f} "
                      f"-> threshold {m['threshold']}")
            if "by_args" in e:
                print(f"{args.profile} {check} {builder}: threshold {e['threshold']} ({e['threshold_is']})")
    return 0 if ok else 1


def cmd_cache(args):
    from .retrain.cache import ResultCache
    cache = ResultCache()
    if args.action == "clear":
        print(f"removed {cache.clear()} cached result(s) from {cache.root}")
    else:
        print(cache.root)
    return 0


def cmd_bench(args):
    import json
    from .tools.bench_retrain import run
    print(json.dumps(run(args.profile, log=lambda m: print(m, file=sys.stderr)), indent=1))
    return 0


def cmd_bench_batch(args):
    import json
    from .tools.bench_batch import run
    _course_dir(args.course)
    print(json.dumps(run(args.students, args.workers, log=lambda m: print(m, file=sys.stderr)), indent=1))
    return 0


def cmd_bench_margins(args):
    import json
    from .tools.margins import run
    _course_dir(args.course)
    if args.tie:
        from .tools.margins import tie
        print(json.dumps(tie(log=lambda m: print(m, file=sys.stderr)), indent=1))
        return 0
    print(json.dumps(run(args.profile, names=args.variant), indent=1))
    return 0


def version():
    import importlib.metadata
    try:
        return importlib.metadata.version("module07-autograder")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser():
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=".", help="the course directory (default: .)")
    parser.add_argument("--version", action="version", version=f"autograder {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (("demo", cmd_demo, "grade the bundled sample class end to end"),
                                  ("samples", cmd_samples, "write the sample submissions"),
                                  ("scores", cmd_scores, "print the scores from the gradebook: automatic per exercise, written, late, total")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--student", action="append", help="only this student (repeatable)")
        if name != "samples":
            p.add_argument("--checks", action="store_true", help="a column per check (wide) instead of per exercise")
        p.set_defaults(func=func)
    def batch_options(p):
        p.add_argument("--no-sandbox", action="store_true",
                       help="run student code without bubblewrap, with your own rights")
        p.add_argument("--workers", type=int, help="submissions executed at once (default: CPUs)")
        p.add_argument("--ray", metavar="ADDRESS", help="run the stages on this Ray cluster "
                                                        "('auto', 'ray://host:10001', or 'local')")
    def collect_options(p):
        p.add_argument("--roster", metavar="CSV", help="map LMS ids or names to course ids: a CSV with a "
                                                       "'student' column and any of lms_id, username, email, name")
        p.add_argument("--timezone", metavar="ZONE", help="the LMS's time zone, for exports that write local "
                                                          "times (Blackboard, Brightspace; default UTC)")
    demo = sub.choices["demo"]
    batch_options(demo)
    demo.add_argument("--nbgrader", action="store_true",
                      help="grade with plain serial `nbgrader autograde` instead (slow; for comparison)")
    p = sub.add_parser("grade", help="grade every submission in batch: sandboxed, parallel, resumable")
    p.add_argument("source", nargs="?", help="optional: a folder or zip of LMS-downloaded notebooks to collect first")
    p.add_argument("--replace", action="store_true", help="with SOURCE: replace changed submissions (kept as backups)")
    collect_options(p)
    p.add_argument("--student", action="append", metavar="ID",
                   help="grade only this student (repeatable; shell patterns like 'a*' work); "
                        "the others' grades and feedback stay as they are")
    p.add_argument("--checks", action="store_true", help="scores with a column per check (wide) instead of per exercise")
    p.add_argument("--force", action="store_true",
                   help="execute, judge and record again from scratch (the class, or the --student named) "
                        "whatever earlier runs stored")
    batch_options(p)
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("gradescope-bundle", help="write autograder.zip, the autograder Gradescope runs")
    p.add_argument("--out", help="where to write it (default: exports/autograder.zip)")
    p.add_argument("--datasets", metavar="DIR", help="an offline dataset folder to ship (with its prepare.py); "
                                                     "default: the image downloads the data")
    p.set_defaults(func=cmd_gradescope_bundle)
    p = sub.add_parser("release", help="generate the student notebook and the student package beside it")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("collect", help="place LMS-downloaded notebooks (folder or zip) into submitted/")
    p.add_argument("source", help="a folder or zip of notebooks as Canvas, Moodle, Blackboard, Brightspace "
                                  "or Gradescope export them, or named after their students")
    p.add_argument("--replace", action="store_true", help="replace different existing submissions (kept as backups)")
    collect_options(p)
    p.set_defaults(func=cmd_collect)
    p = sub.add_parser("export", help="write grades.csv (a column per check), or totals for an LMS")
    p.add_argument("--format", choices=["checks", "csv", "canvas", "moodle"], default="checks",
                   help="checks: grades.csv, a column per check (default); csv/canvas/moodle: totals with "
                        "manual points and late penalties from the gradebook, in that LMS's import format")
    p.add_argument("--student", action="append", help="only this student (repeatable; checks format)")
    p.add_argument("--out", help="where to write (default: grades.csv, or exports/totals-FORMAT.csv)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("feedback", help="after manual grading: regenerate every student's feedback, "
                                        "zipped for the LMS")
    p.add_argument("--lms", choices=["canvas", "moodle", "folder"], default="folder",
                   help="the upload zip's layout (canvas: its bulk feedback upload; moodle: its feedback "
                        "files zip; folder: a folder per student)")
    p.add_argument("--out", help="where to write the zip (default: exports/feedback-LMS.zip)")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("calibrate", help="derive accuracy thresholds from the reference solutions")
    p.add_argument("--profile", choices=["quick", "full"], required=True,
                   help="the retraining budget calibrated: quick (a slice, for CPUs) or full (the module's own)")
    p.add_argument("--seeds", type=int, default=3, help="retrainings of each reference (default 3); "
                                                        "the threshold sits below the worst of them")
    p.add_argument("--check", action="append", help="only this check (repeatable); the profile's others are kept")
    p.add_argument("--out", help="the thresholds file to update (default: reference/thresholds.json)")
    p.set_defaults(func=cmd_calibrate)
    p = sub.add_parser("cache", help="show or clear the retraining cache")
    p.add_argument("action", choices=["show", "clear"], help="show: its size and entries; clear: empty it")
    p.set_defaults(func=cmd_cache)
    p = sub.add_parser("bench", help="measure the retraining overhead and a cache hit (JSON)")
    p.add_argument("--profile", choices=["quick", "full"], default="quick", help="the retraining budget measured")
    p.set_defaults(func=cmd_bench)
    sub.choices["samples"].add_argument(
        "--class", dest="class_size", type=int, metavar="N",
        help="write a generated class of N students instead (mistakes, copies, broken files)")
    p = sub.add_parser("bench-batch", help="batch grading vs serial nbgrader on a generated class (JSON)")
    p.add_argument("--students", type=int, default=24, help="size of the generated class (default 24)")
    p.add_argument("--workers", type=int, help="the batch's workers (default: CPUs)")
    p.set_defaults(func=cmd_bench_batch)
    p = sub.add_parser("bench-margins", help="Exercise 3's reference in variants the notebook allows, against the bar (JSON)")
    p.add_argument("--profile", choices=["quick", "full"], default="quick", help="the retraining budget measured")
    p.add_argument("--variant", action="append", help="only this variant (repeatable)")
    p.add_argument("--tie", action="store_true",
                   help="both profiles, then lower the course's quick bar of Exercise 3 so no variant that clears "
                        "the module's bar in the full profile fails it (hours on a CPU for the full runs)")
    p.set_defaults(func=cmd_bench_margins)
    for p in sub.choices.values():
        # Before or after the subcommand, as the error messages say; unset here keeps the other.
        p.add_argument("--course", default=argparse.SUPPRESS, help="the course directory (default: .)")
    return parser


def main(argv=None):
    lean_start()
    args = build_parser().parse_args(argv)
    if args.command in NATIVE_LOGGING_COMMANDS:
        quiet_native_import("tensorflow")
    try:
        return args.func(args)
    except (UserError, KeyError) as exc:
        print(f"autograder: error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        from .course.nbgrader_steps import NbgraderError
        if isinstance(exc, NbgraderError):
            print(f"autograder: error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
