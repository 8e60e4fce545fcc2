"""Figures of unsupervised pre-training (DL deck 004): RBMs, autoencoders, greedy layer-wise
training.

The experiments are ``numbanet.experiments.vanishing`` (``rbm_mnist``, ``compare_pretraining``,
``autoencoder_code`` for ``autoencoder``, and ``compare_autoencoder_uses`` for
``denoising-autoencoder`` and ``autoencoder-uses``): the RBM's CD-k Gibbs sampling,
``Autoencoder``/``JointAutoencoder`` on ``nb.Sequential``, random init vs stacked autoencoders vs a
DBN of RBMs, all on MNIST. The figures draw.
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, by_budget, set_title, tr

_METHOD_LABELS = {
    "random": ("random init", "inicialización aleatoria"),
    "autoencoder": ("stacked autoencoders", "autocodificadores apilados"),
    "rbm": ("DBN (RBMs, CD-1)", "DBN (RBMs, CD-1)"),
}


def _one_blas_thread(fn, *args, **kwargs):
    """Run ``fn`` with BLAS on one thread (``numbanet.deterministic``): the figure's numbers do
    not depend on the thread count, and on a busy machine a multi-threaded BLAS spinning for
    cores it does not get made these small products 5-10x slower (measured: the
    layerwise-pretraining figure in 163 s with the default BLAS threads, 12 s with one)."""
    from ..config import deterministic

    with deterministic():
        return fn(*args, **kwargs)


def _tile(images, rows, cols, side=28, pad=1, normalise=True):
    """Tile (n, side*side) images into one 2-D array; each image scaled to [0, 1] if asked."""
    images = np.asarray(images, dtype=np.float64)
    out = np.ones((rows * (side + pad) + pad, cols * (side + pad) + pad))
    for i in range(min(len(images), rows * cols)):
        im = images[i].reshape(side, side)
        if normalise:
            lo, hi = im.min(), im.max()
            im = (im - lo) / (hi - lo) if hi > lo else np.zeros_like(im)
        r, c = divmod(i, cols)
        out[
            pad + r * (side + pad) : pad + r * (side + pad) + side,
            pad + c * (side + pad) : pad + c * (side + pad) + side,
        ] = im
    return out


# ============================================================================ rbm
def compute_rbm(seed=0, backend="cpu", budget="reduced"):
    """A 784-100 Bernoulli RBM trained with CD-1 on MNIST: reconstruction error per epoch, the
    100 learned filters (rows of W) and a few mean-field reconstructions
    (``experiments.vanishing.rbm_mnist``; 20,000 images x 10 epochs reduced, about 8 s: the
    error has flattened and the filters are strokes and blobs; 60,000 x 15 full)."""
    from ..experiments.vanishing import rbm_mnist

    n, epochs = by_budget(budget, tiny=(500, 1), reduced=(20000, 10), full=(60000, 15))
    out = _one_blas_thread(rbm_mnist, n_train=n, epochs=epochs, seed=seed, backend=backend)
    out["settings"]["reduced"] = budget != "full"
    return out


def draw_rbm(data, lang="en"):
    import matplotlib.pyplot as plt

    s = data["settings"]
    fig = plt.figure(figsize=(11.5, 5.6))
    gs = fig.add_gridspec(2, 2, width_ratios=[1, 1.25], height_ratios=[3, 1])
    ax = fig.add_subplot(gs[0, 0])
    ep = np.arange(1, len(data["errors"]) + 1)
    ax.plot(
        ep,
        data["errors"],
        "o-",
        color=COLOURS[0],
        label=tr(
            lang,
            r"training: $P(x \mid h)$, $h$ sampled, during the epoch",
            r"entrenamiento: $P(x \mid h)$, $h$ muestreado, durante la época",
        ),
    )
    ax.axhline(
        data["test_error"],
        color=COLOURS[1],
        ls="--",
        label=tr(
            lang,
            r"test: $P(x \mid P(h \mid x))$, after training",
            r"prueba: $P(x \mid P(h \mid x))$, al final",
        ),
    )
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(
        tr(
            lang,
            r"reconstruction error: mean $\|x - \hat{x}\|^2$",
            r"error de reconstrucción: media $\|x - \hat{x}\|^2$",
        )
    )
    ax.set_title(
        tr(
            lang,
            f"RBM 784-100, CD-{s['k']} on {s['n_train']:,} MNIST digits",
            f"RBM 784-100, CD-{s['k']} con {s['n_train']:,} dígitos MNIST",
        )
    )
    ax.legend()
    ax2 = fig.add_subplot(gs[:, 1])
    ax2.imshow(_tile(data["filters"], 10, 10), cmap="gray", interpolation="nearest")
    ax2.set_title(
        tr(
            lang,
            "learned filters: rows of $W$ (each scaled to its range)",
            "filtros aprendidos: filas de $W$ (cada uno a su rango)",
        )
    )
    ax2.axis("off")
    ax3 = fig.add_subplot(gs[1, 0])
    pair = np.vstack([data["originals"], data["reconstructions"]])
    ax3.imshow(
        _tile(pair, 2, len(data["originals"]), normalise=False),
        cmap="gray_r",
        vmin=0,
        vmax=1,
        interpolation="nearest",
    )
    ax3.set_title(
        tr(
            lang,
            r"test digits $x$ (top) and $\hat{x} = P(x \mid P(h \mid x))$ (bottom)",
            r"dígitos de prueba $x$ (arriba) y $\hat{x} = P(x \mid P(h \mid x))$ (abajo)",
        ),
        fontsize=9.5,
    )
    ax3.axis("off")
    set_title(
        fig,
        tr(
            lang,
            "A restricted Boltzmann machine learns MNIST by contrastive divergence",
            "Una máquina de Boltzmann restringida aprende MNIST por divergencia contrastiva",
        ),
    )
    return fig


# ============================================================================ layerwise-pretraining
#: the settings of layerwise-pretraining by budget. The slides (DL 004, "Entrenamiento por
#: capas") give no numbers, so these are ours: 5,000 MNIST digits (10,000 to validate), a
#: 784-256-256-256-10 sigmoid net, 5 seeds, 2
#: pre-training epochs per layer, 1 top-layer epoch, 5 fine-tuning epochs; pre-training and
#: fine-tuning in minibatches of 32, so that the random-init baseline, given the pre-training
#: steps as extra epochs, takes exactly the same total number of gradient steps.
LAYERWISE_BUDGETS = {
    "tiny": dict(
        n_seeds=1,
        n_train=300,
        n_val=100,
        pretrain_epochs=1,
        finetune_epochs=1,
        sizes=(784, 32, 32, 32, 10),
        speed_examples=100,
    ),
    "reduced": dict(
        n_seeds=2,
        n_train=1000,
        n_val=1000,
        pretrain_epochs=1,
        finetune_epochs=2,
        sizes=(784, 128, 128, 128, 10),
        speed_examples=500,
    ),
    "full": dict(
        n_seeds=5,
        n_train=5000,
        n_val=10000,
        pretrain_epochs=2,
        finetune_epochs=5,
    ),
}


def compute_layerwise_pretraining(seed=0, backend="cpu", budget="reduced"):
    """``experiments.vanishing.compare_pretraining`` on a deep sigmoid net: random init vs
    stacked autoencoders vs a DBN, fine-tuned with plain SGD, compared at the same total number
    of gradient steps (``match_steps``: random init is trained through the steps the others
    spent pre-training); accuracies against total steps, and gradient speeds
    (``LAYERWISE_BUDGETS``; the full budget through the results cache)."""
    import inspect

    from ..experiments.cache import cached
    from ..experiments.vanishing import compare_pretraining

    # every argument of compare_pretraining, defaults included, so that the cache key holds
    # all that determines the result
    kw = {
        k: p.default
        for k, p in inspect.signature(compare_pretraining).parameters.items()
        if k != "data"
    }
    kw.update(by_budget(budget, **LAYERWISE_BUDGETS))
    n_seeds = kw.pop("n_seeds")
    kw.update(
        seeds=tuple(seed + i for i in range(n_seeds)),
        batch_size=32,
        pretrain_batch_size=32,
        match_steps=True,
        backend=backend,
    )

    def run(**settings):
        return _one_blas_thread(compare_pretraining, **settings)

    res = cached("vanishing.compare_pretraining", kw, run) if budget == "full" else run(**kw)
    res["settings"]["reduced"] = budget != "full"
    return res


def draw_layerwise_pretraining(data, lang="en"):
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    s = data["settings"]
    res = data["results"]
    methods = s["methods"]
    pre = int(s["pretrain_steps"])
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.4), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    ax = axes[0]
    ax.axvspan(0, pre, color="0.92", zorder=0, label=tr(lang, "pre-training", "preentrenamiento"))
    total = 0
    for i, m in enumerate(methods):
        r = res[m]
        # one curve per seed, from before fine-tuning; every seed has the same steps
        curves = np.array([[a0, *va] for a0, va in zip(r["start_accuracy"], r["val_accuracy"])])
        steps = np.asarray(r["steps"][0], dtype=np.float64)
        total = max(total, steps[-1])
        for c in curves:
            ax.plot(steps, c, color=COLOURS[i], alpha=0.25, lw=1)
        ax.plot(
            steps,
            curves.mean(axis=0),
            "o-",
            ms=4,
            color=COLOURS[i],
            label=tr(lang, *_METHOD_LABELS[m]),
        )
    ax.set_xlabel(
        tr(
            lang,
            "total gradient steps (pre-training + fine-tuning)",
            "pasos de gradiente en total (preentrenamiento + ajuste fino)",
        )
    )
    ax.set_ylabel(tr(lang, "validation accuracy", "exactitud de validación"))
    sizes = "-".join(map(str, s["sizes"]))
    ax.set_title(
        tr(lang, f"sigmoid {sizes}, SGD lr {s['lr']}", f"sigmoide {sizes}, SGD lr {s['lr']}")
    )
    ax.axhline(
        0.1, color="0.4", ls=":", lw=1.2, label=tr(lang, "chance (10 classes)", "azar (10 clases)")
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(0, total * 1.02)
    ax.legend(loc="upper left", fontsize=8.5)

    ax = axes[1]
    last = [[va[-1] for va in res[m]["val_accuracy"]] for m in methods]
    x = np.arange(len(methods))
    ax.bar(
        x, [np.mean(f) for f in last], color=[COLOURS[i] for i in range(len(methods))], alpha=0.8
    )
    for i, f in enumerate(last):
        ax.plot(np.full(len(f), x[i]), f, "k.", ms=8)
        ax.text(x[i], max(f) + 0.03, f"{np.mean(f):.3f}", ha="center", fontsize=9)
    ax.set_xticks(
        x,
        [textwrap.fill(tr(lang, *_METHOD_LABELS[m]), 14, break_long_words=False) for m in methods],
        fontsize=8.5,
    )
    ax.set_ylabel(tr(lang, "validation accuracy at the end", "exactitud de validación al final"))
    ax.set_ylim(0, 1.1)
    n_total = f"{int(total):,}".replace(",", tr(lang, ",", " "))
    ax.set_title(
        tr(
            lang,
            f"after {n_total} steps each ({len(s['seeds'])} seeds)",
            f"tras {n_total} pasos cada una ({len(s['seeds'])} semillas)",
        )
    )

    ax = axes[2]
    n_layers = len(res[methods[0]]["speeds"][0])
    width = 0.8 / len(methods)
    for i, m in enumerate(methods):
        sp = np.array(res[m]["speeds"])
        ratio = np.mean(res[m]["speed_ratio"])
        ax.bar(
            np.arange(n_layers) + (i - (len(methods) - 1) / 2) * width,
            sp.mean(axis=0),
            width,
            color=COLOURS[i],
            label=f"{tr(lang, *_METHOD_LABELS[m])}: max/min {ratio:.1f}",
        )
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    lo_, hi_ = ax.get_ylim()
    ax.set_ylim(lo_, hi_ * 3)  # head room for the legend above the tallest bar
    ax.set_xticks(
        np.arange(n_layers), [f"{tr(lang, 'hidden', 'oculta')} {i + 1}" for i in range(n_layers)]
    )
    ax.set_ylabel(
        tr(
            lang,
            r"gradient speed $\|\partial C/\partial b^l\|$",
            r"velocidad del gradiente $\|\partial C/\partial b^l\|$",
        )
    )
    ax.set_title(
        tr(
            lang,
            "per-layer speed at the start of fine-tuning",
            "velocidad por capa\nal empezar el ajuste fino",
        ),
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")

    def num(v):
        return f"{int(v):,}".replace(",", tr(lang, ",", " "))

    note = tr(
        lang,
        f"{num(s['n_train'])} training / {num(s['n_val'])} validation digits, minibatches of "
        f"{s['batch_size']}; {s['pretrain_epochs']} pre-training epoch(s) per layer and "
        f"{s['top_epochs']} top-layer epoch = {num(pre)} steps;\nrandom init spends those "
        "steps training instead: every net takes the same total number of gradient steps",
        f"{num(s['n_train'])} de entrenamiento / {num(s['n_val'])} de validación, minilotes de "
        f"{s['batch_size']}; {s['pretrain_epochs']} época(s) de preentrenamiento por capa y "
        f"{s['top_epochs']} de la capa superior = {num(pre)} pasos;\nla inicialización "
        "aleatoria los dedica a entrenar: todas las redes dan los mismos pasos de gradiente",
    )
    title = tr(
        lang,
        "Greedy layer-wise pre-training against random initialisation",
        "Preentrenamiento capa a capa frente a inicialización aleatoria",
    )
    set_title(fig, title, fontsize=14)
    fig.supxlabel(note, fontsize=9.5)
    return fig


def pretraining_steps(settings):
    """(pre-training steps, fine-tuning steps) of one pre-trained net of ``compare_pretraining``
    (``experiments.vanishing.pretraining_steps``)."""
    from ..experiments.vanishing import pretraining_steps as steps

    return steps(settings)


# ============================================================================ autoencoder
def compute_autoencoder(seed=0, backend="cpu", budget="reduced"):
    """A 784-128-2 autoencoder's 2-D code of test digits and its decoder over the code plane
    (``experiments.vanishing.autoencoder_code``; reduced: 6,000 digits x 10 epochs)."""
    from ..experiments.vanishing import autoencoder_code

    n, ep2, n_test = by_budget(
        budget, tiny=(500, 2, 300), reduced=(6000, 10, 3000), full=(20000, 20, 3000)
    )
    code = _one_blas_thread(
        autoencoder_code, n_train=n, epochs=ep2, n_test=n_test, seed=seed, backend=backend
    )
    return {
        **code,
        "settings": {"n_train_2d": n, "epochs_2d": ep2, "reduced": budget != "full"},
    }


def draw_autoencoder(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (ax, axm) = plt.subplots(1, 2, figsize=(11.5, 5.4), width_ratios=[1.1, 1])
    codes = np.asarray(data["codes"])
    labels = np.asarray(data["labels"])
    cmap = plt.get_cmap("tab10")
    for k in range(10):
        m = labels == k
        ax.scatter(codes[m, 0], codes[m, 1], s=4, color=cmap(k), label=str(k), alpha=0.7)
    ax.legend(markerscale=3, ncol=2, loc="best", title=tr(lang, "digit", "dígito"))
    ax.set_xlabel("$u_1$")
    ax.set_ylabel("$u_2$")
    ax.set_title(
        tr(
            lang,
            "code $u$ of test digits (784-128-2-128-784)",
            "código $u$ de dígitos de prueba (784-128-2-128-784)",
        )
    )
    axm.imshow(_tile(data["manifold"], 9, 9, normalise=False), cmap="gray_r", vmin=0, vmax=1)
    axm.set_title(
        tr(
            lang,
            "decoder $g(u)$ over a grid of the code plane",
            "decodificador $g(u)$ sobre una rejilla de códigos",
        )
    )
    axm.axis("off")
    set_title(
        fig,
        tr(
            lang,
            "The 2-D code an autoencoder learns for MNIST digits, and what it decodes to",
            "El código 2-D que aprende un autocodificador para dígitos MNIST, y lo que decodifica",
        ),
    )
    return fig


#: ``experiments.vanishing.compare_autoencoder_uses``'s settings by budget, shared by the
#: ``denoising-autoencoder`` and ``autoencoder-uses`` figures (each runs its own call: the
#: first trains only the denoising autoencoder and the joint model it draws). Full: 20,000
#: digits, 20 + 12 epochs, all 10,000 test digits (the earlier 50,000 x 30 + 20 epochs, with
#: the 60,000 x 30 code run, was estimated at about three hours from the reduced run's time).
AUTOENCODER_USES_BUDGETS = {
    "tiny": dict(n_train=300, n_test=100, n_code=8, ae_epochs=1, clf_epochs=1),
    "reduced": dict(n_train=6000, n_test=2000, n_code=32, ae_epochs=10, clf_epochs=8),
    "full": dict(n_train=20000, n_test=10000, n_code=32, ae_epochs=20, clf_epochs=12),
}


def _autoencoder_uses(seed, backend, budget, uses):
    from ..experiments.vanishing import compare_autoencoder_uses

    kw = by_budget(budget, **AUTOENCODER_USES_BUDGETS)
    out = _one_blas_thread(compare_autoencoder_uses, seed=seed, backend=backend, uses=uses, **kw)
    out["settings"]["reduced"] = budget != "full"
    return out


# ============================================================================ denoising-autoencoder
def compute_denoising_autoencoder(seed=0, backend="cpu", budget="reduced"):
    """A denoising autoencoder on MNIST (``experiments.vanishing.compare_autoencoder_uses`` with
    only the autoencoder and the joint model): test digits, corrupted and restored, and the
    reconstruction cost per epoch, alone and inside the joint model (reduced: 6,000 digits,
    10 autoencoder and 8 joint epochs)."""
    return _autoencoder_uses(seed, backend, budget, uses=("joint",))


def _denoise_tiles(ex):
    """The denoising examples as rows of two (x, x~, g(f(x~))) triplets: examples r and r + half
    share row r (a blank tile pads an odd count). Returns (tiles, number of rows)."""
    n_ex = len(ex["x"])
    half = (n_ex + 1) // 2
    tiles = []
    for r in range(half):
        for i in (r, r + half):
            tiles += [
                np.asarray(ex[k][i]) if i < n_ex else np.zeros(784)
                for k in ("x", "noisy", "denoised")
            ]
    return tiles, half


def _integer_epochs(ax):
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def draw_denoising_autoencoder(data, lang="en"):
    import matplotlib.pyplot as plt

    us = data["settings"]
    fig, (ax, axc) = plt.subplots(1, 2, figsize=(12, 4.9), width_ratios=[1.15, 1])
    tiles, half = _denoise_tiles(data["examples"])
    ax.imshow(_tile(tiles, half, 6, normalise=False), cmap="gray_r", vmin=0, vmax=1)
    step = 29  # tile side + pad
    heads = ["$x$", r"$\tilde{x}$", r"$g(f(\tilde{x}))$"] * 2
    ax.set_xticks([1 + step * c + 14 for c in range(6)], heads, fontsize=11)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_visible(False)
    ax.grid(False)
    ax.axvline(1 + 3 * step - 1, color=COLOURS[3], lw=2)
    ax.set_title(
        tr(
            lang,
            f"test digits; $\\tilde{{x}}$: each pixel zeroed with p = {us['noise']}",
            f"dígitos de prueba; $\\tilde{{x}}$: cada píxel a cero con p = {us['noise']}",
        )
    )
    ax.set_xlabel(
        tr(
            lang,
            f"{us['n_code']} code units, trained on {us['n_train']:,} digits",
            f"{us['n_code']} unidades de código, entrenado con {us['n_train']:,} dígitos",
        )
    )
    axc.plot(
        np.arange(1, len(data["ae_loss"]) + 1),
        data["ae_loss"],
        "o-",
        label=tr(lang, "denoising autoencoder", "autocodificador con ruido"),
    )
    jh = data.get("joint_history", [])
    if jh:
        axc.plot(
            np.arange(1, len(jh) + 1),
            [h["ae"] for h in jh],
            "s-",
            label=tr(
                lang,
                r"$J_{\rm ae}$ inside the joint model",
                r"$J_{\rm ae}$ en el modelo conjunto",
            ),
        )
    _integer_epochs(axc)
    axc.set_xlabel(tr(lang, "epoch", "época"))
    axc.set_ylabel(tr(lang, "BCE per pixel", "BCE por píxel"))
    axc.set_title(tr(lang, "reconstruction cost", "costo de reconstrucción"))
    axc.legend()
    set_title(
        fig,
        tr(
            lang,
            "A denoising autoencoder restores corrupted digits",
            "Un autocodificador con ruido restaura dígitos corrompidos",
        ),
    )
    return fig


# ============================================================================ autoencoder-uses
def compute_autoencoder_uses(seed=0, backend="cpu", budget="reduced"):
    """The three uses of a denoising autoencoder for classification against the pixel baseline
    (``experiments.vanishing.compare_autoencoder_uses``; reduced: 6,000 training and 2,000 test
    digits, 8 classifier epochs)."""
    from ..experiments.vanishing import AUTOENCODER_USES

    return _autoencoder_uses(seed, backend, budget, uses=AUTOENCODER_USES)


def draw_autoencoder_uses(data, lang="en"):
    import matplotlib.pyplot as plt

    us = data["settings"]
    acc = data["accuracy"]
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    names = [
        ("raw", tr(lang, "pixels $x$\n(baseline)", "píxeles $x$\n(referencia)")),
        (
            "features",
            tr(
                lang,
                "features $u$\n(softmax on the code)",
                "atributos $u$\n(softmax sobre el código)",
            ),
        ),
        (
            "reconstructions",
            tr(
                lang,
                "reconstructions $\\hat{x}$\n(preprocessing)",
                "reconstrucciones $\\hat{x}$\n(preprocesamiento)",
            ),
        ),
        (
            "joint",
            tr(lang, "joint", "conjunto")
            + f"  ${us['beta']}\\,J_{{\\rm clas}}$\n$+\\ {1 - us['beta']:.1f}\\,J_{{\\rm ae}}$",
        ),
    ]
    names = [(k, n) for k, n in names if k in acc]
    vals = [acc[k] for k, _ in names]
    colours = {"raw": COLOURS[7], "features": COLOURS[0], "reconstructions": COLOURS[1]}
    bars = ax.barh(
        np.arange(len(names)), vals, color=[colours.get(k, COLOURS[2]) for k, _ in names]
    )
    for b, v in zip(bars, vals):
        ax.text(v + 0.005, b.get_y() + b.get_height() / 2, f"{v:.3f}", va="center")
    ax.set_yticks(np.arange(len(names)), [n for _, n in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.set_xlabel(tr(lang, "test accuracy", "exactitud de prueba"))
    ax.set_title(
        tr(
            lang,
            f"{us['n_train']:,} training / {us['n_test']:,} test digits, "
            f"{us['n_code']} code units, {us['clf_epochs']} classifier epochs",
            f"{us['n_train']:,} de entrenamiento / {us['n_test']:,} de prueba, "
            f"{us['n_code']} unidades de código, {us['clf_epochs']} épocas del clasificador",
        )
    )
    set_title(
        fig,
        tr(
            lang,
            "Three uses of an autoencoder for classifying MNIST digits",
            "Tres usos de un autocodificador para clasificar dígitos MNIST",
        ),
    )
    return fig
