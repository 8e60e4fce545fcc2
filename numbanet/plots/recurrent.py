r"""Figure ``rnn-lstm`` (NN deck, recurrent networks): why the LSTM and the orthogonal init.

Four panels, every number computed by numbanet's own layers:

1. **A long dependency.** ``experiments.training.recall_first_symbol``: the first step shows one of four symbols
   (one-hot) with a start marker; the next 49 steps are Gaussian noise on the same input
   channels; the target, read after the last step, is the first symbol. A plain ``RNN`` and an
   ``LSTM`` (same width, optimiser and data) are trained; validation accuracy per epoch.
2. **The gradient through time.** For each model at initialisation,
   :math:`\|\partial C / \partial x_t\|` (the part of the loss gradient that reaches step t)
   against the number of steps back from the output, on both tasks: on panel 1's noisy inputs
   the RNN's decays geometrically, the LSTM's cell path keeps it within a few orders of
   magnitude; on panel 3's blank steps (dashed) the hidden state stays near 0, tanh' near 1,
   and the orthogonal RNN carries it back almost undiminished, which is why it can solve the
   longer recall there.
3. **Orthogonal vs random recurrent init.** The same RNN with W_hh orthogonal (the slides'
   advice, :math:`\|W h\| = \|h\|`) or Glorot-uniform (random, the same variance 1/H):
   validation accuracy on the noise-free version of the task over a longer span (149 blank
   steps reduced, 199 full; at 49 both inits succeed), the mean of several seeds with their
   range as a band.
4. **A bidirectional tagger.** A synthetic "ECG": beats whose class (normal or ectopic) shows
   only in the beat's second half. Per-step labels from a causal RNN and from
   ``Bidirectional(RNN)``: at a beat's onset only the bidirectional network has seen the
   evidence (the slides' reason for bidirectional networks in offline tasks).

The experiments (the tasks, the models, their training and measurement) are
``numbanet.experiments.training`` (``rnn_lstm`` and the functions it uses); this module chooses
the budget and draws.
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, set_title, tr


def compute_rnn_lstm(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.rnn_lstm`` (reduced: about 40 s on 2 cores)."""
    from ..experiments import training as T

    kw = by_budget(
        budget,
        tiny=dict(
            n_train=64,
            epochs=1,
            T_init=20,
            n_init=64,
            epochs_init=1,
            n_tag=32,
            epochs_tag=1,
            init_seeds=2,
        ),
        reduced=dict(
            n_train=3000,
            epochs=5,
            T_init=150,
            n_init=1200,
            epochs_init=4,
            n_tag=600,
            epochs_tag=6,
            init_seeds=3,
        ),
        full=dict(
            n_train=8000,
            epochs=15,
            T_init=200,
            n_init=4000,
            epochs_init=10,
            n_tag=3000,
            epochs_tag=20,
            init_seeds=5,
        ),
    )
    out = T.rnn_lstm(seed=seed, backend=backend, **kw)
    out["reduced"] = budget != "full"
    return out


def draw_rnn_lstm(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(2, 2, figsize=(11.5, 8.2))
    for ax in (axes[0, 0], axes[1, 0]):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax = axes[0, 0]
    chance = 1.0 / data["k"]
    for kind, label in (("rnn", "RNN"), ("lstm", "LSTM")):
        c = data["curves"][kind]
        ax.plot(np.arange(1, len(c) + 1), c, marker="o", ms=4, label=f"{label}: {c[-1]:.0%}")
    ax.axhline(chance, color="grey", ls=":", label=tr(lang, "chance", "azar"))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "validation accuracy", "exactitud de validación"))
    ax.set_title(
        tr(
            lang,
            f"Recall the first symbol after {data['T'] - 1} noisy steps",
            f"Recordar el primer símbolo tras {data['T'] - 1} pasos ruidosos",
        )
    )
    ax.legend(loc="center right")

    ax = axes[0, 1]
    grad_labels = {
        "lstm": ("LSTM", "LSTM"),
        "rnn (orthogonal)": ("RNN (orthogonal)", "RNN (ortogonal)"),
        "rnn (random)": ("RNN (random)", "RNN (aleatoria)"),
    }
    colours = {"lstm": "C1", "rnn (orthogonal)": "C0", "rnn (random)": "C3"}
    # against the distance back from the output, so the two tasks' lengths share one axis:
    # solid, panel 1's noisy inputs; dashed, panel 3's blank steps, where tanh' stays near 1
    for grads, ls, task in (
        (data["grads"], "-", tr(lang, "noisy", "ruido")),
        (data.get("grads_blank", {}), "--", tr(lang, "blank", "vacío")),
    ):
        for name, g in grads.items():
            back = np.arange(len(g))[::-1]
            lab = tr(lang, *grad_labels.get(name, (name, name)))
            ax.semilogy(
                back, np.maximum(g, 1e-30), ls=ls, color=colours.get(name), label=f"{lab}, {task}"
            )
    ax.set_xlabel(tr(lang, "steps back from the output", "pasos hacia atrás desde la salida"))
    ax.set_ylabel(r"$\|\partial C / \partial x_t\|$")
    ax.set_title(
        tr(
            lang,
            "Gradient through time at initialisation",
            "Gradiente a través del tiempo al inicializar",
        )
    )
    ax.legend(loc="lower left", fontsize=8, ncol=2)

    ax = axes[1, 0]
    for (name, c), col in zip(data["init_curves"].items(), ("C0", "C3")):
        c = np.atleast_2d(c)  # (seeds, epochs): the mean, and every seed as a thin line (a
        # seed either solves the task or stays at chance, so a band would hide which)
        e = np.arange(1, c.shape[1] + 1)
        m = c.mean(axis=0)
        lab = tr(lang, name, {"orthogonal": "ortogonal", "random": "aleatoria"}[name])
        ax.plot(e, m, marker="o", ms=4, lw=2, color=col, label=f"W_hh {lab}: {m[-1]:.0%}")
        if c.shape[0] > 1:
            for row in c:
                ax.plot(e, row, lw=0.9, alpha=0.45, color=col)
    ax.axhline(chance, color="grey", ls=":", label=tr(lang, "chance", "azar"))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "validation accuracy", "exactitud de validación"))
    ax.set_title(
        tr(
            lang,
            f"Recall after {data['T_init'] - 1} blank steps: orthogonal vs random W_hh",
            f"Recordar tras {data['T_init'] - 1} pasos vacíos: W_hh ortogonal vs aleatoria",
        )
    )
    n_seeds = np.atleast_2d(next(iter(data["init_curves"].values()))).shape[0]
    ax.legend(
        loc="center right",
        title=tr(
            lang,
            f"mean of {n_seeds} seeds (thin: each seed)",
            f"media de {n_seeds} semillas (finas: cada semilla)",
        )
        if n_seeds > 1
        else None,
        title_fontsize=8,
    )

    # the tagger: the signal on the left axis, each network's per-step P(ectopic) on a twin
    # axis (the task labels every step of an ectopic beat 1; its sigmoid output is that
    # probability); the signal sits in the upper part, the probabilities in the lower part
    ax = axes[1, 1]
    ex = data["example"]
    tt = np.arange(len(ex["x"]))
    ax.fill_between(
        tt,
        0,
        1,
        where=ex["y"] > 0.5,
        color="#d62728",
        alpha=0.12,
        step="mid",
        transform=ax.get_xaxis_transform(),
        label=tr(lang, "ectopic beat (truth)", "latido ectópico (verdad)"),
    )
    ax.plot(tt, ex["x"], color="k", lw=1.2, label=tr(lang, "signal", "señal"))
    lo, hi = float(np.min(ex["x"])), float(np.max(ex["x"]))
    span = max(hi - lo, 1e-6)
    ax.set_ylim(lo - 1.5 * span, hi + 0.5 * span)
    ax.set_yticks(
        [v for v in np.arange(np.floor(lo), np.ceil(hi) + 1) if lo - 0.3 <= v <= hi + 0.3]
    )
    ax.set_ylabel(tr(lang, "signal (a.u.)", "señal (u.a.)"))
    ax.yaxis.set_label_coords(-0.07, 0.7)
    axp = ax.twinx()
    axp.spines["right"].set_visible(True)
    axp.grid(False)
    for (name, res), col in zip(data["tagging"].items(), ("#1f77b4", "#2ca02c")):
        lab = tr(lang, name, {"causal": "causal", "bidirectional": "bidireccional"}[name])
        axp.plot(
            tt,
            res["prob"],
            color=col,
            lw=1.6,
            label=f"{lab}: {res['all']:.0%} "
            + tr(lang, "of steps", "de pasos")
            + f", {res['onset']:.0%} "
            + tr(lang, "at onsets", "en inicios"),
        )
    axp.set_ylim(-0.04, 2.4)
    axp.set_yticks([0, 0.5, 1])
    axp.set_ylabel(tr(lang, "P(ectopic beat)", "P(latido ectópico)"))
    axp.yaxis.set_label_coords(1.08, 0.24)
    ax.set_xlabel(tr(lang, "time step", "paso de tiempo"))
    ax.set_title(
        tr(
            lang,
            "Labelling every step: causal vs bidirectional RNN",
            "Etiquetar cada paso: RNN causal vs bidireccional",
        )
    )
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = axp.get_legend_handles_labels()
    axp.legend(
        h1 + h2,
        l1 + l2,
        loc="upper left",
        fontsize=8,
        ncol=2,
        framealpha=0.9,
        columnspacing=1.0,
        handlelength=1.5,
    )
    set_title(fig, tr(lang, "Recurrent networks", "Redes recurrentes"), fontsize=12)
    return fig
