"""mnist_loader.py of *Neural Networks and Deep Learning*, built on numbanet's MNIST.

The book's loader unpickles ``mnist.pkl.gz``; numbanet never unpickles a file, so this one reads
the official MNIST files through :func:`numbanet.data.mnist_split` (``$NUMBANET_DATA``, the user
cache or a verified download) and returns what the book's returns:

* ``load_data()``: ``(training_data, validation_data, test_data)``, each a pair ``(images,
  labels)`` with images of shape (n, 784), float32 in [0, 1], and labels of shape (n,), int64:
  50,000 training, 10,000 validation (the last 10,000 of the official training set) and 10,000
  test images, in the official order.
* ``load_data_wrapper()``: the same as lists the networks take: ``training_data`` of 50,000
  tuples ``(x, y)`` with x of shape (784, 1) and y the (10, 1) unit vector of the digit;
  ``validation_data`` and ``test_data`` of tuples ``(x, label)`` with an integer label.

The pixels are ``k / 255`` (the pickle holds ``k / 256``, so the book's inputs are a factor
255/256 smaller); the images and labels are the same. Each ``x`` is a view into one array, so the
lists cost no copy of the images.
"""

from __future__ import annotations

import numpy as np

from ...data import mnist_split
from ._core import vectorized_result


def load_data(path=None):
    """``(training_data, validation_data, test_data)``, each ``(images (n, 784), labels (n,))``.

    ``path`` is a folder holding the MNIST files (default: numbanet's search, see
    :func:`numbanet.data.load_mnist`).
    """
    s = mnist_split(path, dtype=np.float32)
    return (s.x_train, s.y_train), (s.x_val, s.y_val), (s.x_test, s.y_test)


def _columns(images):
    return [x.reshape(784, 1) for x in images]


def load_data_wrapper(path=None):
    """``(training_data, validation_data, test_data)`` as lists of ``(x, y)`` tuples: x of shape
    (784, 1); y the (10, 1) unit vector for the training data, the integer label otherwise."""
    tr_d, va_d, te_d = load_data(path)
    eye = np.eye(10).reshape(10, 10, 1)  # eye[j] is vectorized_result(j); copies, not views
    training_data = [(x, eye[j].copy()) for x, j in zip(_columns(tr_d[0]), tr_d[1])]
    validation_data = list(zip(_columns(va_d[0]), va_d[1]))
    test_data = list(zip(_columns(te_d[0]), te_d[1]))
    return training_data, validation_data, test_data


__all__ = ["load_data", "load_data_wrapper", "vectorized_result"]
