"""BLAS thread counts inside numbanet's calls (backends._threads): set for the call, restored
after, even when the call fails; the caller's own setting is what comes back."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg  # noqa: F401 - SciPy's BLAS (the one Numba and numbanet call) loaded first
from threadpoolctl import threadpool_info, threadpool_limits

import numbanet as nb
from numbanet import config
from numbanet._threads import blas_for, blas_threads


def _counts():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_counts_set_inside_and_restored_after():
    with threadpool_limits(limits=2, user_api="blas"):
        before = _counts()
        assert before and all(c == 2 for c in before)
        with blas_threads(1):
            assert all(c == 1 for c in _counts())
        assert _counts() == before
        with pytest.raises(RuntimeError):
            with blas_threads(1):
                raise RuntimeError("inside")
        assert _counts() == before
        with blas_threads(None):
            assert _counts() == before


def test_blas_for_keeps_the_callers_threads_for_large_products():
    with threadpool_limits(limits=2, user_api="blas"):
        with blas_for(config.BLAS_THREADED_MIN_MACS):
            assert all(c == 2 for c in _counts())
        with blas_for(config.BLAS_THREADED_MIN_MACS - 1):
            assert all(c == 1 for c in _counts())
        assert all(c == 2 for c in _counts())


def test_training_leaves_the_blas_threads_as_it_found_them():
    """A fit whose dense products go through gemm (batch 64, 400 -> 120 as in LeNet) changes
    the counts only inside its calls."""
    x = np.random.default_rng(0).standard_normal((256, 400)).astype(np.float32)
    y = np.arange(256) % 10
    net = nb.Sequential([nb.Dense(400, 120), nb.ReLU(), nb.Dense(120, 10)], backend="cpu", seed=0)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _counts()
        net.fit(x, y, batch_size=64, optimizer="momentum", lr=0.01)
        assert _counts() == before


def test_numba_kernels_run_on_one_thread_while_threaded_blas_is_awake(monkeypatch):
    """After a threaded BLAS product, ``pick`` gives the threaded twin wrapped to run on one
    Numba thread, the caller's count restored; once BLAS has slept, the plain threaded twin."""
    import numba

    from numbanet import _threads
    from numbanet.kernels.cpu import _util

    seen = []

    def kernel(*args):
        seen.append(numba.get_num_threads())
        return args

    pair = (object(), kernel)
    monkeypatch.setattr(_threads, "_threaded_at", -1e9)
    assert _util.pick(pair, 1 << 30) is kernel
    with blas_for(config.BLAS_THREADED_MIN_MACS):
        pass
    assert _threads.blas_awake()
    before = numba.get_num_threads()
    assert _util.pick(pair, 1 << 30)(1, 2) == (1, 2)
    assert seen == [1] and numba.get_num_threads() == before
    assert _util.pick(pair, 0) is pair[0]  # small problems: the serial twin, as always
    monkeypatch.setattr(_threads, "_threaded_at", -1e9)
    assert not _threads.blas_awake()


def test_mid_sized_threaded_twins_run_on_the_calling_thread(monkeypatch):
    """An optimiser's update of a small net (threaded twin from 4,096 elements, for its
    vectorised loop) runs with one Numba thread, so no second thread is woken per step; from
    ``ONE_THREAD_MAX`` elements the threads are used."""
    import numba

    from numbanet import _threads
    from numbanet.kernels.cpu import _util

    seen = []

    def kernel(*args):
        seen.append(numba.get_num_threads())
        return args

    pair = (object(), kernel)
    monkeypatch.setattr(_threads, "_threaded_at", -1e9)  # BLAS asleep
    before = numba.get_num_threads()
    n = _util.ONE_THREAD_MAX // 2
    assert _util.pick(pair, n, 1 << 12)(3) == (3,)
    assert seen == [1] and numba.get_num_threads() == before
    assert _util.pick(pair, _util.ONE_THREAD_MAX, 1 << 12) is kernel
    assert _util.pick(pair, 100, 1 << 12) is pair[0]
