"""Optimisers against the slides' formulas written out in NumPy, step by step, on every backend.

Each test drives ``Optimizer.step()`` with a fixed sequence of gradients (or the gradient of a
quadratic, for Nesterov's look-ahead) and compares the parameters and the exposed state with a
float64 NumPy transcription of the slide's update. The reference and CPU backends use a 5 -> 7
dense layer; the simulated CUDA backend a 3 -> 5 layer (20 values: three blocks of 8 threads).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import numbanet as nb
from numbanet import optim
from numbanet.errors import ValidationError

BACKENDS = ["reference", "cpu", "cuda"]
STEPS = 4


def _net(backend, dtype=np.float64, seed=0):
    shape = (3, 5) if backend == "cuda" else (5, 7)
    return nb.Sequential([nb.Dense(*shape)], backend=backend, seed=seed, dtype=dtype)


def _grads(net, steps=STEPS, seed=1):
    """A fixed sequence of gradients: one {name: array} per step (float64)."""
    rng = np.random.default_rng(seed)
    return [{p.name: rng.standard_normal(p.shape) for p in net.parameters()} for _ in range(steps)]


def _run(net, opt, grads):
    """Feed the gradients through step(); returns the parameter values after each step."""
    out = []
    for g in grads:
        for p in net.parameters():
            p.grad = g[p.name].astype(p.dtype)
        opt.step()
        out.append({p.name: p.value.astype(np.float64) for p in net.parameters()})
    return out


def _close(a, b, dtype=np.float64):
    if dtype == np.float64:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    else:
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


# ---------------------------------------------------------------- the slides' formulas, in NumPy
def ref_sgd(theta, grads, lr):
    out = []
    for g in grads:
        theta = theta - lr * g
        out.append(theta)
    return out


def ref_momentum(theta, grads, lr, beta, bias_correction=False):
    """m_t = beta m_{t-1} + (1 - beta) g_t;  theta_t = theta_{t-1} - lr m_t (or m_t / (1-beta^t))."""
    m = np.zeros_like(theta)
    out, ms = [], []
    for t, g in enumerate(grads, start=1):
        m = beta * m + (1 - beta) * g
        step = m / (1 - beta**t) if bias_correction else m
        theta = theta - lr * step
        out.append(theta)
        ms.append(m)
    return out, ms


def ref_classical(theta, grads, lr, mu):
    """v_t = mu v_{t-1} + g_t;  theta_t = theta_{t-1} - lr v_t."""
    v = np.zeros_like(theta)
    out = []
    for g in grads:
        v = mu * v + g
        theta = theta - lr * v
        out.append(theta)
    return out


def ref_adagrad(theta, grads, lr, eps):
    s = np.zeros_like(theta)
    out = []
    for g in grads:
        s = s + g * g
        theta = theta - lr * g / np.sqrt(s + eps)
        out.append(theta)
    return out


def ref_rmsprop(theta, grads, lr, beta2, eps, bias_correction=False):
    v = np.zeros_like(theta)
    out = []
    for t, g in enumerate(grads, start=1):
        v = beta2 * v + (1 - beta2) * g * g
        vh = v / (1 - beta2**t) if bias_correction else v
        theta = theta - lr * g / np.sqrt(vh + eps)
        out.append(theta)
    return out


def ref_adam(theta, grads, lr, b1, b2, eps, eps_inside=True):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    out, ms, vs = [], [], []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mh, vh = m / (1 - b1**t), v / (1 - b2**t)
        den = np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps
        theta = theta - lr * mh / den
        out.append(theta)
        ms.append(m)
        vs.append(v)
    return out, ms, vs


CASES = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.1), lambda th, gs: ref_sgd(th, gs, 0.1)),
    "momentum_ewma": (
        lambda ps: optim.Momentum(ps, lr=0.3, beta1=0.9),
        lambda th, gs: ref_momentum(th, gs, 0.3, 0.9)[0],
    ),
    "momentum_bias_corrected": (
        lambda ps: optim.Momentum(ps, lr=0.3, beta1=0.9, bias_correction=True),
        lambda th, gs: ref_momentum(th, gs, 0.3, 0.9, bias_correction=True)[0],
    ),
    "momentum_classical": (
        lambda ps: optim.Momentum(ps, lr=0.05, beta1=0.8, form="classical"),
        lambda th, gs: ref_classical(th, gs, 0.05, 0.8),
    ),
    "adagrad": (
        lambda ps: optim.Adagrad(ps, lr=0.2, eps=1e-6),
        lambda th, gs: ref_adagrad(th, gs, 0.2, 1e-6),
    ),
    "rmsprop": (
        lambda ps: optim.RMSProp(ps, lr=0.01, beta2=0.9, eps=1e-6),
        lambda th, gs: ref_rmsprop(th, gs, 0.01, 0.9, 1e-6),
    ),
    "rmsprop_bias_corrected": (
        lambda ps: optim.RMSProp(ps, lr=0.01, beta2=0.9, eps=1e-6, bias_correction=True),
        lambda th, gs: ref_rmsprop(th, gs, 0.01, 0.9, 1e-6, bias_correction=True),
    ),
    "adam": (
        lambda ps: optim.Adam(ps, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
        lambda th, gs: ref_adam(th, gs, 0.01, 0.9, 0.999, 1e-8)[0],
    ),
    "adam_eps_outside": (
        lambda ps: optim.Adam(ps, lr=0.01, eps=1e-3, eps_inside=False),
        lambda th, gs: ref_adam(th, gs, 0.01, 0.9, 0.999, 1e-3, eps_inside=False)[0],
    ),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", list(CASES))
def test_update_equals_slide_formula(case, backend):
    make, ref = CASES[case]
    net = _net(backend)
    theta0 = {p.name: p.value.astype(np.float64) for p in net.parameters()}
    grads = _grads(net)
    got = _run(net, make(net.parameters()), grads)
    for name, th in theta0.items():
        want = ref(th, [g[name] for g in grads])
        for t in range(STEPS):
            _close(got[t][name], want[t])


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("case", ["momentum_bias_corrected", "rmsprop_bias_corrected", "adam"])
def test_float32_backends_agree_with_reference(case, backend):
    make = CASES[case][0]
    net = _net(backend, np.float32)
    shape = (3, 5) if backend == "cuda" else (5, 7)
    ref_net = nb.Sequential([nb.Dense(*shape)], backend="reference", seed=0, dtype=np.float32)
    grads = _grads(net)
    got = _run(net, make(net.parameters()), grads)
    want = _run(ref_net, make(ref_net.parameters()), grads)
    for t in range(STEPS):
        for name in got[t]:
            _close(got[t][name], want[t][name], np.float32)


# ---------------------------------------------------------------- hand-derived sequences
@pytest.mark.parametrize("backend", BACKENDS)
def test_momentum_first_two_states_by_hand(backend):
    """beta1 = 0.9: m_1 = 0.1 g_1 and m_2 = 0.1 g_2 + 0.09 g_1 (the slides' example)."""
    net = _net(backend)
    grads = _grads(net, steps=2)
    opt = optim.Momentum(net.parameters(), lr=0.1, beta1=0.9)
    _run(net, opt, grads[:1])
    W = net.parameters()[0]
    g1, g2 = grads[0][W.name], grads[1][W.name]
    _close(opt.get_state(0)["m"], 0.1 * g1)
    _close(opt.get_state(W)["m"], 0.1 * g1)  # by Parameter too
    _run(net, opt, grads[1:])
    _close(opt.state_arrays()["m"][0], 0.1 * g2 + 0.09 * g1)
    assert opt.get_state(0)["lr_eff"] == pytest.approx(0.1 * 0.1)  # alpha (1 - beta1)


def test_bias_corrected_momentum_is_a_convex_combination():
    """m_t / (1 - beta^t) = sum_k w_k g_k with w_k >= 0, sum w_k = 1: a constant gradient comes
    back exactly, and every component stays within the range of its past gradients."""
    beta = 0.9
    net = _net("cpu")
    W = net.parameters()[0]
    # constant gradient: corrected m equals it at every step
    opt = optim.Momentum(net.parameters(), lr=0.1, beta1=beta, bias_correction=True)
    g = np.random.default_rng(3).standard_normal(W.shape)
    for t in range(1, 6):
        W.grad = g
        net.parameters()[1].grad = np.zeros(net.parameters()[1].shape)
        opt.step()
        mhat = opt.get_state(0)["m"] / (1 - beta**t)
        _close(mhat, g)
        # the effective learning rate is alpha (1 - beta) / (1 - beta^t)
        assert opt.effective_lr(0) == pytest.approx(0.1 * (1 - beta) / (1 - beta**t))
    # varying gradients: the weights of the combination, read off by linearity
    T = 6
    for k in range(1, T + 1):
        net2 = _net("reference")
        o2 = optim.Momentum(net2.parameters(), lr=0.1, beta1=beta, bias_correction=True)
        for t in range(1, T + 1):
            for p in net2.parameters():
                p.grad = np.full(p.shape, 1.0 if t == k else 0.0)
            o2.step()
        w_k = o2.get_state(0)["m"].ravel()[0] / (1 - beta**T)
        assert w_k == pytest.approx((1 - beta) * beta ** (T - k) / (1 - beta**T))
    weights = [(1 - beta) * beta ** (T - k) / (1 - beta**T) for k in range(1, T + 1)]
    assert sum(weights) == pytest.approx(1.0)
    # and with random gradients the corrected m lies inside the per-component range
    net3 = _net("reference")
    o3 = optim.Momentum(net3.parameters(), lr=0.1, beta1=beta, bias_correction=True)
    gs = _grads(net3, steps=T, seed=9)
    _run(net3, o3, gs)
    mhat = o3.get_state(0)["m"] / (1 - beta**T)
    stack = np.stack([g[net3.parameters()[0].name] for g in gs])
    assert (mhat >= stack.min(0) - 1e-12).all() and (mhat <= stack.max(0) + 1e-12).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_adam_first_step_moves_each_weight_by_about_alpha(backend):
    net = _net(backend)
    before = [p.value.copy() for p in net.parameters()]
    grads = _grads(net, steps=1)
    opt = optim.Adam(net.parameters(), lr=1e-3)
    _run(net, opt, grads)
    for p, b in zip(net.parameters(), before):
        moved = np.abs(p.value - b)
        np.testing.assert_allclose(moved, 1e-3, rtol=1e-4)
        # direction: against the gradient
        assert (np.sign(p.value - b) == -np.sign(grads[0][p.name])).all()
    st = opt.get_state(0)
    assert set(st) == {"m", "v", "lr_eff"}
    g = grads[0][net.parameters()[0].name]
    _close(st["m"], 0.1 * g)
    _close(st["v"], 0.001 * g * g)
    # lr_eff = alpha / sqrt(v_hat + eps), per component
    np.testing.assert_allclose(st["lr_eff"], 1e-3 / np.sqrt(g * g + 1e-8), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_adam_and_rmsprop_state_sequences(backend):
    net = _net(backend)
    grads = _grads(net, steps=3)
    opt = optim.Adam(net.parameters(), lr=0.01, beta1=0.8, beta2=0.95, eps=1e-7)
    W = net.parameters()[0]
    theta0 = W.value.astype(np.float64)
    _, ms, vs = ref_adam(theta0, [g[W.name] for g in grads], 0.01, 0.8, 0.95, 1e-7)
    for t in range(3):
        _run(net, opt, grads[t : t + 1])
        st = opt.get_state(0)
        _close(st["m"], ms[t])
        _close(st["v"], vs[t])
    assert opt.t == 3
    net2 = _net(backend)
    rms = optim.RMSProp(net2.parameters(), lr=0.01, beta2=0.9, eps=1e-6, bias_correction=True)
    _run(net2, rms, grads)
    W2 = net2.parameters()[0]
    v = np.zeros(W2.shape)
    for g in grads:
        v = 0.9 * v + 0.1 * g[W2.name] ** 2
    _close(rms.get_state(0)["v"], v)
    np.testing.assert_allclose(
        rms.effective_lr(0), 0.01 / np.sqrt(v / (1 - 0.9**3) + 1e-6), rtol=1e-12
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_adagrad_state_is_the_sum_of_squares(backend):
    net = _net(backend)
    grads = _grads(net, steps=3)
    opt = optim.Adagrad(net.parameters(), lr=0.5, eps=1e-8)
    _run(net, opt, grads)
    W = net.parameters()[0]
    s = sum(g[W.name] ** 2 for g in grads)
    _close(opt.get_state(0)["s"], s)
    np.testing.assert_allclose(opt.effective_lr(0), 0.5 / np.sqrt(s + 1e-8), rtol=1e-12)


def test_classical_momentum_is_ewma_with_rescaled_learning_rate():
    """v = mu v + g with lr_c traces the same weights as the EWMA form with lr = lr_c/(1-mu)."""
    a = _net("reference")
    b = _net("reference")
    grads = _grads(a, steps=5)
    ra = _run(a, optim.Momentum(a.parameters(), lr=0.02, beta1=0.9, form="classical"), grads)
    rb = _run(b, optim.Momentum(b.parameters(), lr=0.2, beta1=0.9), grads)
    for x, y in zip(ra, rb):
        for k in x:
            np.testing.assert_allclose(x[k], y[k], rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------- Nesterov
def _quadratic(shape, seed):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.5, 3.0, shape)
    c = rng.standard_normal(shape)
    return lambda th: A * (th - c)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nesterov_through_step_equals_the_slide_form(backend):
    """The slides: theta_t = theta_{t-1} - a b m_{t-1} - a (1-b) grad L(theta_{t-1} - a b m_{t-1}),
    m_t = b m_{t-1} + (1-b) grad L(look-ahead). step() keeps the look-ahead point phi in the model;
    slide_params() gives back theta, and phi = theta - a b m."""
    lr, beta = 0.2, 0.9
    net = _net(backend)
    params = net.parameters()
    grad_fns = {p.name: _quadratic(p.shape, k) for k, p in enumerate(params)}
    theta = {p.name: p.value.astype(np.float64) for p in params}
    m = {k: np.zeros_like(v) for k, v in theta.items()}
    opt = optim.Nesterov(params, lr=lr, beta1=beta)
    for _ in range(5):
        for p in params:  # gradient where the model stands: the look-ahead point
            p.grad = grad_fns[p.name](p.value.astype(np.float64))
        opt.step()
        for k, f in grad_fns.items():  # the slide's update
            look = theta[k] - lr * beta * m[k]
            g = f(look)
            theta[k] = theta[k] - lr * beta * m[k] - lr * (1 - beta) * g
            m[k] = beta * m[k] + (1 - beta) * g
        for i, p in enumerate(params):
            _close(opt.slide_params(i), theta[p.name])
            _close(p.value, theta[p.name] - lr * beta * m[p.name])
            _close(opt.get_state(i)["m"], m[p.name])
    assert opt.effective_lr() == pytest.approx(lr * (1 - beta) * (1 + beta))


def test_nesterov_converges_faster_than_momentum_on_an_ill_conditioned_quadratic():
    """Not a formula, a behaviour: with the same lr and beta, Nesterov's look-ahead damps the
    oscillation along the steep direction of 0.5 (100 x^2 + y^2)."""
    A = np.array([100.0, 1.0])

    def run(cls):
        net = nb.Sequential([nb.Dense(1, 2)], backend="reference", seed=0, dtype=np.float64)
        W, b = net.parameters()
        W.value = np.ones((2, 1))
        opt = cls([W], lr=0.1, beta1=0.9)
        b.trainable = False
        for _ in range(60):
            W.grad = (A * W.value.ravel()).reshape(2, 1)
            opt.step()
        return float(0.5 * np.sum(A * W.value.ravel() ** 2))

    assert run(optim.Nesterov) < run(optim.Momentum)


# ---------------------------------------------------------------- weight decay and the L2 penalty
@pytest.mark.parametrize("backend", BACKENDS)
def test_l2_penalty_and_nielsen_decay_give_the_same_sgd_step(backend):
    """lambda/2 ||W||^2 added to the cost and Nielsen's w <- (1 - a lambda / n) w - a g agree
    when the penalty's coefficient is lambda / n; biases are not decayed."""
    lam, n = 5.0, 50
    nets = [_net(backend) for _ in range(4)]
    grads = _grads(nets[0], steps=3)
    opts = [
        optim.SGD(nets[0].parameters(), lr=0.1, l2_penalty=lam / n),
        optim.SGD(nets[1].parameters(), lr=0.1, l2=lam, n_train=n),
        optim.SGD(nets[2].parameters(), lr=0.1, weight_decay=lam / n),
        optim.SGD(nets[3].parameters(), lr=0.1),
    ]
    theta0 = {p.name: p.value.astype(np.float64) for p in nets[0].parameters()}
    runs = [_run(net, o, grads) for net, o in zip(nets, opts)]
    for t in range(3):
        for k in theta0:
            _close(runs[0][t][k], runs[1][t][k])
            _close(runs[2][t][k], runs[1][t][k])
    # by hand for the weights; the bias follows plain SGD
    W, b = (p.name for p in nets[0].parameters())
    th = theta0[W]
    for t in range(3):
        th = (1 - 0.1 * lam / n) * th - 0.1 * grads[t][W]
        _close(runs[1][t][W], th)
        _close(runs[1][t][b], runs[3][t][b])
    assert not np.allclose(runs[1][2][W], runs[3][2][W])


def test_l2_penalty_value_per_layer_and_in_the_fit_loss():
    net = nb.Sequential(
        [nb.Dense(4, 3), nb.Tanh(), nb.Dense(3, 2)], backend="reference", seed=0, dtype=np.float64
    )
    W0, b0, W1, b1 = net.parameters()
    opt = optim.SGD(net.parameters(), lr=0.1, l2_penalty={W0.name: 0.5, W1.name: 2.0})
    want = 0.25 * np.sum(W0.value**2) + 1.0 * np.sum(W1.value**2)
    assert opt.penalty() == pytest.approx(want, rel=1e-12)
    assert opt.penalty_coef(b0) == 0.0 and opt.penalty_coef(W1) == 2.0
    assert not opt.fusable
    # the penalty's gradient goes through the update: W1 <- W1 - lr (g + 2 W1)
    for p in net.parameters():
        p.grad = np.zeros(p.shape)
    w1 = W1.value.copy()
    opt.step()
    _close(W1.value, w1 - 0.1 * 2.0 * w1)
    # fit reports the penalised loss: with lr tiny, loss(l2) - loss(none) ~ penalty
    x = np.random.default_rng(0).standard_normal((8, 4))
    y = np.random.default_rng(1).integers(0, 2, 8)
    a, b = net.clone(), net.clone()
    pa = optim.SGD(a.parameters(), lr=1e-12, l2_penalty=1.0)
    pen = pa.penalty()
    ha = a.fit(x, y, loss="cross_entropy", optimizer=pa, batch_size=8, progress=False)
    hb = b.fit(
        x,
        y,
        loss="cross_entropy",
        optimizer=optim.SGD(b.parameters(), lr=1e-12),
        batch_size=8,
        progress=False,
    )
    assert ha["loss"][0] - hb["loss"][0] == pytest.approx(pen, rel=1e-6)


def test_l2_penalty_goes_through_adam_moments():
    """The penalty's gradient lambda W is added to g before m and v (coupled, not AdamW)."""
    net = _net("cpu")
    W = net.parameters()[0]
    opt = optim.Adam(net.parameters(), lr=0.01, l2_penalty=0.3)
    g = _grads(net, steps=1)
    w0 = W.value.copy()
    _run(net, opt, g)
    _close(opt.get_state(0)["m"], 0.1 * (g[0][W.name] + 0.3 * w0))


# ---------------------------------------------------------------- clipping
@pytest.mark.parametrize("backend", BACKENDS)
def test_global_norm_clipping(backend):
    net = _net(backend)
    grads = _grads(net, steps=1)
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads[0].values()))
    # above the threshold: every gradient scaled by c / ||g|| (global norm)
    c = norm / 4
    a = _net(backend)
    opt = optim.SGD(a.parameters(), lr=0.1, clip_norm=c)
    before = {p.name: p.value.astype(np.float64) for p in a.parameters()}
    got = _run(a, opt, grads)[0]
    assert opt.last_grad_norm == pytest.approx(norm, rel=1e-12)
    step_norm = 0.0
    for k, g in grads[0].items():
        _close(got[k], before[k] - 0.1 * g * (c / norm))
        step_norm += float(np.sum((got[k] - before[k]) ** 2))
    assert math.sqrt(step_norm) == pytest.approx(0.1 * c, rel=1e-10)
    # below the threshold: untouched
    b = _net(backend)
    got_b = _run(b, optim.SGD(b.parameters(), lr=0.1, clip_norm=10 * norm), grads)[0]
    for k, g in grads[0].items():
        _close(got_b[k], before[k] - 0.1 * g)


def test_clipping_with_momentum_clips_before_the_average():
    net = _net("reference")
    grads = _grads(net, steps=2)
    opt = optim.Momentum(net.parameters(), lr=0.1, beta1=0.9, clip_norm=0.5)
    _run(net, opt, grads)
    W = net.parameters()[0].name
    scales = []
    for g in grads:
        n = math.sqrt(sum(float(np.sum(v**2)) for v in g.values()))
        scales.append(min(1.0, 0.5 / n))
    want = 0.9 * 0.1 * scales[0] * grads[0][W] + 0.1 * scales[1] * grads[1][W]
    _close(opt.get_state(0)["m"], want)


def test_frozen_parameters_are_not_updated():
    net = _net("cpu")
    W, b = net.parameters()
    b.trainable = False
    b0 = b.value.copy()
    _run(net, optim.Adam(net.parameters(), lr=0.1), _grads(net, steps=2))
    np.testing.assert_array_equal(b.value, b0)


# ---------------------------------------------------------------- bad hyperparameters
BAD = [
    (lambda ps: optim.SGD(ps, lr=0.0), "lr"),
    (lambda ps: optim.SGD(ps, lr=-1.0), "lr"),
    (lambda ps: optim.SGD(ps, lr=float("nan")), "lr"),
    (lambda ps: optim.Momentum(ps, lr=0.1, beta1=1.0), "beta1"),
    (lambda ps: optim.Momentum(ps, lr=0.1, beta1=-0.1), "beta1"),
    (lambda ps: optim.Momentum(ps, lr=0.1, form="heavy"), "form"),
    (lambda ps: optim.Momentum(ps, lr=0.1, form="classical", bias_correction=True), "bias"),
    (lambda ps: optim.Adam(ps, beta2=1.5), "beta2"),
    (lambda ps: optim.Adam(ps, eps=-1e-8), "eps"),
    (lambda ps: optim.RMSProp(ps, lr=0.1, beta2=float("nan")), "beta2"),
    (lambda ps: optim.SGD(ps, lr=0.1, clip_norm=0.0), "clip_norm"),
    (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-0.1), "weight_decay"),
    (lambda ps: optim.SGD(ps, lr=0.1, l2_penalty={"nope": 1.0}), "nope"),
    (lambda ps: optim.SGD([], lr=0.1), "no parameters"),
    (lambda ps: optim.SGD([np.zeros(3)], lr=0.1), "Parameter"),
    (lambda ps: optim.get("lbfgs", ps, 0.1), "unknown optimizer"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_hyperparameters_are_refused_by_name(k):
    make, word = BAD[k]
    net = _net("reference")
    with pytest.raises(ValidationError, match=word):
        make(net.parameters())


def test_l2_without_train_size_is_explained():
    net = _net("reference")
    opt = optim.SGD(net.parameters(), lr=0.1, l2=1.0)
    with pytest.raises(ValidationError, match="n_train"):
        _run(net, opt, _grads(net, steps=1))


def test_state_dict_round_trip_and_validation():
    net = _net("cpu")
    grads = _grads(net, steps=3)
    opt = optim.Adam(net.parameters(), lr=0.01)
    _run(net, opt, grads[:2])
    sd = opt.state_dict()
    twin = net.clone()
    opt2 = optim.Adam(twin.parameters(), lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.t == 2 and opt2.lr == 0.01
    a = _run(net, opt, grads[2:])
    b = _run(twin, opt2, grads[2:])
    for k in a[0]:
        np.testing.assert_array_equal(a[0][k], b[0][k])
    bad = dict(sd)
    bad["m.0"] = np.full_like(sd["m.0"], np.nan)
    with pytest.raises(ValidationError, match="finite"):
        opt2.load_state_dict(bad)
    with pytest.raises(ValidationError, match="'adam'"):
        optim.SGD(twin.parameters(), lr=0.1).load_state_dict(sd)
    short = dict(sd)
    short["v.1"] = sd["v.1"][:-1]
    with pytest.raises(ValidationError, match="shape"):
        opt2.load_state_dict(short)


# ------------------------------------------------------------------- one update over the flat run
FLAT_CASES = [
    ("sgd", {}),
    ("momentum", {}),
    ("nesterov", {}),
    ("adagrad", {}),
    ("rmsprop", {}),
    ("adam", {}),
    ("sgd", {"clip_norm": 0.5}),
]


@pytest.mark.parametrize(
    "name,kw", FLAT_CASES, ids=[f"{n}{'-clip' if k else ''}" for n, k in FLAT_CASES]
)
def test_flat_update_equals_per_parameter_updates(name, kw, monkeypatch):
    """A model's parameters are one run of its flat buffer: the optimiser updates them in one
    backend call per step, with the same result and state as one call per parameter."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 5))
    y = rng.integers(0, 3, 12)
    results = []
    for flat in (True, False):
        net = nb.Sequential(
            [nb.Dense(5, 7), nb.Tanh(), nb.Dense(7, 3)], backend="cpu", seed=1, dtype=np.float64
        )
        opt = nb.optim.get(name, net.parameters(), 0.05, **kw)
        if not flat:
            monkeypatch.setattr(opt, "_flat_segment", lambda: None)
        calls = []
        be = net.backend
        for op in (
            "sgd_update",
            "momentum_update",
            "adagrad_update",
            "rmsprop_update",
            "adam_update",
        ):
            orig = getattr(be, op)
            monkeypatch.setattr(
                be, op, lambda *a, _o=orig, _c=calls, **k: (_c.append(1), _o(*a, **k))[1]
            )
        loss = nb.losses.CrossEntropy()
        for _ in range(4):
            out = net.forward(x, training=True)
            loss.forward(out, y)
            opt.zero_grad()
            net.backward(loss.backward())
            opt.step()
        monkeypatch.undo()
        results.append((net.get_flat(), opt.state_arrays(), len(calls)))
    (a, sa, ca), (b, sb, cb) = results
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
    for k in sa:
        for u, v in zip(sa[k], sb[k]):
            np.testing.assert_allclose(u, v, rtol=1e-13, atol=1e-14)
    assert ca == 4 and cb == 4 * 4  # one call per step against one per parameter


def test_flat_update_falls_back_when_weights_and_biases_differ():
    """Weight decay (weights only) or a frozen layer: per-parameter updates, biases untouched
    by the decay, frozen parameters unchanged."""
    net = nb.Sequential(
        [nb.Dense(3, 4), nb.ReLU(), nb.Dense(4, 2)], backend="cpu", seed=0, dtype=np.float64
    )
    opt = nb.optim.SGD(net.parameters(), lr=0.1, weight_decay=0.5)
    b0 = net.parameters()[1].value.copy()
    w0 = net.parameters()[0].value.copy()
    opt.zero_grad()
    opt.step()  # zero gradients: only the decay acts
    np.testing.assert_allclose(net.parameters()[0].value, w0 * (1 - 0.1 * 0.5))
    np.testing.assert_array_equal(net.parameters()[1].value, b0)
    net.layers[0].freeze()
    opt2 = nb.optim.Adam(net.parameters(), lr=0.1)
    for p in net.parameters():
        p.grad = np.ones(p.shape)
    before = net.parameters()[0].value.copy()
    opt2.step()
    np.testing.assert_array_equal(net.parameters()[0].value, before)
    assert not np.allclose(net.parameters()[2].value, 0) and opt2.t == 1


def test_sq_norm_twins_give_the_same_chunked_sum():
    """The serial and threaded sq_norm kernels add the same fixed chunks, bit for bit, and
    agree with a float64 sum."""
    from numbanet.kernels.cpu import optim as K

    a = np.random.default_rng(5).standard_normal(3 * K.NORM_CHUNK + 17).astype(np.float32)
    parts = [np.empty(4, np.float64) for _ in range(2)]
    K.sq_norm_chunks[0](a, parts[0])
    K.sq_norm_chunks[1](a, parts[1])
    assert np.array_equal(parts[0], parts[1])
    a64 = a.astype(np.float64)
    assert np.isclose(parts[0].sum(), a64 @ a64, rtol=1e-12)
    assert nb.backends.get_backend("cpu").sq_norm(a) == float(parts[0].sum())
