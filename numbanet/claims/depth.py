"""Claims 1-9: composition and linear regions (UDL deck 000), the speed of learning and depth
(DL deck 004)."""

from __future__ import annotations

import numpy as np

from .. import slides
from ._core import _REGISTRY, claim
from .verdict import verdict


# ============================================================================ UDL (deck 000)
@claim(
    1,
    "Shallow net, 1 input/1 output, D hidden units: at most D + 1 linear regions and "
    "3D + 1 parameters",
    dict(slides.SHALLOW_1D),
    figure="compose-vs-shallow",
)
def _c1():
    from ..nn import Dense, ReLU, Sequential
    from ..theory import regions as R

    Ds = list(range(1, 21))
    params = [R.parameter_count([1, D, 1]) for D in Ds]
    bound = [R.zaslavsky(1, D) for D in Ds]
    excess = []  # exact counts of random shallow engine nets minus D + 1
    for D in (3, 6, 12):
        for s in range(5):
            net = Sequential(
                [Dense(1, D), ReLU(), Dense(D, 1)], backend="reference", seed=s, dtype=np.float64
            )
            excess.append(R.count_1d(net, -10.0, 10.0).regions - (D + 1))
    formula = "the slide's formula gives"
    cmp = (
        verdict(params, [3 * D + 1 for D in Ds], name="parameters for D = 1..20", ref=formula)
        & verdict(bound, [D + 1 for D in Ds], name="Zaslavsky's bound for D = 1..20", ref=formula)
        & verdict(
            max(excess),
            0,
            relation="<=",
            name="exact regions of 15 random nets minus (D + 1), worst",
        )
    )
    computed = {
        "parameters(D=1..20)": params,
        "max regions(D=1..20)": bound,
        "exact counts minus (D+1), worst": int(max(excess)),
    }
    return computed, cmp, "theory.regions.parameter_count, zaslavsky, count_1d on Sequential nets"


@claim(
    2,
    "K hidden layers of D units, 1 input/1 output: (D + 1)^K regions and "
    "3D + 1 + (K - 1)(D^2 + D) parameters; K = 5, D = 10 gives 471 parameters and '161501' regions",
    {
        "parameters": slides.DEEP_1D_EXAMPLE["parameters"],
        "regions": slides.DEEP_1D_EXAMPLE["regions"],
    },
    figure="regions-per-parameter",
    expect={"regions": ("differs",)},
)
def _c2():
    from ..theory import regions as R

    K, D = slides.DEEP_1D_EXAMPLE["K"], slides.DEEP_1D_EXAMPLE["D"]
    computed = {
        "parameters": R.parameter_count([1] + [D] * K + [1]),
        "regions": int(R.deep_1d_max(D, K)),
    }
    formula = "the slide's formula gives"
    cmp = (
        verdict(
            computed["parameters"],
            3 * D + 1 + (K - 1) * (D**2 + D),
            name="parameters, 3D + 1 + (K - 1)(D^2 + D)",
            ref=formula,
        )
        & verdict(computed["regions"], (D + 1) ** K, name="regions, (D + 1)^K", ref=formula)
        & verdict(computed, _REGISTRY[2]["slide_value"], ref="printed on the slide")
    )
    return computed, cmp, f"theory.regions.parameter_count([1] + [{D}] * {K} + [1]) and deep_1d_max"


@claim(
    3,
    "K = 5, D = 50, 10 inputs: 10,801 parameters and more than 1e40 regions "
    "(UDL eq. 4.17 as corrected)",
    {
        "parameters": slides.DEEP_10D_EXAMPLE["parameters"],
        "regions": f"> {slides.DEEP_10D_EXAMPLE['regions_more_than']:g}",
    },
    figure="regions-per-parameter",
)
def _c3():
    from ..theory import regions as R

    e = slides.DEEP_10D_EXAMPLE
    p = R.parameter_count([e["d_in"]] + [e["D"]] * e["K"] + [1])
    n = R.udl_max_regions(e["d_in"], e["D"], e["K"])
    cmp = verdict(p, e["parameters"], name="parameters") & verdict(
        float(n), e["regions_more_than"], relation=">", name="regions"
    )
    return (
        {"parameters": p, "regions": float(n)},
        cmp,
        "theory.regions.parameter_count and udl_max_regions(10, 50, 5), exact integers",
    )


@claim(
    4,
    "Composition multiplies pieces: 3 x 4 = 12 (net2 after net1), 9 (net1 after net1), "
    "36 (three stages)",
    dict(slides.COMPOSITION_PIECES),
    figure="compose-1d",
)
def _c4():
    from ..experiments.udl import udl_nets
    from ..theory import regions as R

    got = {k: int(R.count_1d(net, -1.0, 1.0).pieces) for k, net in udl_nets().items()}
    return (
        got,
        verdict(got, slides.COMPOSITION_PIECES),
        "theory.regions.count_1d (exact breakpoints) on the slides' nets as Sequential models",
    )


def _random_label_parameters():
    return {
        f"{len(w)} hidden layer" + ("s" if len(w) > 1 else ""): p
        for w, p in zip(slides.RANDOM_LABEL_WIDTHS, slides.RANDOM_LABEL_PARAMETERS)
    }


@claim(
    5,
    "UDL fig. 20.2: 15,208 / 15,210 / 15,235 / 15,139 parameters for 1-4 hidden layers "
    "(40 inputs, 10 outputs); deeper nets fit random labels in fewer epochs",
    _random_label_parameters(),
    figure="mnist1d-random-labels",
    expect={"4 hidden layers": ("differs",)},
)
def _c5():
    from ..theory import regions as R

    slide = _REGISTRY[5]["slide_value"]
    counts = {k: R.parameter_count([40, *w, 10]) for k, w in zip(slide, slides.RANDOM_LABEL_WIDTHS)}
    return (
        counts,
        verdict(counts, slide),
        "theory.regions.parameter_count([40, *widths, 10]); the epochs to fit random labels "
        "are the mnist1d-random-labels figure's",
    )


@claim(
    6,
    "Zaslavsky: D_i = 2, D = 3 gives at most 7 regions; D_i = 10, D = 50 gives 13,432,735,556",
    {f"({a},{b})": v for (a, b), v in slides.ZASLAVSKY_EXAMPLES.items()},
    figure="regions-depth-width",
)
def _c6():
    from ..nn import Dense, ReLU, Sequential
    from ..theory import regions as R

    bounds = {f"({a},{b})": R.zaslavsky(a, b) for a, b in slides.ZASLAVSKY_EXAMPLES}
    counts = []
    for s in range(5):
        # lines in general position: random biases, a box large enough to hold every crossing
        net = Sequential(
            [Dense(2, 3, bias_init="normal"), ReLU(), Dense(3, 1)],
            backend="reference",
            seed=s,
            dtype=np.float64,
        )
        counts.append(int(R.count_2d(net, (-1e3, 1e3, -1e3, 1e3)).regions))
    cap = slides.ZASLAVSKY_EXAMPLES[(2, 3)]
    cmp = (
        verdict(bounds, _REGISTRY[6]["slide_value"])
        & verdict(counts, cap, relation="<=", name="exact regions of 5 random 2-3-1 nets")
        & verdict(max(counts), cap, name="most regions of the 5 nets")
    )
    return (
        {**bounds, "exact 2-D counts of random 2-3-1 nets": counts},
        cmp,
        "theory.regions.zaslavsky and count_2d",
    )


# ============================================================================ DL (deck 004)
@claim(
    7,
    "sigma'(z) <= 1/4; a chain of sigmoid layers shrinks the gradient",
    {"max sigma'": slides.SIGMOID_DERIVATIVE_MAX},
    figure="sigmoid-vs-relu",
)
def _c7():
    from ..nn import Dense, Sequential, Sigmoid

    z = np.linspace(-10, 10, 200001)
    d = Sigmoid().derivative(z)
    mx = float(d.max())
    # a chain of 10 sigmoid units with unit weights: dy/dx through the engine's backward pass
    layers = []
    for _ in range(10):
        layers += [Dense(1, 1, init="zeros"), Sigmoid()]
    net = Sequential(layers, backend="reference", dtype=np.float64)
    for layer in net.layers[::2]:
        layer.W.value = np.ones((1, 1))
    net.forward(np.zeros((1, 1)))
    g = float(net.backward(np.ones((1, 1)))[0, 0])
    q = slides.SIGMOID_DERIVATIVE_MAX
    cmp = (
        verdict(mx, q, atol=1e-12, name="max sigma'")
        & verdict(
            float(z[d.argmax()]),
            0.0,
            atol=1e-9,
            name="argmax z",
            ref="on the slide (sigma'(0) = 1/4)",
        )
        & verdict(g, q**10, relation="<=", name="dy/dx through 10 sigmoid layers (1/4)^10")
    )
    return (
        {"max sigma'": mx, "argmax z": float(z[d.argmax()]), "dy/dx through 10 sigmoid layers": g},
        cmp,
        "Sigmoid.derivative on a grid; Sequential.backward through a 10-layer chain",
    )


_FOUR = (784, 30, 30, 30, 30, 10)


@claim(
    8,
    "Per-layer speeds at initialisation (Nielsen): each layer learns several times slower "
    "than the next; the first of four about 100 times slower than the fourth",
    {"speeds": list(slides.NIELSEN_SPEEDS[_FOUR]), "fourth/first": slides.FIRST_TO_FOURTH_SPEED},
    figure="gradient-speed-bars",
    needs=("mnist",),
)
def _c8():
    from ..experiments.vanishing import initial_speeds

    m = initial_speeds([_FOUR], seeds=range(10))[_FOUR].mean(axis=0)
    ref = np.array(slides.NIELSEN_SPEEDS[_FOUR])
    computed = {
        "speeds": np.round(m, 5).tolist(),
        "next/previous": np.round(m[1:] / m[:-1], 2).tolist(),
        "fourth/first": round(float(m[-1] / m[0]), 1),
    }
    # one random initialisation per seed: the mean of 10 is compared within a factor 2, the
    # ratios between layers with the ratios of the slide's own values
    cmp = (
        verdict(
            m.tolist(),
            ref.tolist(),
            factor=2,
            name="speeds (mean of 10 seeds)",
            ref="(Nielsen's, on the slide)",
        )
        & verdict(
            (m[1:] / m[:-1]).tolist(),
            (ref[1:] / ref[:-1]).tolist(),
            factor=2,
            name="next/previous",
            ref="between the slide's speeds",
        )
        & verdict(
            float(m[-1] / m[0]), float(slides.FIRST_TO_FOURTH_SPEED), factor=2, name="fourth/first"
        )
    )
    return computed, cmp, "experiments.vanishing.initial_speeds: first 1,000 MNIST images, 10 seeds"


@claim(
    9,
    "MNIST validation accuracy with 1-4 hidden layers of 30 sigmoid units (30 epochs, "
    "minibatch 10, eta 0.1, lambda 5.0): 96.48 / 96.90 / 96.57 / 96.53 %",
    list(slides.DEPTH_ACCURACY),
    figure="depth-accuracy",
    expensive=True,
    needs=("mnist",),
)
def _c9():
    from ..experiments import cache
    from ..experiments.vanishing import DEPTH_ACCURACY_FULL, depth_accuracy_cached

    settings = dict(DEPTH_ACCURACY_FULL)  # the slide's 30 epochs, five seeds
    reused = not cache.recomputing() and cache.is_cached("vanishing.depth_accuracy", settings)
    # the full-budget run of the depth-accuracy figure, read from the results cache when the
    # figure (or an earlier claims run) computed it with these settings
    res = depth_accuracy_cached(**settings)
    acc = np.asarray(res["acc"], dtype=np.float64)
    mean, std = np.asarray(res["mean"]), np.asarray(res["std"])
    n = acc.shape[0]
    # the slide's values are single runs: each is compared with numbanet's mean within 3
    # standard deviations of single runs (at least 0.15 points: a few seeds estimate it poorly)
    tol = 3 * np.maximum(std, 0.15)
    cmp = verdict(
        np.round(mean, 2).tolist(),
        list(slides.DEPTH_ACCURACY),
        atol=tol,
        name=f"mean validation accuracy % ({n} seeds), 1-4 layers",
    )
    computed = {
        "mean %": np.round(mean, 2).tolist(),
        "std %": np.round(std, 2).tolist(),
        "min %": np.round(acc.min(axis=0), 2).tolist(),
        "max %": np.round(acc.max(axis=0), 2).tolist(),
    }
    return (
        computed,
        cmp,
        f"experiments.vanishing.depth_accuracy: Sequential 784-30^k-10 sigmoid, "
        f"SigmoidCrossEntropy, SGD with Nielsen's L2 decay, fit(); {settings['epochs']} epochs, "
        f"seeds {list(settings['seeds'])}; "
        + ("result reused from the cache" if reused else "computed and cached")
        + " (numbanet claims --fresh recomputes)",
    )
