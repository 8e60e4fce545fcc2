"""Figures of deck 004's autoencoders and unlabelled data.

* ``semeion-autoencoder``: "Auto-encoder para SEMEION con dos neuronas ocultas": the 2-D code of
  a 256-2-256 autoencoder coloured by digit (labels unused in training), beside reconstructions
  (``numbanet.experiments.autoencoders.semeion_autoencoder``);
* ``pretraining-few-labels``: greedy pre-training on unlabelled MNIST images, fine-tuning on 100
  to 1,000 labels, against random initialisation with the same supervised steps
  (``numbanet.experiments.autoencoders.pretraining_few_labels``).
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, set_title, tr


# --------------------------------------------------------------------------- semeion-autoencoder
def compute_semeion_autoencoder(seed=0, backend="cpu", budget="reduced"):
    """``experiments.autoencoders.semeion_autoencoder``: 60 epochs (full: 300)."""
    from ..experiments.autoencoders import semeion_autoencoder

    epochs = by_budget(budget, tiny=3, reduced=60, full=300)
    out = semeion_autoencoder(epochs=epochs, seed=seed, backend=backend)
    out["budget"] = budget
    return out


def draw_semeion_autoencoder(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 5.6))
    gs = fig.add_gridspec(2, 3, width_ratios=[1.5, 1.5, 1.1])
    y = np.asarray(data["y"])
    for col, (key, head) in enumerate(
        (
            (
                "codes",
                tr(
                    lang,
                    "autoencoder 256-2-256: code (u1, u2)",
                    "autoencoder 256-2-256: código (u1, u2)",
                ),
            ),
            ("pca", tr(lang, "PCA: the best linear 2-D code", "PCA: el mejor código lineal 2-D")),
        )
    ):
        ax = fig.add_subplot(gs[:, col])
        c = np.asarray(data[key])
        for d in range(10):
            m = y == d
            ax.scatter(c[m, 0], c[m, 1], s=6, color=f"C{d}", alpha=0.6, label=str(d))
            cx, cy = np.median(c[m, 0]), np.median(c[m, 1])
            ax.text(
                cx,
                cy,
                str(d),
                fontsize=12,
                weight="bold",
                ha="center",
                va="center",
                color=f"C{d}",
                bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec=f"C{d}", alpha=0.85),
            )
        knn = data["knn"] if key == "codes" else data["knn_pca"]
        mse = data["mse"] if key == "codes" else data["mse_pca"]
        ax.set_title(head, fontsize=10)
        ax.set_xlabel(tr(lang, "code unit 1", "unidad 1 del código") if key == "codes" else "PC 1")
        ax.set_ylabel(tr(lang, "code unit 2", "unidad 2 del código") if key == "codes" else "PC 2")
        ax.text(
            0.02,
            0.02,
            tr(
                lang,
                f"5-NN accuracy {100 * knn:.0f} %\nsquared error {mse:.1f} per digit",
                f"exactitud 5-NN {100 * knn:.0f} %\nerror cuadrático {mse:.1f} por dígito",
            ),
            transform=ax.transAxes,
            fontsize=8.5,
            va="bottom",
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.7", alpha=0.9),
        )
    orig, rec = np.asarray(data["originals"]), np.asarray(data["reconstructions"])
    n = len(orig)

    def row(imgs):
        return np.concatenate(
            [np.pad(im, ((1, 1), (1, 1)), constant_values=np.nan) for im in imgs], axis=1
        )

    for r, (imgs, head) in enumerate(
        (
            (orig, tr(lang, "digits", "dígitos")),
            (rec, tr(lang, "their reconstructions", "sus reconstrucciones")),
        )
    ):
        ax = fig.add_subplot(gs[r, 2])
        half = -(-n // 2)
        grid = np.concatenate(
            [
                row(imgs[:half]),
                row(np.concatenate([imgs[half:], np.full((2 * half - n, 16, 16), np.nan)])),
            ],
            axis=0,
        )
        ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for sp in ax.spines.values():
            sp.set_visible(False)
        ax.set_title(head, fontsize=10)
    fig.supxlabel(
        tr(
            lang,
            f"Mean image: squared error {data['mse_mean']:.1f} per digit. "
            "Chance for 5-NN: about 10 %.",
            f"Imagen media: error cuadrático {data['mse_mean']:.1f} por dígito. "
            "El azar para 5-NN: alrededor del 10 %.",
        ),
        fontsize=9,
    )
    return set_title(
        fig,
        tr(
            lang,
            "An autoencoder with two hidden units on SEMEION: the digits' 2-D code",
            "Autoencoder con dos neuronas ocultas en SEMEION: el código 2-D de los dígitos",
        ),
        details=[
            f"{data['n']} digits, sigmoid code and output, binary cross-entropy, Adam, "
            f"{data['epochs']} epochs; labels used only for colour and the 5-NN score"
        ],
    )


# ------------------------------------------------------------------------- pretraining-few-labels
def compute_pretraining_few_labels(seed=0, backend="cpu", budget="reduced"):
    """``experiments.autoencoders.pretraining_few_labels``: reduced: 3,000 unlabelled images, a
    784-128-64 sigmoid net, 100/300/1,000 labels, 50 + 200 supervised steps, 1 seed; full:
    10,000 unlabelled images, the same net, 100 to 1,000 labels, 100 + 500 steps, 3 seeds,
    all 10,000 test images (about 20 s; the earlier full budget, 50,000 images on 784-500-500
    with 5 seeds and 1,200 steps, was estimated at over half an hour from the reduced run)."""
    from ..experiments.autoencoders import pretraining_few_labels

    kw = by_budget(
        budget,
        tiny=dict(
            n_unlabelled=1000,
            label_counts=(100,),
            sizes=(784, 128, 64),
            pretrain_epochs=2,
            steps=60,
            top_steps=20,
            seeds=1,
            n_eval=500,
        ),
        reduced=dict(
            n_unlabelled=3000,
            label_counts=(100, 300, 1000),
            sizes=(784, 128, 64),
            pretrain_epochs=2,
            steps=200,
            top_steps=50,
            seeds=1,
            n_eval=1000,
        ),
        full=dict(
            n_unlabelled=10000,
            label_counts=(100, 200, 500, 1000),
            sizes=(784, 128, 64),
            pretrain_epochs=3,
            steps=500,
            top_steps=100,
            seeds=3,
            n_eval=10000,
        ),
    )
    out = pretraining_few_labels(seed=seed, backend=backend, lr=0.3, pretrain_batch=16, **kw)
    out["budget"] = budget
    return out


def draw_pretraining_few_labels(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    m = np.array(data["label_counts"])
    pre, rnd = 100 * np.asarray(data["pretrained"]), 100 * np.asarray(data["random"])
    sizes = "-".join(map(str, data["sizes"])) + "-10"
    for arr, col, mk, lab in (
        (
            pre,
            "C2",
            "o",
            tr(
                lang,
                f"pre-trained on {data['n_unlabelled']:,} unlabelled images",
                f"pre-entrenada con {data['n_unlabelled']:,} imágenes sin etiqueta",
            ),
        ),
        (rnd, "C7", "s", tr(lang, "random initialisation", "inicialización aleatoria")),
    ):
        ax.plot(m, arr.mean(1), marker=mk, color=col, label=lab)
        if arr.shape[1] > 1:
            ax.fill_between(m, arr.min(1), arr.max(1), color=col, alpha=0.15)
    for x, a, b in zip(m, pre.mean(1), rnd.mean(1)):
        ax.annotate(
            f"{a - b:+.1f}",
            (x, max(a, b)),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=8.5,
        )
    ax.set_xscale("log")
    ax.set_xticks(m)
    ax.set_xticklabels([f"{v:,}" for v in m])
    ax.minorticks_off()
    ax.set_xlabel(tr(lang, "labelled training images", "imágenes de entrenamiento etiquetadas"))
    ax.set_ylabel(tr(lang, "validation accuracy (%)", "exactitud de validación (%)"))
    ax.legend(loc="lower right")
    gain = pre.mean(1)[0] - rnd.mean(1)[0]
    note = tr(
        lang,
        f"With {m[0]} labels pre-training {'helps' if gain > 0 else 'does not help'}: {gain:+.1f} points"
        + ("" if gain > 0 else " (here the data do not support the slide)"),
        f"Con {m[0]} etiquetas el pre-entrenamiento {'ayuda' if gain > 0 else 'no ayuda'}: {gain:+.1f} puntos"
        + ("" if gain > 0 else " (aquí los datos no apoyan la diapositiva)"),
    )
    ax.text(
        0.02,
        0.98,
        note,
        transform=ax.transAxes,
        va="top",
        fontsize=9,
        bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.7", alpha=0.95),
    )
    return set_title(
        fig,
        tr(
            lang,
            "Unlabelled data helps when labels are few: greedy pre-training on MNIST",
            "Los datos sin etiqueta ayudan con pocas etiquetas: pre-entrenamiento por capas en MNIST",
        )
        if gain > 0
        else tr(
            lang,
            "Greedy pre-training on unlabelled MNIST against random initialisation, few labels",
            "Pre-entrenamiento por capas sin etiquetas en MNIST frente a inicialización aleatoria",
        ),
        details=[
            f"sigmoid net {sizes}, stacked denoising autoencoders; top layer then fine-tuning, "
            f"{data['top_steps']} + {data['steps']} steps (the baseline the same steps), Adam; "
            f"{np.asarray(data['pretrained']).shape[1]} seeds"
        ],
    )
