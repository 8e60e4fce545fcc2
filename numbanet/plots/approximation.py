"""Figures of approximation: what one hidden layer can and cannot do, and at what width (UDL deck
000, FF deck 002, NN deck 003). The experiments are ``numbanet.experiments.approximation``.

* ``depth-efficiency``: the k-fold sawtooth, exact with 2k units in k layers, needs a number of
  shallow units exponential in k (exact piece counting and least-squares fits);
* ``ua-construction``: steep sigmoids become steps, two steps a bump, a sum of bumps
  approximates f, and in 2-D towers; the max error falls with the number of bumps;
* ``polynomial-activation``: with g(z) = z^2 or z^3 a 1-H-1 net stays a polynomial of that
  degree (Leshno et al. 1993), so its error plateaus while ReLU and sigmoid keep improving;
* ``width-vs-dimension``: the width a shallow net needs grows with the input dimension.
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, by_budget, set_title, tr


def _nielsen_f(x):
    """Nielsen's example (ch. 4): 0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x)."""
    return 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


def _f2(x, y):
    """A smooth 2-D target on [0, 1]^2 for the towers."""
    return 0.5 + 0.35 * np.sin(2 * np.pi * x) * np.cos(np.pi * y)


# ========================================================================= depth-efficiency
def compute_depth_efficiency(seed=0, backend="cpu", budget="reduced"):
    """Units needed for the k-fold sawtooth: deep (2k, exact) against shallow (exact, any
    error below 1/2, and measured with least-squares fits at eps = 0.25 and 0.1). Deterministic:
    ``seed`` is unused (no random draws)."""
    from ..experiments import approximation as A

    kmax = by_budget(budget, tiny=3, reduced=6, full=8)
    data = A.depth_efficiency(range(1, kmax + 1), eps=(0.25, 0.1), backend=backend)
    k_show = min(4, kmax)
    x = np.linspace(0.0, 1.0, 1601)
    data["show_k"] = k_show
    data["show_x"] = x
    data["show_deep"] = A.sawtooth_net(k_show, backend).predict(x[:, None]).ravel()
    data["show_h"] = [2 ** (k_show - 1), 2**k_show - 1, 2**k_show]
    fits = [A.shallow_sawtooth_fit(k_show, h, backend) for h in data["show_h"]]
    data["show_shallow"] = [net.predict(x[:, None]).ravel() for net, _, _ in fits]
    data["show_shallow_err"] = [err for _, err, _ in fits]
    return data


def draw_depth_efficiency(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    ax = axes[0]
    k = data["show_k"]
    ax.plot(
        data["show_x"],
        data["show_deep"],
        color="k",
        lw=2.2,
        label=tr(lang, f"deep: {k} layers x 2 units (exact)", f"profunda: {k} capas x 2 (exacta)"),
    )
    for i, (h, y, e) in enumerate(
        zip(data["show_h"], data["show_shallow"], data["show_shallow_err"])
    ):
        ax.plot(
            data["show_x"],
            y,
            color=COLOURS[i + 1],
            lw=1.4,
            ls="--",
            label=tr(
                lang,
                f"shallow, {h} units: max error {e:.2f}",
                f"superficial, {h} unidades: error máx. {e:.2f}",
            ),
        )
    ax.set_xlabel("x")
    ax.set_ylabel(f"$T^{{{k}}}(x)$")
    ax.set_title(
        tr(
            lang,
            f"The {k}-fold sawtooth ($2^{{{k}}}$ pieces)",
            f"El diente de sierra de {k} pliegues ($2^{{{k}}}$ tramos)",
        )
    )
    ax.legend(loc="lower center", fontsize=8)

    ax = axes[1]
    ks = data["k"]
    ax.semilogy(
        ks,
        data["deep_units"],
        "o-",
        color="k",
        label=tr(lang, "deep, exact: 2k", "profunda, exacta: 2k"),
    )
    ax.semilogy(
        ks,
        data["exact_units"],
        "s-",
        color=COLOURS[3],
        label=tr(lang, "shallow, exact: $2^k$", "superficial, exacta: $2^k$"),
    )
    ax.semilogy(
        ks,
        data["lower_bound"],
        ":",
        color=COLOURS[7],
        lw=2,
        label=tr(
            lang,
            "shallow, any error < 1/2: $\\geq 2^{k-1}$",
            "superficial, error < 1/2: $\\geq 2^{k-1}$",
        ),
    )
    for i, e in enumerate(data["eps"]):
        ax.semilogy(
            ks,
            data["measured"][float(e)],
            "^--",
            color=COLOURS[i + 1],
            label=tr(
                lang,
                f"shallow, least squares, error $\\leq$ {e:g}",
                f"superficial, mínimos cuadrados, error $\\leq$ {e:g}",
            ),
        )
    ax.set_xlabel(tr(lang, "folds k", "pliegues k"))
    ax.set_ylabel(tr(lang, "hidden units", "unidades ocultas"))
    ax.set_title(
        tr(
            lang,
            "Units needed: linear in depth, exponential shallow",
            "Unidades necesarias: lineal en profundidad, exponencial superficial",
        )
    )
    ax.legend(fontsize=7.5)

    ax = axes[2]
    kc = data["curve_k"]
    ax.plot(data["curve_h"], data["curve_err"], ".-", color=COLOURS[0])
    ax.set_ylim(bottom=0)
    ax.axvline(
        2 ** (kc - 1),
        color=COLOURS[7],
        ls=":",
        label=tr(
            lang, f"$2^{{{kc - 1}}}$ (one knot per tooth)", f"$2^{{{kc - 1}}}$ (un nodo por diente)"
        ),
    )
    ax.axvline(
        2**kc,
        color=COLOURS[3],
        ls="--",
        label=tr(
            lang, f"$2^{{{kc}}}$ (knots on every corner)", f"$2^{{{kc}}}$ (nodos en cada esquina)"
        ),
    )
    ax.set_xlabel(
        tr(
            lang,
            "shallow hidden units H (equispaced knots)",
            "unidades ocultas H (nodos equiespaciados)",
        )
    )
    ax.set_ylabel(tr(lang, "exact max error", "error máximo exacto"))
    ax.set_title(
        tr(lang, f"Shallow fits of $T^{{{kc}}}$", f"Ajustes superficiales de $T^{{{kc}}}$")
    )
    ax.legend(fontsize=8)
    return set_title(
        fig,
        tr(
            lang,
            "Depth efficiency: the k-fold sawtooth needs 2k units in k layers, about 2^k in one",
            "Eficiencia de profundidad: el diente de sierra de k pliegues necesita 2k unidades en k capas y unas 2^k en una",
        ),
        details=[
            tr(
                lang,
                "pieces counted exactly along [0, 1] (the exact segment counter of numbanet.theory.regions); shallow output layers by least squares; errors exact (max over all breakpoints)",
                "tramos contados exactamente a lo largo de [0, 1] (el contador exacto de numbanet.theory.regions); capas de salida superficiales por mínimos cuadrados; errores exactos (máximo sobre todos los cambios de tramo)",
            )
        ],
    )


# ========================================================================= ua-construction
def compute_ua_construction(seed=0, backend="cpu", budget="reduced"):
    """Steps, bumps, a sum of bumps for Nielsen's f, max error against the number of bumps, and
    2-D towers (constructions, no randomness: ``seed`` is unused)."""
    from ..experiments import approximation as A

    ns = by_budget(
        budget,
        tiny=(2, 8, 32),
        reduced=(2, 4, 8, 16, 32, 64, 128),
        full=(2, 4, 8, 16, 32, 64, 128, 256, 512),
    )
    n_show = by_budget(budget, tiny=(4, 8), reduced=(5, 10, 40), full=(5, 10, 40))
    n_tower = by_budget(budget, tiny=4, reduced=10, full=16)
    n_img = by_budget(budget, tiny=41, reduced=121, full=201)
    x = np.linspace(0.0, 1.0, 2001)
    data = {
        "x": x,
        "fx": _nielsen_f(x),
        "steep": (5.0, 20.0, 100.0, 1000.0),
        "step_at": 0.4,
        "n_bumps": np.array(ns),
        "max_error": A.bump_errors(_nielsen_f, ns, backend=backend),
        "n_show": list(n_show),
        "sums": [
            A.bump_net(_nielsen_f, n, backend=backend).predict(x[:, None]).ravel() for n in n_show
        ],
    }
    data["steps"] = [
        A.step_net(w, data["step_at"], backend).predict(x[:, None]).ravel() for w in data["steep"]
    ]
    data["bump"] = A.pair_bump_net(0.3, 0.6, 0.8, 200.0, backend).predict(x[:, None]).ravel()
    g = np.linspace(0.0, 1.0, n_img)
    gx, gy = np.meshgrid(g, g, indexing="xy")
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    # the tower net of a 5 x 5 grid with output weight 1 on its centre tower only
    single = A.tower_net(
        lambda a, b: (np.isclose(a, 0.5) & np.isclose(b, 0.5)).astype(float), 5, backend=backend
    )
    data["grid"] = g
    data["tower"] = single.predict(pts).reshape(n_img, n_img)
    data["n_tower"] = n_tower
    data["towers"] = A.tower_net(_f2, n_tower, backend=backend).predict(pts).reshape(n_img, n_img)
    data["f2"] = _f2(gx, gy)
    # the max error of towers does not fall: where four towers meet, each sees two half-up
    # bumps (sum 1 < 1.5) and all are off; those windows shrink with w, so the mean error falls
    data["towers_mean_error"] = float(np.mean(np.abs(data["towers"] - data["f2"])))
    return data


def draw_ua_construction(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6))
    x = data["x"]
    ax = axes[0, 0]
    for i, (w, s) in enumerate(zip(data["steep"], data["steps"])):
        ax.plot(x, s, color=COLOURS[i], label=f"w = {w:g}")
    ax.set_title(
        tr(
            lang,
            f"$\\sigma(w(x - {data['step_at']:g}))$: a steep sigmoid is a step",
            f"$\\sigma(w(x - {data['step_at']:g}))$: una sigmoide empinada es un escalón",
        )
    )
    ax.set_xlabel("x")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.plot(x, data["bump"], color=COLOURS[0])
    ax.set_title(
        tr(
            lang,
            "Two steps, weights +h and -h: a bump (h = 0.8)",
            "Dos escalones, pesos +h y -h: un pulso (h = 0,8)",
        )
    )
    ax.set_xlabel("x")
    ax = axes[0, 2]
    ax.plot(x, data["fx"], color="k", lw=2.4, label="f(x)")
    for i, (n, s) in enumerate(zip(data["n_show"], data["sums"])):
        ax.plot(
            x,
            s,
            color=COLOURS[i + 1],
            lw=1.2,
            label=tr(lang, f"{n} bumps ({2 * n} units)", f"{n} pulsos ({2 * n} unidades)"),
        )
    ax.set_title(tr(lang, "A sum of bumps approximates f", "Una suma de pulsos aproxima f"))
    ax.set_xlabel("x")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    n = data["n_bumps"]
    ax.loglog(
        n,
        data["max_error"],
        "o-",
        color=COLOURS[0],
        label=tr(lang, "max |net - f|", "máx. |red - f|"),
    )
    ax.loglog(n, data["max_error"][0] * n[0] / n, ":", color=COLOURS[7], label="$\\propto 1/n$")
    ax.set_xlabel(tr(lang, "bumps n (hidden units 2n)", "pulsos n (unidades ocultas 2n)"))
    ax.set_ylabel(tr(lang, "max error on [0, 1]", "error máximo en [0, 1]"))
    ax.set_title(
        tr(
            lang,
            "The error falls with the number of bumps",
            "El error baja con el número de pulsos",
        )
    )
    ax.legend(fontsize=8)
    ext = (0, 1, 0, 1)
    ax = axes[1, 1]
    im = ax.imshow(data["tower"], origin="lower", extent=ext, cmap="viridis")
    fig.colorbar(im, ax=ax, shrink=0.85)
    ax.set_title(
        tr(
            lang,
            "2-D: an x-bump plus a y-bump, thresholded: a tower",
            "2-D: pulso en x más pulso en y, umbralizado: una torre",
        )
    )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    ax = axes[1, 2]
    im = ax.imshow(data["towers"], origin="lower", extent=ext, cmap="viridis")
    ax.contour(data["grid"], data["grid"], data["f2"], levels=8, colors="w", linewidths=0.6)
    fig.colorbar(im, ax=ax, shrink=0.85)
    nt = data["n_tower"]
    err = data["towers_mean_error"]
    ax.set_title(
        tr(
            lang,
            f"{nt} x {nt} towers (lines: f), mean error {err:.3f}",
            f"{nt} x {nt} torres (líneas: f), error medio {err:.3f}",
        )
    )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    return set_title(
        fig,
        tr(
            lang,
            "Universal approximation by construction: steps, bumps, a sum of bumps, towers",
            "Aproximación universal por construcción: escalones, pulsos, suma de pulsos, torres",
        ),
        details=[
            tr(
                lang,
                "f(x) = 0.2 + 0.4x^2 + 0.3x sin(15x) + 0.05 cos(50x) (Nielsen ch. 4); steepness w = 10 n^2; every curve is an engine Sequential's output",
                "f(x) = 0,2 + 0,4x^2 + 0,3x sin(15x) + 0,05 cos(50x) (Nielsen cap. 4); pendiente w = 10 n^2; cada curva es la salida de un Sequential del motor",
            )
        ],
    )


# ===================================================================== polynomial-activation
def compute_polynomial_activation(seed=0, backend="cpu", budget="reduced"):
    """Max error of 1-H-1 nets on sin(pi x) for ReLU, sigmoid, z^2 and z^3 activations,
    random hidden layers and least-squares output layers, against H."""
    from ..experiments import approximation as A

    widths = by_budget(
        budget,
        tiny=(2, 8, 64),
        reduced=(1, 2, 4, 8, 16, 32, 64, 128),
        full=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    )
    seeds = by_budget(budget, tiny=1, reduced=3, full=10)
    data = A.activation_errors(
        lambda t: np.sin(np.pi * t), widths=widths, n_seeds=seeds, seed=seed, backend=backend
    )
    data["n_seeds"] = seeds
    return data


_ACT_LABEL = {"relu": "ReLU", "sigmoid": "sigmoid", "square": "$z^2$", "cube": "$z^3$"}


def draw_polynomial_activation(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.6))
    ax = axes[0]
    H = data["widths"]
    for i, (act, e) in enumerate(data["error"].items()):
        c = COLOURS[i]
        marker = {"square": "s--", "cube": "D--"}.get(act, "o-")
        ax.loglog(H, e.mean(axis=0), marker, color=c, label=_ACT_LABEL[act])
        if e.shape[0] > 1:
            ax.fill_between(H, e.min(axis=0), e.max(axis=0), color=c, alpha=0.15)
        if act in data["poly_error"]:
            deg = 2 if act == "square" else 3
            ax.axhline(
                data["poly_error"][act],
                color=c,
                ls=":",
                label=tr(
                    lang, f"best polynomial of degree {deg}", f"mejor polinomio de grado {deg}"
                ),
            )
    ax.set_xlabel(tr(lang, "hidden units H", "unidades ocultas H"))
    ax.set_ylabel(tr(lang, "max error on [-1, 1]", "error máximo en [-1, 1]"))
    ax.set_title(
        tr(
            lang,
            "Polynomial activations plateau, the others keep improving",
            "Las activaciones polinómicas se estancan, las demás siguen mejorando",
        )
    )
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(data["x"], data["fx"], color="k", lw=2.4, label="$\\sin(\\pi x)$")
    for i, (act, p) in enumerate(data["fits"].items()):
        ax.plot(data["x"], p, color=COLOURS[i], lw=1.3, label=_ACT_LABEL[act])
    ax.set_xlabel("x")
    ax.set_title(tr(lang, f"The fits with H = {H[-1]}", f"Los ajustes con H = {H[-1]}"))
    ax.legend(fontsize=8)
    return set_title(
        fig,
        tr(
            lang,
            "Only non-polynomial activations approximate (Leshno et al. 1993): sum_i a_i (w_i x + b_i)^p has degree p",
            "Solo aproximan las activaciones no polinómicas (Leshno et al. 1993): sum_i a_i (w_i x + b_i)^p tiene grado p",
        ),
        details=[
            tr(
                lang,
                f"1-H-1 nets, random hidden layer (engine), least-squares output layer; mean and range over {data['n_seeds']} seeds",
                f"redes 1-H-1, capa oculta aleatoria (motor), capa de salida por mínimos cuadrados; media y rango sobre {data['n_seeds']} semillas",
            )
        ],
    )


# ======================================================================= width-vs-dimension
def compute_width_vs_dimension(seed=0, backend="cpu", budget="reduced"):
    """Relative error of shallow ReLU nets on prod_i sin(pi x_i) over [-1, 1]^d against width,
    for d = 1, 2, 3 (4 with ``budget="full"``), and the width that reaches 20 %."""
    from ..experiments import approximation as A

    kw = by_budget(
        budget,
        tiny=dict(dims=(1, 2), widths=(4, 16, 64), n_train=600, n_test=400, n_seeds=1),
        reduced=dict(
            dims=(1, 2, 3),
            widths=(2, 4, 8, 16, 32, 64, 128, 256, 512),
            n_train=2000,
            n_test=2000,
            n_seeds=2,
        ),
        full=dict(
            dims=(1, 2, 3, 4),
            widths=(2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048),
            n_train=8000,  # 4x the widest net's parameters; 12,000 x 3 seeds took over 150 s
            n_test=4000,
            n_seeds=2,
        ),
    )
    data = A.width_by_dimension(eps=0.2, seed=seed, backend=backend, **kw)
    data["n_train"], data["n_seeds"] = kw["n_train"], kw["n_seeds"]
    return data


def draw_width_vs_dimension(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.6))
    ax = axes[0]
    W = data["widths"]
    for i, d in enumerate(data["dims"]):
        e = data["error"][int(d)]
        ax.loglog(W, e.mean(axis=0), "o-", color=COLOURS[i], label=f"d = {d}")
    ax.axhline(
        data["eps"],
        color=COLOURS[7],
        ls=":",
        label=tr(lang, f"target error {data['eps']:g}", f"error objetivo {data['eps']:g}"),
    )
    ax.set_xlabel(tr(lang, "hidden units", "unidades ocultas"))
    ax.set_ylabel(tr(lang, "relative test error", "error relativo de test"))
    ax.set_title(
        tr(
            lang,
            "Error against width, per input dimension",
            "Error frente al ancho, por dimensión de entrada",
        )
    )
    ax.legend(fontsize=8)
    ax = axes[1]
    ok = np.isfinite(data["needed"])
    ax.semilogy(data["dims"][ok], data["needed"][ok], "o-", color=COLOURS[3])
    for d, h in zip(data["dims"][ok], data["needed"][ok]):
        ax.annotate(f"{h:.0f}", (d, h), textcoords="offset points", xytext=(6, -4), fontsize=9)
    ax.set_xticks(data["dims"])
    ax.set_xlabel(tr(lang, "input dimension d", "dimensión de entrada d"))
    ax.set_ylabel(
        tr(lang, f"units for error {data['eps']:g}", f"unidades para error {data['eps']:g}")
    )
    ax.set_title(
        tr(
            lang,
            "Width needed grows with the dimension",
            "El ancho necesario crece con la dimensión",
        )
    )
    return set_title(
        fig,
        tr(
            lang,
            "Width grows with the input dimension: shallow ReLU nets on prod_i sin(pi x_i), x in [-1, 1]^d",
            "El ancho crece con la dimensión de entrada: redes ReLU superficiales en prod_i sin(pi x_i), x en [-1, 1]^d",
        ),
        details=[
            tr(
                lang,
                f"random hidden layer (engine), least-squares output layer, {data['n_train']} training points, mean over {data['n_seeds']} seeds",
                f"capa oculta aleatoria (motor), capa de salida por mínimos cuadrados, {data['n_train']} puntos de entrenamiento, media sobre {data['n_seeds']} semillas",
            )
        ],
    )
