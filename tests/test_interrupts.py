"""A Ctrl-C pressed while nbgrader records a student stops the batch: nbgrader's API swallows
it (a bare ``except:``), so it is noted and raised again on the way out."""
import os
import signal
import time

import pytest
from nbgrader.utils import capture_log

from autograder.common.interrupts import interrupts_kept


class App:
    """An nbgrader app whose start is interrupted by Ctrl-C."""

    class log:
        addHandler = removeHandler = staticmethod(lambda handler: None)

    def start(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)           # interrupted long before


def test_a_ctrl_c_nbgrader_swallows_still_stops_the_caller():
    assert capture_log(App())["success"] is False          # nbgrader's own: the Ctrl-C is gone
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with interrupts_kept():
            capture_log(App())
    assert signal.getsignal(signal.SIGINT) is before


def test_without_a_ctrl_c_nothing_changes():
    with interrupts_kept():
        value = 1
    assert value == 1
