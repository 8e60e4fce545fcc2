"""Figures of activation functions (NN deck 003, FF deck 002) and of why sigmoids make deep
gradients vanish (DL deck 004).

* ``activations``: every activation layer of numbanet with its derivative, both from the layer's
  own forward and backward passes;
* ``sigmoid-vs-relu``: sigma and sigma' (at most 1/4) against ReLU, and the gradient reaching
  each layer of deep sigmoid and ReLU nets (``numbanet.experiments.vanishing.gradient_by_layer``).
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, by_budget, set_title, tr


# ============================================================================ activations
def _act_layers():
    import numbanet as nb

    return [
        ("sigmoid", r"$\sigma(z) = 1/(1 + e^{-z})$", lambda: nb.Sigmoid()),
        ("tanh", r"$\tanh z$", lambda: nb.Tanh()),
        ("relu", r"ReLU: $\max(0, z)$", lambda: nb.ReLU()),
        ("leaky_relu", r"Leaky ReLU ($\alpha = 0.1$)", lambda: nb.LeakyReLU(0.1)),
        ("prelu_0.05", r"PReLU $\alpha = 0.05$", lambda: nb.PReLU(1, init=0.05)),
        ("prelu_0.25", r"PReLU $\alpha = 0.25$", lambda: nb.PReLU(1, init=0.25)),
        ("prelu_0.5", r"PReLU $\alpha = 0.5$", lambda: nb.PReLU(1, init=0.5)),
        ("elu", r"ELU ($\alpha = 1$)", lambda: nb.ELU(1.0)),
        ("softplus", r"softplus: $\log(1 + e^{z})$", lambda: nb.Softplus()),
        ("gelu", r"GELU: $z\,\Phi(z)$", lambda: nb.GELU()),
        ("silu", r"SiLU / swish: $z\,\sigma(z)$", lambda: nb.SiLU()),
    ]


def _f_and_df(make, z, backend):
    """f(z) and f'(z) from one activation layer's forward and backward passes (d(sum f)/dz)."""
    import numbanet as nb

    net = nb.Sequential([make()], backend=backend, dtype=np.float64, input_shape=(len(z),))
    f = net.forward(z[None, :], training=True)[0]
    df = net.backward(np.ones((1, len(z))))[0]
    return f, df


def compute_activations(seed=0, backend="cpu", budget="reduced"):
    """Every activation layer of numbanet evaluated on z in [-4, 4] with its derivative, both from
    the layer's own forward and backward passes on ``backend``."""
    z = np.linspace(-4.0, 4.0, by_budget(budget, tiny=81, reduced=801, full=801))
    out = {"z": z, "f": {}, "df": {}, "label": {}}
    for key, label, make in _act_layers():
        out["f"][key], out["df"][key] = _f_and_df(make, z, backend)
        out["label"][key] = label
    return out


def draw_activations(data, lang="en"):
    import matplotlib.pyplot as plt

    panels = [
        ["sigmoid"],
        ["tanh"],
        ["relu"],
        ["leaky_relu"],
        ["prelu_0.05", "prelu_0.25", "prelu_0.5"],
        ["elu"],
        ["softplus"],
        ["gelu"],
        ["silu"],
    ]
    fig, axes = plt.subplots(3, 3, figsize=(12, 9.5), sharex=True)
    z = data["z"]
    unbounded = [k for keys in panels for k in keys if k not in ("sigmoid", "tanh")]
    lo = min(-1.3, min(min(data["f"][k].min(), data["df"][k].min()) for k in unbounded))
    for ax, keys in zip(axes.ravel(), panels):
        for i, k in enumerate(keys):
            c = COLOURS[i] if len(keys) > 1 else COLOURS[0]
            lab = data["label"][k]
            ax.plot(
                z, data["f"][k], color=c, lw=1.9, label=f"f: {lab}" if len(keys) > 1 else "f(z)"
            )
            ax.plot(
                z,
                data["df"][k],
                color=c if len(keys) > 1 else COLOURS[1],
                ls="--",
                lw=1.5,
                label=f"f′: {lab}" if len(keys) > 1 else "f′(z)",
            )
        ax.axhline(0, color="0.4", lw=0.6)
        ax.axvline(0, color="0.4", lw=0.6)
        title = (
            r"PReLU ($\alpha$ " + tr(lang, "learned; three values", "aprendida; tres valores") + ")"
            if len(keys) > 1
            else data["label"][keys[0]]
        )
        ax.set_title(title)
        ax.legend(fontsize=7 if len(keys) > 1 else 8.5, loc="upper left")
        if keys[0] in ("sigmoid", "tanh"):
            ax.set_ylim(-1.15, 1.15)
        else:  # one scale for the unbounded ones, low enough for every curve (PReLU's α = 0.5 too)
            ax.set_ylim(lo - 0.3, 4.3)
    for ax in axes[-1]:
        ax.set_xlabel("z")
    for ax in axes[:, 0]:
        ax.set_ylabel(tr(lang, "f(z) and f′(z)", "f(z) y f′(z)"))
    set_title(
        fig,
        tr(
            lang,
            "Activation functions (solid) and their derivatives (dashed), from numbanet's layers' forward and backward passes",
            "Funciones de activación (continua) y sus derivadas (discontinua), de los pasos hacia delante y hacia atrás de las capas de numbanet",
        ),
    )
    return fig


# ============================================================================ sigmoid-vs-relu
def compute_sigmoid_vs_relu(seed=0, backend="cpu", budget="reduced"):
    """sigma, sigma' (at most 1/4), ReLU and ReLU' from the layers; then the gradient reaching each
    layer of two 10-hidden-layer nets (width 30) at initialisation, sigmoid vs ReLU
    (``experiments.vanishing.gradient_by_layer``; 5 nets reduced, 20 full)."""
    import numbanet as nb

    from ..experiments.vanishing import gradient_by_layer

    z = np.linspace(-6.0, 6.0, 601)
    sig, dsig = _f_and_df(nb.Sigmoid, z, backend)
    relu, drelu = _f_and_df(nb.ReLU, z, backend)
    depth, width = 10, 30
    n_seeds = by_budget(budget, tiny=2, reduced=5, full=20)
    grads = gradient_by_layer(
        depth=depth, width=width, n=256, n_seeds=n_seeds, seed=seed, backend=backend
    )
    return {
        "z": z,
        "sigmoid": sig,
        "dsigmoid": dsig,
        "relu": relu,
        "drelu": drelu,
        "depth": depth,
        "width": width,
        "n_seeds": n_seeds,
        **grads,
    }


def draw_sigmoid_vs_relu(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.6))
    z = data["z"]
    a1.plot(z, data["sigmoid"], color=COLOURS[0], label="σ(z)")
    a1.plot(z, data["dsigmoid"], color=COLOURS[0], ls="--", label="σ′(z) = σ(1 − σ)")
    a1.plot(z, data["relu"], color=COLOURS[3], label="ReLU(z)")
    a1.plot(z, data["drelu"], color=COLOURS[3], ls="--", label="ReLU′(z)")
    a1.axhline(0.25, color="0.3", ls=":", lw=1)
    a1.annotate(
        tr(lang, "max σ′ = σ′(0) = 1/4", "máx σ′ = σ′(0) = 1/4"),
        (0, 0.25),
        xytext=(-5.8, 0.45),
        arrowprops=dict(arrowstyle="->", color="0.3"),
        fontsize=9,
    )
    a1.set_ylim(-0.1, 1.6)
    a1.set_xlabel("z")
    a1.set_ylabel(tr(lang, "value", "valor"))
    a1.set_title(
        tr(
            lang,
            "σ saturates and σ′ ≤ 1/4; ReLU′ = 1 for z > 0",
            "σ se satura y σ′ ≤ 1/4; ReLU′ = 1 para z > 0",
        )
    )
    a1.legend(loc="upper left")
    L = data["depth"]
    layers = np.arange(1, L + 1)
    for key, c, lab in (
        ("grad_sigmoid", COLOURS[0], "sigmoid (LeCun init)"),
        ("grad_relu", COLOURS[3], "ReLU (He init)"),
    ):
        g = data[key]
        rel = g / g[:, -1:]
        gm = np.exp(np.log(rel).mean(0))
        for r in rel:
            a2.semilogy(layers, r, color=c, lw=0.6, alpha=0.35)
        a2.semilogy(
            layers, gm, color=c, marker="o", ms=4, label=tr(lang, lab, lab.replace("init", "inic."))
        )
    prod = np.exp(np.log(data["mean_dsigmoid"]).mean(0))
    # delta^l = sigma'(z^l) * (W^{l+1})^T delta^{l+1}: from layer L down to l the gradient picks up
    # the factors sigma'(z^k) of layers k = l .. L-1 (0-based: prod[l - 1 : L - 1])
    cum = np.array([np.prod(prod[i : L - 1]) for i in range(L)])
    a2.semilogy(
        layers,
        cum,
        color=COLOURS[0],
        ls="--",
        lw=1.2,
        label=tr(
            lang,
            r"$\Pi_{k=l}^{L-1}$ mean $\sigma'(z^k)$",
            r"$\Pi_{k=l}^{L-1}$ $\sigma'(z^k)$ medio",
        ),
    )
    a2.semilogy(layers, 0.25 ** (L - layers), color="0.3", ls=":", lw=1.4, label=r"$(1/4)^{L - l}$")
    a2.set_xticks(layers)
    a2.set_xlabel(
        tr(
            lang,
            "hidden layer l (1 = nearest the input)",
            "capa oculta l (1 = la más cercana a la entrada)",
        )
    )
    a2.set_ylabel(r"$\|\partial C/\partial b^l\| \,/\, \|\partial C/\partial b^L\|$ (log)")
    a2.set_title(
        tr(
            lang,
            f"Gradient through {L} layers of {data['width']} at initialisation ({data['n_seeds']} nets)",
            f"Gradiente a través de {L} capas de {data['width']} al inicio ({data['n_seeds']} redes)",
        )
    )
    a2.legend(fontsize=8, loc="lower right")
    return fig
