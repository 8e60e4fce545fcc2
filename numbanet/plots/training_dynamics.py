"""Figures of what happens during training (decks 001 and 003), computed on MNIST-1D.

* ``dead-relu``: deck 003's "Puede matar neuronas (cambiarla por Leaky-ReLU)": the fraction of
  dead units (pre-activation <= 0 on every held-out signal) during SGD at a high learning rate,
  ReLU against leaky ReLU (``numbanet.experiments.dynamics.dead_relu``);
* ``batch-size-generalization``: Keskar et al. (2017), cited in deck 001: test accuracy and
  sharpness (top Hessian eigenvalue, ``numbanet.theory.sharpness``) against the minibatch size
  (``numbanet.experiments.dynamics.batch_size_sharpness``).
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, set_title, tr

_ACT_LABEL = {"relu": ("ReLU", "ReLU"), "leaky_relu": ("leaky ReLU (0.01)", "leaky ReLU (0,01)")}


# ----------------------------------------------------------------------------------- dead-relu
def compute_dead_relu(seed=0, backend="cpu", budget="reduced"):
    """``experiments.dynamics.dead_relu``: four hidden layers of 64 units, SGD with minibatch
    16 at learning rates 0.1, 0.4 and 0.6 (reduced: 6 epochs x 5 seeds; full: five rates, 20
    epochs x 5 seeds)."""
    from ..experiments.dynamics import dead_relu

    kw = by_budget(
        budget,
        # units take epochs to die: after 2 epochs x 2 seeds which activation kept more alive
        # was a coin toss (it flipped with the summation order of a kernel); after 6 x 3 the
        # leaky ReLU keeps fewer dead units for base seeds 0, 1 and 2 (0.8 s)
        tiny=dict(lrs=(0.6,), epochs=6, seeds=3),
        reduced=dict(lrs=(0.1, 0.4, 0.6), epochs=6, seeds=5),
        full=dict(lrs=(0.05, 0.1, 0.2, 0.4, 0.6), epochs=20, seeds=5),
    )
    out = dead_relu(seed=seed, backend=backend, batch_size=16, **kw)
    out["budget"] = budget
    return out


def dead_relu_summary(data):
    """At the highest learning rate: the mean final dead fraction of each activation (over the
    seeds' last finite epoch)."""
    lr = max(data["lrs"])
    out = {}
    for act in data["activations"]:
        c = data["curves"][act][lr]
        last = [row[np.isfinite(row)][-1] for row in c]
        out[act] = float(np.mean(last))
    return lr, out


def draw_dead_relu(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.6))
    lr, final = dead_relu_summary(data)
    for i, act in enumerate(data["activations"]):
        c = 100 * data["curves"][act][lr]
        ep = np.arange(c.shape[1])
        lab = tr(lang, *_ACT_LABEL[act])
        ax.plot(ep, np.nanmean(c, 0), "o-", color=f"C{i}", label=lab, ms=4)
        if c.shape[0] > 1:
            ax.fill_between(ep, np.nanmin(c, 0), np.nanmax(c, 0), color=f"C{i}", alpha=0.15)
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "dead units (%)", "unidades muertas (%)"))
    ax.set_title(
        tr(lang, f"SGD, learning rate {lr:g}", f"SGD, tasa de aprendizaje {lr:g}"), fontsize=10
    )
    ax.legend(loc="upper left")
    lrs = data["lrs"]
    width = 0.38
    xs = np.arange(len(lrs))
    for i, act in enumerate(data["activations"]):
        vals = []
        for r in lrs:
            c = data["curves"][act][r]
            vals.append(100 * np.mean([row[np.isfinite(row)][-1] for row in c]))
        bx.bar(xs + (i - 0.5) * width, vals, width, color=f"C{i}", label=tr(lang, *_ACT_LABEL[act]))
        for x, v in zip(xs + (i - 0.5) * width, vals):
            bx.annotate(f"{v:.0f}", (x, v), ha="center", va="bottom", fontsize=8)
    bx.set_xticks(xs)
    bx.set_xticklabels([f"{r:g}" for r in lrs])
    bx.set_xlabel(tr(lang, "learning rate", "tasa de aprendizaje"))
    bx.set_ylabel(tr(lang, "dead units after training (%)", "unidades muertas al final (%)"))
    bx.set_title(
        tr(lang, f"after {data['epochs']} epochs", f"tras {data['epochs']} épocas"), fontsize=10
    )
    acc = {a: 100 * np.nanmean(data["test_accuracy"][a][lr]) for a in data["activations"]}
    div = {a: int(np.sum(data["diverged"][a][lr])) for a in data["activations"]}
    fewer = final["leaky_relu"] < final["relu"]
    n = data["seeds"]
    note = tr(
        lang,
        f"lr {lr:g}: ReLU {100 * final['relu']:.0f} % dead (test {acc['relu']:.0f} %), "
        f"leaky {100 * final['leaky_relu']:.0f} % (test {acc['leaky_relu']:.0f} %)"
        + ("" if fewer else "; here leaky ReLU does not keep more units alive")
        + (
            f"; diverged: ReLU {div['relu']} of {n}, leaky {div['leaky_relu']} of {n} "
            "(their last finite epoch counted)"
            if any(div.values())
            else ""
        ),
        f"lr {lr:g}: ReLU {100 * final['relu']:.0f} % muertas (test {acc['relu']:.0f} %), "
        f"leaky {100 * final['leaky_relu']:.0f} % (test {acc['leaky_relu']:.0f} %)"
        + ("" if fewer else "; aquí leaky ReLU no mantiene más unidades vivas")
        + (
            f"; divergieron: ReLU {div['relu']} de {n}, leaky {div['leaky_relu']} de {n} "
            "(cuenta su última época finita)"
            if any(div.values())
            else ""
        ),
    )
    bx.legend(loc="upper left", fontsize=8.5)
    fig.supxlabel(note, fontsize=9)
    return set_title(
        fig,
        tr(
            lang,
            "Dead ReLUs: units never active on held-out MNIST-1D signals",
            "ReLU muertas: unidades nunca activas en señales MNIST-1D reservadas",
        ),
        details=[
            f"MLP 40-{'-'.join(map(str, data['hidden']))}-10, SGD, minibatch "
            f"{data['batch_size']}, {data['seeds']} seeds, {data['n_heldout']} held-out signals"
        ],
    )


# ---------------------------------------------------------------------- batch-size-generalization
def compute_batch_size_generalization(seed=0, backend="cpu", budget="reduced"):
    """``experiments.dynamics.batch_size_sharpness``: a 40-64-64-10 ReLU MLP, SGD lr 0.1, every
    minibatch size trained to the same training loss (reduced: 500 signals, minibatches 10, 50
    and 500, loss below 0.05, 2 seeds; full: 1,000 signals, 10 to 1,000, below 0.02, 5 seeds)."""
    from ..experiments.dynamics import batch_size_sharpness

    kw = by_budget(
        budget,
        tiny=dict(batch_sizes=(10, 200), n_train=200, seeds=1, target_loss=0.1, power_iters=15),
        reduced=dict(batch_sizes=(10, 50, 500), n_train=500, seeds=2, target_loss=0.05),
        full=dict(batch_sizes=(10, 50, 250, 1000), n_train=1000, seeds=5, target_loss=0.02),
    )
    out = batch_size_sharpness(seed=seed, backend=backend, **kw)
    out["budget"] = budget
    return out


def draw_batch_size_generalization(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.6))
    b = np.array(data["batch_sizes"])
    te = 100 * np.asarray(data["test_accuracy"])
    sh = np.asarray(data["sharpness"])
    ep = np.asarray(data["epochs"])
    ax.plot(b, te.mean(1), "o-", color="C0")
    if te.shape[1] > 1:
        ax.fill_between(b, te.min(1), te.max(1), color="C0", alpha=0.15)
    for x, v, e in zip(b, te.mean(1), ep.mean(1)):
        ax.annotate(
            tr(lang, f"{e:.0f} epochs", f"{e:.0f} épocas"),
            (x, v),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.margins(x=0.1)
    ax.set_xlabel(tr(lang, "minibatch size", "tamaño del minibatch"))
    ax.set_ylabel(tr(lang, "test accuracy (%)", "exactitud de test (%)"))
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 0.5, hi + 0.8)
    ax.set_title(
        tr(
            lang,
            f"SGD lr {data['lr']:g}, each run to training loss < {data['target_loss']:g}",
            f"SGD lr {data['lr']:g}, cada una hasta pérdida de entrenamiento < "
            f"{data['target_loss']:g}",
        ),
        fontsize=10,
    )
    bx.plot(b, sh.mean(1), "o-", color="C3", label=tr(lang, "sharpness", "agudeza"))
    if sh.shape[1] > 1:
        bx.fill_between(b, sh.min(1), sh.max(1), color="C3", alpha=0.15)
    bx.axhline(
        2 / data["lr"],
        ls=":",
        color="0.4",
        label=tr(lang, "2 / lr: GD's stability limit", "2 / lr: límite de estabilidad de GD"),
    )
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel(tr(lang, "minibatch size", "tamaño del minibatch"))
    bx.set_ylabel(
        tr(
            lang,
            r"top Hessian eigenvalue $\lambda_{max}$",
            r"mayor autovalor del hessiano $\lambda_{max}$",
        )
    )
    bx.set_title(
        tr(lang, "sharpness of the minimum reached", "agudeza del mínimo alcanzado"), fontsize=10
    )
    bx.legend(loc="upper left")
    small, large = 0, len(b) - 1
    sharper = sh[large].mean() > sh[small].mean()
    better = te[small].mean() > te[large].mean()
    lam = r"$\lambda_{max}$"
    note = tr(
        lang,
        f"minibatch {b[small]}: test {te[small].mean():.1f} %, {lam} {sh[small].mean():.3g}; "
        f"minibatch {b[large]}: test {te[large].mean():.1f} %, {lam} {sh[large].mean():.3g}"
        + ("" if (sharper and better) else " (Keskar's pattern does not fully hold here)"),
        f"minibatch {b[small]}: test {te[small].mean():.1f} %, {lam} {sh[small].mean():.3g}; "
        f"minibatch {b[large]}: test {te[large].mean():.1f} %, {lam} {sh[large].mean():.3g}"
        + ("" if (sharper and better) else " (el patrón de Keskar no se cumple del todo aquí)"),
    )
    fig.supxlabel(note, fontsize=9)
    return set_title(
        fig,
        tr(
            lang,
            "Small minibatches find flatter minima (Keskar et al. 2017) on MNIST-1D",
            "Los minibatches pequeños encuentran mínimos más planos (Keskar et al. 2017) "
            "en MNIST-1D",
        ),
        details=[
            f"MLP 40-{'-'.join(map(str, data['hidden']))}-10, {data['n_train']} training "
            f"signals, {data['seeds']} seeds; sharpness: power iteration on Hessian-vector "
            "products of the training loss"
        ],
    )
