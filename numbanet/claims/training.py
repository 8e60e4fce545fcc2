"""Claims 10-20: the noise ball, momentum, initialisation, orthogonal matrices (NN deck 003), the
perceptron (MLP deck 001), convolution, LeNet and dropout (NN and DL decks), linear hidden
layers (FF deck 002)."""

from __future__ import annotations

import numpy as np

from .. import slides
from ._core import _REGISTRY, claim
from .verdict import verdict


# ============================================================================ NN (deck 003)
@claim(
    10,
    "SGD noise ball: limsup E||W_t - w*||^2 <= alpha (sigma^2 / B + mu^2) / (2c); the ball "
    "shrinks with alpha and with B",
    "alpha (sigma^2/B + mu^2)/(2c)",
    figure="noise-ball",
)
def _c10(alphas=(0.02, 0.05, 0.1), batch_sizes=(1, 4, 16), n_runs=1000, steps=1000):
    from ..theory import noise_ball as NB

    prob = NB.slide_problem()
    rows, ex, bd, mc, se = {}, {}, [], [], []
    for B in batch_sizes:
        for a in alphas:
            st = NB.stationary(prob, a, B)
            sim = NB.simulate(
                prob,
                a,
                B,
                steps,
                n_runs=n_runs,
                seed=0,
                w0=prob.w_star,
                record_every=10,
                burn_in=steps // 3,
            )
            m, s = sim.stationary()
            ex[B, a] = st.value
            bd.append(st.bound)
            mc.append(m)
            se.append(s)
            rows[f"alpha={a}, B={B}"] = {
                "exact": st.value,
                "monte carlo": m,
                "mc s.e.": s,
                "bound": st.bound,
            }
    exact = [ex[B, a] for B in batch_sizes for a in alphas]
    grow_a = [ex[B, a1] / ex[B, a0] for B in batch_sizes for a0, a1 in zip(alphas, alphas[1:])]
    grow_b = [ex[b1, a] / ex[b0, a] for a in alphas for b0, b1 in zip(batch_sizes, batch_sizes[1:])]
    cmp = (
        verdict(exact, bd, relation="<=", name="exact stationary value <= bound")
        & verdict(
            mc,
            exact,
            atol=4 * np.asarray(se),
            name=f"Monte Carlo ({n_runs} runs)",
            ref="computed exactly (4 standard errors)",
        )
        & verdict(grow_a, 1.0, relation=">", name="ball ratio for a larger alpha")
        & verdict(grow_b, 1.0, relation="<", name="ball ratio for a larger B")
    )
    return rows, cmp, "theory.noise_ball.stationary (exact) and simulate (Monte Carlo)"


@claim(
    11,
    "Momentum with beta1 = 0.9: m_1 = 0.1 g_1, m_2 = 0.1 g_2 + 0.09 g_1; the bias-corrected "
    "m is a convex combination of the gradients",
    dict(slides.MOMENTUM_M2_WEIGHTS),
    figure="momentum-bias-correction",
)
def _c11():
    from ..nn import Dense, Sequential
    from ..optim import Momentum

    beta = slides.MOMENTUM_BETA1
    net = Sequential([Dense(1, 1, init="zeros")], backend="reference", dtype=np.float64)
    w = net.layers[0].W
    opt = Momentum([w], lr=1.0, beta1=beta)
    g = [3.0, 5.0, -2.0, 4.0]
    ms = []
    for gt in g:
        w.grad = np.array([[gt]])
        opt.step()
        ms.append(float(opt.state_arrays()["m"][0].reshape(-1)[0]))
    k = slides.MOMENTUM_M2_WEIGHTS
    # the bias-corrected m_t / (1 - beta^t) as weights on g_1..g_t: non-negative, summing to 1
    t = len(g)
    weights = [(1 - beta) * beta ** (t - 1 - i) / (1 - beta**t) for i in range(t)]
    computed = {
        "m_1": ms[0],
        "m_2": ms[1],
        "0.1 g_1": k["g_2"] * g[0],
        "0.1 g_2 + 0.09 g_1": k["g_2"] * g[1] + k["g_1"] * g[0],
        "sum of corrected weights (t=4)": sum(weights),
    }
    cmp = (
        verdict(ms[0], computed["0.1 g_1"], rtol=1e-12, name="m_1", ref="the slide's 0.1 g_1 gives")
        & verdict(
            ms[1],
            computed["0.1 g_2 + 0.09 g_1"],
            rtol=1e-12,
            name="m_2",
            ref="the slide's 0.1 g_2 + 0.09 g_1 gives",
        )
        & verdict(min(weights), 0.0, relation=">=", name="smallest corrected weight")
        & verdict(
            sum(weights),
            1.0,
            rtol=1e-12,
            name="sum of the corrected weights",
            ref="a convex combination needs",
        )
        & verdict(
            ms[-1] / (1 - beta**t),
            float(np.dot(weights, g)),
            rtol=1e-12,
            name="m_4 / (1 - beta^4)",
            ref="the weighted sum of g_1..g_4 gives",
        )
    )
    return computed, cmp, f"numbanet.optim.Momentum state after step() on g = {g}"


@claim(
    12,
    "Variance propagation: E[(z^l)^2] = (d v / 2) E[(z^(l-1))^2] for ReLU; He (v = 2/d) keeps "
    "it constant, LeCun (v = 1/d) halves it per layer",
    dict(slides.INIT_VARIANCE_FACTORS),
    figure="init-variance",
)
def _c12(depth=20, width=128, n_samples=256, n_nets=12):
    from ..theory import init_variance as IV

    widths = [width] * (depth + 1)
    computed, cmp = {}, None
    for fam, factor in slides.INIT_VARIANCE_FACTORS.items():
        name = {"he": "He", "lecun": "LeCun"}[fam]
        rec = IV.recursion("relu", widths, f"{fam}_normal").forward
        m = IV.measure("relu", widths, f"{fam}_normal", n_samples=n_samples, n_nets=n_nets, seed=0)
        computed[f"recursion: {name} factor per layer"] = float(np.mean(rec[1:] / rec[:-1]))
        computed[f"measured: {name} factor (geometric mean)"] = float(
            np.exp(np.mean(np.log(m.ratio)))
        )
        c = verdict(
            (rec[1:] / rec[:-1]).tolist(),
            factor,
            rtol=1e-12,
            name=f"recursion: {name} factor, every layer",
            ref="the slide's d v / 2 gives",
        ) & verdict(
            m.ratio.tolist(),
            factor,
            atol=5 * m.ratio_sem,
            name=f"measured: {name} factor, every layer",
            ref="on the slide (5 standard errors)",
        )
        cmp = c if cmp is None else cmp & c
    return (
        computed,
        cmp,
        f"theory.init_variance.recursion and measure ({n_nets} ReLU nets, "
        f"{depth} layers x {width} units)",
    )


@claim(13, "An orthogonal W preserves ||W h||", "||W h|| = ||h||", figure="rnn-orthogonal")
def _c13():
    from .. import init as I

    rng = np.random.default_rng(0)
    W = I.orthogonal(rng, (64, 64), 64, 64, dtype=np.float64)
    h = rng.standard_normal((1000, 64))
    ratio = np.linalg.norm(h @ W.T, axis=1) / np.linalg.norm(h, axis=1)
    err = float(np.abs(ratio - 1).max())
    cmp = verdict(
        ratio.tolist(),
        1.0,
        atol=1e-12,
        name="||W h|| / ||h|| for 1,000 random h",
        ref="a norm-preserving W gives",
    )
    return (
        {
            "max | ||Wh|| / ||h|| - 1 |": err,
            "||W^T W - I||_max": float(np.abs(W.T @ W - np.eye(64)).max()),
        },
        cmp,
        "numbanet.init.orthogonal (64 x 64)",
    )


# ============================================================================ MLP (deck 001)
@claim(
    14,
    "The perceptron converges on AND, NOR, NOT and never on XOR",
    dict(slides.PERCEPTRON_CONVERGES),
    figure="perceptron-training",
)
def _c14():
    from ..data.toy import logic_gate
    from ..unsupervised import Perceptron

    out = {}
    for g in ("and", "or", "nor", "not", "xor"):
        X, y = logic_gate(g)
        p = Perceptron(X.shape[1])
        p.fit(X, y, epochs=100)  # sets .converged: zero errors in an epoch
        out[g.upper()] = bool(p.converged)
    return (
        out,
        verdict(out, _REGISTRY[14]["slide_value"]),
        "numbanet.unsupervised.Perceptron.fit on the truth tables, 100 epochs (converged: "
        "an epoch without errors)",
    )


# ============================================================================ NN / DL: convolution
@claim(
    15,
    "The slide's 6x6 example with the vertical-edge filter gives "
    "[[2,-4,0,2],[0,-5,2,1],[0,-2,3,-1],[4,0,0,0]]; dim(out) = dim(x) - dim(filter) + 1 + "
    "2 padding; same padding = (dim(filter) - 1)/2; full = dim(filter) - 1",
    [list(r) for r in slides.CONV_VALID],
    figure="conv-example",
)
def _c15():
    from ..nn import Sequential
    from ..nn.conv import Conv2D

    x = np.array(slides.CONV_INPUT, dtype=np.float64)[None, None]
    f = np.array(slides.CONV_FILTER, dtype=np.float64)
    n, k = x.shape[-1], f.shape[-1]
    outs, sizes = {}, {}
    for backend in ("reference", "cpu"):
        for pad in ("valid", "same", "full"):
            conv = Conv2D(1, 1, k, padding=pad)
            net = Sequential([conv], backend=backend, dtype=np.float64, input_shape=(1, n, n))
            conv.W.value = f[None, None]
            conv.b.value = np.zeros(1)
            o = net.forward(x)[0, 0]
            sizes[pad] = o.shape[0]
            if pad == "valid":
                outs[backend] = o.tolist()
    # the slide's formula with its paddings: 0, (k - 1) / 2, k - 1
    formula = {
        p: n - k + 1 + 2 * q for p, q in (("valid", 0), ("same", (k - 1) // 2), ("full", k - 1))
    }
    slide = _REGISTRY[15]["slide_value"]
    cmp = (
        verdict(outs["reference"], slide, name="valid output (reference backend)")
        & verdict(outs["cpu"], slide, name="valid output (CPU backend)")
        & verdict(sizes, formula, ref="the slide's formula gives")
    )
    return (
        {"valid output": np.asarray(outs["cpu"]).astype(int).tolist(), "sizes": sizes},
        cmp,
        "numbanet.nn.Conv2D forward on the slide's input",
    )


@claim(
    16,
    "LeNet summary: output shapes (26,26,6), (13,13,6), (11,11,16), (5,5,16), 400, 120, 84, "
    "10; parameters 60, 0, 880, 0, 0, 48,120, 10,164, 850",
    {
        "shapes (channels last)": [list(s) for s in slides.LENET_SHAPES],
        "params": list(slides.LENET_PARAMETERS),
    },
    figure="lenet",
)
def _c16():
    from ..models import lenet

    net = lenet(backend="reference")
    rows = []
    for layer, s in zip(net.layers, net.layer_output_shapes((1, 28, 28))):
        if layer.n_params() or type(layer).__name__ in ("AvgPool2D", "MaxPool2D", "Flatten"):
            rows.append((s, layer.n_params()))
    keras = [list(s[1:]) + [s[0]] if len(s) == 3 else list(s) for s, _ in rows]  # channels last
    computed = {
        "shapes (channels last)": keras,
        "params": [p for _, p in rows],
        "total": net.n_params(),
    }
    return (
        computed,
        verdict(computed, _REGISTRY[16]["slide_value"]),
        "numbanet.models.lenet(): layer_output_shapes (NCHW, shown channels last) and "
        "n_params per layer",
    )


@claim(
    17,
    "A 16x16 letter classifier with 100 hidden units and 26 outputs has 256*(100+1) input "
    "weights and 100*(26+1) output weights",
    {
        "input layer": slides.LETTER_CLASSIFIER["input"],
        "output layer": slides.LETTER_CLASSIFIER["output"],
    },
    expect={"input layer": ("differs",), "output layer": ("differs",)},
)
def _c17():
    from ..nn import Dense, Sequential, Sigmoid

    net = Sequential([Dense(256, 100), Sigmoid(), Dense(100, 26)], backend="reference")
    a, b = net.layers[0].n_params(), net.layers[2].n_params()
    slide = _REGISTRY[17]["slide_value"]
    cmp = verdict({"input layer": a, "output layer": b}, slide)
    # where the slide's counts come from: inputs x (units + 1), the bias counted per input
    # instead of per unit (a layer holds (inputs + 1) x units)
    for name, (n_in, n_out) in (("input layer", (256, 100)), ("output layer", (100, 26))):
        cmp = cmp & verdict(
            slide[name],
            n_in * (n_out + 1),
            name=f"the slide's {name} count",
            ref=f"{n_in} x ({n_out} + 1) gives (a bias per input, not per unit)",
        )
    return (
        {"input layer": a, "output layer": b, "total": a + b},
        cmp,
        "Dense(256, 100) and Dense(100, 26) parameter counts: (inputs + 1) x units",
    )


@claim(
    18,
    "A feature map with a 5x5 receptive field has 26 weights",
    slides.FEATURE_MAP_5X5_WEIGHTS,
    figure="lenet",
)
def _c18():
    from ..nn.conv import Conv2D

    n = Conv2D(1, 1, 5).n_params()
    return (
        n,
        verdict(n, slides.FEATURE_MAP_5X5_WEIGHTS, name="Conv2D(1, 1, 5) parameters"),
        "numbanet.nn.Conv2D(1, 1, 5).n_params(): 25 shared weights and one bias",
    )


@claim(
    19,
    "Dropout: scaling the weights by p at test time equals inverted dropout in expectation",
    "E[train output] = test output",
    figure="regularization",
)
def _c19():
    from ..nn import Dense, Sequential
    from ..nn.dropout import Dropout

    rng = np.random.default_rng(0)
    keep = 0.8
    x = rng.standard_normal((1, 50))
    net = Sequential([Dropout(1 - keep), Dense(50, 1)], backend="cpu", dtype=np.float64, seed=0)
    reps = 20000
    xs = np.repeat(x, reps, axis=0)
    train = net.forward(xs, training=True)
    test = float(net.forward(x, training=False)[0, 0])
    # the classic form: no scaling in training, weights times p at test time
    W, b = net.layers[1].W.value, net.layers[1].b.value
    classic = float((x @ (keep * W).T + b)[0, 0])
    classic_train = (xs * (rng.random((reps, 50)) < keep)) @ W.T + b
    se = float(train.std() / np.sqrt(reps))
    computed = {
        "inverted: E[train]": float(train.mean()),
        "inverted: test": test,
        "classic: E[train]": float(classic_train.mean()),
        "classic: test (W * p)": classic,
        "MC standard error": se,
    }
    cmp = verdict(
        float(train.mean()),
        test,
        atol=4 * se,
        name=f"inverted dropout: mean of {reps:,} masked outputs",
        ref="from the test pass (4 standard errors)",
    ) & verdict(
        float(classic_train.mean()),
        classic,
        atol=4 * se,
        name="classic dropout: mean masked output",
        ref="from W * p at test time",
    )
    return computed, cmp, f"numbanet.nn.Dropout (keep p = {keep}) in training vs evaluation mode"


# ============================================================================ FF (deck 002)
@claim(
    20,
    "Hidden layers with linear activation: the whole net is one affine map",
    "one affine map",
    figure="linear-hidden-collapse",
)
def _c20():
    from ..experiments.feedforward import effective_affine
    from ..nn import Dense, Identity, Sequential
    from ..theory import regions as R

    net = Sequential(
        [Dense(3, 8), Identity(), Dense(8, 8), Identity(), Dense(8, 2)],
        backend="reference",
        dtype=np.float64,
        seed=0,
    )
    A, c = effective_affine(net)
    x = np.random.default_rng(1).standard_normal((100, 3))
    err = float(np.abs(net.forward(x) - (x @ A.T + c)).max())
    net1 = Sequential(
        [Dense(1, 8), Identity(), Dense(8, 8), Identity(), Dense(8, 1)],
        backend="reference",
        dtype=np.float64,
        seed=2,
    )
    pieces = int(R.count_1d(net1, -5.0, 5.0).pieces)
    cmp = verdict(
        err,
        0.0,
        atol=1e-12,
        name="max |net(x) - (A x + c)| over 100 inputs",
        ref="one affine map gives",
    ) & verdict(pieces, 1, name="linear pieces of a 1-8-8-1 linear net")
    return (
        {"max |net(x) - (A x + c)|": err, "linear pieces of a 1-8-8-1 linear net": pieces},
        cmp,
        "Sequential forward against the product of its weight matrices; theory.regions.count_1d",
    )
