"""The course datasets, as ``keras.datasets`` returns them.

Online, the data comes from ``keras.datasets``.  Offline, set ``AUTOGRADER_DATA_DIR`` to a
folder holding the datasets in their original distribution formats:

    $AUTOGRADER_DATA_DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
    $AUTOGRADER_DATA_DIR/cifar-10-batches-py/{data_batch_1..5,test_batch}

The objects ``fashion_mnist`` and ``cifar10`` mimic the ``keras.datasets`` modules, so the
module's own code (``fashion_mnist.load_data()``) reads the same either way.
"""
import gzip
import os
import pickle
import socket
import threading
from contextlib import contextmanager

import numpy as np

DATA_DIR_VARIABLE = "AUTOGRADER_DATA_DIR"
DOWNLOAD_TIMEOUT_S = 60

FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
)
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


class DatasetNotFoundError(RuntimeError):
    """A dataset is neither in the offline folder nor downloadable."""


def data_dir():
    """The offline data folder, where it really is (the sandboxes bind that path: a link in a
    folder they hide would lead nowhere inside), or None when the data comes from keras.datasets."""
    value = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    return os.path.realpath(os.path.expanduser(value)) if value else None


def _missing(folder, names):
    return [n for n in names if not os.path.isfile(os.path.join(folder, n))]


def _require(folder, names, dataset):
    missing = _missing(folder, names)
    if missing:
        raise DatasetNotFoundError(
            f"{dataset} not found: {DATA_DIR_VARIABLE}={data_dir()} but {folder} lacks "
            f"{', '.join(missing)}. Expected files: {', '.join(names)} "
            f"(lay them out with `python ../shared/datasets/prepare.py DIR`, "
            f"or unset {DATA_DIR_VARIABLE} to download through keras.datasets).")


def require_for_grading(sandboxed):
    """Raise DatasetNotFoundError, saying what to do, unless the kernels of a batch will find
    both datasets: a sandboxed kernel has no network, so it needs the offline folder. Checked
    before any notebook runs, so a machine without its data grades nobody rather than
    failing everyone's data cells."""
    root = data_dir()
    if root is None:
        if sandboxed:
            raise DatasetNotFoundError(
                f"the sandboxed notebooks have no network, and {DATA_DIR_VARIABLE} is not set: lay the "
                f"datasets out with `python ../shared/datasets/prepare.py DIR` and set {DATA_DIR_VARIABLE}=DIR "
                "(`source scripts/env.sh` does it for this checkout)")
        load_fashion_mnist()        # downloads into keras' cache now, or says why not
        load_cifar10()
        return
    _require(os.path.join(root, "fashion-mnist"), FASHION_MNIST_FILES, "Fashion-MNIST")
    _require(os.path.join(root, "cifar-10-batches-py"), CIFAR10_FILES, "CIFAR-10")


@contextmanager
def _download_timeout(dataset, files):
    """Keras downloads without a timeout; a machine with no network must fail, not hang."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        yield
    except Exception as exc:  # keras raises a bare Exception on a failed download
        raise DatasetNotFoundError(
            f"{dataset} could not be downloaded through keras.datasets ({exc}). Offline, set "
            f"{DATA_DIR_VARIABLE} to a folder holding {', '.join(files)}.") from exc
    finally:
        socket.setdefaulttimeout(previous)


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


# Fashion-MNIST is read once per process (a graded kernel loads it in section 2 and again for
# the sweep's grading-time inputs): un-gzipping it is 0.34 s, a copy 0.01 s (this 2-core
# machine). Every caller gets its own writable copy, as keras.datasets gives, so a notebook
# that normalizes in place never changes what the next load returns. CIFAR-10 is not kept:
# reading its pickles (0.14 s from the page cache) is cheaper than copying 150 MB (0.27 s).
_READ, _READ_LOCK = {}, threading.Lock()


def _once(name, read):
    key = (name, data_dir())
    with _READ_LOCK:
        if key not in _READ:
            _READ[key] = read()
        (x, y), (xt, yt) = _READ[key]
    return (x.copy(), y.copy()), (xt.copy(), yt.copy())


def load_fashion_mnist():
    """((x_train, y_train), (x_test, y_test)) as uint8 arrays, like keras.datasets."""
    return _once("fashion_mnist", _read_fashion_mnist)


def _read_fashion_mnist():
    root = data_dir()
    if root is None:
        from keras.datasets import fashion_mnist as keras_fashion_mnist
        with _download_timeout("Fashion-MNIST", FASHION_MNIST_FILES):
            return keras_fashion_mnist.load_data()
    folder = os.path.join(root, "fashion-mnist")
    _require(folder, FASHION_MNIST_FILES, "Fashion-MNIST")
    arrays = [_read_idx(os.path.join(folder, name)) for name in FASHION_MNIST_FILES]
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def _read_cifar_batch(path):
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    y = np.asarray(batch[b"labels"], dtype=np.uint8).reshape(-1, 1)
    return x, y


def load_cifar10():
    """((x_train, y_train), (x_test, y_test)): images (N, 32, 32, 3) uint8, labels (N, 1)."""
    root = data_dir()
    if root is None:
        from keras.datasets import cifar10 as keras_cifar10
        with _download_timeout("CIFAR-10", CIFAR10_FILES):
            return keras_cifar10.load_data()
    folder = os.path.join(root, "cifar-10-batches-py")
    _require(folder, CIFAR10_FILES, "CIFAR-10")
    train = [_read_cifar_batch(os.path.join(folder, n)) for n in CIFAR10_FILES[:5]]
    x_test, y_test = _read_cifar_batch(os.path.join(folder, "test_batch"))
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), (x_test, y_test)


CIFAR10_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FASHION_MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def lay_out(target):
    """Download both datasets (through Keras' own ``get_file``, with its published CIFAR-10
    hash) and lay them out in ``target`` as ``AUTOGRADER_DATA_DIR`` expects: for an image
    built with internet once (Gradescope's setup.sh), whose sandboxed kernels have none."""
    import shutil
    import tempfile
    from keras.utils import get_file
    os.makedirs(target, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as tmp, _download_timeout("the datasets", FASHION_MNIST_FILES):
        os.makedirs(os.path.join(target, "fashion-mnist"), exist_ok=True)
        for name in FASHION_MNIST_FILES:
            path = get_file(name, origin=FASHION_MNIST_ORIGIN + name, cache_dir=tmp, cache_subdir="f")
            shutil.move(path, os.path.join(target, "fashion-mnist", name))
        path = get_file("cifar-10-batches-py-target", origin=CIFAR10_ORIGIN, extract=True, cache_dir=tmp,
                        cache_subdir="c",
                        file_hash="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")
        shutil.rmtree(os.path.join(target, "cifar-10-batches-py"), ignore_errors=True)
        shutil.move(os.path.join(path, "cifar-10-batches-py"), os.path.join(target, "cifar-10-batches-py"))


class _Dataset:
    """Stands in for a ``keras.datasets`` module: ``.load_data()``."""

    def __init__(self, loader):
        self.load_data = loader


fashion_mnist = _Dataset(load_fashion_mnist)
cifar10 = _Dataset(load_cifar10)


if __name__ == "__main__":       # python -m autograder.data DIR
    import sys
    lay_out(sys.argv[1])
