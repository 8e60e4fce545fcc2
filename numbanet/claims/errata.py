"""Claims 22-29: the slides' inconsistencies, each computed (issue 20 item 7), and LeNet-5's
connection count (item 22).

Each claim computes what the slide's formula or table gives and what the engine gives; the parts
where the slide is inconsistent are expected to reach ``differs``, the parts that check the
computation itself ``holds``.
"""

from __future__ import annotations

import numpy as np

from .. import slides
from ._core import _REGISTRY, claim
from .verdict import verdict

_N = 8  # examples in the small data sets below


def _data(d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(_N, d)), rng


def _fd(f, w, eps=1e-6):
    g = np.zeros_like(w)
    for j in range(w.size):
        wp, wm = w.copy(), w.copy()
        wp.flat[j] += eps
        wm.flat[j] -= eps
        g.flat[j] = (f(wp) - f(wm)) / (2 * eps)
    return g


def _neuron(d, act):
    from ..nn import Dense, Sequential, Sigmoid

    layers = [Dense(d, 1)] + ([Sigmoid()] if act == "sigmoid" else [])
    return Sequential(layers, backend="reference", seed=0, dtype=np.float64)


def _gradient_ratio(kind):
    """(slide's gradient formula) / (derivative of the slide's cost) for one neuron, and the
    same times N; the slide's formula is also checked against the engine's gradient."""
    from .. import losses

    x, rng = _data()
    act = "linear" if kind == "ecm" else "sigmoid"
    net = _neuron(x.shape[1], act)
    d = net.layers[0]
    W0, b0 = d.W.value.copy(), d.b.value.copy()

    def yhat(w):
        d.W.value = w.reshape(W0.shape)
        return net.forward(x)[:, 0]

    y = rng.integers(0, 2, size=_N).astype(float) if kind == "ecb" else rng.normal(size=_N)
    if kind == "ecm":  # ECM = 1/2 sum_i (y_hat - y)^2, as written

        def cost(w):
            return 0.5 * np.sum((yhat(w) - y) ** 2)
    else:  # ECB = -sum_i [y log y_hat + (1 - y) log(1 - y_hat)], as written

        def cost(w):
            p = yhat(w)
            return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))

    true = _fd(cost, W0.ravel().copy())
    d.W.value = W0
    p = net.forward(x)[:, 0]
    slide = (1 / _N) * ((p - y)[:, None] * x).sum(axis=0)  # 1/N sum_i (y_hat - y) x_j
    # the engine's mean loss has exactly the slide's gradient
    loss = losses.MSE() if kind == "ecm" else losses.BCE()
    loss.forward(p[:, None], y[:, None])
    net.zero_grad()
    net.forward(x)
    net.backward(loss.backward())
    engine = d.W.grad.ravel()
    d.W.value, d.b.value = W0, b0
    ratio = float(np.mean(slide / true))
    return ratio, float(np.max(np.abs(slide - engine))), slide, true


def _ratio_claim(kind, cid):
    ratio, engine_gap, slide, true = _gradient_ratio(kind)
    name = "slide's gradient / derivative of its cost"
    computed = {
        name: ratio,
        "the same times N": ratio * _N,
        "slide's gradient - engine's gradient of the mean loss": engine_gap,
        "slide's gradient": slide.round(6).tolist(),
        "derivative of the slide's cost": true.round(6).tolist(),
    }
    cmp = (
        verdict(ratio, slides.GRADIENT_TO_COST_RATIO, rtol=1e-6, name=name)
        & verdict(
            ratio * _N,
            slides.GRADIENT_TO_COST_RATIO,
            rtol=1e-6,
            name="the same times N",
            ref="(the gradient of the mean cost, 1/N of the slide's)",
        )
        & verdict(
            engine_gap,
            0.0,
            atol=1e-12,
            name="slide's gradient - engine's gradient of the mean loss",
        )
    )
    method = (
        f"one {'linear' if kind == 'ecm' else 'sigmoid'} neuron (numbanet Dense, float64) on "
        f"N = {_N} random examples: central differences of the slide's cost (a sum over i) "
        f"against the slide's formula 1/N sum_i (y_hat - y) x_j; the formula is the "
        f"gradient of the mean, which is what numbanet's {'MSE' if kind == 'ecm' else 'BCE'} "
        f"minimises"
    )
    return computed, cmp, method


_RATIO_PARTS = {"slide's gradient / derivative of its cost": slides.GRADIENT_TO_COST_RATIO}


@claim(
    22,
    "Perceptron deck: ECM = 1/2 sum_i (y_hat - y)^2 has gradient 1/N sum_i (y_hat - y) x_j "
    "(the cost is a sum, the gradient a mean: off by the factor N)",
    _RATIO_PARTS,
    expect={"slide's gradient / derivative of its cost": ("differs",)},
)
def _c22():
    return _ratio_claim("ecm", 22)


@claim(
    23,
    "Perceptron deck: ECB = -sum_i [y log y_hat + (1 - y) log(1 - y_hat)] has gradient "
    "1/N sum_i (y_hat - y) x_j (the same factor N)",
    _RATIO_PARTS,
    expect={"slide's gradient / derivative of its cost": ("differs",)},
)
def _c23():
    return _ratio_claim("ecb", 23)


@claim(
    24,
    "Perceptron deck: the categorical cross-entropy ECC = -sum_i sum_k [y_k log softmax_k] "
    "x_j^(i): the factor x_j^(i) makes it depend on j, it is not the cross-entropy",
    {"slide's ECC, one value for every j": "one value"},
    expect={"slide's ECC, one value for every j": ("differs",)},
)
def _c24():
    from .. import losses

    x, rng = _data(d=3, seed=1)
    z = rng.normal(size=(_N, 4))
    labels = rng.integers(0, 4, size=_N)
    Y = np.eye(4)[labels]
    logsm = z - z.max(axis=1, keepdims=True)
    logsm = logsm - np.log(np.exp(logsm).sum(axis=1, keepdims=True))
    inner = (Y * logsm).sum(axis=1)  # sum_k y_k log softmax_k, per example
    with_xj = [float(-np.sum(inner * x[:, j])) for j in range(x.shape[1])]
    without = float(-np.sum(inner))
    engine = losses.CrossEntropy().forward(z, labels) * _N  # the engine's mean, times N
    distinct = len({round(v, 12) for v in with_xj})
    computed = {
        "slide's ECC, one value for every j": "one value"
        if distinct == 1
        else f"{distinct} values",
        "slide's ECC for j = 1, 2, 3": [round(v, 6) for v in with_xj],
        "ECC without x_j^(i)": without,
        "N x numbanet's CrossEntropy": engine,
    }
    cmp = verdict(computed, _REGISTRY[24]["slide_value"]) & verdict(
        without, engine, rtol=1e-12, name="ECC without x_j^(i)", ref="(N x numbanet's CrossEntropy)"
    )
    return (
        computed,
        cmp,
        (
            f"the slide's expression on {_N} random logits (4 classes) and inputs "
            "x (3 features), for each j, against N times numbanet's CrossEntropy"
        ),
    )


@claim(
    25,
    "Perceptron deck, backprop example (3): the brace under dz^{3}/da^{2} is labelled "
    "W^{1}; the derivative is the next layer's weights W^{2}",
    {"dz^{3}/da^{2}": slides.BACKPROP_BRACE_LABEL},
    expect={"dz^{3}/da^{2}": ("differs",)},
)
def _c25():
    from ..theory.backprop import dense_net

    net = dense_net([2, 3, 1], seed=0)
    W1, W2 = net.layers[0].W.value, net.layers[2].W.value
    out = net.layers[2]
    a2 = np.array([[0.3, 0.6, 0.2]])

    def z3(a):
        return out.forward(a.reshape(1, -1))[0, 0]

    J = _fd(z3, a2.ravel().copy()).reshape(1, -1)  # dz^{3}/da^{2}, by central differences
    label = (
        "W^{2}"
        if J.shape == W2.shape and np.allclose(J, W2, atol=1e-8)
        else "W^{1}"
        if J.shape == W1.shape and np.allclose(J, W1, atol=1e-8)
        else "neither"
    )
    computed = {
        "dz^{3}/da^{2}": label,
        "max |dz3/da2 - W^{2}|": float(np.abs(J - W2).max()),
        "shapes W^{1}, W^{2}, dz3/da2": [list(W1.shape), list(W2.shape), list(J.shape)],
    }
    return (
        computed,
        verdict(computed, _REGISTRY[25]["slide_value"]),
        "a 2-3-1 net (numbanet.theory.backprop.dense_net): dz^{3}/da^{2} by central "
        "differences through the output Dense, matched against W^{1} and W^{2}",
    )


@claim(
    26,
    "Perceptron deck, backprop example: the output neuron is called linear while the "
    "equations write a^{3} = phi(z^{3}) (the sigmoid); delta^{3} depends on which",
    {"delta^{3} with a^{3} = phi(z^{3})": "= delta^{3} of a linear output"},
    expect={"delta^{3} with a^{3} = phi(z^{3})": ("differs",)},
)
def _c26():
    from ..theory.backprop import dense_net, trace

    x, y = np.array([0.5, -0.3]), np.array([1.0])
    lin = trace(dense_net([2, 3, 1], output="identity", seed=0), x, y)
    sig = trace(dense_net([2, 3, 1], output="sigmoid", seed=0), x, y)
    d_lin, d_sig = float(lin.layers[-1].delta[0, 0]), float(sig.layers[-1].delta[0, 0])
    same = np.isclose(d_lin, d_sig, rtol=1e-9)
    computed = {
        "delta^{3} with a^{3} = phi(z^{3})": "= delta^{3} of a linear output"
        if same
        else f"{d_sig:.6g}, not {d_lin:.6g}",
        "delta^{3}, linear output": d_lin,
        "delta^{3}, a^{3} = sigmoid(z^{3})": d_sig,
        "BP1-BP4 checks pass": bool(lin.ok and sig.ok),
    }
    cmp = verdict(computed, _REGISTRY[26]["slide_value"]) & verdict(
        int(lin.ok and sig.ok), 1, name="BP1-BP4 checks pass"
    )
    return (
        computed,
        cmp,
        (
            "numbanet.theory.backprop.trace on the deck's 2-3-1 example net (sigmoid "
            "hidden layer, seed 0, ECM) with a linear and with a sigmoid output"
        ),
    )


@claim(
    27,
    "Training deck, 'Ej. Lenet': the first model.summary() shows conv shapes (10, 10, 6) "
    "and (10, 10, 16), pooled (5, 5, 6), and 186 / 464 / 48000 / 10320 parameters",
    dict(slides.LENET_QUIZ),
    figure="lenet",
    expect={
        k: ("differs",)
        for k in (
            "conv2d_17 output",
            "conv2d_17 params",
            "average_pooling2d_14 output",
            "conv2d_18 output",
            "conv2d_18 params",
            "dense_21 params",
            "dense_22 params",
        )
    },
)
def _c27():
    from ..models import lenet

    net = lenet(backend="reference")
    shapes = net.layer_output_shapes((1, 28, 28))

    def keras(s):
        return list(s[1:]) + [s[0]] if len(s) == 3 else list(s)

    L = net.layers
    conv = [i for i, layer in enumerate(L) if type(layer).__name__ == "Conv2D"]
    pool = [i for i, layer in enumerate(L) if type(layer).__name__ == "AvgPool2D"]
    dense = [i for i, layer in enumerate(L) if type(layer).__name__ == "Dense"]
    flat = next(i for i, layer in enumerate(L) if type(layer).__name__ == "Flatten")
    computed = {
        "conv2d_17 output": keras(shapes[conv[0]]),
        "conv2d_17 params": L[conv[0]].n_params(),
        "average_pooling2d_14 output": keras(shapes[pool[0]]),
        "conv2d_18 output": keras(shapes[conv[1]]),
        "conv2d_18 params": L[conv[1]].n_params(),
        "flatten_7 output": keras(shapes[flat]),
        "dense_21 params": L[dense[0]].n_params(),
        "dense_22 params": L[dense[1]].n_params(),
        "dense_23 params": L[dense[2]].n_params(),
    }
    return (
        computed,
        verdict(computed, _REGISTRY[27]["slide_value"]),
        "numbanet.models.lenet() (the listing's layers) on 28x28x1 inputs: layer_output_shapes "
        "(shown channels last) and n_params",
    )


@claim(
    28,
    "Training deck, ADAM: 'both with bias correction', yet the update is written with m_t: "
    "theta_t = theta_{t-1} - alpha m_t / sqrt(v_hat_t + eps)",
    {"first step / alpha, slide's formula": "= Adam's (bias-corrected m_hat_t)"},
    expect={"first step / alpha, slide's formula": ("differs",)},
)
def _c28():
    from .. import optim
    from ..nn import Dense, Sequential

    net = Sequential([Dense(3, 1)], backend="reference", seed=0, dtype=np.float64)
    p = net.layers[0].W
    g = np.array([[0.5, -2.0, 0.01]])
    w0 = p.value.copy()
    alpha, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = optim.Adam([p], lr=alpha, beta1=b1, beta2=b2, eps=eps)
    p.grad = g
    opt.step()
    engine = (w0 - p.value) / alpha  # the engine's first step, in units of alpha
    m1, v1 = (1 - b1) * g, (1 - b2) * g**2
    v_hat = v1 / (1 - b2)
    slide = m1 / np.sqrt(v_hat + eps)  # the slide's formula, m_t
    corrected = (m1 / (1 - b1)) / np.sqrt(v_hat + eps)  # with m_hat_t
    same = np.allclose(slide, engine, rtol=1e-9)
    computed = {
        "first step / alpha, slide's formula": "= Adam's (bias-corrected m_hat_t)"
        if same
        else f"{np.round(slide.ravel(), 4).tolist()}, Adam's "
        f"{np.round(engine.ravel(), 4).tolist()}",
        "first step / alpha, engine": engine.ravel().tolist(),
        "first step / alpha, with m_hat_t": corrected.ravel().tolist(),
    }
    cmp = verdict(computed, _REGISTRY[28]["slide_value"]) & verdict(
        engine.ravel(),
        corrected.ravel(),
        rtol=1e-9,
        name="engine's step = alpha m_hat_t / sqrt(v_hat_t + eps)",
        ref="(formula)",
    )
    return (
        computed,
        cmp,
        (
            "one step of numbanet.optim.Adam (alpha 0.01, beta1 0.9, beta2 0.999, "
            "eps 1e-8 inside the root as on the slide) on g = (0.5, -2, 0.01), "
            "against the slide's update with m_t and the one with m_hat_t"
        ),
    )


@claim(
    29,
    "Vanishing-gradient deck: LeNet-5 has 187,000 connections but only 14,000 distinct weights",
    {**slides.LENET5_SLIDE},
    expect={"connections": ("differs",), "distinct weights": ("differs",)},
)
def _c29():
    from ..models import lenet5
    from ..nn.sequential import _connections

    net = lenet5(backend="reference", seed=0)
    shapes = [net.input_shape] + list(net.layer_output_shapes())
    conns = sum(_connections(layer, shapes[i], shapes[i + 1]) for i, layer in enumerate(net.layers))
    computed = {"connections": conns, "distinct weights": net.n_params()}
    paper = slides.LENET5_PAPER
    cmp = (
        verdict(computed, _REGISTRY[29]["slide_value"])
        & verdict(
            conns,
            paper["connections"],
            name="connections (LeCun et al. 1998)",
            ref="in LeCun et al. 1998",
        )
        & verdict(
            net.n_params(),
            paper["distinct weights"],
            rtol=0.02,
            name="distinct weights (LeCun et al. 1998, 'about 60,000')",
            ref="in LeCun et al. 1998",
        )
    )
    return (
        computed,
        cmp,
        (
            "numbanet.models.lenet5() (C3 with Table I of LeCun et al. 1998): "
            "summary(connections=True)'s count, inputs plus bias per unit, and "
            "n_params"
        ),
    )
