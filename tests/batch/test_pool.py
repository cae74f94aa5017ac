"""The local pool: tasks run concurrently, each with a slot of its own and, where GPUs are
visible, one GPU per slot; results arrive as tasks finish."""
import io
import threading
import time

from autograder.batch.pool import LocalPool, visible_gpus
from autograder.batch.progress import Progress


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


def test_progress_reports_done_failed_cached_and_eta():
    out = io.StringIO()
    progress = Progress("execute", 4, stream=out)
    progress.skip(1)
    progress.advance()
    progress.advance(failed=True)
    line = progress.line()
    assert "3/4 done, 1 failed, 1 cached, ETA" in line and "ETA -" not in line
    progress.advance()
    progress.finish()
    assert out.getvalue().strip().endswith("4/4 done, 1 failed, 1 cached, ETA -")
