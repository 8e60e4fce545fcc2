r"""Figures of linear regions against depth and width (UDL deck 000; FF deck 002).

* ``regions-per-parameter``: the maximum number of regions against parameters (UDL fig. 4.7),
  from the bounds of :mod:`numbanet.theory.regions`, with the slides' two examples marked.
* ``regions-depth-width``: exact counts of random and trained ReLU nets beside the bounds
  (``numbanet.experiments.udl.region_counts``).
* ``space-folding-2d``: a deep net that folds the square about both axes (Montufar et al. 2014;
  the net is ``numbanet.experiments.feedforward.folding_layers``), its regions counted exactly.
"""

from __future__ import annotations

import numpy as np

from .. import slides
from ._style import by_budget, hidden_layers, set_title, tr


# ----------------------------------------------------------------------- regions-per-parameter
def compute_regions_per_parameter(seed=0, backend="cpu", budget="reduced"):
    from ..theory import regions as R

    out = {"curves": {}}
    widths = {1: list(range(1, 61)), 10: list(range(10, 210, 10))}
    # the shallow nets need far more units to reach the same parameter counts
    shallow = {
        1: sorted({int(w) for w in np.geomspace(1, 5000, 40)}),
        10: sorted({int(w) for w in np.geomspace(10, 15000, 40)}),
    }
    for d_in in widths:
        for K in (1, 2, 3, 4, 5):
            ws = shallow[d_in] if K == 1 else widths[d_in]
            params, regions = [], []
            for D in ws:
                params.append(R.parameter_count([d_in] + [D] * K + [1]))
                if K == 1:
                    n = R.zaslavsky(d_in, D)
                elif d_in == 1:
                    n = R.deep_1d_max(D, K)
                else:
                    n = R.udl_max_regions(d_in, D, K)
                regions.append(float(n))
            out["curves"][(d_in, K)] = (params, regions)
    # the slides' two examples, computed from their K, D and D_i
    e1, e10 = slides.DEEP_1D_EXAMPLE, slides.DEEP_10D_EXAMPLE
    out["points"] = {
        1: (
            R.parameter_count([1] + [e1["D"]] * e1["K"] + [1]),
            float(R.deep_1d_max(e1["D"], e1["K"])),
        ),
        10: (
            R.parameter_count([10] + [e10["D"]] * e10["K"] + [1]),
            float(R.udl_max_regions(10, e10["D"], e10["K"])),
        ),
    }
    return out


def _sci(v, digits=1):
    """``v`` as mathtext ``m×10^e`` (e.g. 1.8×10^41)."""
    e = int(np.floor(np.log10(v)))
    m = v / 10.0**e
    if round(m, digits) >= 10:
        m, e = m / 10, e + 1
    return rf"${m:.{digits}f}\times10^{{{e}}}$"


def draw_regions_per_parameter(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for ax, d_in in zip(axes, (1, 10)):
        for K in (1, 2, 3, 4, 5):
            p, r = data["curves"][(d_in, K)]
            lab = tr(lang, "shallow (K = 1)", "superficial (K = 1)") if K == 1 else f"K = {K}"
            ax.plot(p, r, "-", color=f"C{K - 1}", lw=1.8, label=lab)
        px, py = data["points"][d_in]
        ax.plot([px], [py], "*", color="k", ms=13, zorder=5)
        sep = tr(lang, ",", " ")
        txt = f"{px:,} ".replace(",", sep) + tr(lang, "parameters", "parámetros") + "\n"
        txt += f"{py:,.0f} ".replace(",", sep) if py < 1e9 else _sci(py) + " "
        txt += tr(lang, "regions", "regiones")
        # text right above the star: only empty space between them (the curves rise to the
        # right), clear of the legend in the empty top-left corner
        ax.annotate(
            txt,
            (px, py),
            xytext=(-30, 58),
            textcoords="offset points",
            fontsize=9.5,
            ha="center",
            va="bottom",
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.6", alpha=0.95),
            arrowprops=dict(arrowstyle="->", color="0.2", lw=1.0, shrinkB=7),
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(tr(lang, "number of parameters", "número de parámetros"))
        ax.set_ylabel(tr(lang, "maximum number of linear regions", "máximo de regiones lineales"))
        ax.set_title(
            tr(
                lang,
                f"$D_i$ = {d_in} input" + ("s" if d_in > 1 else ""),
                f"$D_i$ = {d_in} entrada" + ("s" if d_in > 1 else ""),
            )
        )
        ax.legend(title=tr(lang, "hidden layers", "capas ocultas"), loc="upper left")
    set_title(
        fig,
        tr(
            lang,
            "Maximum regions against parameters, widths swept (deep: D = 1..60 and 10..200):\n"
            "at equal parameters depth wins by orders of magnitude (star: the slides' examples)",
            "Máximo de regiones frente a parámetros, anchuras D = 1..60 y 10..200 (profundas):\n"
            "con los mismos parámetros la profundidad gana por órdenes de magnitud (estrella: "
            "los ejemplos de las diapositivas)",
        ),
    )
    return fig


# ------------------------------------------------------------------------- regions-depth-width
def compute_regions_depth_width(seed=0, backend="cpu", budget="reduced"):
    """``experiments.udl.region_counts`` (reduced: 3 seeds x 300 epochs; full: 5 x 1,000)."""
    from ..experiments.udl import REGION_SWEEPS, region_counts

    seeds, epochs = by_budget(budget, tiny=(1, 2), reduced=(3, 300), full=(5, 1000))
    sweeps = REGION_SWEEPS
    if budget == "tiny":  # two configurations per panel
        sweeps = {k: v[:2] for k, v in REGION_SWEEPS.items()}
    out = region_counts(sweeps=sweeps, seeds=seeds, epochs=epochs, seed=seed, backend=backend)
    out["reduced"] = budget != "full"
    return out


def draw_regions_depth_width(data, lang="en"):
    import matplotlib.pyplot as plt

    from ..experiments.udl import BIAS_STD

    fig, axes = plt.subplots(1, 4, figsize=(16, 4.8), layout="constrained")
    order = [(1, "depth"), (1, "width"), (2, "depth"), (2, "width")]
    for ax, key in zip(axes, order):
        rows = data["panels"][key]
        x = [r["x"] for r in rows]
        for name, col, lab in (
            ("random", "C0", tr(lang, "random (He init)", "aleatoria (He)")),
            ("trained", "C3", tr(lang, "trained", "entrenada")),
        ):
            vals = np.array([r[name] for r in rows], dtype=float)
            ax.plot(x, vals.mean(1), "o-", color=col, label=lab + tr(lang, ", exact", ", exacta"))
            ax.fill_between(x, vals.min(1), vals.max(1), color=col, alpha=0.15)
        ax.plot(
            x,
            [r["upper"] for r in rows],
            "k--",
            lw=1.3,
            label=tr(lang, "Serra 2018 upper bound", "cota superior de Serra 2018"),
        )
        lo = [(r["x"], r["lower"]) for r in rows if r["lower"] is not None]
        if lo:
            ax.plot(
                *zip(*lo),
                "k:",
                lw=1.6,
                label=tr(lang, "Montufar 2014 lower bound", "cota inferior de Montufar 2014"),
            )
        ax.plot(
            x,
            [r["shallow"] for r in rows],
            "-",
            color="C2",
            lw=1.2,
            alpha=0.8,
            label=tr(
                lang,
                "Zaslavsky: shallow net, same units",
                "Zaslavsky: red superficial, mismas unidades",
            ),
        )
        ax.set_yscale("log")
        d_in, kind = key
        w = rows[0]["hidden"]
        if kind == "depth":
            ax.set_xlabel(
                tr(lang, f"hidden layers K (width {w[0]})", f"capas ocultas K (anchura {w[0]})")
            )
        else:
            ax.set_xlabel(tr(lang, "width D (", "anchura D (") + hidden_layers(lang, len(w)) + ")")
        ax.set_title(
            tr(
                lang,
                f"{d_in}-D input, against {kind}",
                f"entrada {d_in}-D, según {'profundidad' if kind == 'depth' else 'anchura'}",
            )
        )
        ax.set_ylabel(tr(lang, "linear regions", "regiones lineales"))
        ax.set_xticks(x)
    # one legend for the four panels, below them, where it covers no data
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    set_title(
        fig,
        tr(
            lang,
            "Exact region counts: the bounds grow exponentially with depth, real "
            "nets stay far below them",
            "Regiones contadas exactamente: las cotas crecen exponencialmente con la "
            "profundidad, las redes reales quedan muy por debajo",
        ),
        details=[
            tr(
                lang,
                f"regions in [-1, 1]^d, {data['seeds']} seeds, band: min-max; random: "
                f"He weights, N(0, {BIAS_STD}^2) biases; trained: Adam, "
                f"{data['epochs']} epochs on a wiggly target",
                f"regiones en [-1, 1]^d, {data['seeds']} semillas, banda: mín-máx; "
                f"aleatorias: pesos He, sesgos N(0, {BIAS_STD}^2); entrenadas: Adam, "
                f"{data['epochs']} épocas",
            )
        ],
    )
    return fig


# ---------------------------------------------------------------------------- space-folding-2d
def compute_space_folding_2d(seed=0, backend="cpu", budget="reduced"):
    """The exact partition of [-1, 1]^2 by the folding nets with 0-3 folds."""
    from ..experiments.feedforward import FOLD_LINES, folding_layers
    from ..theory import regions as R

    box = (-1.0, 1.0, -1.0, 1.0)
    out = {"panels": []}
    for f in (0, 1, 2, 3):
        layers = folding_layers(f)
        part = R.count_2d(layers, box)
        n_last = len(FOLD_LINES)
        last = part.patterns[:, -n_last:]  # the last hidden layer's pattern: invariant under folds
        colour = last @ (1 << np.arange(n_last))
        out["panels"].append(
            {
                "folds": f,
                "regions": int(part.regions),
                "pieces": int(part.pieces),
                "polygons": [p.copy() for p in part.polygons],
                "colour": colour,
                "depth": len(layers) - 1,
                "upper": int(R.serra_upper(2, [w.shape[0] for w, _, _ in layers[:-1]])),
            }
        )
    out["box"] = box
    return out


def draw_space_folding_2d(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    fig, axes = plt.subplots(1, 4, figsize=(15, 4.3))
    cmap = plt.get_cmap("tab10")
    for ax, p in zip(axes, data["panels"]):
        cols = [cmap(int(c) % 10) for c in p["colour"]]
        ax.add_collection(
            PolyCollection(
                p["polygons"], facecolors=cols, edgecolors="white", linewidths=0.5, alpha=0.9
            )
        )
        x0, x1, y0, y1 = data["box"]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1])
        ax.set_xlabel("x₁")
        if p["folds"] == 0:
            t = tr(lang, "no fold: 3 lines", "sin pliegue: 3 rectas")
        else:
            t = tr(
                lang,
                f"{p['folds']} fold" + ("s" if p["folds"] > 1 else ""),
                f"{p['folds']} pliegue" + ("s" if p["folds"] > 1 else ""),
            )
        ax.set_title(
            t
            + f" ({hidden_layers(lang, p['depth'])})\n{p['regions']} "
            + tr(lang, "regions", "regiones")
        )
    axes[0].set_ylabel("x₂")
    set_title(
        fig,
        tr(
            lang,
            "Space folding: each layer maps u to 2|u| - 1 per coordinate, so the last layer's "
            "3 lines are mirrored into every fold\n(colour: the last layer's activation "
            "pattern; regions counted exactly)",
            "Plegado del espacio: cada capa aplica u -> 2|u| - 1 a cada coordenada, y las 3 "
            "rectas de la última capa se reflejan en cada pliegue\n(color: patrón de la "
            "última capa; regiones contadas exactamente)",
        ),
    )
    return fig
