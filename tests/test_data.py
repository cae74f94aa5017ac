"""The data layer reads the datasets in their original formats, and fails clearly."""
import os

import numpy as np
import pytest

from autograder import data

needs_data = pytest.mark.skipif(not os.environ.get("AUTOGRADER_DATA_DIR"),
                                reason="no offline datasets (AUTOGRADER_DATA_DIR unset)")


@needs_data
def test_fashion_mnist_as_keras_returns_it():
    (x, y), (xt, yt) = data.fashion_mnist.load_data()
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and xt.shape == (10000, 28, 28) and yt.shape == (10000,)
    assert set(np.unique(y)) == set(range(10))
    assert y[:5].tolist() == [9, 0, 0, 3, 0]        # the first labels of the original file


@needs_data
def test_cifar10_as_keras_returns_it():
    (x, y), (xt, yt) = data.cifar10.load_data()
    assert x.shape == (50000, 32, 32, 3) and x.dtype == np.uint8
    assert y.shape == (50000, 1) and xt.shape == (10000, 32, 32, 3) and yt.shape == (10000, 1)
    assert np.bincount(y.reshape(-1)).tolist() == [5000] * 10
    assert 100 < x.mean() < 140                      # real images, not noise or zeros


def test_missing_dataset_names_the_variable_and_files(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_DATA_DIR", str(tmp_path))
    (tmp_path / "fashion-mnist").mkdir()
    (tmp_path / "fashion-mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load_fashion_mnist()
    message = str(err.value)
    assert "AUTOGRADER_DATA_DIR" in message
    assert "t10k-labels-idx1-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    with pytest.raises(data.DatasetNotFoundError, match="cifar-10-batches-py lacks data_batch_1"):
        data.load_cifar10()


@needs_data
def test_fashion_mnist_is_read_once_per_process_and_handed_out_as_copies():
    """A notebook that normalizes its arrays in place never changes what the next load returns."""
    data._READ.clear()
    (x, y), _ = data.fashion_mnist.load_data()
    x[:] = 0
    y[:] = 99
    (x2, y2), _ = data.fashion_mnist.load_data()
    assert len(data._READ) == 1
    assert x2.flags.writeable and x2.mean() > 50 and y2[:5].tolist() == [9, 0, 0, 3, 0]
    assert not np.shares_memory(x, x2)
