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
