"""The local pool: tasks run concurrently, each with a slot of its own and, where GPUs are
visible, one GPU per slot; results arrive as tasks finish."""
import io
import threading
import time

from autograder.batch.pool import LocalPool, visible_gpus
from autograder.common.terminal import StageProgress


def test_each_running_task_has_its_own_slot_and_gpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    gpus = visible_gpus()
    assert gpus == ["0", "1"]
    running, seen, lock = set(), [], threading.Lock()

    def task(n, slot, gpu):
        with lock:
            assert slot not in running          # no two running tasks share a slot
            running.add(slot)
            seen.append((slot, gpu))
        time.sleep(0.05)
        with lock:
            running.discard(slot)
        return n * n

    results = dict(LocalPool(2).map(task, [{"n": n} for n in range(8)], gpus=gpus))
    assert results == {i: i * i for i in range(8)}
    assert {slot for slot, _ in seen} == {0, 1}
    assert all(gpu == gpus[slot] for slot, gpu in seen)


def test_no_gpus_when_none_are_visible(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpus() == []


def test_piped_progress_prints_a_line_every_few_items_with_counts_and_eta():
    out = io.StringIO()             # not a terminal: plain lines, so a log shows the batch moving
    progress = StageProgress("execute", 4, stream=out, every_items=2)
    progress.skip(1)
    progress.advance()
    progress.advance(failed=True)
    line = progress.line()
    assert "execute: 3/4 done, 1 failed, 1 cached" in line and "ETA -" not in line
    progress.advance()
    progress.finish()
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("execute: 2/4 done, 0 failed, 1 cached")     # printed before the end
    assert lines[-1].startswith("execute: 4/4 done, 1 failed, 1 cached") and lines[-1].endswith("ETA -")


def test_piped_progress_prints_after_a_quiet_while_too():
    out = io.StringIO()
    progress = StageProgress("retrain", 100, stream=out, every_s=0.0)
    progress.advance()
    assert out.getvalue().startswith("retrain: 1/100 done")


def test_progress_on_a_terminal_is_a_rich_bar():
    class Tty(io.StringIO):
        def isatty(self):
            return True
    out = Tty()
    with StageProgress("judge", 3, stream=out) as progress:
        for _ in range(3):
            progress.advance()
    text = out.getvalue()
    assert "judge" in text and "3/3" in text and "━" in text
