"""The GPUs the retraining can use; the default profile depends on them."""
import functools
import os
import shutil
import subprocess


def visible_gpus():
    """GPU indices this process may use: CUDA_VISIBLE_DEVICES, else what nvidia-smi lists."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g for g in visible.split(",") if g.strip() not in ("", "-1")]
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.splitlines()) if line.startswith("GPU ")]


@functools.lru_cache(maxsize=None)
def _listed_by_nvidia_smi():
    return bool(visible_gpus())


def gpu_visible():
    """True when the retraining would see a GPU (asked once per process)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        return bool(visible_gpus())
    return _listed_by_nvidia_smi()
