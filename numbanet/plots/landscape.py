"""Figures of the loss landscape and of the size of gradients (FF deck 002, NN deck 003, DL deck
004). The experiments are ``numbanet.experiments.landscape``.

* ``saddle-points``: Hessian spectra at the critical points of a small MLP (most are saddles,
  and the higher the loss the more negative directions), and Auer et al.'s single neuron whose
  minima multiply with the dimension (2^d);
* ``exploding-gradients``: the init-variance recursion with v above 2/d, Nielsen's w = 100
  chain, deck 004's 1-1-1-1 chain against its product of S', and gradient clipping in training.
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, by_budget, set_title, tr


# ============================================================================ saddle-points
def compute_saddle_points(seed=0, backend="cpu", budget="reduced"):
    """Critical points of a 1-3-1 tanh net on sin(pi x) (minima from free starts, saddles from
    tied ones), with their Hessian spectra; multi-start gradient descent on Auer's single neuron for
    d = 1..4 (1..6 with ``budget="full"``)."""
    from ..experiments import landscape as L

    starts = by_budget(budget, tiny=3, reduced=9, full=60)
    dims = by_budget(budget, tiny=(1, 2), reduced=(1, 2, 3, 4), full=(1, 2, 3, 4, 5, 6))
    auer_starts = by_budget(budget, tiny=32, reduced=256, full=2048)
    data = L.critical_points(hidden=3, starts=starts, seed=seed, backend=backend)
    data["dims"] = np.array(dims)
    data["auer_minima"] = np.array(
        [len(L.auer_minima(d, starts=auer_starts, seed=seed)[0]) for d in dims]
    )
    data["auer_starts"] = auer_starts
    X, y = L.auer_data(1)
    w = np.linspace(-4.0, 2.0, 601)
    data["auer_w"] = w
    data["auer_loss_1d"] = L.auer_loss_and_gradient(w[:, None], X, y)[0]
    m2, _ = L.auer_minima(2, starts=auer_starts, seed=seed)
    g = np.linspace(-3.5, 1.5, 121)
    g1, g2 = np.meshgrid(g, g)
    X2, y2 = L.auer_data(2)
    data["auer_grid"] = g
    data["auer_loss_2d"] = L.auer_loss_and_gradient(
        np.column_stack([g1.ravel(), g2.ravel()]), X2, y2
    )[0].reshape(g1.shape)
    data["auer_minima_2d"] = m2
    return data


def draw_saddle_points(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    ax = axes[0, 0]
    for i, (ev, idx) in enumerate(zip(data["eigenvalues"], data["index"])):
        c = np.where(ev < 0, COLOURS[3], COLOURS[0])
        ax.scatter(np.full(ev.size, i), ev, c=c, s=14)
        ax.annotate(
            str(idx),
            (i, ev.max()),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(range(len(data["index"])))
    ax.set_xlabel(
        tr(lang, "critical point (sorted by loss)", "punto crítico (ordenado por pérdida)")
    )
    ax.set_ylabel(tr(lang, "Hessian eigenvalues", "autovalores del hessiano"))
    ax.set_title(
        tr(
            lang,
            "Spectra (red: negative; number: index)",
            "Espectros (rojo: negativos; número: índice)",
        )
    )
    ax = axes[0, 1]
    saddle = data["index"] > 0
    ax.scatter(
        data["index"][~saddle],
        data["loss"][~saddle],
        color=COLOURS[2],
        s=40,
        label=tr(lang, "minima", "mínimos"),
    )
    ax.scatter(
        data["index"][saddle],
        data["loss"][saddle],
        color=COLOURS[3],
        s=40,
        marker="s",
        label=tr(lang, "saddle points", "puntos silla"),
    )
    ax.set_xticks(range(int(data["index"].max()) + 1))
    ax.set_xlabel(tr(lang, "index (negative eigenvalues)", "índice (autovalores negativos)"))
    ax.set_ylabel(tr(lang, "loss", "pérdida"))
    ax.set_title(
        tr(
            lang,
            f"{int(saddle.sum())} saddles, {int((~saddle).sum())} minima ({data['n_params']} parameters, {data['starts']} starts)",
            f"{int(saddle.sum())} sillas, {int((~saddle).sum())} mínimos ({data['n_params']} parámetros, {data['starts']} inicios)",
        )
    )
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    g = data["auer_grid"]
    cs = ax.contourf(g, g, data["auer_loss_2d"], levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax, shrink=0.85)
    m = data["auer_minima_2d"]
    ax.scatter(
        m[:, 0],
        m[:, 1],
        color="w",
        edgecolor="k",
        s=60,
        zorder=3,
        label=tr(lang, "minima found", "mínimos hallados"),
    )
    inset = ax.inset_axes([0.66, 0.62, 0.32, 0.34])  # top right: no minimum there
    inset.plot(data["auer_w"], data["auer_loss_1d"], color="w", lw=1.5)
    inset.set_facecolor("#333333")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.text(
        0.05,
        0.85,
        tr(lang, "d = 1: loss(w)", "d = 1: pérdida(w)"),
        color="w",
        fontsize=8,
        transform=inset.transAxes,
    )
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(
        tr(
            lang,
            "Auer's single neuron $\\sigma(w \\cdot x)$, d = 2: four minima",
            "Neurona única de Auer $\\sigma(w \\cdot x)$, d = 2: cuatro mínimos",
        )
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(False)
    ax = axes[1, 1]
    d = data["dims"]
    ax.semilogy(d, 2.0**d, "-", color=COLOURS[7], lw=3, alpha=0.5, label="$2^d$")
    ax.semilogy(
        d,
        data["auer_minima"],
        "o",
        ms=8,
        color=COLOURS[0],
        label=tr(lang, "distinct minima found", "mínimos distintos hallados"),
    )
    ax.set_xticks(d)
    ax.set_yticks(2.0**d)
    ax.set_yticklabels([str(2**k) for k in d])
    ax.minorticks_off()
    ax.set_xlabel(tr(lang, "input dimension d", "dimensión de entrada d"))
    ax.set_ylabel(tr(lang, "local minima", "mínimos locales"))
    ax.set_title(
        tr(
            lang,
            f"Multi-start gradient descent ({data['auer_starts']} starts)",
            f"Descenso por gradiente multi-inicio ({data['auer_starts']} inicios)",
        )
    )
    ax.legend(fontsize=8)
    return set_title(
        fig,
        tr(
            lang,
            "Saddle points and local minima: a small MLP's critical points, and a single neuron with 2^d minima (Auer et al. 1995)",
            "Puntos silla y mínimos locales: los puntos críticos de un MLP pequeño y una neurona con 2^d mínimos (Auer et al. 1995)",
        ),
        details=[
            tr(
                lang,
                f"1-3-1 tanh net on 16 points of sin(pi x), L2 penalty {data['l2']:g}; critical points: L-BFGS from free and tied starts, refined by Levenberg-Marquardt on the engine's gradients (||g|| < 1e-9); Hessians by central differences of those gradients",
                f"red tanh 1-3-1 en 16 puntos de sin(pi x), penalización L2 {data['l2']:g}; puntos críticos: L-BFGS desde inicios libres y atados, refinados por Levenberg-Marquardt sobre los gradientes del motor (||g|| < 1e-9); hessianos por diferencias centrales de esos gradientes",
            )
        ],
    )


# ====================================================================== exploding-gradients
def compute_exploding_gradients(seed=0, backend="cpu", budget="reduced"):
    """The four panels' data: variance recursion (and measurement) for v = c 2/d, Nielsen's
    w = 100 chain against w = 1, deck 004's 1-1-1-1 chain, and a run with and without clipping."""
    from ..experiments import landscape as L

    depth = by_budget(budget, tiny=10, reduced=30, full=50)
    nets = by_budget(budget, tiny=2, reduced=6, full=16)
    chains = by_budget(budget, tiny=40, reduced=300, full=1000)
    epochs = by_budget(budget, tiny=8, reduced=40, full=200)
    data = {"variance": L.variance_growth(depth=depth, measure_nets=nets, seed=seed)}
    data["chain_100"] = L.sigmoid_chain(depth=6, w=100.0, backend=backend)
    data["chain_1"] = L.sigmoid_chain(depth=6, w=1.0, backend=backend)
    data["chain_rule"] = L.chain_rule_check(n_chains=chains, seed=seed, backend=backend)
    data["clipping"] = L.clipping_run(epochs=epochs, seed=seed, backend=backend)
    return data


def draw_exploding_gradients(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    ax = axes[0, 0]
    v = data["variance"]
    for i, c in enumerate(v["factors"]):
        col = COLOURS[i]
        ax.semilogy(v["layers"], v[f"forward_{c}"], color=col, label=f"v = {c:g} x 2/d")
        if f"measured_{c}" in v:
            ax.semilogy(v["layers"], v[f"measured_{c}"], "o", ms=3, color=col)
    ax.set_xlabel(tr(lang, "layer l", "capa l"))
    ax.set_ylabel("$E[(z^{[l]})^2]$")
    ax.set_title(
        tr(
            lang,
            "ReLU recursion $E[z^2] \\cdot d v / 2$ per layer (dots: measured)",
            "Recursión ReLU $E[z^2] \\cdot d v / 2$ por capa (puntos: medido)",
        )
    )
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for i, key in enumerate(("chain_100", "chain_1")):
        ch = data[key]
        layers = np.arange(1, ch["depth"] + 1)
        ax.semilogy(
            layers,
            ch["grad_b"],
            "o",
            color=COLOURS[i],
            label=tr(lang, f"w = {ch['w']:g}: engine", f"w = {ch['w']:g}: motor"),
        )
        ax.semilogy(
            layers,
            ch["formula"],
            "-",
            color=COLOURS[i],
            lw=1,
            label=f"$\\sigma'(z)\\,(w/4)^{{L-l}}$, w = {ch['w']:g}",
        )
    ax.set_xlabel(
        tr(
            lang,
            "layer l of a chain of sigmoid neurons",
            "capa l de una cadena de neuronas sigmoides",
        )
    )
    ax.set_ylabel("$|\\partial C / \\partial b_l|$")
    ax.set_title(
        tr(
            lang,
            "Nielsen's chain, every z = 0: x 25 per layer with w = 100",
            "La cadena de Nielsen, todo z = 0: x 25 por capa con w = 100",
        )
    )
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    cr = data["chain_rule"]
    for i, s in enumerate(np.unique(cr["scale"])):
        sel = cr["scale"] == s
        ax.loglog(
            np.abs(cr["formula"][sel]),
            np.abs(cr["engine"][sel]),
            ".",
            color=COLOURS[i],
            label=f"$w \\sim N(0, {s:g}^2)$",
        )
    lim = [max(np.min(np.abs(cr["formula"])), 1e-30), np.max(np.abs(cr["formula"]))]
    ax.loglog(lim, lim, "k-", lw=0.8)
    err = cr["max_rel_diff"]
    ax.set_xlabel("$|(a_3 - y) S'(z_3) w_3 S'(z_2) w_2 S'(z_1) x|$")
    ax.set_ylabel(
        tr(
            lang,
            "engine's $|\\partial E / \\partial w_1|$",
            "$|\\partial E / \\partial w_1|$ del motor",
        )
    )
    ax.set_title(
        tr(
            lang,
            f"Deck 004's 1-1-1-1 chain: equal (max rel. diff. {err:.0e})",
            f"La cadena 1-1-1-1 de la clase 004: iguales (dif. rel. máx. {err:.0e})",
        )
    )
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    cl = data["clipping"]
    ep = cl["epochs"]
    ax.semilogy(
        ep,
        cl["plain_loss"],
        color=COLOURS[3],
        label=tr(lang, "no clipping: loss", "sin recorte: pérdida"),
    )
    ax.semilogy(
        ep,
        cl["clipped_loss"],
        color=COLOURS[2],
        label=tr(
            lang,
            f"clip $\\|g\\| \\leq$ {cl['clip']:g}: loss",
            f"recorte $\\|g\\| \\leq$ {cl['clip']:g}: pérdida",
        ),
    )
    ax.semilogy(
        ep,
        cl["plain_grad_norm"],
        ":",
        color=COLOURS[3],
        label=tr(lang, "no clipping: $\\|g\\|$", "sin recorte: $\\|g\\|$"),
    )
    ax.semilogy(
        ep,
        cl["clipped_grad_norm"],
        ":",
        color=COLOURS[2],
        label=tr(
            lang,
            "clipped run: $\\|g\\|$ before clipping",
            "con recorte: $\\|g\\|$ antes de recortar",
        ),
    )
    top = 1e3 * max(cl["clipped_initial_loss"], float(np.nanmax(cl["clipped_grad_norm"])))
    lo = float(np.nanmin([np.nanmin(cl["clipped_loss"]), np.nanmin(cl["plain_loss"])]))
    ax.set_ylim(0.3 * lo, top)
    if cl["plain_peak_loss"] > top or np.isnan(cl["plain_loss"]).any():
        peak = cl["plain_peak_loss"]
        ax.annotate(
            tr(
                lang,
                f"no clipping: the loss jumps to {peak:.0e} by epoch {cl['plain_peak_epoch']}"
                + (" and training diverges" if np.isnan(cl["plain_loss"]).any() else ""),
                f"sin recorte: la pérdida salta a {peak:.0e} en la época {cl['plain_peak_epoch']}"
                + (" y el entrenamiento diverge" if np.isnan(cl["plain_loss"]).any() else ""),
            ),
            (0.03, 0.93),
            xycoords="axes fraction",
            color=COLOURS[3],
            fontsize=9,
        )
    ax.set_xlabel(tr(lang, "epoch (full batch)", "época (lote completo)"))
    ax.set_title(
        tr(
            lang,
            f"Gradient clipping: v = {cl['factor']:g} x 2/d, 8 ReLU layers",
            f"Recorte del gradiente: v = {cl['factor']:g} x 2/d, 8 capas ReLU",
        )
    )
    ax.legend(fontsize=7.5, loc="center right")
    return set_title(
        fig,
        tr(
            lang,
            "Exploding as well as vanishing gradients: products of w sigma'(z) across layers",
            "Gradientes que explotan además de desvanecerse: productos de w sigma'(z) a través de las capas",
        ),
        details=[
            tr(
                lang,
                "recursion: theory.init_variance (width 64); chains and training: the engine's backward pass; clipping: optim.SGD(clip_norm=1)",
                "recursión: theory.init_variance (ancho 64); cadenas y entrenamiento: el paso hacia atrás del motor; recorte: optim.SGD(clip_norm=1)",
            )
        ],
    )
