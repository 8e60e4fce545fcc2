"""Bad input at the foundation layer gets a clear error that names the problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import BackendUnavailableError, DTypeError, ValidationError


@pytest.fixture
def net():
    return nb.Sequential([nb.Dense(4, 3), nb.ReLU(), nb.Dense(3, 2)], backend="cpu", seed=0)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((10, 4)).astype(np.float32), rng.integers(0, 2, 10)


def test_wrong_feature_count(net):
    with pytest.raises(ValidationError, match=r"shape \(5,\).*expects \(4,\)"):
        net.forward(np.zeros((2, 5)))


def test_one_dimensional_input(net):
    with pytest.raises(ValidationError, match="x must have at least 2 dimensions"):
        net.forward(np.zeros(4))


def test_string_dtype(net):
    with pytest.raises(DTypeError, match="x has dtype <U1"):
        net.forward(np.array([["a", "b", "c", "d"]]))


def test_nan_in_data(net, data):
    x, y = data
    x[3, 2] = np.nan
    with pytest.raises(ValidationError, match=r"x contains NaN at index \(3, 2\)"):
        net.fit(x, y)


def test_inf_in_data(net, data):
    x, y = data
    x[0, 0] = np.inf
    with pytest.raises(ValidationError, match="infinity"):
        net.predict(x)


def test_empty_data(net):
    with pytest.raises(ValidationError, match="x is empty"):
        net.fit(np.zeros((0, 4)), np.zeros(0, int))


def test_label_out_of_range(net, data):
    x, y = data
    y[4] = 7
    with pytest.raises(ValidationError, match=r"label 7, outside the range \[0, 1\]"):
        net.fit(x, y, loss="cross_entropy")


def test_negative_label(net, data):
    x, y = data
    y[0] = -1
    with pytest.raises(ValidationError, match="label -1"):
        net.fit(x, y, loss="cross_entropy")


def test_label_count_mismatch(net, data):
    x, y = data
    with pytest.raises(ValidationError, match="9 labels but there are 10 examples"):
        net.fit(x, y[:9], loss="cross_entropy")


def test_target_columns_mismatch(net, data):
    x, _ = data
    with pytest.raises(ValidationError, match="3 columns but the model has 2 outputs"):
        net.fit(x, np.zeros((10, 3)), loss="mse")


def test_batch_size_zero(net, data):
    with pytest.raises(ValidationError, match="batch_size must be >= 1; got 0"):
        net.fit(*data, batch_size=0)


def test_epochs_not_integer(net, data):
    with pytest.raises(ValidationError, match="epochs must be an integer"):
        net.fit(*data, epochs=1.5)


def test_negative_learning_rate(net, data):
    with pytest.raises(ValidationError, match=r"lr must be a finite number > 0; got -0.1"):
        net.fit(*data, lr=-0.1)


def test_nan_learning_rate(net):
    with pytest.raises(ValidationError, match="lr must be a finite number"):
        nb.optim.SGD(net.parameters(), lr=float("nan"))


def test_optimizer_without_parameters():
    with pytest.raises(ValidationError, match="no parameters"):
        nb.optim.SGD([], lr=0.1)


def test_unknown_loss(net, data):
    with pytest.raises(ValidationError, match="unknown loss 'hinge'"):
        net.fit(*data, loss="hinge")


def test_unknown_optimizer(net, data):
    with pytest.raises(ValidationError, match="unknown optimizer 'sgdd'"):
        net.fit(*data, optimizer="sgdd")


def test_unknown_activation():
    with pytest.raises(ValidationError, match="unknown activation 'relux'"):
        nb.nn.activation("relux")


def test_unknown_backend():
    with pytest.raises(ValidationError, match="unknown backend 'tpu'"):
        nb.Sequential([nb.Dense(2, 2)], backend="tpu")


def test_unknown_init():
    with pytest.raises(ValidationError, match="unknown weight initialisation 'hee'"):
        nb.Dense(2, 2, init="hee")


def test_bad_layer_sizes():
    with pytest.raises(ValidationError, match="out_features must be >= 1; got 0"):
        nb.Dense(3, 0)


def test_not_a_layer():
    with pytest.raises(ValidationError, match="layer 1 is a str"):
        nb.Sequential([nb.Dense(2, 2), "relu"])


def test_incompatible_consecutive_layers():
    with pytest.raises(ValidationError, match=r"Dense\(3, 2\) expects inputs of shape \(n, 3\)"):
        nb.Sequential([nb.Dense(2, 4), nb.Dense(3, 2)])


def test_float64_dtype_only_float(net):
    with pytest.raises(DTypeError, match="float32 or float64"):
        nb.Sequential([nb.Dense(2, 2)], dtype=np.int32)


def test_step_backward_explains():
    net = nb.Sequential([nb.Dense(2, 1), nb.Step()], backend="reference", seed=0)
    net.forward(np.ones((1, 2)))
    with pytest.raises(nb.NumbanetError, match="perceptron rule"):
        net.backward(np.ones((1, 1)))


def test_backward_before_forward_loss():
    with pytest.raises(ValidationError, match="call forward"):
        nb.losses.MSE().backward()


def test_bce_targets_outside_unit_interval():
    with pytest.raises(ValidationError, match=r"must lie in \[0, 1\]"):
        nb.losses.BCE().forward(np.array([[0.5]]), np.array([[2.0]]))


def test_parameter_assignment_shape(net):
    with pytest.raises(ValidationError, match=r"has shape \(3, 4\); got \(4, 3\)"):
        net.parameters()[0].value = np.zeros((4, 3))


def test_validation_pair(net, data):
    with pytest.raises(ValidationError, match="validation must be a pair"):
        net.fit(*data, validation=data[0])


_CUDA_CHILD = """
import json
import numbanet as nb
from numbanet import _cuda
from numbanet.errors import BackendUnavailableError, NumbanetError

report = {"real_gpu": _cuda.has_real_gpu(), "simulator": _cuda.is_simulator(),
          "available": _cuda.is_available(), "status": _cuda.status(), "raised": None}
try:
    nb.get_backend("cuda")
except Exception as e:
    report.update(raised=type(e).__name__, message=str(e),
                  typed=isinstance(e, BackendUnavailableError),
                  numbanet=isinstance(e, NumbanetError), runtime=isinstance(e, RuntimeError))
print(json.dumps(report))
"""


def test_cuda_without_gpu_is_one_clear_line():
    """Outside the simulator, asking for CUDA on a GPU-less machine raises BackendUnavailableError
    (a NumbanetError and a RuntimeError) whose one line says why (the CUDA status) and names the
    fix."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    out = subprocess.run(
        [sys.executable, "-c", _CUDA_CHILD], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["simulator"] is False  # the child runs as a user would
    if r["real_gpu"]:
        assert r["available"] and r["raised"] is None, r
        pytest.skip("this machine has a usable GPU")
    assert r["available"] is False and r["status"].startswith("not available"), r
    assert r["raised"] == BackendUnavailableError.__name__, r
    assert r["typed"] and r["numbanet"] and r["runtime"], r
    msg = r["message"]
    assert "backend 'cuda' needs an NVIDIA GPU" in msg and "use backend='cpu'" in msg, msg
    assert r["status"] in msg, msg  # the reason, not only the verdict
    assert len(msg.splitlines()) == 1, msg


def test_auto_backend_never_picks_the_simulator():
    assert nb.get_backend("auto").name == "cpu"
