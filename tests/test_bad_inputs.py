"""A battery of bad inputs across the public API and the CLI (the reliability issue).

Each case asserts the numbanet error type (never a raw Numba typing error, a NumPy internal
ValueError or a silent NaN) and that the message names the problem. With the 31 cases of
``test_foundation_errors.py`` and the CLI cases of ``test_cli.py``, the project checks well over
60 distinct bad inputs.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import numbanet as nb
from numbanet import data as D
from numbanet.errors import DataError, DTypeError, NumbanetError, ValidationError
from numbanet.theory import noise_ball as NB
from numbanet.theory import regions as R

x = np.zeros((4, 3), np.float32)


def net3():
    return nb.Sequential([nb.Dense(3, 2)], backend="cpu", seed=0)


CASES = [
    pytest.param(
        lambda: nb.Dense(0, 3), ValidationError, r"in_features must be >= 1", id="dense_zero_in"
    ),
    pytest.param(
        lambda: nb.Dense(3, 2.5),
        ValidationError,
        r"out_features must be an integer",
        id="dense_float_out",
    ),
    pytest.param(
        lambda: nb.Dense(3, 2, init="gaussian_magic"),
        ValidationError,
        r"unknown weight initialisation 'gaussian_magic'",
        id="dense_bad_init",
    ),
    pytest.param(
        lambda: nb.Conv2D(1, 2, 0), ValidationError, r"kernel_size must be >= 1", id="conv_kernel_0"
    ),
    pytest.param(
        lambda: nb.Conv2D(1, 2, 3, stride=0),
        ValidationError,
        r"stride must be >= 1",
        id="conv_stride_0",
    ),
    pytest.param(
        lambda: nb.Conv2D(1, 2, 3, padding="huge"),
        ValidationError,
        r"padding must be 'valid', 'same', 'full'",
        id="conv_bad_padding",
    ),
    pytest.param(
        lambda: nb.Conv2D(1, 2, 3, padding=-1),
        ValidationError,
        r"padding must be >= 0",
        id="conv_neg_padding",
    ),
    pytest.param(
        lambda: nb.Sequential([nb.Conv2D(1, 2, 7)], backend="cpu", input_shape=(1, 5, 5)),
        ValidationError,
        r"smaller than the",
        id="conv_kernel_gt_input",
    ),
    pytest.param(
        lambda: nb.Sequential([nb.Conv2D(1, 2, 3)], backend="cpu", input_shape=(1, 8, 8)).forward(
            np.zeros((2, 8, 8), np.float32)
        ),
        ValidationError,
        r"the model expects \(1, 8, 8\)",
        id="conv_wrong_rank",
    ),
    pytest.param(
        lambda: nb.Sequential([nb.Conv2D(1, 2, 3)], backend="cpu", input_shape=(1, 8, 8)).forward(
            np.zeros((2, 3, 8, 8), np.float32)
        ),
        ValidationError,
        r"shape \(3, 8, 8\)",
        id="conv_wrong_channels",
    ),
    pytest.param(lambda: nb.MaxPool2D(0), ValidationError, r"size must be >= 1", id="pool_size_0"),
    pytest.param(
        lambda: nb.Sequential([nb.MaxPool2D(4)], backend="cpu", input_shape=(1, 3, 3)),
        ValidationError,
        r"smaller than the window",
        id="pool_gt_input",
    ),
    pytest.param(
        lambda: nb.Conv1D(1, 2, 0),
        ValidationError,
        r"kernel_size must be >= 1",
        id="conv1d_kernel_0",
    ),
    pytest.param(
        lambda: nb.RNN(3, 0), ValidationError, r"hidden_size must be >= 1", id="rnn_hidden_0"
    ),
    pytest.param(
        lambda: nb.Sequential([nb.LSTM(3, 4)], backend="cpu", input_shape=(5, 3)).forward(
            np.zeros((2, 3), np.float32)
        ),
        ValidationError,
        r"expects \(5, 3\)",
        id="lstm_wrong_rank",
    ),
    pytest.param(
        lambda: nb.Sequential([nb.RNN(3, 4)], backend="cpu", input_shape=(5, 3)).forward(
            np.zeros((2, 5, 4), np.float32)
        ),
        ValidationError,
        r"shape \(5, 4\)",
        id="rnn_wrong_features",
    ),
    pytest.param(
        lambda: nb.Bidirectional(nb.Dense(3, 2)),
        ValidationError,
        r"Bidirectional wraps an RNN or LSTM",
        id="bidirectional_not_rnn",
    ),
    pytest.param(
        lambda: nb.Dropout(1.0), ValidationError, r"p must be in \[0, 1\)", id="dropout_1"
    ),
    pytest.param(
        lambda: nb.Dropout(-0.1), ValidationError, r"p must be in \[0, 1\)", id="dropout_neg"
    ),
    pytest.param(
        lambda: nb.Dropout(float("nan")),
        ValidationError,
        r"p must be a probability",
        id="dropout_nan",
    ),
    pytest.param(
        lambda: nb.GaussianNoise(-1.0),
        ValidationError,
        r"std must be a finite number >= 0",
        id="noise_neg_std",
    ),
    pytest.param(
        lambda: nb.LeakyReLU(float("nan")), ValidationError, r"alpha must be finite", id="leaky_nan"
    ),
    pytest.param(
        lambda: net3().forward(np.full((4, 3), np.inf, np.float32)),
        ValidationError,
        r"x contains infinity",
        id="forward_inf",
    ),
    pytest.param(
        lambda: net3().forward(np.array([["a", "b", "c"]])),
        DTypeError,
        r"expected real numbers",
        id="forward_strings",
    ),
    pytest.param(
        lambda: net3().forward(np.zeros((4, 3), np.complex64)),
        DTypeError,
        r"complex64",
        id="forward_complex",
    ),
    pytest.param(
        lambda: net3().forward(np.zeros((0, 3), np.float32)),
        ValidationError,
        r"x is empty",
        id="forward_empty",
    ),
    pytest.param(
        lambda: nb.Sequential([], backend="cpu"),
        ValidationError,
        r"at least one layer",
        id="sequential_empty",
    ),
    pytest.param(
        lambda: nb.Sequential([nb.Dense(3, 2), "relu"], backend="cpu"),
        ValidationError,
        r"layer 1 is a str",
        id="sequential_not_layer",
    ),
    pytest.param(
        lambda: nb.Sequential([nb.Dense(3, 2), nb.Dense(5, 1)], backend="cpu"),
        ValidationError,
        r"Dense\(5, 1\) expects inputs",
        id="sequential_mismatch",
    ),
    pytest.param(
        lambda: nb.Sequential([nb.Dense(3, 2)], backend="cpu", dtype=np.int32),
        DTypeError,
        r"dtype must be float32 or float64",
        id="sequential_bad_dtype",
    ),
    pytest.param(
        lambda: (lambda L: L.forward(np.zeros((4, 3), np.float32), np.array([0, 1, -1, 2])))(
            nb.losses.CrossEntropy()
        ),
        ValidationError,
        r"label -1, outside the range",
        id="ce_neg_label",
    ),
    pytest.param(
        lambda: (lambda L: L.forward(np.zeros((4, 3), np.float32), np.array([0.5, 1, 1, 2])))(
            nb.losses.CrossEntropy()
        ),
        ValidationError,
        r"1-D targets must be integer class labels",
        id="ce_float_labels",
    ),
    pytest.param(
        lambda: (lambda L: L.forward(np.zeros((4, 3), np.float32), np.array([0, 1, 2])))(
            nb.losses.CrossEntropy()
        ),
        ValidationError,
        r"3 labels but there are 4 examples",
        id="ce_len_mismatch",
    ),
    pytest.param(
        lambda: (lambda L: L.forward(np.full((4, 1), 1.5, np.float32), np.ones((4, 1))))(
            nb.losses.BCE()
        ),
        ValidationError,
        r"pred must be probabilities in \[0, 1\]",
        id="bce_prob_out_of_range",
    ),
    pytest.param(
        lambda: (lambda L: L.forward(np.full((4, 1), 0.5, np.float32), np.full((4, 1), 2.0)))(
            nb.losses.BCE()
        ),
        ValidationError,
        r"target must lie in \[0, 1\]",
        id="bce_target_out_of_range",
    ),
    pytest.param(
        lambda: (lambda L: L.forward(np.zeros((4, 2), np.float32), np.zeros((4, 3))))(
            nb.losses.MSE()
        ),
        ValidationError,
        r"3 columns but the model has 2 outputs",
        id="mse_shape",
    ),
    pytest.param(
        lambda: nb.losses.MSE(reduction="median"),
        ValidationError,
        r"reduction must be one of",
        id="mse_bad_reduction",
    ),
    pytest.param(
        lambda: nb.losses.MSE().backward(),
        ValidationError,
        r"call forward",
        id="loss_backward_first",
    ),
    pytest.param(
        lambda: nb.optim.SGD(net3().parameters(), lr=0),
        ValidationError,
        r"lr must be a finite number > 0",
        id="sgd_lr_0",
    ),
    pytest.param(
        lambda: nb.optim.SGD(net3().parameters(), lr=float("nan")),
        ValidationError,
        r"got nan",
        id="sgd_lr_nan",
    ),
    pytest.param(
        lambda: nb.optim.Adam(net3().parameters(), lr=0.1, beta1=1.0),
        ValidationError,
        r"beta1 must lie in \[0, 1\)",
        id="adam_beta1_1",
    ),
    pytest.param(
        lambda: nb.optim.Adam(net3().parameters(), lr=0.1, beta2=-0.5),
        ValidationError,
        r"beta2 must lie in \[0, 1\)",
        id="adam_beta2_neg",
    ),
    pytest.param(
        lambda: nb.optim.Adam(net3().parameters(), lr=0.1, eps=0.0),
        ValidationError,
        r"eps must be a finite number > 0",
        id="adam_eps_0",
    ),
    pytest.param(
        lambda: nb.optim.RMSProp(net3().parameters(), lr=0.1, beta2=1.5),
        ValidationError,
        r"beta2 must lie in \[0, 1\)",
        id="rmsprop_beta2_gt1",
    ),
    pytest.param(
        lambda: nb.optim.SGD([], lr=0.1), ValidationError, r"no parameters", id="optim_no_params"
    ),
    pytest.param(
        lambda: net3().fit(
            x, np.zeros(4, int), loss=nb.losses.CrossEntropy(), optimizer="lbfgs", progress=False
        ),
        ValidationError,
        r"unknown optimizer 'lbfgs'",
        id="optim_unknown_name",
    ),
    pytest.param(
        lambda: net3().fit(
            x,
            np.zeros(4, int),
            loss=nb.losses.CrossEntropy(),
            optimizer="sgd",
            lr=0.1,
            epochs=-1,
            progress=False,
        ),
        ValidationError,
        r"epochs must be >= 1",
        id="fit_epochs_neg",
    ),
    pytest.param(
        lambda: net3().fit(
            x,
            np.zeros(5, int),
            loss=nb.losses.CrossEntropy(),
            optimizer="sgd",
            lr=0.1,
            progress=False,
        ),
        ValidationError,
        r"5 labels but there are 4 examples",
        id="fit_len_mismatch",
    ),
    pytest.param(
        lambda: net3().fit(
            np.zeros((0, 3), np.float32),
            np.zeros(0, int),
            loss=nb.losses.CrossEntropy(),
            optimizer="sgd",
            lr=0.1,
            progress=False,
        ),
        ValidationError,
        r"x is empty",
        id="fit_empty",
    ),
    pytest.param(
        lambda: net3().fit(
            x,
            np.zeros(4, int),
            loss=nb.losses.CrossEntropy(),
            optimizer="sgd",
            lr=0.1,
            validation=(x,),
            progress=False,
        ),
        ValidationError,
        r"validation must be a pair",
        id="fit_bad_validation",
    ),
    pytest.param(
        lambda: nb.schedules.exponential(0.1, gamma=-0.5),
        ValidationError,
        r"gamma must be a finite number > 0",
        id="schedule_neg_gamma",
    ),
    pytest.param(
        lambda: R.parameter_count([1, -3, 1]),
        ValidationError,
        r"widths\[1\] must be >= 1",
        id="theory_neg_width",
    ),
    pytest.param(
        lambda: R.udl_max_regions(1, 10, 2.5),
        ValidationError,
        r"depth must be an integer",
        id="theory_depth_float",
    ),
    pytest.param(
        lambda: R.zaslavsky(0, 3), ValidationError, r"d_in must be >= 1", id="theory_zaslavsky_zero"
    ),
    pytest.param(
        lambda: R.count_2d(
            nb.Sequential([nb.Dense(2, 3), nb.ReLU(), nb.Dense(3, 1)], backend="reference"),
            (1, 0, 0, 1),
        ),
        ValidationError,
        r"x0 < x1",
        id="theory_box",
    ),
    pytest.param(
        lambda: R.count_1d(
            nb.Sequential([nb.Dense(1, 3), nb.Sigmoid(), nb.Dense(3, 1)], backend="reference"),
            -1,
            1,
        ),
        ValidationError,
        r"needs piecewise-linear layers",
        id="theory_count1d_sigmoid",
    ),
    pytest.param(
        lambda: NB.stationary(NB.slide_problem(), -0.1, 1),
        ValidationError,
        r"alpha must be a finite number > 0",
        id="noise_ball_alpha",
    ),
    pytest.param(
        lambda: D.load_mnist(path="/nonexistent"), DataError, r"was not found", id="mnist_missing"
    ),
    pytest.param(
        lambda: D.load_mnist1d(final_seq_length=-4),
        ValidationError,
        r"final_seq_length must be >= 2",
        id="mnist1d_bad_param",
    ),
    pytest.param(
        lambda: nb.unsupervised.Perceptron(2).fit(
            np.zeros((4, 2)), np.array([0, 1, 2, 1]), epochs=3
        ),
        ValidationError,
        r"labels must be in \{0, 1\}",
        id="perceptron_bad_labels",
    ),
    pytest.param(
        lambda: nb.unsupervised.Perceptron(0),
        ValidationError,
        r"n_inputs must be >= 1",
        id="perceptron_n0",
    ),
    pytest.param(
        lambda: nb.unsupervised.RBM(4, 3, backend="cpu").fit(
            np.zeros((8, 4)), epochs=1, k=0, lr=0.1
        ),
        ValidationError,
        r"k must be >= 1",
        id="rbm_bad_k",
    ),
    pytest.param(
        lambda: nb.unsupervised.RBM(4, 3, backend="cpu").fit(
            np.full((8, 4), 3.0), epochs=1, lr=0.1
        ),
        ValidationError,
        r"values in \[0, 1\]",
        id="rbm_x_out_of_range",
    ),
    pytest.param(
        lambda: nb.unsupervised.RBM(4, 3, backend="cpu").fit(np.zeros((8, 5)), epochs=1, lr=0.1),
        ValidationError,
        r"4 visible units",
        id="rbm_wrong_width",
    ),
    # layers called directly (the micrograd-style use of the explicit forward/backward)
    pytest.param(
        lambda: nb.Dense(3, 2).forward(x),
        ValidationError,
        r"not part of a model yet",
        id="layer_unbound",
    ),
    pytest.param(
        lambda: net3().layers[0].forward(x.astype(np.float64)),
        DTypeError,
        r"x has dtype float64 but the model computes in float32",
        id="layer_float64_input",
    ),
    pytest.param(
        lambda: net3().layers[0].forward(np.zeros((4, 5), np.float32)),
        ValidationError,
        r"Dense.forward: Dense\(3, 2\) expects inputs of shape \(n, 3\)",
        id="layer_wrong_width",
    ),
    pytest.param(
        lambda: net3().layers[0].forward([[1.0, 2.0, 3.0]]),
        DTypeError,
        r"expects an array of the cpu backend; got list",
        id="layer_list_input",
    ),
    pytest.param(
        lambda: _layer_after_forward().backward(np.zeros((4, 2), np.float64)),
        DTypeError,
        r"dy has dtype float64",
        id="layer_backward_float64",
    ),
    pytest.param(
        lambda: _layer_after_forward().backward(np.zeros((4, 3), np.float32)),
        ValidationError,
        r"dy has shape \(4, 3\); expected \(4, 2\)",
        id="layer_backward_wrong_shape",
    ),
    pytest.param(
        lambda: net3().layers[0].backward(np.zeros((4, 2), np.float32)),
        ValidationError,
        r"called before forward",
        id="layer_backward_before_forward",
    ),
    pytest.param(
        lambda: (
            nb.Sequential([nb.Conv2D(1, 2, 3)], backend="reference", input_shape=(1, 5, 5))
            .layers[0]
            .forward(np.zeros((2, 1, 2, 2), np.float32))
        ),
        ValidationError,
        r"a 2x2 input is smaller than the \(3, 3\) kernel",
        id="conv_layer_input_smaller_than_kernel",
    ),
    pytest.param(
        lambda: nb.checkpoint.save(os.devnull, "model"),
        ValidationError,
        r"model must be a Sequential",
        id="checkpoint_not_model",
    ),
]


def _layer_after_forward():
    layer = net3().layers[0]
    layer.forward(x)
    return layer


@pytest.mark.parametrize("call,error,message", CASES)
def test_bad_input_is_refused_clearly(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert isinstance(info.value, NumbanetError)
    assert "numba" not in str(info.value).lower().replace("numbanet", "")


def test_the_battery_is_large_and_distinct():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) >= 60


CLI_CASES = [
    (["figures", "nope"], "unknown figure id 'nope'"),
    (["claims", "99"], "no claim 99"),
    (["train", "--activation", "wiggle"], "unknown activation 'wiggle'"),
    (["train", "--seed", "-1"], "--seed must be >= 0; got -1"),  # was numpy's bare ValueError
    (["train", "--loss", "hinge"], "unknown loss 'hinge'"),
    (["train", "--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'"),
    (["train", "--epochs", "0"], "epochs must be >= 1"),
    (["train", "--model", "resnet"], "unknown --model 'resnet'"),
    (["sweep", "/nonexistent/spec.toml"], "does not exist"),
    (["train", "--backend", "cuda"], "backend 'cuda' needs an NVIDIA GPU"),
]


@pytest.mark.parametrize("args,message", CLI_CASES, ids=[" ".join(a) for a, _ in CLI_CASES])
def test_cli_bad_input_exits_with_one_line(args, message, shared_data):
    # a real process without the CUDA simulator the test session enables: the user's path
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["NUMBANET_DATA"] = shared_data
    out = subprocess.run(
        [sys.executable, "-m", "numbanet", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode != 0
    err = out.stderr.strip()
    assert "Traceback" not in err
    assert err.startswith("error:") and len(err.splitlines()) == 1, err
    assert message in err


def test_negative_or_non_integer_seeds_get_numbanet_errors():
    with pytest.raises(nb.ValidationError, match="seed must be a non-negative integer"):
        nb.Sequential([nb.Dense(2, 1)], backend="cpu", seed=-1)
    with pytest.raises(nb.ValidationError, match="seed must be a non-negative integer or None"):
        nb.Sequential([nb.Dense(2, 1)], backend="cpu", seed=1.5)
    net = nb.Sequential([nb.Dense(2, 1)], backend="cpu", seed=0)
    with pytest.raises(nb.ValidationError, match="seed must be a non-negative integer"):
        net.fit(np.zeros((4, 2)), np.zeros((4, 1)), loss="mse", seed=-3, progress=False)


def test_a_batch_larger_than_the_data_is_the_whole_data():
    """fit sizes its workspaces by min(batch_size, n): a huge batch_size allocates nothing large
    and trains exactly as one full batch."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    flats = []
    for bs in (10**8, 20):
        net = nb.Sequential([nb.Dense(3, 4), nb.Sigmoid(), nb.Dense(4, 2)], backend="cpu", seed=0)
        net.fit(x, y, loss="cross_entropy", lr=0.1, epochs=2, batch_size=bs, progress=False)
        flats.append(net.get_flat())
    np.testing.assert_array_equal(flats[0], flats[1])
