"""Figures of regularisation (NN and DL decks).

``regularization``
    Four panels, each a small experiment run by the engine: L2 weight decay (the weights' norm
    and the validation error against lambda), inverted dropout (train vs test error with and
    without), early stopping (training and validation loss with the stopping point) and noise
    injection at the input.
``autoencoder``
    A 2-D autoencoder code of digits coloured by class, and the three ways of using an autoencoder
    for classification compared (``numbanet.unsupervised``).
``bias-variance``
    Training and test error against capacity across the interpolation threshold: the
    double-descent curve (Belkin et al. 2019; Nakkiran et al. 2019) on a small MNIST subset with
    label noise.

``compute_*`` functions run the experiments and return plain data; ``draw_*`` only draw.
"""

from __future__ import annotations

import numpy as np

from ._b_common import budget_note, tr

# =========================================================================== regularization
L2_LAMBDAS = (0.0, 3.0, 10.0, 30.0, 100.0)
NOISE_STDS = (0.0, 0.5, 1.0)
REG_N_TRAIN, REG_LABEL_NOISE, REG_WIDTH, REG_DROPOUT, REG_PATIENCE = 1000, 0.2, 256, 0.5, 10


def _mlp(extra_in=(), drop=0.0, seed=0, backend="cpu", width=REG_WIDTH, d_in=784):
    from ..nn import Dense, ReLU, Sequential
    from ..nn.dropout import Dropout

    layers = list(extra_in) + [Dense(d_in, width), ReLU()]
    if drop:
        layers.append(Dropout(drop, seed=seed + 1))
    layers += [Dense(width, width), ReLU()]
    if drop:
        layers.append(Dropout(drop, seed=seed + 2))
    layers.append(Dense(width, 10))
    return Sequential(layers, backend=backend, seed=seed, input_shape=(d_in,))


def compute_regularization(seed=0, backend="cpu", budget="reduced"):
    """Four regularisers on the same overfitting problem: the first 1,000 MNIST training images
    with 20 % of their labels replaced by a wrong class (the net can memorise them, and
    memorising them hurts), a wide 784-256-256-10 ReLU net with softmax cross-entropy, minibatch
    SGD (batch 100, lr 0.1). Validation: 1,000 clean images of the held-out part of the
    training set (``mnist_split().x_val``), used to choose lambda, the noise level and the
    stopping epoch; test: the official test set (2,000 images reduced, 10,000 full), used only
    to report.

    * L2: Nielsen's decay :math:`w \\leftarrow (1 - \\eta\\lambda/n) w - \\eta\\nabla C_0` for
      each lambda: the weights' norm :math:`\\sqrt{\\sum_l \\|W^{[l]}\\|_F^2}` and the errors;
    * inverted dropout (p = 0.5 after each hidden layer): training and test error per epoch
      with and without (measured in evaluation mode, the training error on the noisy labels);
    * early stopping: training and validation loss per epoch, and where
      ``EarlyStopping(patience)`` stops and which epoch's weights it restores;
    * noise injection: ``GaussianNoise(std)`` on the inputs during training.

    The unregularised run (lambda 0, no dropout, no noise, no stopping) is trained once and
    shared by the four panels. Reduced budget: 60 epochs, one seed; full: 150 epochs, 3 seeds
    averaged (each seed its own label noise and initialisation).
    """
    from ..callbacks import EarlyStopping
    from ..data import mnist_split
    from ..nn.dropout import GaussianNoise
    from ..optim import SGD

    reduced = budget == "reduced"
    epochs, seeds, n_test = (
        (60, (seed,), 2000) if reduced else (150, (seed, seed + 1, seed + 2), 10000)
    )
    m = mnist_split()
    n = REG_N_TRAIN
    x = m.x_train[:n]
    xv, yv = m.x_val[:1000], m.y_val[:1000]
    xt, yt = m.x_test[:n_test], m.y_test[:n_test]

    def err(net, a, b):
        return 100 * (1 - net.evaluate(a, b)["accuracy"])

    def train(net, y, s, lam=0.0, ep=epochs, callbacks=()):
        opt = SGD(net.parameters(), lr=0.1, l2=lam, n_train=n)
        return net.fit(x, y, loss="cross_entropy", optimizer=opt, epochs=ep, batch_size=100,
                       seed=s, validation=(xv, yv), progress=False, callbacks=list(callbacks))  # fmt: skip

    lam, stds = np.array(L2_LAMBDAS), np.array(NOISE_STDS)
    k = len(seeds)
    acc = {key: np.zeros((k, len(lam))) for key in ("l2_weight_norm", "l2_train_err",
                                                     "l2_val_err", "l2_test_err")}  # fmt: skip
    acc.update({key: np.zeros((k, len(stds))) for key in ("noise_train_err", "noise_val_err",
                                                          "noise_test_err")})  # fmt: skip
    curves = {key: np.zeros((k, epochs)) for key in ("drop_plain_train", "drop_plain_test",
                                                      "drop_dropout_train", "drop_dropout_test",
                                                      "es_train_loss", "es_val_loss")}  # fmt: skip

    def record(key, net, i, y, j):
        acc[f"{key}_train_err"][i, j] = err(net, x, y)
        acc[f"{key}_val_err"][i, j] = err(net, xv, yv)
        acc[f"{key}_test_err"][i, j] = err(net, xt, yt)

    def norm(net):
        return np.sqrt(sum(float((p.value.astype(np.float64) ** 2).sum())
                           for p in net.parameters() if p.kind == "weight"))  # fmt: skip

    es_best, es_stop, es_test, es_last, es_prefix = [], [], [], [], []
    n_flipped = []
    for i, s in enumerate(seeds):
        y, flip = _noisy_labels(m.y_train[:n], REG_LABEL_NOISE, np.random.default_rng(s))
        n_flipped.append(int(flip.sum()))

        # the unregularised run, and dropout: error curves in evaluation mode
        for name, drop in (("plain", 0.0), ("dropout", REG_DROPOUT)):
            net = _mlp(drop=drop, seed=s, backend=backend)
            rec = _ErrorRecorder(x, y, xt, yt)
            h = train(net, y, s, callbacks=[rec])
            curves[f"drop_{name}_train"][i] = rec.train_err
            curves[f"drop_{name}_test"][i] = rec.test_err
            if name == "plain":
                plain_val_loss = np.array(h["val_loss"])
                curves["es_train_loss"][i] = h["loss"]
                curves["es_val_loss"][i] = plain_val_loss
                record("l2", net, i, y, 0)
                acc["l2_weight_norm"][i, 0] = norm(net)
                record("noise", net, i, y, 0)
        # L2 (lambda = 0 is the unregularised run)
        for j, lm in enumerate(lam[1:], start=1):
            net = _mlp(seed=s, backend=backend)
            train(net, y, s, lam=float(lm))
            record("l2", net, i, y, j)
            acc["l2_weight_norm"][i, j] = norm(net)
        # early stopping: the callback on the same run, which it stops and rewinds
        net = _mlp(seed=s, backend=backend)
        es = EarlyStopping(monitor="val_loss", patience=REG_PATIENCE, restore_best_weights=True)
        h2 = train(net, y, s, callbacks=[es])
        es_best.append(int(es.best_epoch))
        es_stop.append(int(es.stopped_epoch) if es.stopped_epoch else epochs)
        es_test.append(err(net, xt, yt))
        es_last.append(acc["l2_test_err"][i, 0])
        es_prefix.append(bool(np.allclose(h2["val_loss"], plain_val_loss[: len(h2["val_loss"])])))
        # Gaussian noise injection at the input (std 0 is the unregularised run)
        for j, sd in enumerate(stds[1:], start=1):
            net = _mlp(extra_in=[GaussianNoise(float(sd), seed=s + 3)], seed=s, backend=backend)
            train(net, y, s)
            record("noise", net, i, y, j)
    out = {key: v.mean(0) for key, v in {**acc, **curves}.items()}
    # each regulariser's setting is chosen on the validation set, never on the test set
    l2_pick = 1 + int(np.argmin(out["l2_val_err"][1:]))
    noise_pick = 1 + int(np.argmin(out["noise_val_err"][1:]))
    out.update(
        epochs=epochs, n_seeds=k, budget=budget, backend=backend, n_train=n, n_val=len(yv),
        n_test=len(yt), label_noise=REG_LABEL_NOISE, n_flipped=int(np.mean(n_flipped)),
        width=REG_WIDTH, dropout_p=REG_DROPOUT, l2_lambda=lam, noise_std=stds,
        l2_pick=l2_pick, noise_pick=noise_pick,
        es_best_epoch=es_best[0], es_stopped_epoch=es_stop[0], es_patience=REG_PATIENCE,
        es_best_epochs=np.array(es_best), es_loss_prefix_equal=all(es_prefix),
        es_test_err_restored=float(np.mean(es_test)), es_test_err_last=float(np.mean(es_last)),
        # the unregularised net's final test error, and each regulariser's
        test_err_none=float(out["l2_test_err"][0]),
        test_err_l2=float(out["l2_test_err"][l2_pick]),
        test_err_dropout=float(out["drop_dropout_test"][-1]),
        test_err_early_stopping=float(np.mean(es_test)),
        test_err_noise=float(out["noise_test_err"][noise_pick]),
    )  # fmt: skip
    return out


def _error_recorder_cls():
    from ..nn.history import Callback

    class ErrorRecorder(Callback):
        """Training and test error (evaluation mode, i.e. without dropout masks or input noise)
        after each epoch."""

        def __init__(self, x, y, xt, yt):
            self.data, self.train_err, self.test_err = (x, y, xt, yt), [], []

        def on_epoch_end(self, model, optimizer, epoch, logs):
            x, y, xt, yt = self.data
            self.train_err.append(100 * (1 - model.evaluate(x, y)["accuracy"]))
            self.test_err.append(100 * (1 - model.evaluate(xt, yt)["accuracy"]))
            return False

    return ErrorRecorder


def _ErrorRecorder(x, y, xt, yt):
    return _error_recorder_cls()(x, y, xt, yt)


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
    a.plot(xs[pick], data["l2_test_err"][pick], "*", ms=17, color=cols["test"], mec="k", mew=0.6,
           zorder=5, label=tr(lang, "$\\lambda$ chosen on validation", "$\\lambda$ elegida en validación"))  # fmt: skip
    a.set_xticks(xs, [g(v) for v in lam])
    a.set_xlabel("$\\lambda$ " + tr(lang, "(cost + $\\frac{\\lambda}{2n}\\sum w^2$)",
                                    "(coste + $\\frac{\\lambda}{2n}\\sum w^2$)"))  # fmt: skip
    a.set_ylabel(tr(lang, "error (%)", "error (%)"))
    top = max(100.0, 1.05 * float(np.max(data["l2_train_err"])))
    a.set_ylim(-2, top)
    a2 = a.twinx()
    wn = data["l2_weight_norm"]
    a2.plot(xs, wn, "--s", color=cols["norm"], ms=5,
            label=tr(lang, "weights' norm $\\|W\\|$ (right axis)",
                     "norma de los pesos $\\|W\\|$ (eje derecho)"))  # fmt: skip
    a2.set_yscale("log")
    # plain numbers on the log axis: 1-2-5 steps, no minor labels
    a2.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    a2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: g(v)))
    a2.yaxis.set_minor_formatter(NullFormatter())
    a2.set_ylim(wn.min() / 1.6, wn.max() * 3.0)  # the legend sits above the curve
    a2.set_ylabel(tr(lang, "weights' norm (log scale)", "norma de los pesos (escala log)"),
                  color=cols["norm"])  # fmt: skip
    a2.tick_params(axis="y", colors=cols["norm"])
    h1, l1 = a.get_legend_handles_labels()
    h2, l2 = a2.get_legend_handles_labels()
    a.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper right", framealpha=0.95)
    a.set_title(tr(lang, "L2 weight decay", "Decaimiento de pesos L2") + "\n"
                + _verdict(lang, none, data["test_err_l2"]), fontsize=11)  # fmt: skip
    a.grid(alpha=0.3)
    # (b) dropout
    b = axes[0, 1]
    ep = np.arange(1, len(data["drop_plain_train"]) + 1)
    p = g(data["dropout_p"])
    for name, ls, lab_en, lab_es in (("plain", "-", "no dropout", "sin dropout"),
                                     ("dropout", "--", f"dropout p = {p}", f"dropout p = {p}")):  # fmt: skip
        b.plot(ep, data[f"drop_{name}_train"], ls, color=cols["train"],
               label=tr(lang, f"training, {lab_en}", f"entrenamiento, {lab_es}"))  # fmt: skip
        b.plot(ep, data[f"drop_{name}_test"], ls, color=cols["test"],
               label=tr(lang, f"test, {lab_en}", f"prueba, {lab_es}"))  # fmt: skip
    b.set_xlabel(tr(lang, "epoch", "época"))
    b.set_ylabel(tr(lang, "error (%)", "error (%)"))
    b.set_xlim(0, ep[-1] + 1)
    b.set_ylim(-2, 100)
    b.legend(fontsize=8, loc="upper right")
    b.grid(alpha=0.3)
    b.set_title(tr(lang, "Inverted dropout (errors in evaluation mode)",
                   "Dropout invertido (errores en modo evaluación)") + "\n"
                + _verdict(lang, none, data["test_err_dropout"]), fontsize=11)  # fmt: skip
    # (c) early stopping
    c = axes[1, 0]
    ep = np.arange(1, len(data["es_train_loss"]) + 1)
    c.plot(ep, data["es_train_loss"], color=cols["train"],
           label=tr(lang, "training loss", "pérdida de entrenamiento"))  # fmt: skip
    c.plot(ep, data["es_val_loss"], color=cols["val"],
           label=tr(lang, "validation loss", "pérdida de validación"))  # fmt: skip
    be_, st = data["es_best_epoch"], data["es_stopped_epoch"]
    c.axvline(be_, color="k", ls="--", lw=1)
    c.axvline(st, color="0.5", ls=":", lw=1.2)
    c.plot(be_, data["es_val_loss"][be_ - 1], "*", ms=15, color="k", zorder=5)
    c.text(be_, 0.97, tr(lang, f" best epoch {be_}:\n weights restored",
                         f" mejor época {be_}:\n pesos restaurados"),
           transform=c.get_xaxis_transform(), va="top", fontsize=8)  # fmt: skip
    c.text(st, 0.80, tr(lang, f" stopped at {st}\n (patience {data['es_patience']})",
                        f" parada en {st}\n (paciencia {data['es_patience']})"),
           transform=c.get_xaxis_transform(), va="top", fontsize=8, color="0.35")  # fmt: skip
    c.set_yscale("log")
    c.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    c.yaxis.set_major_formatter(FuncFormatter(lambda v, _: g(v)))
    c.yaxis.set_minor_formatter(NullFormatter())
    c.set_xlim(0, ep[-1] + 1)
    c.set_xlabel(tr(lang, "epoch", "época"))
    c.set_ylabel(tr(lang, "cross-entropy (log scale)", "entropía cruzada (escala log)"))
    c.legend(fontsize=8, loc="lower left")
    c.grid(which="major", alpha=0.3)
    c.set_title(tr(lang, "Early stopping on the validation loss",
                   "Parada temprana según la pérdida de validación") + "\n"
                + _verdict(lang, none, data["test_err_early_stopping"]), fontsize=11)  # fmt: skip
    # (d) noise injection
    d = axes[1, 1]
    xs = np.arange(len(data["noise_std"]))
    d.bar(xs - 0.2, data["noise_train_err"], 0.4, color=cols["train"], label=lab_train)
    d.bar(xs + 0.2, data["noise_test_err"], 0.4, color=cols["test"], label=lab_test)
    for i in xs:
        d.text(i + 0.2, data["noise_test_err"][i] + 1, _pct(data["noise_test_err"][i], lang),
               ha="center", fontsize=8, fontweight="bold" if i == data["noise_pick"] else None)  # fmt: skip
    d.set_xticks(xs, [g(v) for v in data["noise_std"]])
    d.set_xlabel(tr(lang, "std of the Gaussian noise added to the inputs (pixels in [0, 1])",
                    "desv. del ruido gaussiano sumado a las entradas (píxeles en [0, 1])"))  # fmt: skip
    d.set_ylabel(tr(lang, "error after training (%)", "error tras el entrenamiento (%)"))
    d.set_ylim(0, 100)
    d.legend(fontsize=8, loc="upper left")
    d.grid(axis="y", alpha=0.3)
    d.set_title(tr(lang, "Noise injection (data augmentation)",
                   "Inyección de ruido (aumento de datos)") + "\n"
                + _verdict(lang, none, data["test_err_noise"]), fontsize=11)  # fmt: skip
    pct = int(round(100 * data["label_noise"]))
    w = data["width"]
    seeds = (tr(lang, f", mean of {data['n_seeds']} seeds", f", media de {data['n_seeds']} semillas")
             if data["n_seeds"] > 1 else "")  # fmt: skip
    th = lambda v: f"{v:,}".replace(",", ".")  # noqa: E731
    fig.suptitle(tr(lang, f"Regularisation on an overfitting problem: {data['n_train']:,} MNIST "
                          f"training images with {pct} % wrong labels, 784-{w}-{w}-10 ReLU net, "
                          f"SGD, {data['epochs']} epochs{seeds}\n"
                          f"settings chosen on {data['n_val']:,} clean validation images; test "
                          f"error on {data['n_test']:,} test images",
                    f"Regularización en un problema con sobreajuste: {th(data['n_train'])} imágenes "
                    f"de MNIST con {pct} % de etiquetas erróneas, red ReLU 784-{w}-{w}-10, SGD, "
                    f"{data['epochs']} épocas{seeds}\najustes elegidos con {th(data['n_val'])} "
                    f"imágenes limpias de validación; error de prueba en {th(data['n_test'])} "
                    "imágenes de prueba")
                 + budget_note(data["budget"] == "reduced", lang), fontsize=12)  # fmt: skip
    return fig


# =========================================================================== bias-variance
def _noisy_labels(y, rate, rng, n_classes=10):
    """Replace a fraction ``rate`` of the labels by a different class drawn uniformly."""
    y = y.copy()
    flip = rng.random(y.shape[0]) < rate
    y[flip] = (y[flip] + rng.integers(1, n_classes, int(flip.sum()))) % n_classes
    return y, flip


def compute_bias_variance(seed=0, backend="cpu", budget="reduced"):
    """Model-wise double descent of a two-layer ReLU net on a small MNIST subset with 20 % label
    noise (reduced budget: 500 training images, 2 seeds; full: 1,000 images, 5 seeds; test on
    2,000 / 10,000 validation images).

    The net is ``Dense(784, h) -> ReLU -> Dense(h, 10)``. Its first layer keeps its random He
    initialisation (a *random-features* model); the readout is fitted to zero training error
    whenever it can be, by the minimum-norm least-squares solution on one-hot targets,

    .. math:: W_2 = \\Phi^+ Y, \\qquad \\Phi = \\mathrm{ReLU}(X W_1^\\top + b_1),

    which is where gradient descent on the squared loss converges from a zero start. With n
    training examples the readout can interpolate once h >= n: the test error peaks at the
    interpolation threshold h = n and falls again beyond it (the second descent), while the
    training error has reached zero.

    Returns
    -------
    dict
        ``widths`` (k,), and arrays of shape (n_seeds, k): ``train_err``, ``test_err`` (%),
        ``test_mse``, ``w_norm`` (Frobenius norm of the readout); ``n_train``, ``noise``.
    """
    from ..data import mnist_split
    from ..nn import Dense, ReLU, Sequential

    reduced = budget == "reduced"
    n_train, n_seeds, n_test, noise = (500, 2, 2000, 0.2) if reduced else (1000, 5, 10000, 0.2)
    fr = np.array([0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25,
                   1.5, 2.0, 3.0, 5.0, 10.0, 20.0])  # fmt: skip
    widths = np.unique(np.round(fr * n_train).astype(int))
    m = mnist_split()
    x_test, y_test = m.x_val[:n_test].astype(np.float64), m.y_val[:n_test]
    shape = (n_seeds, len(widths))
    res = {k: np.zeros(shape) for k in ("train_err", "test_err", "test_mse", "w_norm")}
    res["noisy_fit"] = np.zeros(shape)
    for si in range(n_seeds):
        rng = np.random.default_rng(seed + 1000 * si)
        idx = rng.choice(m.x_train.shape[0], n_train, replace=False)  # a random subset
        x, y_clean = m.x_train[idx].astype(np.float64), m.y_train[idx]
        y, flip = _noisy_labels(y_clean, noise, rng)
        targets = np.eye(10)[y]
        for wi, h in enumerate(widths):
            # the net in two stages: random features (frozen) and the fitted readout
            feats = Sequential([Dense(784, int(h), init="he_normal"), ReLU()], backend=backend,
                               seed=seed + 7919 * si + int(h), dtype=np.float64)  # fmt: skip
            head = Sequential([Dense(int(h), 10)], backend=backend, dtype=np.float64)
            phi = feats.predict(x)
            # least squares with the bias column: [phi, 1] [W^T; b^T] = Y, minimum norm
            a = np.hstack([phi, np.ones((n_train, 1))])
            sol = np.linalg.pinv(a, rcond=1e-10) @ targets
            head.layers[0].W.value = sol[:-1].T
            head.layers[0].b.value = sol[-1]
            pred_tr = head.predict(phi)
            pred_te = head.predict(feats.predict(x_test))
            res["train_err"][si, wi] = 100 * np.mean(pred_tr.argmax(1) != y)
            res["noisy_fit"][si, wi] = 100 * np.mean(pred_tr[flip].argmax(1) == y[flip])
            res["test_err"][si, wi] = 100 * np.mean(pred_te.argmax(1) != y_test)
            res["test_mse"][si, wi] = np.mean(np.sum((pred_te - np.eye(10)[y_test]) ** 2, 1))
            res["w_norm"][si, wi] = np.linalg.norm(sol[:-1])
    res.update(widths=widths, n_train=n_train, noise=noise, n_seeds=n_seeds, budget=budget)
    return res


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
    band(b, "test_mse", "#c44e52", tr(lang, "test squared error", "error cuadrático de prueba"),
         geo=True)  # fmt: skip
    b.set_yscale("log")
    b.set_title(tr(lang, "Double descent of the test loss", "Doble descenso de la pérdida de "
                   "prueba"), fontsize=11)  # fmt: skip
    b.set_ylabel(tr(lang, "mean squared error on one-hot targets (log scale)",
                    "error cuadrático medio, objetivos one-hot (escala log)"))  # fmt: skip
    c = axes[2]
    band(c, "w_norm", "#55a868", tr(lang, "norm of the readout $\\|W_2\\|_F$",
                                    "norma de la capa de salida $\\|W_2\\|_F$"), geo=True)  # fmt: skip
    c.set_yscale("log")
    c.set_ylabel(tr(lang, "norm of the readout $\\|W_2\\|_F$ (log scale)",
                    "norma de la capa de salida $\\|W_2\\|_F$ (escala log)"))  # fmt: skip
    c.set_title(tr(lang, "Norm of the fitted weights", "Norma de los pesos ajustados"),
                fontsize=11)  # fmt: skip
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
        ax.text(n * (1.06 if right else 1 / 1.06), 0.97,
                tr(lang, f"interpolation\nthreshold $h = n$ = {num(n)}",
                   f"umbral de\ninterpolación $h = n$ = {num(n)}"),
                transform=ax.get_xaxis_transform(), va="top", ha="left" if right else "right",
                fontsize=8.5)  # fmt: skip
        ax.set_xlabel(tr(lang, "hidden units $h$ (capacity, log scale)",
                         "unidades ocultas $h$ (capacidad, escala log)"))  # fmt: skip
        ax.grid(which="major", alpha=0.3)
        ax.grid(which="minor", alpha=0.1)
    # (b) and (c) hold one curve each, named by their axis labels: no legend
    a.legend(fontsize=8.5, loc="lower right", bbox_to_anchor=(1.0, 0.06))  # above train err's 0
    a.text(0.03, 0.9, tr(lang, "under-\nparameterised", "infra-\nparametrizado"),
           transform=a.transAxes, fontsize=8.5, color="0.35")  # fmt: skip
    a.text(0.97, 0.6, tr(lang, "over-\nparameterised", "sobre-\nparametrizado"),
           transform=a.transAxes, fontsize=8.5, color="0.35", ha="right")  # fmt: skip
    noise = int(round(100 * data["noise"]))
    k = data["n_seeds"]
    fig.suptitle(tr(lang, f"Bias-variance and double descent: $n$ = {num(n)} MNIST training "
                          f"images with {noise} % label noise ({k} seeds: line mean, band "
                          "min-max)\n784-$h$-10 ReLU net with a random first layer; the readout "
                          "is fitted to zero training error (minimum-norm least squares)",
                    f"Sesgo-varianza y doble descenso: $n$ = {num(n)} imágenes de MNIST con "
                    f"{noise} % de etiquetas ruidosas ({k} semillas: línea media, banda "
                    "mín-máx)\nred ReLU 784-$h$-10 con la primera capa aleatoria; la salida se "
                    "ajusta a error de entrenamiento cero (mínimos cuadrados de norma mínima)")
                 + budget_note(data["budget"] == "reduced", lang), fontsize=12.5)  # fmt: skip
    return fig
