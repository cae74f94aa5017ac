"""The grader's own data for each protocol: flat float32 in [0, 1], 1-D integer labels."""
import functools
import hashlib
import os

import numpy as np

from .. import data


def _cache_path(protocol, budget, cache_dir):
    name = f"{protocol.dataset}-{fingerprint(protocol.dataset)}-{budget.train_samples}-{budget.valid_samples}.npz"
    return os.path.join(cache_dir, name)


def prepare(protocol, budget, cache_dir):
    """Cut the protocol's data into ``cache_dir`` unless it is there (the grader does this
    before a job: the sandboxed worker only reads it). Returns the file's path."""
    path = _cache_path(protocol, budget, cache_dir)
    if not os.path.exists(path):
        arrays = _cut(protocol, budget)
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp.npz"
        np.savez(tmp, **dict(zip(("x_train", "y_train", "x_valid", "y_valid"), arrays)))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return path


def load(protocol, budget, cache_dir=None):
    """(x_train, y_train, x_valid, y_valid) for the protocol, cut to the budget's slices.

    With ``cache_dir``, the cut uint8 arrays are kept there (keyed by the data fingerprint),
    so the next job starts in milliseconds instead of decoding the original files again.
    """
    if cache_dir is None:
        return _scaled(*_cut(protocol, budget))
    path = _cache_path(protocol, budget, cache_dir)
    try:
        with np.load(path) as f:
            arrays = [f[k] for k in ("x_train", "y_train", "x_valid", "y_valid")]
    except (FileNotFoundError, OSError, ValueError, KeyError):
        arrays = _cut(protocol, budget)     # not prepared (or unreadable): cut it here, unsaved
    return _scaled(*arrays)


def _scaled(x_train, y_train, x_valid, y_valid):
    scale = lambda a: a.astype("float32") / 255.0  # noqa: E731
    return scale(x_train), y_train.astype("int64"), scale(x_valid), y_valid.astype("int64")


def _cut(protocol, budget):
    """The protocol's split of the original uint8 data, cut to the budget's slices."""
    if protocol.dataset == "fashion_mnist":
        (x, y), _ = data.load_fashion_mnist()
        x = x.reshape(-1, 784)
        x_train, y_train, x_valid, y_valid = x[:50000], y[:50000], x[50000:], y[50000:]
    elif protocol.dataset == "cifar10":
        from sklearn.model_selection import train_test_split
        (x, y), _ = data.load_cifar10()
        x_train, x_valid, y_train, y_valid = train_test_split(
            x.reshape(-1, 3072), y.reshape(-1), test_size=0.2, random_state=42)
    else:
        raise ValueError(f"Expected dataset 'fashion_mnist' or 'cifar10'. Received: {protocol.dataset!r}")
    x_train, y_train = x_train[:budget.train_samples], y_train[:budget.train_samples]
    x_valid, y_valid = x_valid[:budget.valid_samples], y_valid[:budget.valid_samples]
    return [np.ascontiguousarray(a) for a in (x_train, y_train, x_valid, y_valid)]


def fingerprint(dataset):
    """Identifies the data a result was measured on, cheaply (sizes and first megabyte);
    read once per process and data folder (a warm worker asks for it every job)."""
    return _fingerprint(dataset, data.data_dir())


@functools.lru_cache(maxsize=None)
def _fingerprint(dataset, root):
    if root is None:
        folder = os.path.expanduser(os.path.join("~", ".keras", "datasets"))
        names = {"fashion_mnist": data.FASHION_MNIST_FILES, "cifar10": ()}[dataset]
        sub = "fashion-mnist" if dataset == "fashion_mnist" else "cifar-10-batches-py"
        paths = [os.path.join(folder, sub, n) for n in names] or [os.path.join(folder, sub)]
    elif dataset == "fashion_mnist":
        paths = [os.path.join(root, "fashion-mnist", n) for n in data.FASHION_MNIST_FILES]
    else:
        paths = [os.path.join(root, "cifar-10-batches-py", n) for n in data.CIFAR10_FILES]
    digest = hashlib.sha256(dataset.encode())
    for path in paths:
        if os.path.isfile(path):
            digest.update(str(os.path.getsize(path)).encode())
            with open(path, "rb") as f:
                digest.update(f.read(1 << 20))
        else:
            digest.update(b"missing:" + os.path.basename(path).encode())
    return digest.hexdigest()[:16]

