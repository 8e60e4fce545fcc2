r"""Figure ``rnn-lstm`` (NN deck, recurrent networks): why the LSTM and the orthogonal init.

Four panels, every number computed by numbanet's own layers:

1. **A long dependency.** ``recall_first_symbol``: the first step shows one of four symbols
   (one-hot) with a start marker; the next 49 steps are Gaussian noise on the same input
   channels; the target, read after the last step, is the first symbol. A plain ``RNN`` and an
   ``LSTM`` (same width, optimiser and data) are trained; validation accuracy per epoch.
2. **The gradient through time.** For each model at initialisation,
   :math:`\|\partial C / \partial x_t\|` (the part of the loss gradient that reaches step t)
   against t: the RNN's decays geometrically from the last step backwards, the LSTM's cell path
   keeps it within a few orders of magnitude.
3. **Orthogonal vs random recurrent init.** The same RNN with W_hh orthogonal (the slides'
   advice, :math:`\|W h\| = \|h\|`) or Glorot-uniform (random, the same variance 1/H): its
   gradient through time (panel 2) and validation accuracy on the noise-free version of the
   task over a longer span (149 blank steps reduced, 199 full; at 49 both inits succeed).
4. **A bidirectional tagger.** A synthetic "ECG": beats whose class (normal or ectopic) shows
   only in the beat's second half. Per-step labels from a causal RNN and from
   ``Bidirectional(RNN)``: at a beat's onset only the bidirectional network has seen the
   evidence (the slides' reason for bidirectional networks in offline tasks).

The LSTMs use a forget-gate bias of 3 (f = 0.95 at the start, so about 0.95^49 = 8 % of the
first step's cell survives 49 steps; with the default bias 1 it is 0.73^49 ~ 2e-7), the
"chrono" reasoning of Tallec & Ollivier (2018): the bias should match the time scale to bridge.
"""

from __future__ import annotations

import numpy as np

from ._style import budget_note, tr

#: symbols of the recall task, its length and the noise on the distractor steps
K_SYMBOLS = 4
T_RECALL = 50
NOISE = 1.0
HIDDEN = 32
LR = 3e-3
FORGET_BIAS = 3.0


def recall_first_symbol(n, T=T_RECALL, k=K_SYMBOLS, noise=NOISE, seed=0):
    """The long-dependency task: recall the first of ``T`` steps.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Sequence length; the dependency spans T - 1 steps.
    k : int
        Number of symbols (classes); chance accuracy is 1 / k.
    noise : float
        Standard deviation of the Gaussian noise on the symbol channels at steps 1..T-1
        (0 gives blank distractor steps).
    seed : int

    Returns
    -------
    x : ndarray of shape (n, T, k + 1), float32
        Channel k is the start marker (1 at t = 0 only).
    y : ndarray of shape (n,), int64
        The symbol shown at t = 0.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    x = np.zeros((n, T, k + 1), dtype=np.float32)
    x[np.arange(n), 0, y] = 1.0
    x[:, 0, k] = 1.0
    if noise > 0 and T > 1:
        x[:, 1:, :k] = noise * rng.standard_normal((n, T - 1, k))
    return x, y.astype(np.int64)


def recall_model(kind, backend="cpu", seed=0, hidden=HIDDEN, T=T_RECALL, k=K_SYMBOLS,
                 recurrent_init="orthogonal"):  # fmt: skip
    """``RNN`` or ``LSTM`` (``kind``) of width ``hidden`` followed by ``Dense(hidden, k)``."""
    import numbanet as nb
    from numbanet.nn.recurrent import LSTM, RNN

    if kind == "lstm":
        rec = LSTM(k + 1, hidden, recurrent_init=recurrent_init, forget_bias=FORGET_BIAS)
    else:
        rec = RNN(k + 1, hidden, recurrent_init=recurrent_init)
    return nb.Sequential([rec, nb.Dense(hidden, k)], backend=backend, seed=seed,
                         input_shape=(T, k + 1))  # fmt: skip


def train_recall(kind, n_train, epochs, seed=0, backend="cpu", noise=NOISE, T=T_RECALL,
                 recurrent_init="orthogonal", n_val=1000, batch_size=32):  # fmt: skip
    """Train ``recall_model(kind)`` with Adam; returns (model, validation accuracy per epoch)."""
    x, y = recall_first_symbol(n_train, T=T, noise=noise, seed=seed + 1)
    xv, yv = recall_first_symbol(n_val, T=T, noise=noise, seed=seed + 1000)
    net = recall_model(kind, backend, seed, T=T, recurrent_init=recurrent_init)
    h = net.fit(x, y, loss="cross_entropy", optimizer="adam", lr=LR, epochs=epochs,
                batch_size=batch_size, seed=seed, validation=(xv, yv), progress=False,
                train_metrics=False)  # fmt: skip
    return net, np.asarray(h["val_accuracy"], dtype=float)


def gradient_through_time(net, x, y):
    """||dC/dx_t|| for each step t (mean over the batch), C the mean cross-entropy."""
    from numbanet import losses as L

    loss = L.CrossEntropy()
    net.zero_grad()
    loss.forward(net.forward(x), y)
    dx = net.backward(loss.backward())
    return np.linalg.norm(dx.astype(np.float64), axis=2).mean(axis=0)


# ---------------------------------------------------------------------------- bidirectional
def ecg_like(n, T=60, seed=0):
    """A synthetic beat-labelling task (the slides' ECG example, simplified).

    Each sequence holds beats of 10 steps at random positions over a noisy baseline. A beat
    starts with the same upstroke (4 steps) whatever its class; its class shows only in the
    remaining 6 steps: a positive hump (normal, label 0) or a negative one (ectopic, label 1).
    Every step of an ectopic beat is labelled 1, everything else 0.

    Returns
    -------
    x : ndarray of shape (n, T, 1), float32
    y : ndarray of shape (n, T), float32 (0/1 per step)
    onset : ndarray of shape (n, T), bool
        The first 4 steps of every beat (where only the future tells the class).
    """
    rng = np.random.default_rng(seed)
    x = 0.15 * rng.standard_normal((n, T, 1))
    y = np.zeros((n, T))
    onset = np.zeros((n, T), dtype=bool)
    up = np.array([0.4, 1.0, 1.4, 1.0])
    hump = np.sin(np.linspace(0, np.pi, 6))
    for i in range(n):
        t = int(rng.integers(0, 6))
        while t + 10 <= T:
            cls = int(rng.integers(0, 2))
            x[i, t : t + 4, 0] += up
            x[i, t + 4 : t + 10, 0] += (1.0 if cls == 0 else -1.0) * hump
            y[i, t : t + 10] = cls
            onset[i, t : t + 4] = True
            t += 10 + int(rng.integers(2, 9))
    return x.astype(np.float32), y.astype(np.float32), onset


def _tagger(bidirectional, backend, seed, T, hidden=16):
    import numbanet as nb
    from numbanet.nn.recurrent import RNN, Bidirectional, TimeDistributed

    rec = RNN(1, hidden, return_sequences=True)
    layers = [Bidirectional(rec), TimeDistributed(nb.Dense(2 * hidden, 1))] if bidirectional \
        else [rec, TimeDistributed(nb.Dense(hidden, 1))]  # fmt: skip
    return nb.Sequential(layers, backend=backend, seed=seed, input_shape=(T, 1))


def _tagging_accuracy(net, x, y, mask):
    p = net.predict(x)[..., 0] > 0  # logits
    return float((p == (y > 0.5))[mask].mean())


# ---------------------------------------------------------------------------- compute / draw
def compute_rnn_lstm(seed=0, backend="cpu", budget="reduced"):
    """Train and measure everything the four panels show (reduced: about 40 s on 2 cores)."""
    from numbanet import losses as L

    reduced = budget != "full"
    n_train, epochs = (3000, 5) if reduced else (8000, 15)
    curves = {}
    for kind in ("rnn", "lstm"):
        _, curves[kind] = train_recall(kind, n_train, epochs, seed=seed, backend=backend)
    # gradient through time at initialisation, on one batch of the noisy task
    xg, yg = recall_first_symbol(256, seed=seed + 7)
    grads = {
        "lstm": gradient_through_time(recall_model("lstm", backend, seed), xg, yg),
        "rnn (orthogonal)": gradient_through_time(recall_model("rnn", backend, seed), xg, yg),
        "rnn (random)": gradient_through_time(
            recall_model("rnn", backend, seed, recurrent_init="glorot_uniform"), xg, yg
        ),
    }
    # orthogonal vs random W_hh on the noise-free task (blank distractor steps), over a longer
    # span: at 50 blank steps both inits succeed
    init_curves = {}
    T_init, n_init, ep_init = (150, 1200, 4) if reduced else (200, 4000, 10)
    for name, ini in (("orthogonal", "orthogonal"), ("random", "glorot_uniform")):
        _, init_curves[name] = train_recall("rnn", n_init, ep_init, seed=seed, backend=backend,
                                            noise=0.0, T=T_init, recurrent_init=ini)  # fmt: skip
    # bidirectional tagger
    T = 60
    n_tag, ep_tag = (600, 6) if reduced else (3000, 20)
    x, y, _ = ecg_like(n_tag, T, seed=seed + 11)
    xv, yv, onset_v = ecg_like(400, T, seed=seed + 12)
    tag = {}
    example = None
    for name, bi in (("causal", False), ("bidirectional", True)):
        net = _tagger(bi, backend, seed, T)
        net.fit(x, y, loss=L.MultiLabelBCE(), optimizer="adam", lr=1e-2, epochs=ep_tag,
                batch_size=32, seed=seed, progress=False, train_metrics=False)  # fmt: skip
        beat = yv > -1  # every step
        tag[name] = {
            "all": _tagging_accuracy(net, xv, yv, beat),
            "onset": _tagging_accuracy(net, xv, yv, onset_v),
            "prob": 1 / (1 + np.exp(-net.predict(xv[:1])[0, :, 0].astype(np.float64))),
        }
        if example is None:
            example = {"x": xv[0, :, 0], "y": yv[0], "onset": onset_v[0]}
    return {
        "reduced": reduced,
        "T": T_RECALL,
        "k": K_SYMBOLS,
        "noise": NOISE,
        "hidden": HIDDEN,
        "n_train": n_train,
        "curves": curves,
        "grads": grads,
        "init_curves": init_curves,
        "T_init": T_init,
        "tagging": tag,
        "example": example,
    }


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
        ax.plot(np.arange(1, len(c) + 1), c, marker="o", ms=4,
                label=f"{label}: {c[-1]:.0%}")  # fmt: skip
    ax.axhline(chance, color="grey", ls=":", label=tr(lang, "chance", "azar"))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "validation accuracy", "exactitud de validación"))
    ax.set_title(tr(lang, f"Recall the first symbol after {data['T'] - 1} noisy steps",
                    f"Recordar el primer símbolo tras {data['T'] - 1} pasos ruidosos"))  # fmt: skip
    ax.legend(loc="center right")

    ax = axes[0, 1]
    t = np.arange(data["T"])
    grad_labels = {"lstm": ("LSTM", "LSTM"), "rnn (orthogonal)": ("RNN (orthogonal)", "RNN (ortogonal)"),
                   "rnn (random)": ("RNN (random)", "RNN (aleatoria)")}  # fmt: skip
    for name, g in data["grads"].items():
        ax.semilogy(t, np.maximum(g, 1e-30), label=tr(lang, *grad_labels.get(name, (name, name))))
    ax.set_xlabel(tr(lang, "time step t", "paso de tiempo t"))
    ax.set_ylabel(r"$\|\partial C / \partial x_t\|$")
    ax.set_title(tr(lang, "Gradient through time at initialisation",
                    "Gradiente a través del tiempo al inicializar"))  # fmt: skip
    ax.legend(loc="lower right")

    ax = axes[1, 0]
    for name, c in data["init_curves"].items():
        lab = tr(lang, name, {"orthogonal": "ortogonal", "random": "aleatoria"}[name])
        ax.plot(np.arange(1, len(c) + 1), c, marker="o", ms=4, label=f"W_hh {lab}: {c[-1]:.0%}")
    ax.axhline(chance, color="grey", ls=":", label=tr(lang, "chance", "azar"))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "validation accuracy", "exactitud de validación"))
    ax.set_title(tr(lang, f"RNN, orthogonal vs random W_hh: recall after {data['T_init'] - 1} blank steps",
                    f"RNN, W_hh ortogonal vs aleatoria: recordar tras {data['T_init'] - 1} pasos vacíos"))  # fmt: skip
    ax.legend(loc="center right")

    # the tagger: the signal on the left axis, each network's per-step P(ectopic) on a twin
    # axis (the task labels every step of an ectopic beat 1; its sigmoid output is that
    # probability); the signal sits in the upper part, the probabilities in the lower part
    ax = axes[1, 1]
    ex = data["example"]
    tt = np.arange(len(ex["x"]))
    ax.fill_between(tt, 0, 1, where=ex["y"] > 0.5, color="#d62728", alpha=0.12, step="mid",
                    transform=ax.get_xaxis_transform(),
                    label=tr(lang, "ectopic beat (truth)", "latido ectópico (verdad)"))  # fmt: skip
    ax.plot(tt, ex["x"], color="k", lw=1.2, label=tr(lang, "signal", "señal"))
    lo, hi = float(np.min(ex["x"])), float(np.max(ex["x"]))
    span = max(hi - lo, 1e-6)
    ax.set_ylim(lo - 1.5 * span, hi + 0.5 * span)
    ax.set_yticks([v for v in np.arange(np.floor(lo), np.ceil(hi) + 1) if lo - 0.3 <= v <= hi + 0.3])
    ax.set_ylabel(tr(lang, "signal (a.u.)", "señal (u.a.)"))
    ax.yaxis.set_label_coords(-0.07, 0.7)
    axp = ax.twinx()
    axp.spines["right"].set_visible(True)
    axp.grid(False)
    for (name, res), col in zip(data["tagging"].items(), ("#1f77b4", "#2ca02c")):
        lab = tr(lang, name, {"causal": "causal", "bidirectional": "bidireccional"}[name])
        axp.plot(tt, res["prob"], color=col, lw=1.6,
                 label=f"{lab}: {res['all']:.0%} " + tr(lang, "of steps", "de pasos")
                 + f", {res['onset']:.0%} " + tr(lang, "at onsets", "en inicios"))  # fmt: skip
    axp.set_ylim(-0.04, 2.4)
    axp.set_yticks([0, 0.5, 1])
    axp.set_ylabel(tr(lang, "P(ectopic beat)", "P(latido ectópico)"))
    axp.yaxis.set_label_coords(1.08, 0.24)
    ax.set_xlabel(tr(lang, "time step", "paso de tiempo"))
    ax.set_title(tr(lang, "Labelling every step: causal vs bidirectional RNN",
                    "Etiquetar cada paso: RNN causal vs bidireccional"))  # fmt: skip
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = axp.get_legend_handles_labels()
    axp.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8, ncol=2, framealpha=0.9,
               columnspacing=1.0, handlelength=1.5)
    fig.suptitle(tr(lang, "Recurrent networks", "Redes recurrentes")
                 + budget_note(data.get("reduced"), lang), fontsize=12)  # fmt: skip
    return fig
