r"""Figures of recurrent networks (NN deck): why the LSTM, why the orthogonal init, why a
bidirectional network. Three figures, one experiment each, every number computed by numbanet's
own layers:

* ``rnn-lstm``: **a long dependency** (``experiments.training.recall_lstm_vs_rnn``). The first
  step shows one of four symbols (one-hot) with a start marker, the next 49 steps are Gaussian
  noise on the same input channels, and the target, read after the last step, is the first
  symbol. A plain ``RNN`` and an ``LSTM`` (same width, optimiser and data): validation accuracy
  per epoch, beside :math:`\|\partial C / \partial x_t\|` at initialisation on the same noisy
  task (the part of the loss gradient that reaches step t) against the steps back from the
  output: the RNN's, orthogonal or random, decays geometrically through the noisy tanh steps;
  the LSTM's cell path keeps it within a few orders of magnitude.
* ``rnn-orthogonal``: **orthogonal vs random recurrent init**
  (``experiments.training.recall_orthogonal_init``). The same RNN with W_hh orthogonal (the
  slides' advice, :math:`\|W h\| = \|h\|`) or Glorot-uniform (random, the same variance 1/H), on
  the noise-free version of the task over a longer span (149 blank steps reduced, 199 full; at
  49 both inits succeed): validation accuracy, the mean of several seeds with each seed as a thin
  line, beside both RNNs' gradient through time on that blank task. On blank steps the hidden
  state stays near 0 and tanh' near 1, so the orthogonal W_hh carries the gradient back almost
  undiminished (on ``rnn-lstm``'s noisy steps it does not): why it solves the longer recall.
* ``birnn-labelling``: **a bidirectional tagger** (``experiments.training.bidirectional_tagging``).
  A synthetic "ECG": beats whose class (normal or ectopic) shows only in the beat's second half.
  Per-step labels from a causal RNN and from ``Bidirectional(RNN)``: at a beat's onset only the
  bidirectional network has seen the evidence (the slides' reason for bidirectional networks in
  offline tasks).

The experiments (tasks, models, training and measurement) are ``numbanet.experiments.training``;
this module chooses the budgets and draws.
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, set_title, tr

#: the curves of the gradient-through-time panels: name -> (English, Spanish label), colour
_GRAD_LABELS = {
    "lstm": ("LSTM", "LSTM"),
    "rnn (orthogonal)": ("RNN, W_hh orthogonal", "RNN, W_hh ortogonal"),
    "rnn (random)": ("RNN, W_hh random", "RNN, W_hh aleatoria"),
}
_GRAD_COLOURS = {"lstm": "C1", "rnn (orthogonal)": "C0", "rnn (random)": "C3"}


def _integer_epochs(ax):
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _gradient_panel(ax, grads, lang):
    """||dC/dx_t|| against the steps back from the output, one curve per model (log scale)."""
    for name, g in grads.items():
        back = np.arange(len(g))[::-1]
        ax.semilogy(
            back,
            np.maximum(g, 1e-30),
            color=_GRAD_COLOURS.get(name),
            label=tr(lang, *_GRAD_LABELS.get(name, (name, name))),
        )
    ax.set_xlabel(tr(lang, "steps back from the output", "pasos hacia atrás desde la salida"))
    ax.set_ylabel(r"$\|\partial C / \partial x_t\|$")
    ax.set_title(
        tr(
            lang,
            "gradient through time at initialisation",
            "gradiente a través del tiempo al inicializar",
        )
    )
    ax.legend(loc="lower left")


# ============================================================================ rnn-lstm
def compute_rnn_lstm(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.recall_lstm_vs_rnn``: RNN against LSTM on the noisy recall, and
    the gradient through time on that task (reduced: 3,000 sequences x 5 epochs)."""
    from ..experiments import training as T

    kw = by_budget(
        budget,
        tiny=dict(n_train=64, epochs=1),
        reduced=dict(n_train=3000, epochs=5),
        full=dict(n_train=8000, epochs=15),
    )
    out = T.recall_lstm_vs_rnn(seed=seed, backend=backend, **kw)
    out["reduced"] = budget != "full"
    return out


def draw_rnn_lstm(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (ax, axg) = plt.subplots(1, 2, figsize=(11.5, 4.6))
    _integer_epochs(ax)
    for kind, label in (("rnn", "RNN"), ("lstm", "LSTM")):
        c = data["curves"][kind]
        ax.plot(np.arange(1, len(c) + 1), c, marker="o", ms=4, label=f"{label}: {c[-1]:.0%}")
    ax.axhline(1.0 / data["k"], color="grey", ls=":", label=tr(lang, "chance", "azar"))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "validation accuracy", "exactitud de validación"))
    ax.set_title(tr(lang, "learning the recall", "aprender a recordar"))
    ax.legend(loc="center right")
    _gradient_panel(axg, data["grads"], lang)
    steps = data["T"] - 1
    set_title(
        fig,
        tr(
            lang,
            f"Recall the first symbol after {steps} noisy steps: LSTM vs RNN",
            f"Recordar el primer símbolo tras {steps} pasos ruidosos: LSTM frente a RNN",
        ),
    )
    return fig


# ============================================================================ rnn-orthogonal
def compute_rnn_orthogonal(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.recall_orthogonal_init``: orthogonal against random W_hh on the
    recall over blank steps, several seeds, and both RNNs' gradient through time on that task
    (reduced: 149 blank steps, 1,200 sequences x 4 epochs, 3 seeds)."""
    from ..experiments import training as T

    kw = by_budget(
        budget,
        tiny=dict(T_init=20, n_init=64, epochs_init=1, init_seeds=2),
        reduced=dict(T_init=150, n_init=1200, epochs_init=4, init_seeds=3),
        full=dict(T_init=200, n_init=4000, epochs_init=10, init_seeds=5),
    )
    out = T.recall_orthogonal_init(seed=seed, backend=backend, **kw)
    out["reduced"] = budget != "full"
    return out


def draw_rnn_orthogonal(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (ax, axg) = plt.subplots(1, 2, figsize=(11.5, 4.6))
    _integer_epochs(ax)
    names = {"orthogonal": ("orthogonal", "ortogonal"), "random": ("random", "aleatoria")}
    n_seeds = 1
    for name, c in data["init_curves"].items():
        c = np.atleast_2d(c)  # (seeds, epochs): the mean, and every seed as a thin line (a
        # seed either solves the task or stays at chance, so a band would hide which)
        n_seeds = c.shape[0]
        col = _GRAD_COLOURS[f"rnn ({name})"]
        e = np.arange(1, c.shape[1] + 1)
        m = c.mean(axis=0)
        lab = tr(lang, *names.get(name, (name, name)))
        ax.plot(e, m, marker="o", ms=4, lw=2.2, color=col, label=f"W_hh {lab}: {m[-1]:.0%}")
        if n_seeds > 1:
            for row in c:
                ax.plot(e, row, lw=0.9, alpha=0.45, color=col)
    ax.axhline(1.0 / data["k"], color="grey", ls=":", label=tr(lang, "chance", "azar"))
    ax.set_ylim(0, 1.18)  # head room for the legend above the curves
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "validation accuracy", "exactitud de validación"))
    ax.set_title(
        tr(
            lang,
            f"mean of {n_seeds} seeds (thin: each seed)",
            f"media de {n_seeds} semillas (finas: cada semilla)",
        )
        if n_seeds > 1
        else tr(lang, "learning the recall", "aprender a recordar")
    )
    ax.legend(loc="upper center", ncol=3, columnspacing=1.0, handlelength=1.5)
    _gradient_panel(axg, data["grads_blank"], lang)
    steps = data["T_init"] - 1
    set_title(
        fig,
        tr(
            lang,
            f"Recall after {steps} blank steps: an orthogonal W_hh carries the gradient back",
            f"Recordar tras {steps} pasos vacíos: una W_hh ortogonal propaga el gradiente",
        ),
    )
    return fig


# ============================================================================ birnn-labelling
def compute_birnn_labelling(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.bidirectional_tagging``: a causal and a bidirectional RNN label
    every step of synthetic ECG-like signals (reduced: 600 sequences x 6 epochs)."""
    from ..experiments import training as T

    kw = by_budget(
        budget,
        tiny=dict(n_tag=32, epochs_tag=1),
        reduced=dict(n_tag=600, epochs_tag=6),
        full=dict(n_tag=3000, epochs_tag=20),
    )
    out = T.bidirectional_tagging(seed=seed, backend=backend, **kw)
    out["reduced"] = budget != "full"
    return out


def draw_birnn_labelling(data, lang="en"):
    # the signal on the left axis, each network's per-step P(ectopic) on a twin axis (the task
    # labels every step of an ectopic beat 1; its sigmoid output is that probability); the
    # signal sits in the upper part, the probabilities in the lower part
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 5.0))
    ex = data["example"]
    tt = np.arange(len(ex["x"]))
    ax.fill_between(
        tt,
        0,
        1,
        where=np.asarray(ex["y"]) > 0.5,
        color="#d62728",
        alpha=0.12,
        step="mid",
        transform=ax.get_xaxis_transform(),
        label=tr(lang, "ectopic beat (truth)", "latido ectópico (verdad)"),
    )
    ax.plot(tt, ex["x"], color="k", lw=1.2, label=tr(lang, "signal", "señal"))
    lo, hi = float(np.min(ex["x"])), float(np.max(ex["x"]))
    span = max(hi - lo, 1e-6)
    ax.set_ylim(lo - 1.5 * span, hi + 0.6 * span)
    ax.set_yticks(
        [v for v in np.arange(np.floor(lo), np.ceil(hi) + 1) if lo - 0.3 <= v <= hi + 0.3]
    )
    ax.set_ylabel(tr(lang, "signal (a.u.)", "señal (u.a.)"))
    ax.yaxis.set_label_coords(-0.06, 0.7)
    axp = ax.twinx()
    axp.spines["right"].set_visible(True)
    axp.grid(False)
    for (name, res), col in zip(data["tagging"].items(), ("#1f77b4", "#2ca02c")):
        lab = tr(lang, name, {"causal": "causal", "bidirectional": "bidireccional"}.get(name, name))
        axp.plot(
            tt,
            res["prob"],
            color=col,
            lw=1.8,
            label=f"{lab}: {res['all']:.0%} "
            + tr(lang, "of steps", "de pasos")
            + f", {res['onset']:.0%} "
            + tr(lang, "at onsets", "en inicios"),
        )
    axp.set_ylim(-0.04, 2.4)
    axp.set_yticks([0, 0.5, 1])
    axp.set_ylabel(tr(lang, "P(ectopic beat)", "P(latido ectópico)"))
    axp.yaxis.set_label_coords(1.06, 0.24)
    ax.set_xlabel(tr(lang, "time step", "paso de tiempo"))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = axp.get_legend_handles_labels()
    axp.legend(
        h1 + h2,
        l1 + l2,
        loc="upper left",
        ncol=2,
        framealpha=0.9,
        columnspacing=1.0,
        handlelength=1.5,
    )
    set_title(
        fig,
        tr(
            lang,
            "Labelling every step: causal vs bidirectional RNN",
            "Etiquetar cada paso: RNN causal frente a bidireccional",
        ),
    )
    return fig
