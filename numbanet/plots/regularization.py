"""Figures of regularisation (NN deck 003, DL deck 004).

``regularization``
    Four panels, each a small experiment run by the engine: L2 weight decay (the weights' norm
    and the validation error against lambda), inverted dropout (train vs test error with and
    without), early stopping (training and validation loss with the stopping point) and noise
    injection at the input (``numbanet.experiments.training.regularizers``).
``bias-variance``
    Training and test error against capacity across the interpolation threshold: the
    double-descent curve (Belkin et al. 2019; Nakkiran et al. 2019) on a small MNIST subset with
    label noise (``numbanet.experiments.training.double_descent``).
``bias-variance-diagnosis``
    Deck 003's "¿Sesgo o varianza?": an underfitting, an overfitting and a balanced MLP trained
    on MNIST, each with its Bayes-proxy, training and validation error, the avoidable bias and
    the generalization gap marked, and ``numbanet.diagnose``'s advice
    (``numbanet.experiments.diagnosis.bias_variance_runs``).

``compute_*`` functions choose the budget and run the experiments; ``draw_*`` only draw.

Size: about 650 lines because the three figures of the deck's regularisation section stay
together; each ``draw_*`` lays out several panels with their English and Spanish labels.
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, decimal_comma, set_title, tr


# =========================================================================== regularization
def compute_regularization(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.regularizers``: reduced budget 50 epochs (the unregularised net
    has memorised its noisy labels by then, and early stopping has stopped), one seed, 1,000
    test images; full 80 epochs, 3 seeds averaged, the 10,000 test images (150 epochs x 3
    seeds took over 150 s; the test errors are flat after epoch 50)."""
    from ..experiments.training import regularizers

    kw = by_budget(
        budget,
        tiny=dict(
            epochs=2,
            seeds=(seed,),
            n_test=200,
            n_train=200,
            lambdas=(0.0, 10.0, 100.0),
            noise_stds=(0.0, 1.0),
        ),
        reduced=dict(epochs=50, seeds=(seed,), n_test=1000),
        full=dict(epochs=80, seeds=(seed, seed + 1, seed + 2), n_test=10000),
    )
    from ..config import deterministic

    # BLAS on one thread (numbanet.deterministic): the 784-256-256-10 net's minibatch products
    # (100 rows) gain little from a second thread, and on a busy machine its spinning workers
    # made the run 7x slower (6-epoch run at load 2-3: 38.8 s wall / 26.8 CPU s against 5.3 /
    # 2.8 on one thread)
    with deterministic():
        out = regularizers(backend=backend, **kw)
    out["budget"] = budget
    return out


def _pct(v, lang):
    """A percentage with one decimal, with the language's decimal mark."""
    t = f"{v:.1f}"
    return t.replace(".", ",") if lang == "es" else t


def _verdict(lang, none, reg):
    """'test error: none 20.9 % -> 14.7 %', a panel title's second line."""
    return tr(
        lang,
        f"test error: none {_pct(none, lang)} % $\\rightarrow$ {_pct(reg, lang)} %",
        f"error de prueba: sin {_pct(none, lang)} % $\\rightarrow$ {_pct(reg, lang)} %",
    )


def _err_top(*errors, room=1.15):
    """Top of an error axis (in %): the data's largest error with some room for labels, rounded
    up to 5 %, at most 100 % (a 0-45 % error is not drawn on a 0-100 % axis)."""
    m = max(float(np.max(np.asarray(e, dtype=np.float64))) for e in errors)
    return float(min(100.0, 5.0 * np.ceil(max(m * room + 2.0, 5.0) / 5.0)))


def draw_regularization(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig, axes = plt.subplots(2, 2, figsize=(12.5, 9.2), constrained_layout=True)
    cols = {"train": "#4c72b0", "val": "#8172b2", "test": "#c44e52", "norm": "#55a868"}
    none = data["test_err_none"]
    g = (lambda v: f"{v:g}".replace(".", ",")) if lang == "es" else (lambda v: f"{v:g}")
    lab_train = tr(
        lang, "training error (noisy labels)", "error de entrenamiento (etiquetas ruidosas)"
    )
    lab_val = tr(lang, "validation error", "error de validación")
    lab_test = tr(lang, "test error", "error de prueba")
    # (a) L2
    a = axes[0, 0]
    lam = data["l2_lambda"]
    xs = np.arange(len(lam))
    a.plot(xs, data["l2_train_err"], "-o", color=cols["train"], label=lab_train)
    a.plot(xs, data["l2_val_err"], ":^", color=cols["val"], ms=5, label=lab_val)
    a.plot(xs, data["l2_test_err"], "-o", color=cols["test"], label=lab_test)
    pick = data["l2_pick"]
    a.plot(
        xs[pick],
        data["l2_test_err"][pick],
        "*",
        ms=17,
        color=cols["test"],
        mec="k",
        mew=0.6,
        zorder=5,
        label=tr(lang, "$\\lambda$ chosen on validation", "$\\lambda$ elegida en validación"),
    )
    a.set_xticks(xs, [g(v) for v in lam])
    a.set_xlabel(
        "$\\lambda$ "
        + tr(
            lang,
            "(cost + $\\frac{\\lambda}{2n}\\sum w^2$)",
            "(coste + $\\frac{\\lambda}{2n}\\sum w^2$)",
        )
    )
    a.set_ylabel(tr(lang, "error (%)", "error (%)"))
    a.set_ylim(-2, _err_top(data["l2_train_err"], data["l2_val_err"], data["l2_test_err"]))
    a2 = a.twinx()
    wn = data["l2_weight_norm"]
    a2.plot(
        xs,
        wn,
        "--s",
        color=cols["norm"],
        ms=5,
        label=tr(
            lang,
            "weights' norm $\\|W\\|$ (right axis)",
            "norma de los pesos $\\|W\\|$ (eje derecho)",
        ),
    )
    a2.set_yscale("log")
    # plain numbers on the log axis: 1-2-5 steps, no minor labels
    a2.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    a2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: g(v)))
    a2.yaxis.set_minor_formatter(NullFormatter())
    a2.set_ylim(wn.min() / 1.6, wn.max() * 3.0)  # the norm's curve kept below the panel's top
    a2.set_ylabel(
        tr(lang, "weights' norm (log scale)", "norma de los pesos (escala log)"), color=cols["norm"]
    )
    a2.tick_params(axis="y", colors=cols["norm"])
    h1, l1 = a.get_legend_handles_labels()
    h2, l2 = a2.get_legend_handles_labels()
    # below the panel: inside it, wherever it goes, it can hide a point of the five curves
    a.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    a.set_title(
        tr(lang, "L2 weight decay", "Decaimiento de pesos L2")
        + "\n"
        + _verdict(lang, none, data["test_err_l2"]),
        fontsize=11,
    )
    a.grid(alpha=0.3)
    # (b) dropout
    b = axes[0, 1]
    ep = np.arange(1, len(data["drop_plain_train"]) + 1)
    p = g(data["dropout_p"])
    for name, ls, lab_en, lab_es in (
        ("plain", "-", "no dropout", "sin dropout"),
        ("dropout", "--", f"dropout p = {p}", f"dropout p = {p}"),
    ):
        b.plot(
            ep,
            data[f"drop_{name}_train"],
            ls,
            color=cols["train"],
            label=tr(lang, f"training, {lab_en}", f"entrenamiento, {lab_es}"),
        )
        b.plot(
            ep,
            data[f"drop_{name}_test"],
            ls,
            color=cols["test"],
            label=tr(lang, f"test, {lab_en}", f"prueba, {lab_es}"),
        )
    b.set_xlabel(tr(lang, "epoch", "época"))
    b.set_ylabel(tr(lang, "error (%)", "error (%)"))
    b.set_xlim(0, ep[-1] + 1)
    b.set_ylim(
        -2,
        _err_top(
            *(
                data[f"drop_{k}"]
                for k in ("plain_train", "plain_test", "dropout_train", "dropout_test")
            )
        ),
    )
    b.legend(fontsize=8, loc="upper right")
    b.grid(alpha=0.3)
    b.set_title(
        tr(
            lang,
            "Inverted dropout (errors in evaluation mode)",
            "Dropout invertido (errores en modo evaluación)",
        )
        + "\n"
        + _verdict(lang, none, data["test_err_dropout"]),
        fontsize=11,
    )
    # (c) early stopping
    c = axes[1, 0]
    ep = np.arange(1, len(data["es_train_loss"]) + 1)
    c.plot(
        ep,
        data["es_train_loss"],
        color=cols["train"],
        label=tr(lang, "training loss", "pérdida de entrenamiento"),
    )
    c.plot(
        ep,
        data["es_val_loss"],
        color=cols["val"],
        label=tr(lang, "validation loss", "pérdida de validación"),
    )
    be_, st = data["es_best_epoch"], data["es_stopped_epoch"]
    c.axvline(be_, color="k", ls="--", lw=1)
    c.axvline(st, color="0.5", ls=":", lw=1.2)
    c.plot(be_, data["es_val_loss"][be_ - 1], "*", ms=15, color="k", zorder=5)
    c.text(
        be_,
        0.97,
        tr(
            lang,
            f" best epoch {be_}:\n weights restored",
            f" mejor época {be_}:\n pesos restaurados",
        ),
        transform=c.get_xaxis_transform(),
        va="top",
        fontsize=8,
    )
    c.text(
        st,
        0.80,
        tr(
            lang,
            f" stopped at {st}\n (patience {data['es_patience']})",
            f" parada en {st}\n (paciencia {data['es_patience']})",
        ),
        transform=c.get_xaxis_transform(),
        va="top",
        fontsize=8,
        color="0.35",
    )
    c.set_yscale("log")
    c.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    c.yaxis.set_major_formatter(FuncFormatter(lambda v, _: g(v)))
    c.yaxis.set_minor_formatter(NullFormatter())
    c.set_xlim(0, ep[-1] + 1)
    c.set_xlabel(tr(lang, "epoch", "época"))
    c.set_ylabel(tr(lang, "cross-entropy (log scale)", "entropía cruzada (escala log)"))
    c.legend(fontsize=8, loc="lower left")
    c.grid(which="major", alpha=0.3)
    c.set_title(
        tr(
            lang,
            "Early stopping on the validation loss",
            "Parada temprana según la pérdida de validación",
        )
        + "\n"
        + _verdict(lang, none, data["test_err_early_stopping"]),
        fontsize=11,
    )
    # (d) noise injection
    d = axes[1, 1]
    xs = np.arange(len(data["noise_std"]))
    d.bar(xs - 0.2, data["noise_train_err"], 0.4, color=cols["train"], label=lab_train)
    d.bar(xs + 0.2, data["noise_test_err"], 0.4, color=cols["test"], label=lab_test)
    for i in xs:
        d.text(
            i + 0.2,
            data["noise_test_err"][i] + 1,
            _pct(data["noise_test_err"][i], lang),
            ha="center",
            fontsize=8,
            fontweight="bold" if i == data["noise_pick"] else None,
        )
    d.set_xticks(xs, [g(v) for v in data["noise_std"]])
    d.set_xlabel(
        tr(
            lang,
            "std of the Gaussian noise added to the inputs (pixels in [0, 1])",
            "desv. del ruido gaussiano sumado a las entradas (píxeles en [0, 1])",
        )
    )
    d.set_ylabel(tr(lang, "error after training (%)", "error tras el entrenamiento (%)"))
    d.set_ylim(0, _err_top(data["noise_train_err"], data["noise_test_err"], room=1.25))
    d.legend(fontsize=8, loc="upper left")
    d.grid(axis="y", alpha=0.3)
    d.set_title(
        tr(lang, "Noise injection (data augmentation)", "Inyección de ruido (aumento de datos)")
        + "\n"
        + _verdict(lang, none, data["test_err_noise"]),
        fontsize=11,
    )
    pct = int(round(100 * data["label_noise"]))
    w = data["width"]
    seeds = (
        tr(lang, f", mean of {data['n_seeds']} seeds", f", media de {data['n_seeds']} semillas")
        if data["n_seeds"] > 1
        else ""
    )
    th = lambda v: f"{v:,}".replace(",", ".")  # noqa: E731
    set_title(
        fig,
        tr(
            lang,
            f"Regularisation on MNIST with {pct} % wrong labels: test error of each method",
            f"Regularización en MNIST con {pct} % de etiquetas erróneas: error de prueba "
            "de cada método",
        ),
        fontsize=12,
        details=[
            tr(
                lang,
                f"{data['n_train']:,} MNIST training images with {pct} % wrong "
                f"labels, 784-{w}-{w}-10 ReLU net, SGD, {data['epochs']} "
                f"epochs{seeds}; settings chosen on {data['n_val']:,} clean "
                f"validation images; test error on {data['n_test']:,} test images",
                f"{th(data['n_train'])} imágenes de MNIST con {pct} % de etiquetas "
                f"erróneas, red ReLU 784-{w}-{w}-10, SGD, {data['epochs']} "
                f"épocas{seeds}; ajustes elegidos con {th(data['n_val'])} imágenes "
                f"limpias de validación; error de prueba en {th(data['n_test'])} "
                "imágenes de prueba",
            )
        ],
    )
    return fig


# =========================================================================== bias-variance
def compute_bias_variance(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.double_descent`` with 20 % label noise: reduced budget 500
    training images, 2 seeds, 2,000 test images; full: 5 seeds and all 10,000 test images."""
    from ..experiments.training import double_descent

    n_train, n_seeds, n_test = by_budget(
        budget, tiny=(40, 1, 100), reduced=(500, 2, 2000), full=(500, 5, 10000)
    )
    from ..config import deterministic

    with deterministic():  # BLAS on one thread: 7.2 s against 10.1 s wall per seed at load 2-3
        out = double_descent(
            n_train=n_train, n_seeds=n_seeds, n_test=n_test, noise=0.2, seed=seed, backend=backend
        )
    out["budget"] = budget
    return out


def draw_bias_variance(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    w, n = data["widths"], data["n_train"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.9), constrained_layout=True)
    sep = "." if lang == "es" else ","

    def num(v):
        """A plain number with the language's thousands separator (10, 100, 1,000 / 1.000)."""
        return f"{v:,.0f}".replace(",", sep) if v >= 1 else f"{v:g}".replace(".", ",")

    def band(ax, key, colour, label, geo=False):
        v = data[key]
        mid = np.exp(np.log(v).mean(0)) if geo else v.mean(0)
        ax.plot(w, mid, "-o", ms=3, color=colour, label=label)
        if v.shape[0] > 1:
            ax.fill_between(w, v.min(0), v.max(0), color=colour, alpha=0.18, lw=0)

    a = axes[0]
    band(a, "train_err", "#4c72b0", tr(lang, "training error", "error de entrenamiento"))
    band(a, "test_err", "#c44e52", tr(lang, "test error", "error de prueba"))
    a.set_ylabel(tr(lang, "classification error (%)", "error de clasificación (%)"))
    a.set_title(tr(lang, "Error against capacity", "Error según la capacidad"), fontsize=11)
    a.set_ylim(-2, 100)
    b = axes[1]
    band(
        b,
        "test_mse",
        "#c44e52",
        tr(lang, "test squared error", "error cuadrático de prueba"),
        geo=True,
    )
    b.set_yscale("log")
    b.set_title(
        tr(lang, "Double descent of the test loss", "Doble descenso de la pérdida de prueba"),
        fontsize=11,
    )
    b.set_ylabel(
        tr(
            lang,
            "mean squared error on one-hot targets (log scale)",
            "error cuadrático medio, objetivos one-hot (escala log)",
        )
    )
    c = axes[2]
    band(
        c,
        "w_norm",
        "#55a868",
        tr(lang, "norm of the readout $\\|W_2\\|_F$", "norma de la capa de salida $\\|W_2\\|_F$"),
        geo=True,
    )
    c.set_yscale("log")
    c.set_ylabel(
        tr(
            lang,
            "norm of the readout $\\|W_2\\|_F$ (log scale)",
            "norma de la capa de salida $\\|W_2\\|_F$ (escala log)",
        )
    )
    c.set_title(tr(lang, "Norm of the fitted weights", "Norma de los pesos ajustados"), fontsize=11)
    plain = FuncFormatter(lambda v, _: num(v))
    for ax in axes:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(NullFormatter())
        if ax is not a:
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.axvline(n, color="k", ls="--", lw=1)
        # the threshold's label right of the line in (a), left of it in (b) and (c), where the
        # curve descends on the right
        right = ax is a
        ax.text(
            n * (1.06 if right else 1 / 1.06),
            0.97,
            tr(
                lang,
                f"interpolation\nthreshold $h = n$ = {num(n)}",
                f"umbral de\ninterpolación $h = n$ = {num(n)}",
            ),
            transform=ax.get_xaxis_transform(),
            va="top",
            ha="left" if right else "right",
            fontsize=8.5,
        )
        ax.set_xlabel(
            tr(
                lang,
                "hidden units $h$ (capacity, log scale)",
                "unidades ocultas $h$ (capacidad, escala log)",
            )
        )
        ax.grid(which="major", alpha=0.3)
        ax.grid(which="minor", alpha=0.1)
    # (b) and (c) hold one curve each, named by their axis labels: no legend
    a.legend(fontsize=8.5, loc="lower right", bbox_to_anchor=(1.0, 0.06))  # above train err's 0
    a.text(
        0.03,
        0.9,
        tr(lang, "under-\nparameterised", "infra-\nparametrizado"),
        transform=a.transAxes,
        fontsize=8.5,
        color="0.35",
    )
    a.text(
        0.97,
        0.6,
        tr(lang, "over-\nparameterised", "sobre-\nparametrizado"),
        transform=a.transAxes,
        fontsize=8.5,
        color="0.35",
        ha="right",
    )
    noise = int(round(100 * data["noise"]))
    k = data["n_seeds"]
    set_title(
        fig,
        tr(
            lang,
            "Bias-variance and double descent: test error against hidden width",
            "Sesgo-varianza y doble descenso: error de prueba según la anchura oculta",
        ),
        fontsize=12.5,
        details=[
            tr(
                lang,
                f"n = {num(n)} MNIST training images with {noise} % label noise "
                f"({k} seeds: line mean, band min-max); 784-h-10 ReLU net with a "
                "random first layer; the readout is fitted to zero training error "
                "(minimum-norm least squares)",
                f"n = {num(n)} imágenes de MNIST con {noise} % de etiquetas ruidosas "
                f"({k} semillas: línea media, banda mín-máx); red ReLU 784-h-10 con la "
                "primera capa aleatoria; la salida se ajusta a error de entrenamiento "
                "cero (mínimos cuadrados de norma mínima)",
            )
        ],
    )
    return fig


# ================================================================= bias-variance-diagnosis
#: Spanish forms of the remedies ``numbanet.diagnose`` lists (its strings are English)
_ADVICE_ES = {
    "train a bigger network (more units or layers)": "entrenar una red más grande (más unidades "
    "o capas)",
    "train longer or with a better optimiser (Adam, a tuned learning rate)": "entrenar más o con "
    "un optimizador mejor (Adam, una tasa de aprendizaje ajustada)",
    "try another architecture (e.g. convolutions for images)": "probar otra arquitectura (p. ej. "
    "convoluciones para imágenes)",
    "reduce the regularisation": "reducir la regularización",
    "more training data": "más datos de entrenamiento",
    "a penalty term (L2 / weight decay)": "un término de penalización (L2 / weight decay)",
    "noise injection (dropout, noise on the inputs or the weights)": "inyección de ruido "
    "(dropout, ruido en las entradas o en los pesos)",
    "early stopping on the validation set": "early stopping con el conjunto de validación",
    "data augmentation": "aumento de datos",
    "an unsupervised stage (auto-encoder pre-training)": "una etapa no supervisada "
    "(pre-entrenamiento con auto-encoders)",
}


def compute_bias_variance_diagnosis(seed=0, backend="cpu", budget="reduced"):
    """``experiments.diagnosis.bias_variance_runs``: an underfitting, an overfitting and a
    balanced MLP trained on MNIST and diagnosed with ``numbanet.diagnose`` against the Bayes
    proxy 0.2 % (the best published MNIST errors), ``tol`` 2 points. Reduced budget: 784-4-10 on
    5,000 images, 784-128-128-10 on 300, 784-128-10 on 20,000, validated on 2,000 held-out
    images; full: 50,000 / 500 / 50,000 images, 10,000 validation images; tiny: a few hundred."""
    from ..experiments.diagnosis import RUNS, bias_variance_runs

    n_val = by_budget(budget, tiny=500, reduced=2000, full=10000)
    runs = by_budget(budget, tiny=RUNS["tiny"], reduced=RUNS["reduced"], full=RUNS["full"])
    out = bias_variance_runs(runs, n_val=n_val, tol=0.02, seed=seed, backend=backend)
    out["budget"] = budget
    return out


def _short_advice(model, lang):
    """The first remedy for the term to attack (for ``both``: the first of each), without its
    parenthesis: one short line."""
    from ..diagnose import BIAS_ADVICE, VARIANCE_ADVICE

    advice = model["advice"]
    if model["focus"] == "both":
        picks = [a for a in advice if a in BIAS_ADVICE][:1]
        picks += [a for a in advice if a in VARIANCE_ADVICE][:1]
    else:
        picks = advice[:1]
    return "; ".join(tr(lang, a, _ADVICE_ES.get(a, a)).split(" (")[0] for a in picks)


def draw_bias_variance_diagnosis(data, lang="en"):
    import matplotlib.pyplot as plt

    models = data["models"]
    fig, axes = plt.subplots(1, len(models), figsize=(4.7 * len(models), 5.0))
    axes = np.atleast_1d(axes)
    sep = "." if lang == "es" else ","
    kind = {
        "underfit": tr(lang, "Underfitting", "Subajuste"),
        "overfit": tr(lang, "Overfitting", "Sobreajuste"),
        "balanced": tr(lang, "Balanced", "Equilibrada"),
    }
    focus = {
        "bias": tr(lang, "attack the bias", "atacar el sesgo"),
        "variance": tr(lang, "attack the variance", "atacar la varianza"),
        "both": tr(lang, "attack both, separately", "atacar ambos, por separado"),
        "neither": tr(lang, "neither term is large", "ningún término es grande"),
    }
    bias_c, gap_c = "#dd8452", "#8172b3"
    for ax, m in zip(axes, models):
        levels = 100 * np.array([data["bayes_error"], m["train_error"], m["val_error"]])
        x = np.arange(3)
        ax.bar(x, levels, width=0.5, color=["0.6", "#4c72b0", "#c44e52"])
        top = max(levels.max(), 1e-9)
        for xi, v in zip(x, levels):
            ax.text(xi, v + 0.015 * top, f"{v:.1f} %", ha="center", va="bottom", fontsize=9.5)
        # the two terms: dashed levels and a double arrow between neighbouring bars
        for (i, j), colour in (((0, 1), bias_c), ((1, 2), gap_c)):
            mid = (i + j) / 2
            ax.hlines(levels[i], i + 0.25, mid + 0.1, colors=colour, lw=1, ls="--")
            ax.hlines(levels[j], mid - 0.1, j - 0.25, colors=colour, lw=1, ls="--")
            ax.annotate(
                "",
                xy=(mid, levels[j]),
                xytext=(mid, levels[i]),
                arrowprops=dict(arrowstyle="<->", color=colour, lw=1.6, shrinkA=0, shrinkB=0),
            )
        ax.text(
            0.03,
            0.97,
            tr(
                lang,
                f"avoidable bias = {100 * m['avoidable_bias']:+.1f} points",
                f"sesgo evitable = {100 * m['avoidable_bias']:+.1f} puntos",
            ),
            color=bias_c,
            transform=ax.transAxes,
            va="top",
            fontsize=9.5,
            fontweight="bold",
        )
        ax.text(
            0.03,
            0.90,
            tr(
                lang,
                f"generalization gap = {100 * m['generalization_gap']:+.1f} points",
                f"brecha de generalización = {100 * m['generalization_gap']:+.1f} puntos",
            ),
            color=gap_c,
            transform=ax.transAxes,
            va="top",
            fontsize=9.5,
            fontweight="bold",
        )
        ax.set_ylim(0, 1.45 * top)
        ax.set_xticks(
            x,
            [
                tr(lang, "Bayes\n(proxy)", "Bayes\n(aproximado)"),
                tr(lang, "training", "entrenamiento"),
                tr(lang, "validation", "validación"),
            ],
        )
        ax.grid(axis="x", visible=False)
        net = "-".join(str(w) for w in (784, *m["widths"], 10))
        n = f"{m['n_train']:,}".replace(",", sep)
        ax.set_title(
            tr(
                lang,
                f"{kind.get(m['name'], m['name'])}: {net}, {n} images\n"
                f"diagnosis: {focus[m['focus']]}",
                f"{kind.get(m['name'], m['name'])}: {net}, {n} imágenes\n"
                f"diagnóstico: {focus[m['focus']]}",
            ),
            fontsize=10.5,
        )
        advice = _short_advice(m, lang)
        advice = advice and advice.replace("; ", ";\n")  # two pieces of advice: two lines
        ax.set_xlabel(
            tr(lang, f"try: {advice}", f"probar: {advice}") if advice else "", fontsize=9.5
        )
    axes[0].set_ylabel(tr(lang, "classification error (%)", "error de clasificación (%)"))
    nv = f"{data['n_val']:,}".replace(",", sep)
    details = tr(
        lang,
        f"Bayes error proxy {100 * data['bayes_error']:.1f} %: the best published MNIST "
        "test errors (0.23 %, Ciresan et al. 2012; 0.21 %, Wan et al. 2013); ReLU "
        f"nets, SGD (lr {data['lr']:g}, minibatch {data['batch_size']}), errors of the last "
        f"epoch on the whole training set and on {nv} held-out validation images; "
        f"numbanet.diagnose with tol = {100 * data['tol']:.0f} points",
        decimal_comma(
            f"error de Bayes aproximado por {100 * data['bayes_error']:.1f} %: los mejores "
            "errores de prueba publicados en MNIST (0.23 %, Ciresan et al. 2012; 0.21 %, "
            f"Wan et al. 2013); redes ReLU, SGD (lr {data['lr']:g}, minibatch "
            f"{data['batch_size']}), errores de la última época en todo el conjunto de "
            f"entrenamiento y en {nv} imágenes de validación separadas; numbanet.diagnose "
            f"con tol = {100 * data['tol']:.0f} puntos"
        ),
    )
    set_title(
        fig,
        tr(
            lang,
            "Bias or variance? Avoidable bias (train - Bayes) and generalization gap "
            "(validation - train) of three MNIST nets",
            "¿Sesgo o varianza? Sesgo evitable (entrenamiento - Bayes) y brecha de "
            "generalización (validación - entrenamiento) de tres redes en MNIST",
        ),
        fontsize=12,
        details=[details],
    )
    return fig
