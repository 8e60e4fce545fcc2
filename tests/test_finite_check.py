"""The compiled finiteness test behind every public input check (``_validate.check_finite``)."""

import numpy as np
import pytest

from numbanet._validate import check_finite
from numbanet.errors import ValidationError
from numbanet.kernels.cpu.finite import all_finite


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 7840])
def test_all_finite_finds_every_non_finite_value(dtype, n):
    a = np.linspace(-1, 1, n).astype(dtype)
    assert all_finite(a)
    huge = np.full(n, np.finfo(dtype).max, dtype)  # a plain sum would overflow to inf
    assert all_finite(huge)
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b[n // 2] = bad
        assert not all_finite(b)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_check_finite_names_the_first_bad_position(dtype):
    x = np.ones((3, 4), dtype)
    check_finite(x, "x")
    check_finite(np.ones((3, 4), dtype)[:, ::2], "x")  # not contiguous
    x[1, 2] = np.inf
    x[2, 0] = np.nan
    with pytest.raises(ValidationError, match=r"x contains infinity at index \(1, 2\)"):
        check_finite(x, "x")
    with pytest.raises(ValidationError, match=r"contains NaN at index \(0, 1\)"):
        check_finite(np.array([[1.0, np.nan]], dtype)[:, ::1], "y")
