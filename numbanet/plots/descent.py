"""Figures of gradient descent and its noise (MLP deck 001, NN deck 003).

The experiments are ``numbanet.experiments.backprop`` (gradient descent on a linear neuron) and
``numbanet.experiments.training`` (convexity, momentum, the optimisers); the noise ball is
:mod:`numbanet.theory.noise_ball`; the schedules are :mod:`numbanet.schedules`. Problems are
chosen so the picture is readable: a 2-parameter linear neuron (w, b) whose loss surface is a
convex bowl, and an ill-conditioned quadratic built as a least-squares problem.

Size: over 600 lines on purpose: the figures of gradient descent and its noise share their
quadratic problems and drawing helpers.
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, decimal_comma, set_title, tr


def _loss_grid(x, y, wr, br, n=60):
    """Loss of the linear neuron over a (w, b) grid, evaluated by the engine (for contours)."""
    from ..experiments.backprop import neuron

    net = neuron()
    W = np.linspace(*wr, n)
    B = np.linspace(*br, n)
    Z = np.empty((n, n))
    for i, b in enumerate(B):
        for j, w in enumerate(W):
            net.set_flat([w, b])
            Z[i, j] = net.evaluate(x, y, loss="mse")["loss"]
    return W, B, Z


# ============================================================================ lr-sensitivity
def compute_lr_sensitivity(seed=0, backend="cpu", budget="reduced"):
    """``experiments.backprop.lr_sensitivity``: full-batch GD on the linear neuron for learning
    rates 0.05, 1, 1.95 and 2.1 times 1 / lambda_max (60 steps; the budget changes nothing)."""
    from ..experiments.backprop import lr_sensitivity

    by_budget(budget, tiny=None, reduced=None, full=None)
    return lr_sensitivity(seed=seed, backend=backend)


def _lr_names(lang):
    return {
        0.05: tr(lang, "too small: creeps", "demasiado pequeña: avanza despacio"),
        1.0: tr(lang, "good", "buena"),
        1.95: tr(lang, "too large: oscillates", "demasiado grande: oscila"),
        2.1: tr(lang, "divergent", "divergente"),
    }


def draw_lr_sensitivity(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.8))
    names = _lr_names(lang)
    styles = {
        0.05: ("C0", "-", "o"),
        1.0: ("C2", "-", "s"),
        1.95: ("C1", "-", "^"),
        2.1: ("C3", "--", "v"),
    }
    lmax = r"\lambda_{\max}"
    z0 = abs(data["along"][data["factors"][0]][0])
    zlim = 2.5 * z0
    for f in data["factors"]:
        c, ls, m = styles.get(f, ("k", "-", "."))
        label = rf"$\alpha = {f:g}/{lmax}$ ($1 - \alpha{lmax} = {1 - f:+.2f}$): {names.get(f, '')}"
        excess = data["curves"][f] - data["loss_min"]
        a1.semilogy(
            np.arange(len(excess)), excess, color=c, ls=ls, marker=m, ms=3, markevery=3, label=label
        )
        z = data["along"][f]
        out = np.flatnonzero(np.abs(z) > zlim)
        n = out[0] + 1 if len(out) else len(z)  # a divergent run: drawn until it leaves the frame
        a2.plot(
            np.arange(n), z[:n], color=c, ls=ls, marker=m, ms=3, lw=1.2, markevery=1 if f > 1 else 3
        )
        if len(out):
            t = out[0]
            a2.annotate(
                tr(
                    lang,
                    f"leaves the frame at t = {t},\n|error| ×{abs(1 - f):.2f} per step",
                    f"sale del marco en t = {t},\n|error| ×{abs(1 - f):.2f} por paso",
                ),
                xy=(t - 0.5, np.sign(z[t]) * zlim * 0.97),
                xytext=(t + 3, np.sign(z[t]) * zlim * 0.75),
                color=c,
                fontsize=8.5,
                va="center",
                arrowprops=dict(arrowstyle="->", color=c),
            )
    a1.set_xlabel(
        tr(
            lang,
            "iteration t (full-batch gradient step)",
            "iteración t (paso de gradiente con todo el lote)",
        )
    )
    a1.set_ylabel(
        tr(
            lang,
            r"excess loss $L(\theta_t) - L(\theta^*)$ (log)",
            r"exceso de pérdida $L(\theta_t) - L(\theta^*)$ (log)",
        )
    )
    a1.set_title(
        tr(
            lang,
            f"The loss: every $\\alpha < 2/{lmax}$ lowers it at every step",
            f"La pérdida: todo $\\alpha < 2/{lmax}$ la reduce en cada paso",
        )
    )
    a2.axhline(0, color="0.4", lw=0.8, zorder=0)
    a2.set_ylim(-zlim, zlim)
    a2.set_xlim(-1, 40)
    a2.set_xlabel(tr(lang, "iteration t", "iteración t"))
    a2.set_ylabel(r"$(\theta_t - \theta^*) \cdot u_{\max}$")
    a2.set_title(
        tr(
            lang,
            "The weights along the steepest direction $u_{\\max}$",
            "Los pesos en la dirección más empinada $u_{\\max}$",
        )
    )
    lam_txt = f"${lmax} = {data['lam_max']:.2f}$, $\\lambda_{{\\min}} = {data['lam_min']:.2f}$"
    set_title(
        fig,
        tr(
            lang,
            f"Learning-rate sensitivity: full-batch GD on a convex quadratic ({lam_txt})",
            f"Sensibilidad a la tasa de aprendizaje: GD con todo el lote en una cuadrática convexa ({lam_txt})",
        ),
    )
    h, labels = a1.get_legend_handles_labels()
    fig.legend(h, labels, loc="outside lower center", ncol=2, fontsize=9)
    return fig


# ============================================================================ gd-vs-sgd
def compute_gd_vs_sgd(seed=0, backend="cpu", budget="reduced"):
    """``experiments.backprop.gd_vs_sgd`` (the same learning rate and number of steps for
    every run) and the loss surface for the contours."""
    from ..experiments.backprop import gd_vs_sgd

    n = by_budget(budget, tiny=12, reduced=50, full=50)
    res = gd_vs_sgd(seed=seed, backend=backend)
    # contours over a box that holds every path (SGD's first steps can leave the usual one)
    every = np.vstack(list(res["runs"].values()))
    lo = np.minimum(every.min(axis=0) - 0.2, [-2.0, -2.5])
    hi = np.maximum(every.max(axis=0) + 0.2, [3.5, 3.0])
    W, B, Z = _loss_grid(res["x"], res["y"], (lo[0], hi[0]), (lo[1], hi[1]), n=n)
    return {
        "runs": res["runs"],
        "W": W,
        "B": B,
        "Z": Z,
        "optimum": res["optimum"],
        "lr": res["lr"],
        "steps": res["steps"],
    }


def _gd_name(name, lang):
    return tr(lang, name, name.replace("minibatch", "minilote"))


def draw_gd_vs_sgd(data, lang="en"):
    """One panel per method (the same contours, start and minimum), so no path hides another,
    and the distance to w* against the step, where SGD's noise near w* shows as a floor."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 9), constrained_layout=True)
    Z = data["Z"]
    levels = np.geomspace(Z.min() + 1e-3, Z.max(), 14)
    runs = list(data["runs"].items())
    start = runs[0][1][0]
    w_star = np.asarray(data["optimum"])
    for ax, (name, pts), col in zip(axes.flat[:3], runs, ("C0", "C1", "C2")):
        cs = ax.contour(
            data["W"], data["B"], Z, levels=levels, colors="0.6", linewidths=0.8, zorder=1
        )
        ax.clabel(
            cs,
            fontsize=7.5,
            fmt=lambda v: decimal_comma(f"{v:.2g}") if lang == "es" else f"{v:.2g}",
            colors="0.3",
            inline=True,
        )
        ax.plot(pts[:, 0], pts[:, 1], "-o", color=col, ms=2.5, lw=1.1, zorder=3)
        ax.plot(*start, "kD", ms=7, mfc="white", mew=1.5, zorder=4)
        ax.plot(*w_star, "k*", ms=14, zorder=4)
        ax.set_xlabel(tr(lang, "weight w", "peso w"))
        ax.set_ylabel(tr(lang, "bias b", "sesgo b"))
        ax.set_title(_gd_name(name, lang))
    # the same window in every path panel (the contours' grid, which holds every path), so the
    # panels compare at a glance
    for ax in axes.flat[:3]:
        ax.set_xlim(data["W"].min(), data["W"].max())
        ax.set_ylim(data["B"].min(), data["B"].max())
    axes[0, 0].annotate(
        tr(lang, "start", "inicio"), start, xytext=(6, 6), textcoords="offset points", fontsize=9
    )
    axes[0, 0].annotate("w*", w_star, xytext=(8, -12), textcoords="offset points", fontsize=10)
    ax = axes[1, 1]
    for (name, pts), col in zip(runs, ("C0", "C1", "C2")):
        dist = np.linalg.norm(pts - w_star, axis=1)
        ax.semilogy(np.arange(len(dist)), dist, color=col, lw=1.4, label=_gd_name(name, lang))
    ax.set_xlabel(tr(lang, "step t", "paso t"))
    ax.set_ylabel(tr(lang, "distance to w* (log)", "distancia a w* (log)"))
    ax.set_title(
        tr(
            lang,
            "Distance to w*: SGD stalls at its noise",
            "Distancia a w*: SGD se estanca en su ruido",
        )
    )
    ax.legend(fontsize=9)
    set_title(
        fig,
        tr(
            lang,
            f"GD, SGD and minibatch SGD on a convex loss: {data['steps']} steps each, α = "
            f"{data['lr']:g}",
            f"GD, SGD y SGD por minilotes en una pérdida convexa: {data['steps']} pasos cada uno, "
            f"α = {data['lr']:g}",
        ),
        details=[tr(lang, "contours: training MSE", "curvas de nivel: MSE de entrenamiento")],
    )
    return fig


# ============================================================================ convex-vs-nonconvex
def compute_convex_vs_nonconvex(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.convex_vs_nonconvex`` (the MLP trained 150 epochs; reference
    backend)."""
    from ..experiments.training import convex_vs_nonconvex

    return convex_vs_nonconvex(seed=seed, epochs=by_budget(budget, tiny=5, reduced=150, full=150))


def draw_convex_vs_nonconvex(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.9))
    a1.plot(data["t"], data["convex"])
    a1.set_xlabel(
        tr(lang, "t along the direction (1, 0.5)", "t a lo largo de la dirección (1, 0.5)")
    )
    a1.set_ylabel(tr(lang, "cross-entropy", "entropía cruzada"))
    a1.set_title(tr(lang, "One logistic neuron: convex", "Una neurona logística: convexa"))
    a2.plot(data["s"], data["nonconvex"], color="C3")
    a2.axvline(0, color="k", lw=0.6, ls=":")
    a2.axvline(1, color="k", lw=0.6, ls=":")
    a2.set_xlabel(
        tr(
            lang,
            "s: (1 - s) θ_A + s θ_B (θ_B = θ_A with hidden units permuted)",
            "s: (1 - s) θ_A + s θ_B (θ_B = θ_A con unidades ocultas permutadas)",
        )
    )
    a2.set_ylabel(tr(lang, "cross-entropy", "entropía cruzada"))
    a2.set_title(
        tr(
            lang,
            "2-8-8-2 MLP: two equal minima, a barrier between",
            "MLP 2-8-8-2: dos mínimos iguales y una barrera entre ellos",
        )
    )
    return fig


# ============================================================================ noise-ball
def compute_noise_ball(seed=0, backend="cpu", budget="reduced"):
    """Monte-Carlo SGD on the slides' strongly convex problem (:mod:`numbanet.theory.noise_ball`)
    for three step sizes, beside the exact stationary value and the slide's bound."""
    from ..theory import noise_ball as NB

    prob = NB.slide_problem()
    alphas = (0.02, 0.05, 0.1)
    steps, n_runs = by_budget(budget, tiny=(60, 40), reduced=(600, 500), full=(3000, 5000))
    w0 = np.asarray(prob.w_star) + 2.0
    out = {
        "alphas": alphas,
        "steps": steps,
        "n_runs": n_runs,
        "curves": {},
        "exact": {},
        "bound": {},
        "mu2": {},
    }
    for a in alphas:
        sim = NB.simulate(prob, a, 1, steps, n_runs=n_runs, seed=seed, w0=w0, record_every=2)
        st = NB.stationary(prob, a, 1)
        out["curves"][a] = (sim.t, sim.mean, sim.sem)
        out["exact"][a] = st.value
        out["bound"][a] = st.bound
        # the slide's constants: c and sigma^2 are the problem's; mu^2 = E||grad L(W)||^2 at
        # stationarity is not 0 (W keeps moving around w*), and the bound uses it
        out["mu2"][a] = st.mu2
        out["c"], out["sigma2"] = st.c, st.sigma2
    out["reduced"] = budget != "full"
    return out


def draw_noise_ball(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    for i, a in enumerate(data["alphas"]):
        t, m, se = data["curves"][a]
        ax.semilogy(
            t,
            m,
            color=f"C{i}",
            label=f"α = {a}: "
            + tr(lang, "Monte Carlo mean", "media Monte Carlo")
            + f" (μ² = {data['mu2'][a]:.3f})",
        )
        ax.axhline(data["exact"][a], color=f"C{i}", ls="--", lw=1)
        ax.axhline(data["bound"][a], color=f"C{i}", ls=":", lw=1.5)
    ax.plot(
        [], [], "k--", lw=1, label=tr(lang, "exact stationary value", "valor estacionario exacto")
    )
    ax.plot(
        [], [], "k:", lw=1.5, label=tr(lang, "bound α(σ²/B + μ²)/(2c)", "cota α(σ²/B + μ²)/(2c)")
    )
    ax.text(
        0.98,
        0.97,
        tr(
            lang,
            f"c = {data['c']:g}, σ² = {data['sigma2']:g}; μ² = E‖∇L(W)‖² at stationarity",
            f"c = {data['c']:g}, σ² = {data['sigma2']:g}; μ² = E‖∇L(W)‖² en el estado estacionario",
        ),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=9,
    )
    ax.set_xlabel(tr(lang, "step t", "paso t"))
    ax.set_ylabel("E ||W_t − w*||²")
    ax.set_title(
        tr(
            lang,
            f"SGD noise ball (B = 1, {data['n_runs']} runs)",
            f"Bola de ruido de SGD (B = 1, {data['n_runs']} ejecuciones)",
        )
    )
    ax.legend(fontsize=8, ncol=1)
    return fig


# ============================================================================ minibatch-noise
def compute_minibatch_noise(seed=0, backend="cpu", budget="reduced"):
    """The stationary E||W - w*||^2 against the batch size B: exact, Monte Carlo and the bound."""
    from ..theory import noise_ball as NB

    prob = NB.slide_problem()
    alpha = 0.05
    Bs = np.array([1, 2, 4, 8, 16, 32, 64])
    exact = [NB.stationary(prob, alpha, int(B)) for B in Bs]
    n_runs, steps, burn_in = by_budget(
        budget, tiny=(40, 80, 20), reduced=(400, 800, 200), full=(4000, 800, 200)
    )
    mc = []
    for B in Bs:
        sim = NB.simulate(
            prob,
            alpha,
            int(B),
            steps,
            n_runs=n_runs,
            seed=seed,
            w0=prob.w_star,
            record_every=5,
            burn_in=burn_in,
        )
        mc.append(sim.stationary())
    return {
        "alpha": alpha,
        "B": Bs,
        "exact": np.array([s.value for s in exact]),
        "bound": np.array([s.bound for s in exact]),
        "mc": np.array(mc),
        "reduced": budget != "full",
    }


def draw_minibatch_noise(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    B = data["B"]
    ax.loglog(
        B,
        data["bound"],
        "k:",
        lw=1.8,
        label=tr(lang, "bound α(σ²/B + μ²)/(2c)", "cota α(σ²/B + μ²)/(2c)"),
    )
    ax.loglog(
        B,
        data["exact"],
        "C0-",
        label=tr(lang, "exact stationary value", "valor estacionario exacto"),
    )
    ax.errorbar(
        B,
        data["mc"][:, 0],
        yerr=2 * data["mc"][:, 1],
        fmt="o",
        color="C1",
        ms=4,
        label=tr(lang, "Monte Carlo (±2 s.e.)", "Monte Carlo (±2 e.e.)"),
    )
    ax.set_xlabel(tr(lang, "batch size B", "tamaño del lote B"))
    ax.set_ylabel("E ||W − w*||² " + tr(lang, "(stationary)", "(estacionario)"))
    ax.set_title(
        tr(
            lang,
            f"The noise ball shrinks like 1/B (α = {data['alpha']})",
            f"La bola de ruido decrece como 1/B (α = {data['alpha']})",
        )
    )
    ax.legend()
    return fig


# ============================================================================ momentum-bias-correction
def compute_momentum_bias_correction(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.momentum_constant_gradient``: 40 steps, alpha 0.1, beta1 0.9."""
    from ..experiments.training import momentum_constant_gradient

    return momentum_constant_gradient(steps=by_budget(budget, tiny=10, reduced=40, full=40))


def draw_momentum_bias_correction(data, lang="en"):
    import matplotlib.pyplot as plt

    t = data["t"]
    m = data["plain"]["m"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.9))
    a1.plot(t, m, "o-", ms=3, label="m_t")
    a1.plot(t, m / (1 - 0.9**t), "s-", ms=3, label="m_t / (1 − β₁ᵗ)")
    a1.axhline(1.0, color="k", ls=":", lw=1, label=tr(lang, "gradient g = 1", "gradiente g = 1"))
    a1.set_xlabel(tr(lang, "step t", "paso t"))
    a1.set_ylabel(tr(lang, "first moment", "primer momento"))
    a1.set_title(
        tr(
            lang,
            "EWMA momentum (β₁ = 0.9), constant gradient",
            "Momento EWMA (β₁ = 0.9), gradiente constante",
        )
    )
    a1.legend()
    a2.plot(
        t,
        data["plain"]["eff_lr"],
        label=tr(lang, "without correction: α(1 − β₁)", "sin corrección: α(1 − β₁)"),
    )
    a2.plot(t, data["corrected"]["eff_lr"], label="α(1 − β₁)/(1 − β₁ᵗ)")
    a2.set_xlabel(tr(lang, "step t", "paso t"))
    a2.set_ylabel(tr(lang, "factor on the newest gradient", "factor del gradiente más reciente"))
    a2.set_title(
        tr(lang, "Effective learning rate (α = 0.1)", "Tasa de aprendizaje efectiva (α = 0.1)")
    )
    a2.legend()
    return fig


# ============================================================================ optimizers
def compute_optimizers(seed=0, backend="cpu", budget="reduced"):
    """The optimisers' paths on the ill-conditioned quadratic and their training curves on
    MNIST-1D (``experiments.training.quadratic_paths`` and ``optimizer_curves``; 20 epochs
    reduced, 60 full)."""
    from ..experiments.training import optimizer_curves, quadratic_paths

    paths, lr_path, w_star = quadratic_paths()
    g1, g2 = np.meshgrid(np.linspace(-5, 3, 80), np.linspace(-1, 3, 60))
    Z = 0.5 * ((g1 - 1) ** 2 + 20 * (g2 - 1) ** 2)  # the loss written out, for contours only
    epochs, n_train = by_budget(budget, tiny=(2, 256), reduced=(20, None), full=(60, None))
    task = optimizer_curves(epochs=epochs, seed=seed, backend=backend, n_train=n_train)
    return {
        "paths": paths,
        "grid": (g1, g2, Z),
        "w_star": w_star,
        "curves": task["curves"],
        "lr_path": lr_path,
        "lr_curve": task["lr_curve"],
        "epochs": epochs,
        "reduced": budget != "full",
    }


#: one look per optimiser, the same in every panel: (colour, linestyle, marker)
OPT_STYLE = {
    "SGD": ("C0", "-", "o"),
    "Momentum": ("C1", "--", "s"),
    "Nesterov": ("C2", ":", "^"),
    "Adagrad": ("C3", "-", "D"),
    "RMSProp": ("C4", "--", "v"),
    "RMSProp (bias-corrected)": ("C5", ":", "P"),
    "Adam": ("C6", "-.", "X"),
}


OPT_GROUPS = (
    ("SGD", "Momentum", "Nesterov"),
    ("Adagrad", "RMSProp", "RMSProp (bias-corrected)", "Adam"),
)


def _opt_name(name, lang):
    return name.replace("bias-corrected", tr(lang, "bias-corrected", "con corrección de sesgo"))


def _coinciding(curves, names, rtol=0.05):
    """The names whose training-loss curves all lie within rtol of the first one's."""
    ref = curves[names[0]][0]
    return all(np.max(np.abs(curves[n][0] / ref - 1)) < rtol for n in names[1:])


def draw_optimizers(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter

    fig = plt.figure(figsize=(16, 9.8))
    mosaic = fig.subplot_mosaic([["A", "A", "B", "B", "C", "C"], ["D", "D", "D", "E", "E", "E"]])
    g1, g2, Z = data["grid"]
    w_star = data["w_star"]
    titles = (
        tr(lang, "SGD and momentum", "SGD y momento"),
        tr(lang, "adaptive learning rates", "tasas adaptativas"),
    )
    for ax, group, title in zip((mosaic["A"], mosaic["B"]), OPT_GROUPS, titles):
        ax.contour(g1, g2, Z, levels=np.geomspace(0.05, Z.max(), 12), colors="0.7", linewidths=0.7)
        for name in group:
            pts = data["paths"][name]
            c, ls, m = OPT_STYLE[name]
            ax.plot(
                pts[:, 0],
                pts[:, 1],
                color=c,
                ls=ls,
                marker=m,
                ms=3.5,
                lw=1.4,
                markevery=2,
                label=f"{_opt_name(name, lang)}, α = {data['lr_path'][name]:g}",
            )
            ax.plot(*pts[-1], color=c, marker=m, ms=10, mec="k", mew=0.8, ls="none", zorder=6)
        start = next(iter(data["paths"].values()))[0]
        ax.plot(*start, "kD", ms=7, mfc="white", mew=1.5, zorder=5)
        ax.annotate(
            tr(lang, "start", "inicio"),
            start,
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=9,
        )
        ax.plot(*w_star, "k*", ms=13, zorder=5)
        ax.set_xlabel("w₁")
        ax.set_ylabel("w₂")
        ax.set_title(
            tr(
                lang,
                f"κ = 20 quadratic, 60 steps: {title}",
                f"Cuadrática κ = 20, 60 pasos: {title}",
            )
        )
        ax.legend(
            fontsize=8.5,
            loc="lower right",
            framealpha=0.95,
            title=tr(lang, "large marker: step 60", "marcador grande: paso 60"),
            title_fontsize=8.5,
        )
    ax = mosaic["C"]
    for name, pts in data["paths"].items():
        c, ls, m = OPT_STYLE[name]
        dist = np.linalg.norm(pts - w_star, axis=1)
        ax.semilogy(
            np.arange(len(dist)),
            dist,
            color=c,
            ls=ls,
            marker=m,
            ms=3.5,
            lw=1.4,
            markevery=5,
            label=f"{_opt_name(name, lang)}: {dist[-1]:.2g}",
        )
    ax.set_xlabel(tr(lang, "step t", "paso t"))
    ax.set_ylabel(r"$\|w_t - w^*\|$ (log)")
    ax.set_title(tr(lang, "Distance to the minimum", "Distancia al mínimo"))
    ax.legend(
        fontsize=8,
        loc="lower left",
        framealpha=0.95,
        title=tr(lang, "distance at step 60", "distancia en el paso 60"),
        title_fontsize=8,
    )
    a_loss, a_acc = mosaic["D"], mosaic["E"]
    for name, (loss, acc) in data["curves"].items():
        c, ls, m = OPT_STYLE[name]
        e = np.arange(1, len(loss) + 1)
        kw = dict(
            color=c, ls=ls, marker=m, ms=4, lw=1.6, markevery=(list(OPT_STYLE).index(name) % 3, 3)
        )
        a_loss.semilogy(e, loss, **kw)
        a_acc.plot(
            e,
            100 * acc,
            **kw,
            label=f"{_opt_name(name, lang)}, α = {data['lr_curve'][name]:g}: "
            + tr(
                lang,
                f"loss {loss[-1]:.3f}, accuracy {100 * acc[-1]:.1f} %",
                f"pérdida {loss[-1]:.3f}, exactitud {100 * acc[-1]:.1f} %",
            ),
        )
    a_loss.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    a_loss.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    a_loss.yaxis.set_minor_formatter(NullFormatter())
    notes = []
    for group, what in (
        (
            ("SGD", "Momentum", "Nesterov"),
            tr(
                lang,
                "SGD, Momentum, Nesterov: same α, and the EWMA momentum\n"
                "m = β₁m + (1 − β₁)g keeps the mean step α·g: curves coincide",
                "SGD, Momento, Nesterov: igual α, y el momento EWMA\n"
                "m = β₁m + (1 − β₁)g conserva el paso medio α·g: coinciden",
            ),
        ),
        (
            ("RMSProp", "RMSProp (bias-corrected)"),
            tr(
                lang,
                "RMSProp ± bias correction: the correction only\n"
                "matters for the first few of the many steps",
                "RMSProp ± corrección de sesgo: la corrección solo\n"
                "importa en los primeros de los muchos pasos",
            ),
        ),
    ):
        if all(n in data["curves"] for n in group) and _coinciding(data["curves"], group):
            notes.append(what)
    lrs = data["lr_curve"]
    if "Momentum" in lrs and "SGD" in lrs and lrs["Momentum"] != lrs["SGD"]:
        # the EWMA momentum's rate is SGD's over (1 - beta1): say why the alphas differ
        a_sgd, a_mom = lrs["SGD"], lrs["Momentum"]
        notes.append(
            tr(
                lang,
                f"Momentum, Nesterov: α = {a_mom:g} = {a_sgd:g}/(1 − β₁), the EWMA form\n"
                f"of classical momentum at SGD's rate {a_sgd:g}",
                f"Momento, Nesterov: α = {a_mom:g} = {a_sgd:g}/(1 − β₁), la forma EWMA\n"
                f"del momento clásico con la tasa de SGD, {a_sgd:g}",
            )
        )
    if notes:
        a_loss.text(
            0.02,
            0.03,
            "\n".join(notes),
            transform=a_loss.transAxes,
            fontsize=8.5,
            va="bottom",
            bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.95),
        )
    a_loss.set_xlabel(tr(lang, "epoch", "época"))
    a_loss.set_ylabel(tr(lang, "training loss (log)", "pérdida de entrenamiento (log)"))
    a_loss.set_title(
        tr(
            lang,
            "MNIST-1D, 40-128-128-10 ReLU: training loss",
            "MNIST-1D, 40-128-128-10 ReLU: pérdida de entrenamiento",
        )
    )
    a_acc.set_xlabel(tr(lang, "epoch", "época"))
    a_acc.set_ylabel(tr(lang, "test accuracy (%)", "exactitud de prueba (%)"))
    a_acc.set_title(
        tr(
            lang,
            f"MNIST-1D test accuracy (after {data['epochs']} epochs in the legend)",
            f"Exactitud de prueba en MNIST-1D (tras {data['epochs']} épocas en la leyenda)",
        )
    )
    a_acc.legend(fontsize=8, loc="lower right", framealpha=0.95)
    for ax in (a_loss, a_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    set_title(
        fig,
        tr(
            lang,
            "Optimisers on an elongated quadratic and on MNIST-1D",
            "Optimizadores en una cuadrática alargada y en MNIST-1D",
        ),
    )
    return fig


# ============================================================================ lr-decay
def compute_lr_decay(seed=0, backend="cpu", budget="reduced"):
    """The slides' four schedules (and step decay) over 50 epochs, from :mod:`numbanet.schedules`."""
    from .. import schedules as S

    e = np.arange(1, 51)
    sched = {
        "α₀ (1 + δ)/(1 + δ e), δ = 0.1": S.inverse_time(0.1, 0.1),
        "α₀ γ^(e−1), γ = 0.95": S.exponential(0.1, 0.95),
        "α₀ / √e": S.inverse_sqrt(0.1),
        tr("en", "piecewise constant", ""): S.piecewise([15, 30], [0.1, 0.05, 0.01]),
        tr("en", "step decay (×0.5 every 10)", ""): S.step_decay(0.1, 0.5, 10),
    }
    return {"e": e, "rates": {k: np.asarray(s(e), dtype=float) for k, s in sched.items()}}


def draw_lr_decay(data, lang="en"):
    import matplotlib.pyplot as plt

    es = {
        "piecewise constant": "constante a trozos",
        "step decay (×0.5 every 10)": "decaimiento escalonado (×0.5 cada 10)",
    }
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, r in data["rates"].items():
        r = np.asarray(r)
        # a schedule that holds its rate for several epochs is drawn as steps (the rate jumps at
        # the epoch boundary), not as slanted segments between epochs
        steps = len(np.unique(r)) < len(r) / 2
        ax.plot(
            data["e"],
            r,
            marker=".",
            ms=3,
            drawstyle="steps-post" if steps else "default",
            label=es.get(name, name) if lang == "es" else name,
        )
    ax.set_xlabel(tr(lang, "epoch e", "época e"))
    ax.set_ylabel(tr(lang, "learning rate α (α₀ = 0.1)", "tasa de aprendizaje α (α₀ = 0,1)"))
    ax.set_title(tr(lang, "Learning-rate schedules", "Programas de tasa de aprendizaje"))
    ax.legend()
    return fig
