"""What the instructor's terminal shows: live progress per batch stage and tables, with rich.

On a terminal a stage is a rich progress bar; when the output is a pipe or a log file (CI,
``nohup``, ``| tee``), rich would print nothing until the end, so a plain line is printed
every few items or seconds instead, and a log shows the batch moving.
"""
import os
import re
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

# Piped output: a line at least this often (items done, seconds), whichever comes first.
PLAIN_EVERY_ITEMS = 10
PLAIN_EVERY_S = 30.0


def console(stream=None, *, wide=False):
    """A console on ``stream`` (stderr for progress, stdout for tables)."""
    stream = stream or sys.stdout
    # A wide table is never cut to fit (a pipe has no width; a narrow terminal wraps its lines).
    kwargs = {"width": 10_000} if wide else {}
    return Console(file=stream, highlight=False, soft_wrap=False, **kwargs)


class StageProgress:
    """One batch stage: done, failed, cached (reused from the journal or an identical
    submission), time left."""

    def __init__(self, stage, total, *, stream=None, enabled=True, every_items=None, every_s=PLAIN_EVERY_S):
        self.stage, self.total, self.enabled = stage, total, enabled
        self.done = self.failed = self.cached = 0
        self.start = self._last_line = time.monotonic()
        self.console = console(stream or sys.stderr)
        self.every_items = every_items or max(1, min(PLAIN_EVERY_ITEMS, total // 10 or 1))
        self.every_s = every_s
        self._printed_at = 0
        self._bar = None
        if enabled and self.console.is_terminal:
            self._bar = Progress(TextColumn(f"{stage:<8}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(),
                                 console=self.console, transient=False)
            self._task = self._bar.add_task(stage, total=total, detail=self.detail())
            self._bar.start()

    def detail(self):
        return f"{self.failed} failed, {self.cached} cached"

    def line(self):
        elapsed = time.monotonic() - self.start
        fresh, left = self.done - self.cached, self.total - self.done
        eta = f"{elapsed / fresh * left:.0f} s" if fresh and left else "-"
        return (f"{self.stage}: {self.done}/{self.total} done, {self.detail()}, "
                f"{elapsed:.0f} s elapsed, ETA {eta}")

    def skip(self, count):
        """Items a previous run (or an identical submission) already did."""
        self.cached += count
        self.done += count
        self._update(force=False)

    def advance(self, failed=False, cached=False):
        self.done += 1
        self.failed += bool(failed)
        self.cached += bool(cached)
        self._update(force=False)

    def _update(self, force):
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, detail=self.detail())
            return
        now = time.monotonic()
        due = (self.done - self._printed_at >= self.every_items or now - self._last_line >= self.every_s)
        if force or (due and self.done < self.total):
            self.console.print(self.line(), markup=False)
            self._printed_at, self._last_line = self.done, now

    def finish(self):
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, detail=self.detail())
            self._bar.stop()
            self._bar = None
        elif self.enabled:
            self._update(force=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(value):
    """Text that may hold a student's words, made safe to print: no control characters (an
    escape sequence would drive the instructor's terminal)."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", str(value))


def one_line(value):
    """``inert`` text on one line: a reason holding a kernel's stderr cannot print lines of its
    own under the summary's (a forged "Integrity: ... unchanged.", say)."""
    return " ".join(inert(value).split())


def table(title, columns, rows, *, right=()):
    """A rich table; ``right``: the columns aligned right (numbers). Cells are ``Text``, never
    parsed as rich markup: a student's ``[bold]`` or ``[/x]`` stays text."""
    out = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for name in columns:
        out.add_column(name, justify="right" if name in right else "left", no_wrap=True)
    for row in rows:
        out.add_row(*[Text(inert(cell)) for cell in row])
    return out


def quiet_native_import(module):
    """Import ``module`` with file descriptor 2 pointed at /dev/null meanwhile: TensorFlow's C++
    libraries log their start-up (no GPU, oneDNN, absl's note) straight to it, before any
    setting can silence them. A failed import is left to the code that needs the module."""
    import importlib
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        try:
            importlib.import_module(module)
        except Exception:       # noqa: BLE001  (reported, unsilenced, where it is used)
            pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
