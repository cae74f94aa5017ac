"""Where stage functions run: a local pool of workers, or tasks on a Ray cluster.

Both take (function, list of keyword dicts) and yield (index, result) as tasks finish, so
the batch records each result the moment it exists. The functions are the stages'
module-level functions; their inputs and outputs are plain JSON.
"""
import queue
from concurrent.futures import ThreadPoolExecutor, as_completed

from ..retrain.devices import visible_gpus  # noqa: F401  (the pools' GPU slots)
from ..sandbox.bwrap import stop_all


class LocalPool:
    """Threads, each driving subprocesses (sandboxed kernels, retraining workers); each task
    gets a ``slot`` no other running task holds (its sandbox user, its warm worker)."""

    def __init__(self, workers):
        self.workers = max(1, int(workers))

    def map(self, function, kwargs_list, *, gpus=(), gpu_task=False):
        slots = queue.Queue()
        for slot in range(self.workers):
            slots.put(slot)

        def task(kwargs):
            slot = slots.get()
            try:
                extra = {"slot": slot}
                if gpus:
                    extra["gpu"] = gpus[slot % len(gpus)]
                return function(**kwargs, **extra)
            finally:
                slots.put(slot)

        executor = ThreadPoolExecutor(self.workers)
        try:
            futures = {executor.submit(task, kwargs): i for i, kwargs in enumerate(kwargs_list)}
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            # Ctrl-C (or the batch stopping): its sandboxes end now rather than when their
            # cells do, and nothing queued starts.
            stop_all()
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
