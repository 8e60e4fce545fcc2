"""Test configuration.

The default lane runs every CUDA kernel in Numba's simulator: NUMBA_ENABLE_CUDASIM must be set
before numba is first imported, so it is set here, at the top of the first file pytest loads.
The PTX lane (``-m ptx``) runs in its own process with NUMBANET_PTX_LANE=1 and no simulator.

Launch geometry is shrunk so the simulator runs several small blocks fast: 8 threads per 1-D
block and 4x4 matmul tiles, so tiny odd shapes (batch 3, 5 -> 7 features) span at least two
blocks and at most two tiles per dimension.
"""

import os

if os.environ.get("NUMBANET_PTX_LANE") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
os.environ.setdefault(
    "NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache")
)

# BLAS on one thread in tests: results then do not depend on the thread count, and OpenBLAS's
# spinning thread pools cannot stall every small product on a busy two-core machine (speed is
# measured in benchmarks/, never here). NUMBANET_TEST_BLAS_THREADS overrides it.
_blas_threads = os.environ.get("NUMBANET_TEST_BLAS_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", _blas_threads)

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from numbanet import config  # noqa: E402

_BLAS_LIMIT = threadpool_limits(limits=int(_blas_threads), user_api="blas")  # numpy already loaded

SHARED_DATA = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
if os.path.isdir(SHARED_DATA):  # the real data beside the checkout (as in CI)
    os.environ.setdefault("NUMBANET_DATA", SHARED_DATA)


@pytest.fixture(autouse=True)
def _small_cuda_geometry(monkeypatch):
    monkeypatch.setattr(config, "THREADS_PER_BLOCK", 8)
    monkeypatch.setattr(config, "TILE", 4)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def shared_data(monkeypatch):
    """NUMBANET_DATA pointed at ../shared/data (skips if it is missing)."""
    if not os.path.isdir(os.path.join(SHARED_DATA, "mnist")):
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    monkeypatch.setenv("NUMBANET_DATA", SHARED_DATA)
    return SHARED_DATA
