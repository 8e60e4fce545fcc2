"""The simple RNN's hidden activation (issue 20, item 21): ``RNN(activation="tanh" | "relu" | ...)``.

Deck 003: "no se descartan activaciones populares como la ReLU, pero el estándar es la tanh ya
que se necesita un rango de valores acotados para evitar explosiones y tener la capacidad de
representar valores positivos y negativos". The tests check the gradients through time against
finite differences for every accepted activation, the CPU kernels and the simulated CUDA kernels
against the reference, the errors for activations that cannot be used, and the slide's reason
for tanh (bounded, signed states) on a recurrence that amplifies its state."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import losses as L
from numbanet.backends import get_backend
from numbanet.codes import Act
from numbanet.errors import ValidationError
from numbanet.nn.recurrent import RNN, RNN_ACTIVATIONS, Bidirectional, TimeDistributed

from .gradcheck import check_model_grads

N, T, D, H = 2, 4, 3, 4

#: (activation argument, alpha) for every code the RNN accepts; leaky slope / ELU scale chosen
#: away from the defaults so that a lost alpha shows
ACTS = [
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", 0.2),
    ("elu", 0.7),
    ("sigmoid", None),
    ("identity", None),
]
IDS = [a for a, _ in ACTS]


class _Flat:
    """MSE on (n, T, k) outputs through the losses' 2-D form."""

    def __init__(self):
        self.loss = L.MSE()

    def forward(self, out, y):
        self.shape = out.shape
        n = out.shape[0]
        return self.loss.forward(out.reshape(n, -1), np.asarray(y).reshape(n, -1))

    def backward(self):
        return self.loss.backward().reshape(self.shape)


def _code(act):
    return RNN_ACTIVATIONS[act]


# ---------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("act,alpha", ACTS, ids=IDS)
def test_gradcheck_through_time_every_activation(act, alpha, rng):
    """Stacked RNN -> bidirectional RNN -> per-step Dense: BPTT against central differences,
    both directions of time and both output modes, with the activation's derivative read off
    the stored states."""
    layers = [
        RNN(D, H, return_sequences=True, activation=act, alpha=alpha),
        Bidirectional(RNN(H, 3, return_sequences=True, activation=act, alpha=alpha)),
        TimeDistributed(nb.Dense(6, 2)),
    ]
    net = nb.Sequential(layers, backend="reference", seed=1, dtype="float64", input_shape=(T, D))
    # random biases too, and weights large enough that ReLU units are off at some steps
    net.set_flat(net.get_flat() + 0.4 * rng.standard_normal(net.get_flat().shape))
    x = rng.standard_normal((N, T, D))
    out = net.forward(x)
    h1 = net.layers[0].forward(x)
    if act in ("relu", "leaky_relu", "elu"):
        assert (h1 <= 0).any() and (h1 > 0).any()  # both branches are exercised
    check_model_grads(net, x, rng.standard_normal(out.shape), _Flat(), rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------- backends
def _case(rng, dtype, n=3, t=5, d=4, h=6):
    x = rng.standard_normal((n, t, d)).astype(dtype)
    W = (0.6 * rng.standard_normal((h, d))).astype(dtype)
    U = (0.6 * rng.standard_normal((h, h))).astype(dtype)
    b = rng.standard_normal(h).astype(dtype)
    return x, W, U, b


def _run(be, case, reverse, seq, act, alpha, forward="rnn_forward"):
    """Forward, then backward with a fixed d(loss)/d(out): [out, dx, dW, dU, db] as NumPy."""
    x, W, U, b = case
    args = [be.asarray(a, a.dtype) for a in case]
    out, cache = getattr(be, forward)(*args, reverse, seq, _code(act), alpha or 0.0)
    dout = np.random.default_rng(7).standard_normal(tuple(out.shape)).astype(x.dtype)
    grads = [be.asarray(np.full(a.shape, 0.5, a.dtype), a.dtype) for a in (W, U, b)]
    dx = be.rnn_backward(cache, be.asarray(dout, x.dtype), *grads, True)
    return [be.to_numpy(out), be.to_numpy(dx)] + [be.to_numpy(g) for g in grads]


def _assert_same(got, want, dtype, tol, what):
    for g, w, name in zip(got, want, ["out", "dx", "dW", "dU", "db"]):
        assert g.dtype == dtype, name
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{name} {what}")


@pytest.mark.parametrize("act,alpha", ACTS, ids=IDS)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 3e-5)])
def test_cpu_matches_reference_every_activation(act, alpha, dtype, tol, rng, monkeypatch):
    """The Numba kernels (training forward, and the evaluation forward that keeps nothing per
    step, whose backward recomputes the pass) against the NumPy reference."""
    from numbanet.backends import _rnn_ops as R

    ref, cpu = get_backend("reference"), get_backend("cpu")
    monkeypatch.setattr(R, "INFER_ROWS", 2)  # several evaluation blocks on 3 rows
    for reverse in (False, True):
        for seq in (False, True):
            case = _case(rng, dtype)
            want = _run(ref, case, reverse, seq, act, alpha)
            got = _run(cpu, case, reverse, seq, act, alpha)
            _assert_same(got, want, dtype, tol, f"train {act} {reverse} {seq}")
            monkeypatch.setattr(R, "EVAL_KEEP_BYTES", 0)
            got = _run(cpu, case, reverse, seq, act, alpha, "rnn_forward_eval")
            monkeypatch.setattr(R, "EVAL_KEEP_BYTES", 64 << 20)
            _assert_same(got, want, dtype, tol, f"eval {act} {reverse} {seq}")


@pytest.mark.parametrize("act,alpha", ACTS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cuda_matches_reference_every_activation(act, alpha, dtype, rng):
    """Simulated CUDA kernels at a tiny shape (batch 2, time 3, 3 -> 4 units: several 8-thread
    blocks per launch), both directions."""
    ref, dev = get_backend("reference"), get_backend("cuda")
    tol = 1e-10 if dtype == np.float64 else 2e-5
    for reverse, seq in ((False, False), (True, True)):
        case = _case(rng, dtype, n=2, t=3, d=3, h=4)
        want = _run(ref, case, reverse, seq, act, alpha)
        got = _run(dev, case, reverse, seq, act, alpha)
        _assert_same(got, want, dtype, tol, f"cuda {act} {reverse} {seq}")


def test_models_on_three_backends_agree_with_a_relu_rnn(rng):
    """A whole Bidirectional(RNN(relu)) model, one forward and backward on every backend: the
    layer hands its activation to each backend's op."""
    net = nb.Sequential(
        [Bidirectional(RNN(3, 4, activation="relu")), nb.Dense(8, 2)],
        backend="reference",
        seed=4,
        dtype="float64",
        input_shape=(3, 3),
    )
    net.set_flat(net.get_flat() + 0.3 * rng.standard_normal(net.get_flat().shape))
    x = rng.standard_normal((2, 3, 3))
    g = rng.standard_normal((2, 2))
    results = []
    for m in (net, net.clone(backend="cpu"), net.clone(backend="cuda")):
        m.zero_grad()
        out = m.forward(x)
        dx = m.backward(g)
        grads = [np.array(p.grad) for p in m.parameters()]
        results.append([np.asarray(m.backend.to_numpy(out)), np.asarray(m.backend.to_numpy(dx))])
        results[-1] += grads
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    # tanh's numbers differ: the activation really reached the kernels
    tanh = nb.Sequential(
        [Bidirectional(RNN(3, 4)), nb.Dense(8, 2)],
        backend="cpu",
        dtype="float64",
        input_shape=(3, 3),
    )
    tanh.set_flat(net.get_flat())
    assert not np.allclose(tanh.forward(x), results[0][0])


# ---------------------------------------------------------------------------- the layer
def test_default_is_the_slides_tanh_and_layers_are_accepted(rng):
    net = nb.Sequential([RNN(2, 3)], backend="reference", dtype="float64", input_shape=(4, 2))
    layer = net.layers[0]
    assert layer.activation == "tanh"
    x = rng.standard_normal((2, 4, 2))
    W, U, b = (layer._params[k].value for k in ("W", "U", "b"))
    h = np.zeros((2, 3))
    for t in range(4):
        h = np.tanh(x[:, t] @ W.T + h @ U.T + b)
    np.testing.assert_allclose(net.forward(x), h, atol=1e-14)
    leaky = RNN(2, 3, activation=nb.LeakyReLU(0.3))
    assert (leaky.activation, leaky.alpha) == ("leaky_relu", 0.3)
    assert RNN(2, 3, activation="leaky_relu").alpha == 0.01
    assert RNN(2, 3, activation="ELU").alpha == 1.0
    assert RNN(2, 3, activation="linear").activation == "identity"
    assert "activation='relu'" in repr(RNN(2, 3, activation="relu"))


def test_activation_survives_bidirectional_clone_and_checkpoint(tmp_path, rng):
    net = nb.Sequential(
        [Bidirectional(RNN(3, 4, activation="leaky_relu", alpha=0.25)), nb.Dense(8, 2)],
        backend="reference",
        seed=0,
        input_shape=(5, 3),
    )
    bi = net.layers[0]
    assert bi.backward_layer.activation == "leaky_relu" and bi.backward_layer.alpha == 0.25
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    ref = net.predict(x)
    path = tmp_path / "relu_rnn.npz"
    net.save(path)
    back = nb.Sequential.load(path, backend="reference")
    assert back.layers[0].forward_layer.alpha == 0.25
    np.testing.assert_allclose(back.predict(x), ref, rtol=1e-6)
    np.testing.assert_allclose(net.clone(dtype="float64").predict(x), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(activation="gelu"), r"'gelu' is not supported \(its derivative does not follow"),
        (dict(activation="swish"), "choose one of 'tanh', 'relu'"),
        (dict(activation="tanhh"), r"'tanhh' is not supported; choose one of"),
        (dict(activation=nb.Softplus()), "Softplus is not supported"),
        (dict(activation=np.tanh), "a name such as 'tanh'"),
        (dict(activation="leaky_relu", alpha=-0.1), "alpha must be a finite number >= 0"),
        (dict(activation="elu", alpha="big"), "got 'big'"),
        (dict(activation="tanh", alpha=0.1), "alpha applies to 'leaky_relu' and 'elu' only"),
    ],
)
def test_unusable_activations_are_clear_errors(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        RNN(3, 4, **kwargs)


# ---------------------------------------------------------------------------- the slide's reason
def test_tanh_states_stay_bounded_and_signed_where_relu_explodes():
    """W_hh = 1.5 I amplifies the state at every step (not orthogonal on purpose): the ReLU
    states grow like 1.5^t, the tanh states stay in (-1, 1) and take both signs; ReLU states are
    never negative (the slide: tanh is bounded, to avoid explosions, and signed)."""
    T_long, Hs = 40, 4
    x = np.random.default_rng(0).standard_normal((8, T_long, 2))
    peaks = {}
    for act in ("tanh", "relu"):
        net = nb.Sequential(
            [RNN(2, Hs, return_sequences=True, activation=act)],
            backend="reference",
            seed=0,
            dtype="float64",
            input_shape=(T_long, 2),
        )
        net.layers[0].U.value = 1.5 * np.eye(Hs)
        h = net.forward(x)
        peaks[act] = np.abs(h).max(axis=(0, 2))
        if act == "tanh":
            assert np.abs(h).max() < 1 and (h < -0.1).any() and (h > 0.1).any()
        else:
            assert h.min() >= 0
    assert peaks["relu"][-1] > 1e5 * peaks["relu"][5]  # exponential growth
    assert peaks["tanh"][-1] < 1


def test_every_accepted_code_is_differentiable_from_its_output():
    """The layer's list and the kernels' list (``kernels.scalar.FROM_OUTPUT``) agree."""
    from numbanet.kernels import scalar as S

    assert {int(c) for c in RNN_ACTIVATIONS.values()} == set(S.FROM_OUTPUT)
    assert Act.GELU not in S.FROM_OUTPUT
