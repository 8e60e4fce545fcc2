"""Data sets for numbanet: real digits (MNIST, SEMEION), generated MNIST-1D, and toy sets.

Real data is read from files whose SHA-256 sums are built into the code, found in this order:
an explicit ``path=``, the folder ``$NUMBANET_DATA`` (e.g. ``../shared/data``), the user cache
(``$NUMBANET_CACHE``, else ``$XDG_CACHE_HOME/numbanet``, else ``~/.cache/numbanet``), and
finally a download from public mirrors (through pooch) that is verified before it is cached::

    from numbanet.data import load_mnist, mnist_split, load_semeion, load_mnist1d
    d = mnist_split()          # x_train (50000, 784) in [0, 1], y_train (50000,) int64, ...
    x, y = load_semeion()      # (1593, 256), (1593,)
    m = load_mnist1d()         # x_train (4000, 40): the reference MNIST-1D, sample for sample

Toy sets (truth tables, moons, circles, blobs, spirals, 1-D targets) live in
:mod:`numbanet.data.toy` and are re-exported here. Nothing here ever unpickles a file.
"""

from __future__ import annotations

from ._fetch import SHA256, cache_dir, data_dir
from .mnist import (
    MNIST,
    MNIST_MIRRORS,
    MNISTSplit,
    find_mnist,
    load_mnist,
    mnist_split,
    parse_idx,
    read_idx,
)
from .mnist1d import MNIST1D, load_mnist1d, mnist1d_params, mnist1d_templates
from .semeion import SEMEION_URL, Semeion, find_semeion, load_semeion, parse_semeion
from .toy import blobs, circles, logic_gate, moons, regression_1d, spiral
from .utils import batches, one_hot

__all__ = [
    # MNIST
    "MNIST",
    "MNISTSplit",
    "MNIST_MIRRORS",
    "load_mnist",
    "mnist_split",
    "find_mnist",
    "read_idx",
    "parse_idx",
    # SEMEION
    "Semeion",
    "SEMEION_URL",
    "load_semeion",
    "find_semeion",
    "parse_semeion",
    # MNIST-1D
    "MNIST1D",
    "load_mnist1d",
    "mnist1d_params",
    "mnist1d_templates",
    # toy sets
    "logic_gate",
    "moons",
    "circles",
    "blobs",
    "spiral",
    "regression_1d",
    # helpers
    "one_hot",
    "batches",
    "cache_dir",
    "data_dir",
    "SHA256",
]
