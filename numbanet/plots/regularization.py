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


def _small_backend(backend):
    """The regularisation experiments train 40-128-128-10 nets on 1,000 examples: at this size
    the NumPy reference backend is the fastest (per-batch kernel overheads dominate the CPU
    backend's layer-by-layer path); an explicit CUDA backend is kept."""
    return "reference" if backend in ("cpu", "auto") else backend


def _mlp(extra_in=(), drop=0.0, seed=0, backend="reference", width=128):
    from ..nn import Dense, ReLU, Sequential
    from ..nn.dropout import Dropout

    layers = list(extra_in) + [Dense(40, width), ReLU()]
    if drop:
        layers.append(Dropout(drop, seed=seed + 1))
    layers += [Dense(width, width), ReLU()]
    if drop:
        layers.append(Dropout(drop, seed=seed + 2))
    layers.append(Dense(width, 10))
    return Sequential(layers, backend=backend, seed=seed, input_shape=(40,))


def compute_regularization(seed=0, backend="cpu", budget="reduced"):
    """Four regularisers on the same overfitting problem: 1,000 MNIST-1D training sequences,
    a 40-128-128-10 ReLU net with softmax cross-entropy, minibatch SGD (batch 100, lr 0.1),
    tested on the 1,000 test sequences.

    * L2: Nielsen's decay :math:`w \\leftarrow (1 - \\eta\\lambda/n) w - \\eta\\nabla C_0` for
      each lambda: the weights' norm :math:`\\sqrt{\\sum_l \\|W^{[l]}\\|_F^2}` and the errors;
    * inverted dropout (p = 0.5 after each hidden layer): training and test error per epoch
      with and without (the training error measured in evaluation mode);
    * early stopping: training and validation loss per epoch, and where
      ``EarlyStopping(patience)`` stops and which epoch's weights it restores;
    * noise injection: ``GaussianNoise(std)`` on the inputs during training.

    Reduced budget: 120 epochs (early stopping 170), one seed; full: 400 epochs, 3 seeds averaged.
    """
    from ..callbacks import EarlyStopping
    from ..data import load_mnist1d
    from ..nn.dropout import GaussianNoise
    from ..optim import SGD

    be = _small_backend(backend)
    reduced = budget == "reduced"
    epochs, seeds = (120, (seed,)) if reduced else (400, (seed, seed + 1, seed + 2))
    m = load_mnist1d()
    x, y = m.x_train[:1000], m.y_train[:1000]
    xt, yt = m.x_test, m.y_test
    n = x.shape[0]

    def train(net, lam=0.0, ep=epochs, callbacks=(), s=seed, val=True):
        opt = SGD(net.parameters(), lr=0.1, l2=lam, n_train=n)
        h = net.fit(x, y, loss="cross_entropy", optimizer=opt, epochs=ep, batch_size=100,
                    seed=s, validation=(xt, yt) if val else None, progress=False,
                    callbacks=list(callbacks))  # fmt: skip
        return h

    def errors(net):
        return (100 * (1 - net.evaluate(x, y)["accuracy"]),
                100 * (1 - net.evaluate(xt, yt)["accuracy"]))  # fmt: skip

    out = {"epochs": epochs, "n_seeds": len(seeds), "budget": budget, "backend": be}
    # L2
    lam = np.array(L2_LAMBDAS)
    wn, tr_e, te_e = (np.zeros((len(seeds), len(lam))) for _ in range(3))
    for i, s in enumerate(seeds):
        for j, lm in enumerate(lam):
            net = _mlp(seed=s, backend=be)
            train(net, lm, s=s, val=False)
            wn[i, j] = np.sqrt(sum(float((p.value**2).sum()) for p in net.parameters()
                                   if p.kind == "weight"))  # fmt: skip
            tr_e[i, j], te_e[i, j] = errors(net)
    out.update(l2_lambda=lam, l2_weight_norm=wn.mean(0), l2_train_err=tr_e.mean(0),
               l2_test_err=te_e.mean(0))  # fmt: skip
    # dropout: error curves (evaluation mode) with and without
    for name, drop in (("plain", 0.0), ("dropout", 0.5)):
        curves_tr, curves_te = [], []
        for s in seeds:
            net = _mlp(drop=drop, seed=s, backend=be)
            rec = _ErrorRecorder(x, y)
            h = train(net, callbacks=[rec], s=s)
            curves_tr.append(rec.train_err)
            curves_te.append(100 * (1 - np.array(h["val_accuracy"])))
        out[f"drop_{name}_train"] = np.mean(curves_tr, 0)
        out[f"drop_{name}_test"] = np.mean(curves_te, 0)
    # early stopping: the full curves, then the callback's decision on the same run
    ep_es = epochs + 50 if reduced else epochs
    net = _mlp(seed=seed, backend=be)
    h = train(net, ep=ep_es)
    out["es_train_loss"] = np.array(h["loss"])
    out["es_val_loss"] = np.array(h["val_loss"])
    net = _mlp(seed=seed, backend=be)
    es = EarlyStopping(monitor="val_loss", patience=20, restore_best_weights=True)
    h2 = train(net, ep=ep_es, callbacks=[es])
    out["es_best_epoch"] = int(es.best_epoch)
    out["es_stopped_epoch"] = int(es.stopped_epoch) if es.stopped_epoch else ep_es
    out["es_patience"] = es.patience
    out["es_test_err_restored"] = errors(net)[1]
    out["es_test_err_last"] = float(100 * (1 - h["val_accuracy"][-1]))
    out["es_loss_prefix_equal"] = bool(np.allclose(np.array(h2["val_loss"]),
                                                   out["es_val_loss"][: len(h2["val_loss"])]))  # fmt: skip
    # Gaussian noise injection at the input
    stds = np.array(NOISE_STDS)
    tr_e, te_e = np.zeros((len(seeds), len(stds))), np.zeros((len(seeds), len(stds)))
    for i, s in enumerate(seeds):
        for j, sd in enumerate(stds):
            extra = [GaussianNoise(float(sd), seed=s + 3)] if sd > 0 else []
            net = _mlp(extra_in=extra, seed=s, backend=be)
            train(net, s=s, val=False)
            tr_e[i, j], te_e[i, j] = errors(net)
    out.update(noise_std=stds, noise_train_err=tr_e.mean(0), noise_test_err=te_e.mean(0))
    return out


def _error_recorder_cls():
    from ..nn.history import Callback

    class ErrorRecorder(Callback):
        """Training error (evaluation mode, i.e. without dropout masks) after each epoch."""

        def __init__(self, x, y):
            self.x, self.y, self.train_err = x, y, []

        def on_epoch_end(self, model, optimizer, epoch, logs):
            self.train_err.append(100 * (1 - model.evaluate(self.x, self.y)["accuracy"]))
            return False

    return ErrorRecorder


def _ErrorRecorder(x, y):
    return _error_recorder_cls()(x, y)


def draw_regularization(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12.5, 8.6), constrained_layout=True)
    cols = {"train": "#4c72b0", "test": "#c44e52"}
    # (a) L2
    a = axes[0, 0]
    lam = data["l2_lambda"]
    xs = np.arange(len(lam))
    a.plot(xs, data["l2_train_err"], "-o", color=cols["train"],
           label=tr(lang, "training error", "error de entrenamiento"))  # fmt: skip
    a.plot(xs, data["l2_test_err"], "-o", color=cols["test"],
           label=tr(lang, "test error", "error de prueba"))  # fmt: skip
    best = int(np.argmin(data["l2_test_err"]))
    a.plot(xs[best], data["l2_test_err"][best], "*", ms=16, color=cols["test"])
    a.set_xticks(xs, [f"{v:g}" for v in lam])
    a.set_xlabel("$\\lambda$ " + tr(lang, "(cost + $\\frac{\\lambda}{2n}\\sum w^2$)",
                                    "(coste + $\\frac{\\lambda}{2n}\\sum w^2$)"))  # fmt: skip
    a.set_ylabel(tr(lang, "error (%)", "error (%)"))
    a.set_ylim(-2, 100)
    a2 = a.twinx()
    a2.plot(xs, data["l2_weight_norm"], "--s", color="#55a868", ms=4,
            label=tr(lang, "weights' norm $\\|W\\|$", "norma de los pesos $\\|W\\|$"))  # fmt: skip
    a2.set_yscale("log")
    a2.set_ylabel(tr(lang, "weights' norm (log)", "norma de los pesos (log)"), color="#55a868")
    h1, l1 = a.get_legend_handles_labels()
    h2, l2 = a2.get_legend_handles_labels()
    a.legend(h1 + h2, l1 + l2, fontsize=8, loc="center left")
    a.set_title(tr(lang, "L2 weight decay", "Decaimiento de pesos L2"), fontsize=11)
    a.grid(alpha=0.3)
    # (b) dropout
    b = axes[0, 1]
    ep = np.arange(1, len(data["drop_plain_train"]) + 1)
    for name, ls, lab_en, lab_es in (("plain", "-", "no dropout", "sin dropout"),
                                     ("dropout", "--", "dropout p = 0.5", "dropout p = 0,5")):  # fmt: skip
        b.plot(ep, data[f"drop_{name}_train"], ls, color=cols["train"],
               label=tr(lang, f"train, {lab_en}", f"entrenamiento, {lab_es}"))  # fmt: skip
        b.plot(ep, data[f"drop_{name}_test"], ls, color=cols["test"],
               label=tr(lang, f"test, {lab_en}", f"prueba, {lab_es}"))  # fmt: skip
    b.set_xlabel(tr(lang, "epoch", "época"))
    b.set_ylabel(tr(lang, "error (%)", "error (%)"))
    b.set_ylim(-2, 100)
    b.legend(fontsize=8)
    b.grid(alpha=0.3)
    b.set_title(tr(lang, "Inverted dropout (errors in evaluation mode)",
                   "Dropout invertido (errores en modo evaluación)"), fontsize=11)  # fmt: skip
    # (c) early stopping
    c = axes[1, 0]
    ep = np.arange(1, len(data["es_train_loss"]) + 1)
    c.plot(ep, data["es_train_loss"], color=cols["train"],
           label=tr(lang, "training loss", "pérdida de entrenamiento"))  # fmt: skip
    c.plot(ep, data["es_val_loss"], color=cols["test"],
           label=tr(lang, "validation loss", "pérdida de validación"))  # fmt: skip
    be_, st = data["es_best_epoch"], data["es_stopped_epoch"]
    c.axvline(be_, color="k", ls="--", lw=1)
    c.axvline(st, color="0.5", ls=":", lw=1.2)
    c.plot(be_, data["es_val_loss"][be_ - 1], "*", ms=15, color="k")
    c.text(be_, 0.55, tr(lang, f" best epoch {be_} (weights restored):\n test error "
                               f"{data['es_test_err_restored']:.1f} % (after all epochs: "
                               f"{data['es_test_err_last']:.1f} %)",
                         f" mejor época {be_} (pesos restaurados):\n error de prueba "
                         f"{data['es_test_err_restored']:.1f} % (tras todas las épocas: "
                         f"{data['es_test_err_last']:.1f} %)"),
           transform=c.get_xaxis_transform(), va="top", fontsize=8)  # fmt: skip
    c.text(st, 0.35, tr(lang, f" stopped at {st}\n (patience {data['es_patience']})",
                        f" parada en {st}\n (paciencia {data['es_patience']})"),
           transform=c.get_xaxis_transform(), va="top", fontsize=8, color="0.35")  # fmt: skip
    c.set_yscale("log")
    c.set_xlabel(tr(lang, "epoch", "época"))
    c.set_ylabel(tr(lang, "cross-entropy (log)", "entropía cruzada (log)"))
    c.legend(fontsize=8, loc="lower left")
    c.grid(which="both", alpha=0.3)
    c.set_title(tr(lang, "Early stopping on the validation loss",
                   "Parada temprana según la pérdida de validación"), fontsize=11)  # fmt: skip
    # (d) noise injection
    d = axes[1, 1]
    xs = np.arange(len(data["noise_std"]))
    d.bar(xs - 0.2, data["noise_train_err"], 0.4, color=cols["train"],
          label=tr(lang, "training error", "error de entrenamiento"))  # fmt: skip
    d.bar(xs + 0.2, data["noise_test_err"], 0.4, color=cols["test"],
          label=tr(lang, "test error", "error de prueba"))  # fmt: skip
    for i in xs:
        d.text(i + 0.2, data["noise_test_err"][i] + 1, f"{data['noise_test_err'][i]:.1f}",
               ha="center", fontsize=8)  # fmt: skip
    d.set_xticks(xs, [f"{v:g}" for v in data["noise_std"]])
    d.set_xlabel(tr(lang, "std of the Gaussian noise added to the inputs in training",
                    "desv. del ruido gaussiano sumado a las entradas al entrenar"))  # fmt: skip
    d.set_ylabel(tr(lang, "error (%)", "error (%)"))
    d.set_ylim(0, 100)
    d.legend(fontsize=8, loc="upper left")
    d.grid(axis="y", alpha=0.3)
    d.set_title(tr(lang, "Noise injection (data augmentation)",
                   "Inyección de ruido (aumento de datos)"), fontsize=11)  # fmt: skip
    fig.suptitle(tr(lang, "Regularisation on an overfitting problem: 1,000 MNIST-1D sequences, "
                          f"40-128-128-10 ReLU net, SGD, {data['epochs']} epochs",
                    "Regularización en un problema con sobreajuste: 1.000 secuencias de "
                    f"MNIST-1D, red ReLU 40-128-128-10, SGD, {data['epochs']} épocas")
                 + budget_note(data["budget"] == "reduced", lang))  # fmt: skip
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

    w, n = data["widths"], data["n_train"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)

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
    b.set_ylabel(tr(lang, "mean squared error on one-hot targets",
                    "error cuadrático medio (objetivos one-hot)"))  # fmt: skip
    c = axes[2]
    band(c, "w_norm", "#55a868", tr(lang, "$\\|W_2\\|_F$ of the readout", "$\\|W_2\\|_F$ de la "
         "salida"), geo=True)  # fmt: skip
    c.set_yscale("log")
    c.set_title(tr(lang, "Norm of the fitted weights", "Norma de los pesos ajustados"),
                fontsize=11)  # fmt: skip
    for ax in axes:
        ax.set_xscale("log")
        ax.axvline(n, color="k", ls="--", lw=1)
        ax.text(n * 1.06, 0.97, tr(lang, f"interpolation\nthreshold h = n = {n}",
                                   f"umbral de\ninterpolación h = n = {n}"),
                transform=ax.get_xaxis_transform(), va="top", fontsize=8)  # fmt: skip
        ax.set_xlabel(tr(lang, "hidden units h (capacity)", "unidades ocultas h (capacidad)"))
        ax.grid(which="both", alpha=0.25)
        ax.legend(fontsize=8, loc="lower left")
    a.text(0.03, 0.9, tr(lang, "under-\nparameterised", "infra-\nparametrizado"),
           transform=a.transAxes, fontsize=8, color="0.35")  # fmt: skip
    a.text(0.97, 0.6, tr(lang, "over-\nparameterised", "sobre-\nparametrizado"),
           transform=a.transAxes, fontsize=8, color="0.35", ha="right")  # fmt: skip
    noise = int(round(100 * data["noise"]))
    fig.suptitle(tr(lang, f"Bias-variance and double descent: n = {n} MNIST training images "
                          f"with {noise} % label noise; 784-h-10 ReLU net, random first layer, "
                          f"readout fitted to zero training error (min-norm); "
                          f"{data['n_seeds']} seeds",
                    f"Sesgo-varianza y doble descenso: n = {n} imágenes de MNIST con "
                    f"{noise} % de etiquetas ruidosas; red ReLU 784-h-10, primera capa aleatoria, "
                    f"salida ajustada a error de entrenamiento cero (norma mínima); "
                    f"{data['n_seeds']} semillas") + budget_note(data["budget"] == "reduced", lang), fontsize=10)  # fmt: skip
    return fig
