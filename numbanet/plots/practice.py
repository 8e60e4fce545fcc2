"""Figures of deep learning in practice (NN deck 003): data augmentation and the batch size.

``augmentation``
    Test accuracy with and without ``numbanet.data.augment`` on few training examples (MNIST
    images: shifts, rotations, elastic distortion; MNIST-1D signals: shifts and scaling), against
    gradient steps, with examples of the augmented inputs
    (``numbanet.experiments.practice.augmentation``).
``batch-size``
    "Sobre el batchsize" measured on the CPU: time per epoch and per update, peak memory of a
    training step, and test accuracy after a fixed number of epochs, against the batch size
    (``numbanet.experiments.practice.batch_size_costs``).

``compute_*`` functions run the experiments and return plain data; ``draw_*`` only draw.
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, set_title, tr


# =========================================================================== augmentation
def compute_augmentation(seed=0, backend="cpu", budget="reduced"):
    """``experiments.practice.augmentation``: tiny 200 MNIST images and 300 MNIST-1D signals, 3
    epochs; reduced 1,000 of each, 15 epochs (test on 2,000 MNIST test images); full 2,000 of
    each, 30 epochs, on all 10,000 test images."""
    from ..experiments.practice import augmentation

    n_img, n_sig, epochs, n_test = by_budget(
        budget,
        tiny=(200, 300, 3, 500),
        reduced=(1000, 1000, 15, 2000),
        full=(2000, 2000, 30, 10000),
    )
    out = augmentation(
        n_mnist=n_img, n_mnist1d=n_sig, epochs=epochs, seed=seed, backend=backend, n_test=n_test
    )
    out["budget"] = budget
    return out


def _curves(ax, part, lang, what):
    sp, sa = np.asarray(part["steps_plain"]), np.asarray(part["steps_aug"])
    ap, aa = 100 * np.asarray(part["acc_plain"]), 100 * np.asarray(part["acc_aug"])
    ax.plot(sp, ap, "o-", ms=3, color="C0", label=tr(lang, "without augmentation", "sin aumento"))
    ax.plot(sa, aa, "s-", ms=4, color="C3", label=tr(lang, "with augmentation", "con aumento"))
    for s, a, c in ((sp, ap, "C0"), (sa, aa, "C3")):
        ax.annotate(
            f"{a[-1]:.1f} %",
            (s[-1], a[-1]),
            textcoords="offset points",
            xytext=(4, 0),
            va="center",
            color=c,
            fontsize=9,
        )
    ax.set_xlabel(tr(lang, "gradient steps", "pasos de gradiente"))
    ax.set_ylabel(tr(lang, "test accuracy (%)", "exactitud en test (%)"))
    ax.set_title(
        tr(
            lang,
            f"{what}: {part['n_train']:,} training examples",
            f"{what}: {part['n_train']:_} ejemplos de entrenamiento".replace("_", " "),
        )
    )
    ax.legend(loc="lower right")


def draw_augmentation(data, lang="en"):
    import matplotlib.pyplot as plt

    has_img = "mnist" in data
    fig = plt.figure(figsize=(13, 8.2 if has_img else 4.6), constrained_layout=True)
    rows = 2 if has_img else 1
    gs = fig.add_gridspec(rows, 2, width_ratios=[1.35, 1])
    r = 0
    if has_img:
        m = data["mnist"]
        _curves(fig.add_subplot(gs[0, 0]), m, lang, "MNIST")
        sub = gs[0, 1].subgridspec(2, 4)
        for k in range(4):
            for row, (key, name) in enumerate(
                (
                    ("examples", tr(lang, "original", "original")),
                    ("augmented", tr(lang, "augmented", "aumentada")),
                )
            ):
                ax = fig.add_subplot(sub[row, k])
                ax.imshow(m[key][k], cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
                if k == 0:
                    ax.set_ylabel(name)
        r = 1
    s = data["mnist1d"]
    _curves(fig.add_subplot(gs[r, 0]), s, lang, "MNIST-1D")
    ax = fig.add_subplot(gs[r, 1])
    t = np.asarray(s["t"])
    for k in range(len(s["examples"])):
        off = 3.0 * k
        ax.plot(
            t,
            s["examples"][k] + off,
            color="C0",
            lw=1.4,
            label=tr(lang, "original", "original") if k == 0 else None,
        )
        ax.plot(
            t,
            s["augmented"][k] + off,
            color="C3",
            lw=1.2,
            ls="--",
            label=tr(lang, "augmented", "aumentada") if k == 0 else None,
        )
    ax.set_yticks([])
    ax.set_xlabel(tr(lang, "position", "posición"))
    ax.set_title(
        tr(
            lang,
            "MNIST-1D signals: random shift and scaling",
            "Señales MNIST-1D: desplazamiento y escala al azar",
        )
    )
    ax.legend(loc="upper right", fontsize=8.5)
    set_title(
        fig,
        tr(
            lang,
            "Data augmentation: test accuracy with and without, on few training examples",
            "Aumento de datos: exactitud en test con y sin él, con pocos ejemplos de entrenamiento",
        ),
        details=(
            tr(
                lang,
                "each augmented epoch: the examples plus one transformed copy of each",
                "cada época aumentada: los ejemplos más una copia transformada de cada uno",
            ),
        ),
    )
    return fig


# =========================================================================== batch-size
def compute_batch_size(seed=0, backend="cpu", budget="reduced"):
    """``experiments.practice.batch_size_costs`` on MNIST-1D: tiny 500 signals, batch sizes
    4-500, 2 epochs; reduced 2,000 signals, batch sizes 1-2,000, 3 epochs; full 4,000 signals,
    batch sizes 1-4,000, 10 epochs."""
    from ..experiments.practice import BATCH_SIZES, batch_size_costs

    sizes, n, epochs = by_budget(
        budget,
        tiny=((4, 32, 500), 500, 2),
        reduced=(BATCH_SIZES, 2000, 3),
        full=(BATCH_SIZES[:-1] + (1024, 4000), 4000, 10),
    )
    out = batch_size_costs(sizes, epochs=epochs, n_train=n, seed=seed, backend=backend)
    out["budget"] = budget
    out["backend"] = str(backend)
    return out


def draw_batch_size(data, lang="en"):
    import matplotlib.pyplot as plt

    B = np.asarray(data["batch_size"], dtype=float)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4), constrained_layout=True)
    ax = axes[0]
    ax.loglog(B, data["epoch_s"], "o-", color="C0")
    ax.set_title(tr(lang, "time per epoch", "tiempo por época"))
    ax.set_ylabel(tr(lang, "seconds", "segundos"))
    ax = axes[1]
    ax.loglog(B, 1e3 * np.asarray(data["step_s"]), "o-", color="C1")
    ax.set_title(tr(lang, "forward + backward of one batch", "pasada adelante + atrás de un lote"))
    ax.set_ylabel("ms")
    ax = axes[2]
    ax.loglog(B, np.asarray(data["peak_bytes"]) / 2**20, "o-", color="C2")
    ax.set_title(tr(lang, "peak memory of a training step", "memoria pico de un paso"))
    ax.set_ylabel("MiB")
    ax = axes[3]
    ax.semilogx(B, 100 * np.asarray(data["test_acc"]), "o-", color="C3")
    for b, a, s in zip(B, data["test_acc"], data["steps"]):
        ax.annotate(
            tr(lang, f"{s:,} steps", f"{s:_} pasos".replace("_", " ")),
            (b, 100 * a),
            textcoords="offset points",
            xytext=(0, -14),
            ha="center",
            fontsize=7.5,
            color="#555555",
        )
    ax.set_title(
        tr(
            lang,
            f"test accuracy after {data['epochs']} epochs",
            f"exactitud en test tras {data['epochs']} épocas",
        )
    )
    ax.set_ylabel("%")
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    for ax in axes[:3]:  # plain numbers on the log axes (0.2, not 2 x 10^-1)
        lo, hi = (
            v for line in ax.get_lines() for v in (line.get_ydata().min(), line.get_ydata().max())
        )
        narrow = hi < 30 * lo  # minor ticks labelled only when the axis spans few decades
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g") if narrow else NullFormatter())
        if narrow:
            ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    for ax in axes:
        ax.set_xlabel(tr(lang, "batch size B", "tamaño de lote B"))
        ax.margins(x=0.1)
    set_title(
        fig,
        tr(
            lang,
            f"Batch size in practice: MLP 40-{data['width']}-{data['width']}-10 on "
            f"{data['n_train']:,} MNIST-1D signals, {data['backend'].upper()}",
            f"El tamaño de lote en la práctica: MLP 40-{data['width']}-{data['width']}-10 con "
            f"{data['n_train']:_} señales MNIST-1D, {data['backend'].upper()}".replace("_", " "),
        ),
        details=(
            tr(
                lang,
                f"SGD lr {data['lr']}, layer by layer (fused=False); "
                f"load average {data.get('load', float('nan')):.1f} during the run",
                f"SGD lr {data['lr']}".replace(".", ",")
                + ", capa a capa (fused=False); carga media "
                + f"{data.get('load', float('nan')):.1f}".replace(".", ",")
                + " durante la ejecución",
            ),
        ),
    )
    return fig
