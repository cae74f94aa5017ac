"""Ctrl-C kept as Ctrl-C through libraries that swallow it.

nbgrader's API runs its apps under a bare ``except:`` (``nbgrader.utils.capture_log``): a Ctrl-C
pressed while a student is recorded becomes that student's failed recording, and the batch
goes on to the next one as if nobody had pressed it. ``interrupts_kept`` notes a Ctrl-C that
arrives inside it and raises KeyboardInterrupt on the way out, whatever the code inside did
with it.
"""
import contextlib
import signal
import threading


@contextlib.contextmanager
def interrupts_kept():
    """Inside: a Ctrl-C raises KeyboardInterrupt as usual and is also noted; on the way out, a
    noted one raises KeyboardInterrupt again (also where the code inside swallowed it). Outside
    the main thread, where Python delivers no signal, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []

    def note(signum, frame):
        pressed.append(signum)
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed:
            raise KeyboardInterrupt("interrupted")
