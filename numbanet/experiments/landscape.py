"""The loss landscape and the size of its gradients (decks 002, 003 and 004), computed.

* **Saddle points and local minima** (deck 003, "Muchos saddle points"; Auer et al. 1995,
  "Exponentially many local minima for single neurons"): the critical points of a small MLP's
  loss, found by Newton's method on the engine's gradient from many starts (Newton's method is
  drawn to every critical point, not only minima), each classified by its Hessian's spectrum
  (``critical_points``; the index is the number of negative eigenvalues, 0 at a minimum); and a
  single sigmoid neuron whose loss has 2 minima per coordinate, hence 2^d in d dimensions, found
  by multi-start gradient descent (``auer_data``, ``auer_minima``).
* **Exploding as well as vanishing gradients** (deck 002, "gradientes que explotan/desaparecen";
  deck 003's initialisation slide; deck 004's chain rule "dE/dw1 ~ S'(...) * S'(...) * ..."): the
  variance recursion with v above He's 2/d (``variance_growth``), Nielsen's chain of sigmoid
  neurons with w = 100 (``sigmoid_chain``), the deck's 1-1-1-1 chain checked against its product
  formula (``chain_rule_check``), and a training run with and without gradient clipping
  (``clipping_run``).

Gradients come from the engine's backward pass; Hessians are central differences of those
gradients (``hessian``).
"""

from __future__ import annotations

import numpy as np

from ..errors import ValidationError
from ._common import seq


# ======================================================== gradient and Hessian of a net
def loss_and_gradient(net, x, y, theta=None, l2=0.0):
    """Mean squared error :math:`L = \\frac{1}{2n} \\sum_i (f(x_i) - y_i)^2
    + \\frac{\\lambda}{2} \\|\\theta\\|^2` of ``net`` (``l2`` = lambda) and its gradient with
    respect to every parameter (the flat vector of ``net.get_flat()``), by the engine's forward
    and backward passes; ``theta`` sets the parameters first."""
    if theta is not None:
        net.set_flat(theta)
    net.zero_grad()
    p = np.asarray(net.forward(x, training=True), dtype=np.float64)
    r = p - y
    net.backward(r / len(x))
    g = np.concatenate([np.asarray(q.grad, dtype=np.float64).ravel() for q in net.parameters()])
    loss = 0.5 * float(np.mean(np.sum(r * r, axis=1)))
    if l2:
        th = net.get_flat().astype(np.float64)
        loss += 0.5 * l2 * float(th @ th)
        g = g + l2 * th
    return loss, g


def hessian(net, x, y, theta, h=1e-5, l2=0.0):
    """The Hessian of ``loss_and_gradient`` at ``theta`` by central differences of the engine's
    gradients, :math:`H_{:,i} = (g(\\theta + h e_i) - g(\\theta - h e_i)) / 2h`, symmetrised."""
    theta = np.asarray(theta, dtype=np.float64)
    P = theta.size
    H = np.empty((P, P))
    for i in range(P):
        e = np.zeros(P)
        e[i] = h
        H[:, i] = (
            loss_and_gradient(net, x, y, theta + e, l2)[1]
            - loss_and_gradient(net, x, y, theta - e, l2)[1]
        ) / (2 * h)
    net.set_flat(theta)
    return 0.5 * (H + H.T)


# ============================================================= critical points (deck 003)
def saddle_problem(hidden=3, n=16, seed=0, backend="reference"):
    """The small regression whose critical points ``critical_points`` finds: a 1-``hidden``-1
    tanh net and ``n`` points of y = sin(pi x) on [-1, 1]. Returns ``(net, x, y)``."""
    from ..nn import Dense, Tanh

    net = seq([Dense(1, hidden), Tanh(), Dense(hidden, 1)], backend, seed)
    x = np.linspace(-1.0, 1.0, n)[:, None]
    return net, x, np.sin(np.pi * x)


def newton_critical_point(net, x, y, theta, iters=80, tol=1e-9, l2=0.0):
    """A critical point near ``theta``: the gradient's root by Levenberg-Marquardt on
    :math:`\\frac{1}{2}\\|g(\\theta)\\|^2`, whose Jacobian is the Hessian H:

    .. math:: \\theta \\leftarrow \\theta - (H^2 + \\mu I)^{-1} H g,

    Newton's step on the gradient as :math:`\\mu \\to 0`, which goes to the nearest critical
    point of any kind (it steps uphill along negative curvature: saddles attract it), and a
    short step down :math:`\\|g\\|^2` for large :math:`\\mu`. :math:`\\mu` shrinks after a step
    that lowers ||g|| and grows otherwise. Returns ``(theta, ||g||)``."""
    _, g = loss_and_gradient(net, x, y, theta, l2)
    gn = float(np.linalg.norm(g))
    H = hessian(net, x, y, theta, l2=l2)
    mu = 1e-3 * float(np.max(np.abs(np.diag(H @ H)))) + 1e-12
    for _ in range(iters):
        if gn < tol:
            break
        step = -np.linalg.solve(H @ H + mu * np.eye(theta.size), H @ g)
        cand = theta + step
        _, gc = loss_and_gradient(net, x, y, cand, l2)
        if np.linalg.norm(gc) < gn:
            theta, g, gn = cand, gc, float(np.linalg.norm(gc))
            H = hessian(net, x, y, theta, l2=l2)
            mu /= 4.0
        else:
            mu *= 4.0
            if mu > 1e12:
                break
    net.set_flat(theta)
    return theta, gn


def descend(net, x, y, theta, l2=0.0, maxiter=150):
    """Minimise the loss from ``theta`` by L-BFGS (``scipy.optimize.minimize``) on the engine's
    gradients. Its steps are combinations of gradients, so a start where hidden units are tied
    (equal weights) stays tied: the descent then ends at a minimum *within* that symmetric
    subspace."""
    from scipy.optimize import minimize

    r = minimize(
        lambda t: loss_and_gradient(net, x, y, t, l2),
        np.asarray(theta, dtype=np.float64),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-15},
    )
    return r.x


def tied_start(hidden, tie, rng, scale=1.5):
    """Random parameters of the 1-``hidden``-1 net (flat order W1, b1, W2, b2) with the first
    ``tie`` hidden units equal (same input weight, bias and output weight); ``tie`` <= 1
    leaves them all free."""
    w1, b1, w2 = (scale * rng.standard_normal(hidden) for _ in range(3))
    if tie > 1:
        w1[:tie], b1[:tie], w2[:tie] = w1[0], b1[0], w2[0]
    return np.concatenate([w1, b1, w2, scale * rng.standard_normal(1)])


def critical_points(hidden=3, starts=12, seed=0, backend="reference", tol=1e-9, l2=1e-3):
    """Critical points of ``saddle_problem``'s loss (with an L2 penalty ``l2``, which makes
    every critical point isolated: no flat directions) and their Hessian spectra.

    Starts cycle through three kinds: every hidden unit free, the first two tied, all tied
    (``tied_start``). ``descend`` from a free start ends at a minimum; from a tied start it
    stays tied and ends where the net is a smaller net in disguise — a critical point of the
    full loss, usually a saddle: splitting the tied units apart lowers the loss (Fukumizu and
    Amari 2000). Each end point is refined to ||g|| < tol by ``newton_critical_point`` and kept
    once per distinct (loss, index) — permuting units or flipping a tanh unit's signs gives
    the same loss and spectrum.

    The index is the number of negative Hessian eigenvalues (below -1e-6 times the largest
    |eigenvalue|): 0 at a minimum, > 0 at a saddle.

    Returns ``{"loss", "index", "eigenvalues" (ascending), "grad_norm", "tied" (units tied at
    the start), "n_params", "starts"}``, sorted by loss."""
    net, x, y = saddle_problem(hidden, seed=seed, backend=backend)
    P = net.n_params()
    rng = np.random.default_rng(seed)
    kinds = (1, 2, hidden)
    found = []
    for s in range(starts):
        tie = kinds[s % len(kinds)]
        theta = descend(net, x, y, tied_start(hidden, tie, rng), l2)
        theta, gn = newton_critical_point(net, x, y, theta, iters=30, tol=tol, l2=l2)
        if gn >= tol:
            continue
        loss = loss_and_gradient(net, x, y, theta, l2)[0]
        ev = np.linalg.eigvalsh(hessian(net, x, y, theta, l2=l2))
        cut = 1e-6 * max(np.max(np.abs(ev)), 1e-300)
        idx = int(np.sum(ev < -cut))
        if any(abs(loss - f[0]) < 1e-7 * max(1.0, loss) and idx == f[1] for f in found):
            continue
        found.append((loss, idx, ev, gn, tie))
    found.sort(key=lambda f: f[0])
    return {
        "loss": np.array([f[0] for f in found]),
        "index": np.array([f[1] for f in found], dtype=int),
        "eigenvalues": [f[2] for f in found],
        "grad_norm": np.array([f[3] for f in found]),
        "tied": np.array([f[4] for f in found], dtype=int),
        "n_params": P,
        "starts": int(starts),
        "l2": float(l2),
    }


# ============================================================ Auer's single neuron (003)
#: the two examples of ``auer_data`` per coordinate: (input scale, target)
AUER_EXAMPLES = ((8.0, 0.5), (1.0, 0.1))


def auer_data(d):
    """A data set on which the single neuron :math:`\\sigma(w \\cdot x)` (no bias, squared loss)
    has :math:`2^d` local minima.

    Per coordinate i, two examples on axis i: a sharp one, :math:`x = 8 e_i` with target 1/2
    (fitted at :math:`w_i = 0`), and a gentle one, :math:`x = e_i` with target 0.1 (fitted at
    :math:`w_i = \\operatorname{logit}(0.1) \\approx -2.2`). Each example sees only :math:`w_i`,
    so the loss is a sum :math:`\\ell(w_1) + \\dots + \\ell(w_d)` of one 1-D loss; :math:`\\ell`
    has a minimum near 0 (where the sharp example fits and the gentle one pays 0.16) and one
    near -2.2 (where the gentle one fits and the sharp one's error has saturated at 1/4, so it
    no longer pulls), and the minima of the sum are every combination: :math:`2^d`. Auer,
    Herbster and Warmuth (1995) build their exponentially many minima the same way, from
    examples that each involve few weights. Returns ``(X, y)``."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValidationError(f"d must be an integer >= 1; got {d!r}")
    X, y = [], []
    for i in range(d):
        for scale, target in AUER_EXAMPLES:
            e = np.zeros(d)
            e[i] = scale
            X.append(e)
            y.append(target)
    return np.array(X), np.array(y)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def auer_loss_and_gradient(W, X, y):
    """Loss :math:`\\frac{1}{2} \\sum_j (\\sigma(w \\cdot x_j) - y_j)^2` and gradient for many
    weight vectors at once (rows of W): the neuron's backprop, vectorised."""
    p = _sigmoid(W @ X.T)
    r = p - y
    return 0.5 * np.sum(r * r, axis=1), (r * p * (1 - p)) @ X


def auer_minima(d, starts=64, seed=0, low=-4.0, high=2.0, steps=6000, lr=0.2, tol=1e-6):
    """Multi-start gradient descent on ``auer_data(d)``: ``starts`` points uniform in
    [low, high]^d, all descending together (``steps`` steps of size ``lr``; below 2 over the
    sharp minima's curvature, about 8). Returns the distinct minima reached (||g|| < tol and a
    positive definite Hessian, by central differences of the gradient; merged within 1e-3) as
    an array (n_minima, d), and the number of starts that ended at one."""
    X, y = auer_data(d)
    rng = np.random.default_rng([seed, d])
    W = rng.uniform(low, high, (starts, d))
    for _ in range(steps):
        W -= lr * auer_loss_and_gradient(W, X, y)[1]
    done = np.linalg.norm(auer_loss_and_gradient(W, X, y)[1], axis=1) < tol
    minima, ok = [], 0
    for w in W[done]:
        h = 1e-5
        E = h * np.eye(d)
        H = (auer_loss_and_gradient(w + E, X, y)[1] - auer_loss_and_gradient(w - E, X, y)[1]) / (
            2 * h
        )
        if np.min(np.linalg.eigvalsh(0.5 * (H + H.T))) <= 0:
            continue  # a saddle the descent stalled on
        ok += 1
        if not any(np.max(np.abs(w - m)) < 1e-3 for m in minima):
            minima.append(w)
    return np.array(minima).reshape(-1, d), ok


# ===================================================== exploding gradients (decks 002-004)
def variance_growth(factors=(0.5, 1.0, 1.5, 2.0), width=64, depth=30, measure_nets=6, seed=0):
    """E[(z^l)^2] through ``depth`` ReLU layers of ``width`` with weight variance v = c * 2/d for
    each factor c: the slide's recursion gives c^l (``theory.init_variance.recursion``; above
    He's 2/d the signal explodes), with the same measured on sampled nets
    (``init_variance.measure``) and the backward gradient variance."""
    from ..theory import init_variance as IV

    widths = [width] * (depth + 1)
    out = {"factors": np.array(factors), "layers": np.arange(1, depth + 1)}
    for c in factors:
        v = c * 2.0 / width
        prof = IV.recursion("relu", widths, v)
        out[f"forward_{c}"] = prof.forward
        out[f"backward_{c}"] = prof.backward
        if measure_nets:
            m = IV.measure("relu", widths, v, n_samples=128, n_nets=max(2, measure_nets), seed=seed)
            out[f"measured_{c}"] = m.forward
    return out


def sigmoid_chain(depth=6, w=100.0, backend="reference"):
    """Nielsen's chain of ``depth`` sigmoid neurons (one per layer) with every weight w and the
    biases chosen so that every z = 0 (input x = 1): each sigma'(z) = 1/4, so each layer
    multiplies the gradient by w sigma'(z) = w / 4 (25 for w = 100: exploding).

    Returns the engine's |dC/db_l| per layer for C = (a_L - y) ... with dC/da_L = 1, and the
    product formula sigma'(z_l) prod_{j > l} w_j sigma'(z_j)."""
    from ..nn import Dense, Sigmoid

    layers = []
    for _ in range(depth):
        layers += [Dense(1, 1), Sigmoid()]
    net = seq(layers, backend, 0)
    a = 1.0
    for d in net.layers[::2]:
        d.W.value = np.array([[w]])
        d.b.value = np.array([-w * a])  # z = w a + b = 0
        a = 0.5
    net.zero_grad()
    net.forward(np.ones((1, 1)), training=True)
    net.backward(np.ones((1, 1)))
    grads = np.array([abs(float(np.asarray(d.b.grad).ravel()[0])) for d in net.layers[::2]])
    formula = np.array([0.25 * (w * 0.25) ** (depth - 1 - l) for l in range(depth)])
    return {"depth": depth, "w": float(w), "grad_b": grads, "formula": formula}


def chain_rule_check(n_chains=200, scales=(0.5, 1.0, 2.0, 4.0, 8.0), seed=0, backend="reference"):
    """Deck 004's "caso sencillo de la regla de la cadena": a 1-1-1-1 chain of sigmoid units
    (three weights w1, w2, w3 and biases) with E = 1/2 (a_3 - y)^2. The engine's dE/dw1 against
    the deck's product

    .. math:: \\frac{\\partial E}{\\partial w_1} = (a_3 - y)\\, S'(z_3)\\, w_3\\, S'(z_2)\\, w_2\\,
              S'(z_1)\\, x,

    for chains with weights N(0, s^2) and biases N(0, 1) at each scale s. Returns per chain the
    engine's value, the formula's, the scale, and the product of the three S' (at most 1/64);
    and ``max_rel_diff``, the largest relative difference where that product exceeds 1e-9."""
    from ..nn import Dense, Sigmoid

    rng = np.random.default_rng(seed)
    net = seq([Dense(1, 1), Sigmoid(), Dense(1, 1), Sigmoid(), Dense(1, 1), Sigmoid()], backend, 0)
    dense = net.layers[::2]
    eng, form, sc, sprod = [], [], [], []
    for i in range(n_chains):
        s = scales[i % len(scales)]
        w = s * rng.standard_normal(3)
        b = rng.standard_normal(3)
        x, y = rng.standard_normal(), rng.uniform()
        for d, wj, bj in zip(dense, w, b):
            d.W.value = np.array([[wj]])
            d.b.value = np.array([bj])
        net.zero_grad()
        a3 = float(np.asarray(net.forward(np.array([[x]]), training=True)).ravel()[0])
        net.backward(np.array([[a3 - y]]))
        eng.append(float(np.asarray(dense[0].W.grad).ravel()[0]))
        a, z, sp = x, [], []
        for wj, bj in zip(w, b):
            z.append(wj * a + bj)
            a = _sigmoid(z[-1])
            sp.append(a * _sigmoid(-z[-1]))  # S'(z) = S(z)(1 - S(z)), accurate when S ~ 1
        form.append((a3 - y) * sp[2] * w[2] * sp[1] * w[1] * sp[0] * x)
        sc.append(s)
        sprod.append(sp[0] * sp[1] * sp[2])
    eng, form, sprod = np.array(eng), np.array(form), np.array(sprod)
    # where a unit saturates (S' ~ 1e-15) the engine's S(1 - S) loses digits to cancellation
    fine = sprod > 1e-9
    rel = np.abs(eng - form)[fine] / np.abs(form[fine])
    return {
        "engine": eng,
        "formula": form,
        "scale": np.array(sc),
        "s_prime_product": sprod,
        "max_rel_diff": float(rel.max()) if rel.size else float("nan"),
    }


def clipping_run(
    clip=1.0,
    depth=8,
    width=32,
    factor=3.0,
    lr=0.02,
    epochs=40,
    n=128,
    seed=0,
    backend="cpu",
):
    """A deep ReLU regression net initialised with weight variance ``factor`` * 2/d (above He's
    2/d: the gradient at the start is about ``factor``^depth times too large), trained with SGD
    (full batch) at ``lr``, once without and once with gradient-norm clipping at ``clip``
    (``optim.SGD(clip_norm=...)``, g <- g min(1, c / ||g||)).

    Returns for each run (``"plain"``, ``"clipped"``) the loss per epoch (NaN after the epoch
    where training diverged) and the gradient norm per epoch (before clipping)."""
    from ..errors import DivergenceError
    from ..nn import Dense, ReLU
    from ..optim import SGD

    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 4))
    y = np.sin(2.0 * x[:, :1]) * np.cos(x[:, 1:2]) + 0.5 * x[:, 2:3] * x[:, 3:4]
    out = {"epochs": np.arange(1, epochs + 1), "clip": float(clip), "factor": float(factor)}
    for name, c in (("plain", None), ("clipped", clip)):
        big = _he_times(factor)
        layers = [Dense(4, width, init=big), ReLU()]
        for _ in range(depth - 1):
            layers += [Dense(width, width, init=big), ReLU()]
        layers.append(Dense(width, 1, init="he_normal"))
        net = seq(layers, backend, seed)
        opt = SGD(net.parameters(), lr=lr, clip_norm=c)
        loss = np.full(epochs, np.nan)
        norms = np.full(epochs, np.nan)
        out[f"{name}_initial_loss"] = float(0.5 * np.mean((net.predict(x) - y) ** 2))
        try:
            net.fit(
                x,
                y,
                loss="mse",
                optimizer=opt,
                epochs=epochs,
                batch_size=n,
                shuffle=False,
                callbacks=[_recorder(loss, norms)],
                progress=False,
            )
        except DivergenceError:
            pass  # the epochs after the divergence stay NaN
        out[f"{name}_loss"] = loss
        out[f"{name}_grad_norm"] = norms
        if np.isfinite(loss).any():
            peak = int(np.nanargmax(loss))
            out[f"{name}_peak_loss"], out[f"{name}_peak_epoch"] = float(loss[peak]), peak + 1
        else:
            out[f"{name}_peak_loss"], out[f"{name}_peak_epoch"] = float("nan"), 0
    return out


def _he_times(factor):
    """An initialiser with weight variance ``factor`` times He's 2 / fan_in."""
    from ..init import he_normal

    def init(rng, shape, fan_in, fan_out, dtype=np.float32):
        w = he_normal(rng, shape, fan_in, fan_out, dtype=np.float64)
        return (np.sqrt(factor) * w).astype(dtype)

    init.__name__ = f"he_normal x {factor:g}"
    return init


def _recorder(loss, norms):
    """A callback copying each epoch's loss and the gradient norm of its (single, full) batch,
    before clipping, into the two arrays."""
    from ..callbacks import Callback

    class Recorder(Callback):
        wants_batches = True

        def on_epoch_begin(self, model, optimizer, epoch):
            self.epoch = epoch

        def on_batch_end(self, model, optimizer, batch, loss_value):
            sq = sum(
                float(np.sum(np.asarray(p.grad, dtype=np.float64) ** 2)) for p in model.parameters()
            )
            norms[self.epoch - 1] = np.sqrt(sq)  # epochs count from 1

        def on_epoch_end(self, model, optimizer, epoch, logs):
            if np.isfinite(logs.get("loss", np.nan)):
                loss[epoch - 1] = logs["loss"]
            else:
                norms[epoch - 1] = np.nan
            return False

    return Recorder()
