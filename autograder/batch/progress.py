"""One status line per stage: done, failed, cached (reused), and an ETA."""
import sys
import time


class Progress:
    def __init__(self, stage, total, *, stream=None, enabled=True):
        self.stage, self.total = stage, total
        self.done = self.failed = self.cached = 0
        self.start = time.monotonic()
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = getattr(self.stream, "isatty", lambda: False)()

    def skip(self, count):
        """Items a previous run (or an identical submission) already did."""
        self.cached += count
        self.done += count

    def advance(self, failed=False, cached=False):
        self.done += 1
        self.failed += bool(failed)
        self.cached += bool(cached)
        self.show()

    def line(self):
        elapsed = time.monotonic() - self.start
        fresh = self.done - self.cached
        left = self.total - self.done
        eta = f"{elapsed / fresh * left:.0f}s" if fresh and left else "-"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        return (f"{self.stage:<8} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"done, {self.failed} failed, {self.cached} cached, ETA {eta}")

    def show(self, final=False):
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
        elif final:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def finish(self):
        self.show(final=True)
