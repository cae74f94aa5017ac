"""The same stage functions as tasks on a Ray cluster (``autograder grade --ray ADDRESS``).

Every node needs this project installed at the same path, the datasets at
AUTOGRADER_DATA_DIR, and the course directory and retraining cache on a shared filesystem.
GPU tasks ask Ray for a GPU; Ray sets CUDA_VISIBLE_DEVICES for them.
"""
import os


class RayPool:
    def __init__(self, address):
        import ray
        if not ray.is_initialized():
            if address == "local":
                # A Ray instance of this machine, started and stopped here: its workers inherit
                # this process's environment (a runtime_env would start a second set of them).
                ray.init(include_dashboard=False, log_to_driver=False)
            else:
                env = {k: v for k, v in os.environ.items() if k.startswith(("AUTOGRADER_", "KERAS_", "TF_"))}
                ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": env})
        self.ray = ray
        self.workers = int(ray.cluster_resources().get("CPU", 1))
        self.cluster_gpus = int(ray.cluster_resources().get("GPU", 0))

    def map(self, function, kwargs_list, *, gpus=(), gpu_task=False):
        """``gpu_task``: each task asks Ray for one GPU when the cluster has any (the local
        ``gpus`` of the driver do not matter here)."""
        ray = self.ray
        options = {"num_cpus": 1, "max_retries": 2}
        if gpu_task and self.cluster_gpus:
            options["num_gpus"] = 1
        remote = ray.remote(**options)(_call)
        refs = {remote.remote(function, dict(kwargs, slot=i % max(self.workers, 1))): i
                for i, kwargs in enumerate(kwargs_list)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield refs[ref], ray.get(ref)


def _call(function, kwargs):
    return function(**kwargs)
