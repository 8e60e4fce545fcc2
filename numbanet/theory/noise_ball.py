r"""The SGD noise ball: the slide's bound, exact stationary values, and a Monte-Carlo simulator.

The slides (NN deck, after G. Turinici, *The convergence of the Stochastic Gradient Descent
(SGD): a self-contained proof*, 2021) assume

* the examples :math:`(X_t, Y_t)` are i.i.d. and independent of :math:`W_0`;
* bounded gradient variance: :math:`\operatorname{var}(\partial L(X, Y; w)/\partial w) \le
  \sigma^2` (the trace of the covariance, per example), so a minibatch of B i.i.d. examples has
  variance at most :math:`\sigma^2 / B`;
* a bounded true gradient: :math:`\|\nabla\mathcal{L}(w)\|^2 \le \mu^2`;
* :math:`\mathcal{L}` is c-strongly convex, hence
  :math:`\langle\nabla\mathcal{L}(w), w - w^*\rangle \ge c\|w - w^*\|^2`.

Then :math:`E\|W_{t+1}-w^*\|^2 \le (1 - 2\alpha c) E\|W_t - w^*\|^2 + \alpha^2(\sigma^2/B +
\mu^2)`, and for :math:`0 < \alpha < 1/(2c)`

.. math:: \limsup_{t\to\infty} E\|W_t - w^*\|^2 \le \frac{\alpha\,(\sigma^2/B + \mu^2)}{2c}.

A bounded gradient and strong convexity cannot both hold on all of :math:`\mathbb{R}^d`; the proof
only uses them in expectation along the trajectory, so ``constants`` returns the smallest
constants that make the recursion hold at stationarity: :math:`\sigma^2 = E[\operatorname{tr}
\operatorname{Cov}(\nabla L \mid W)]` and :math:`\mu^2 = E\|\nabla\mathcal{L}(W)\|^2` under the
stationary law. With them the bound holds exactly, with equality for an isotropic quadratic.

Models with exact answers
-------------------------
``Quadratic(H, Sigma)``: :math:`\mathcal{L}(w) = \tfrac12 (w - w^*)^\top H (w - w^*)`, per-example
gradient :math:`H(w - w^*) + \xi`, :math:`\xi \sim N(0, \Sigma)` (additive noise; the loss
:math:`L(\xi; w) = \mathcal{L}(w) + \xi^\top (w - w^*)`). A minibatch of B has noise covariance
:math:`\Sigma / B`.

``LeastSquares(X, y)``: :math:`\mathcal{L}(w) = \frac{1}{2n}\|Xw - y\|^2`, minibatches of B rows
drawn uniformly *with replacement* (the exact solution also handles without replacement). The
noise is multiplicative (it depends on w).

For both, the error :math:`e = w - w^*` (with the momentum buffer, for ``"momentum"``) is a linear
system driven by noise whose covariance is affine in the second moment, so the first and second
moments obey exact linear recursions: ``exact_curve`` iterates them for any learning-rate schedule
and ``stationary`` solves their fixed point (a discrete Lyapunov equation for the quadratic).

Optimisers
----------
``"sgd"``: :math:`w_t = w_{t-1} - \alpha_t g_t`. ``"momentum"``: the slides' EWMA form
:math:`m_t = \beta m_{t-1} + (1-\beta) g_t,\ w_t = w_{t-1} - \alpha_t m_t` (as
``numbanet.optim.Momentum``). The simulator also takes any object with ``init(w) -> state`` and
``update(w, g, lr, state) -> w`` working on arrays of shape (n_runs, d) (see ``UpdateRule``), and
``EngineOptimizer("adam", ...)`` runs any optimiser of ``numbanet.optim`` through its own ``step``.

Size: over 600 lines on purpose: the slide's bound, the exact stationary moments and the Monte-
Carlo simulator that checks both are one argument.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from .._validate import positive_float, positive_int
from ..errors import ValidationError

# ============================================================================ the bound


def bound(alpha, sigma2, mu2, c, batch_size=1):
    r"""The slide's noise-ball radius: :math:`\alpha(\sigma^2/B + \mu^2) / (2c)`.

    Parameters
    ----------
    alpha : float
        Constant learning rate, :math:`0 < \alpha < 1/(2c)`.
    sigma2 : float
        Per-example gradient variance bound :math:`\sigma^2` (trace of the covariance).
    mu2 : float
        Bound :math:`\mu^2` on the squared norm of the true gradient.
    c : float
        Strong-convexity constant.
    batch_size : int
        Minibatch size B (i.i.d. examples).

    Returns
    -------
    float

    Notes
    -----
    Slides (NN deck, "bola de ruido"), after Turinici (2021):

    .. math:: \limsup_{t\to\infty} E\|W_t - w^*\|^2 \le \alpha\,\frac{\sigma^2/B + \mu^2}{2c}.

    The module docstring lists the assumptions.
    """
    alpha = positive_float(alpha, "alpha")
    sigma2 = positive_float(sigma2, "sigma2", allow_zero=True)
    mu2 = positive_float(mu2, "mu2", allow_zero=True)
    c = positive_float(c, "c")
    B = positive_int(batch_size, "batch_size")
    if alpha >= 1.0 / (2.0 * c):
        raise ValidationError(
            f"alpha must be < 1/(2c) = {1 / (2 * c):.6g} for the bound's recursion to contract; "
            f"got alpha = {alpha}"
        )
    return alpha * (sigma2 / B + mu2) / (2.0 * c)


# ============================================================================ problems


def _spd(M, name, d=None, allow_singular=False):
    M = np.asarray(M, dtype=np.float64)
    if M.ndim == 1:
        M = np.diag(M)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValidationError(f"{name} must be a square matrix (or its diagonal); got {M.shape}")
    if d is not None and M.shape[0] != d:
        raise ValidationError(f"{name} must be {d} x {d}; got {M.shape}")
    if not np.isfinite(M).all() or not np.allclose(M, M.T, rtol=1e-12, atol=1e-14):
        raise ValidationError(f"{name} must be finite and symmetric")
    ev = np.linalg.eigvalsh(M)
    if ev.min() < (-1e-12 * max(1.0, ev.max()) if allow_singular else 1e-300) or (
        not allow_singular and ev.min() <= 0
    ):
        kind = "positive semi-definite" if allow_singular else "positive definite"
        raise ValidationError(f"{name} must be {kind}; its smallest eigenvalue is {ev.min():.3g}")
    return 0.5 * (M + M.T)


@dataclasses.dataclass
class Quadratic:
    r"""Quadratic loss with additive Gaussian gradient noise.

    .. math:: \mathcal{L}(w) = \tfrac12 (w - w^*)^\top H (w - w^*),\qquad
              \nabla L(\xi; w) = H (w - w^*) + \xi,\quad \xi \sim N(0, \Sigma).

    Parameters
    ----------
    H : array_like (d, d) or (d,)
        Positive-definite Hessian (a vector means a diagonal).
    Sigma : array_like (d, d) or (d,), optional
        Per-example noise covariance (default: the identity).
    w_star : array_like (d,), optional
        The minimiser (default: zeros).

    Attributes
    ----------
    c : float
        :math:`\lambda_{\min}(H)`.
    sigma2 : float
        :math:`\operatorname{tr}\Sigma` (the same for every w).
    """

    H: np.ndarray
    Sigma: np.ndarray | None = None
    w_star: np.ndarray | None = None

    def __post_init__(self):
        self.H = _spd(self.H, "H")
        d = self.H.shape[0]
        self.Sigma = np.eye(d) if self.Sigma is None else _spd(self.Sigma, "Sigma", d, True)
        self.w_star = (
            np.zeros(d) if self.w_star is None else np.asarray(self.w_star, float).reshape(d)
        )
        ev, U = np.linalg.eigh(self.Sigma)
        self._L = U * np.sqrt(np.clip(ev, 0, None))  # Sigma = L L^T

    @property
    def d(self):
        return self.H.shape[0]

    @property
    def c(self):
        return float(np.linalg.eigvalsh(self.H)[0])

    @property
    def sigma2(self):
        return float(np.trace(self.Sigma))

    def gradients(self, W, batch_size, rng):
        """Minibatch gradients at the rows of W (n_runs, d): H e + L z / sqrt(B)."""
        z = rng.standard_normal(W.shape)
        return (W - self.w_star) @ self.H + (z @ self._L.T) / math.sqrt(batch_size)

    def _noise(self, batch_size, replace=True):
        d = self.d
        return self.Sigma / batch_size, np.zeros((d * d, d * d)), np.zeros((d * d, d))


@dataclasses.dataclass
class LeastSquares:
    r"""Least squares with sampled minibatches.

    .. math:: \mathcal{L}(w) = \frac{1}{2n}\|Xw - y\|^2,\qquad
              g = \frac1B \sum_{b=1}^{B} x_{i_b}(x_{i_b}^\top w - y_{i_b}),

    with the indices :math:`i_b` uniform on the n rows (i.i.d., i.e. with replacement, in the
    simulator). ``H`` :math:`= X^\top X / n` must be positive definite (full column rank).
    """

    X: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        X = np.asarray(self.X, dtype=np.float64)
        y = np.asarray(self.y, dtype=np.float64).reshape(-1)
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValidationError(f"X must be (n, d) and y (n,); got X {X.shape} and y {y.shape}")
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValidationError("X and y must be finite")
        self.X, self.y = X, y
        n, d = X.shape
        self.H = _spd(X.T @ X / n, "X^T X / n (X needs full column rank)")
        self.w_star = np.linalg.solve(X.T @ X, X.T @ y)
        self.r = X @ self.w_star - y  # residuals at the optimum; X^T r = 0

    @property
    def d(self):
        return self.X.shape[1]

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def c(self):
        return float(np.linalg.eigvalsh(self.H)[0])

    def gradients(self, W, batch_size, rng):
        """Minibatch gradients at the rows of W (n_runs, d), rows drawn with replacement."""
        R = W.shape[0]
        idx = rng.integers(0, self.n, size=(R, batch_size))
        Xb = self.X[idx]  # (R, B, d)
        res = np.einsum("rbd,rd->rb", Xb, W) - self.y[idx]
        return np.einsum("rbd,rb->rd", Xb, res) / batch_size

    def _noise(self, batch_size, replace=True):
        """Noise covariance as an affine function of the error's moments:
        Cov = C0 + mat(C1 vec P + Cm mu), with P = E[e e^T], mu = E[e]."""
        X, r = self.X, self.r
        n, d = X.shape
        if replace:
            f = 1.0 / batch_size
        else:
            if batch_size > n:
                raise ValidationError(f"batch_size {batch_size} > n = {n} without replacement")
            f = (n - batch_size) / ((n - 1) * batch_size) if n > 1 else 0.0
        Z = np.einsum("ia,ib->iab", X, X).reshape(n, d * d)  # rows vec(x x^T)
        C0 = f * (X.T * r**2) @ X / n
        C1 = f * (Z.T @ Z / n - np.kron(self.H, self.H))
        Cm = f * 2.0 * Z.T @ (r[:, None] * X) / n
        return C0, C1, Cm


def _problem(p):
    if isinstance(p, (Quadratic, LeastSquares)):
        return p
    raise ValidationError(
        f"problem must be a noise_ball.Quadratic or noise_ball.LeastSquares; got {type(p).__name__}"
    )


# ============================================================================ schedules, optimisers


def _schedule(lr, steps, name="lr"):
    """Learning rates alpha_1..alpha_steps from a number, an array or a callable of the step."""
    if isinstance(lr, numbers.Real) and not isinstance(lr, bool):
        return np.full(steps, positive_float(lr, name))
    if callable(lr):
        vals = np.array([float(lr(t)) for t in range(steps)])
    else:
        vals = np.asarray(lr, dtype=np.float64).reshape(-1)
        if vals.size < steps:
            raise ValidationError(
                f"{name} as an array needs at least steps = {steps} values; got {vals.size}"
            )
        vals = vals[:steps]
    if not np.isfinite(vals).all() or (vals <= 0).any():
        raise ValidationError(f"{name} must give finite learning rates > 0 at every step")
    return vals


class UpdateRule:
    """Protocol of a pluggable optimiser for ``simulate``: arrays of shape (n_runs, d).

    ``init(w)`` returns a state (any object, e.g. a dict of arrays); ``update(w, g, lr, state)``
    returns the new weights (it may update ``state`` in place). ``lr`` is the step's learning
    rate from the schedule.
    """

    name = "rule"

    def init(self, w):
        return {}

    def update(self, w, g, lr, state):  # pragma: no cover - abstract
        raise NotImplementedError


class SGDRule(UpdateRule):
    """:math:`w \\leftarrow w - \\alpha g`."""

    name = "sgd"

    def update(self, w, g, lr, state):
        return w - lr * g


class MomentumRule(UpdateRule):
    """The slides' EWMA momentum: :math:`m \\leftarrow \\beta m + (1-\\beta) g,\\
    w \\leftarrow w - \\alpha m`."""

    name = "momentum"

    def __init__(self, beta=0.9):
        b = float(beta)
        if not 0.0 <= b < 1.0:
            raise ValidationError(f"beta must lie in [0, 1); got {beta!r}")
        self.beta = b

    def init(self, w):
        return {"m": np.zeros_like(w)}

    def update(self, w, g, lr, state):
        m = state["m"]
        m *= self.beta
        m += (1.0 - self.beta) * g
        return w - lr * m


class EngineOptimizer(UpdateRule):
    """Any ``numbanet.optim`` optimiser (by name or class) driven through its own ``step()``.

    The (n_runs, d) weights are held in one reference-backend ``Parameter`` (kind ``"other"``,
    so no weight decay applies), its ``grad`` is set to the minibatch gradients and
    ``optimizer.lr`` to the step's rate before every ``step()``. Every numbanet optimiser acts
    component-wise, so the runs stay independent.

    Examples
    --------
    >>> rule = EngineOptimizer("adam")  # doctest: +SKIP
    >>> simulate(Quadratic([1.0, 2.0]), 0.01, optimizer=rule)  # doctest: +SKIP
    """

    def __init__(self, optimizer, **kwargs):
        self.optimizer = optimizer
        self.kwargs = kwargs
        self.name = str(getattr(optimizer, "name", optimizer))

    def init(self, w):
        from .. import optim
        from ..backends import get_backend
        from ..nn.parameter import Parameter

        be = get_backend("reference")
        data = np.ascontiguousarray(w, dtype=np.float64).copy()
        p = Parameter("w", data, np.zeros_like(data), be, kind="other")
        if isinstance(self.optimizer, str):
            opt = optim.get(self.optimizer, [p], lr=1.0, **self.kwargs)
        else:
            opt = self.optimizer([p], lr=1.0, **self.kwargs)
        return {"param": p, "opt": opt}

    def update(self, w, g, lr, state):
        p, opt = state["param"], state["opt"]
        p.data[...] = w
        p.grad_data[...] = g
        opt.lr = float(lr)
        opt.step()
        return p.data.copy()


def _rule(optimizer, beta):
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key == "sgd":
            return SGDRule()
        if key == "momentum":
            return MomentumRule(beta)
        return EngineOptimizer(key)
    if hasattr(optimizer, "update") and hasattr(optimizer, "init"):
        return optimizer
    if isinstance(optimizer, type):
        return EngineOptimizer(optimizer)
    raise ValidationError(
        "optimizer must be 'sgd', 'momentum', a numbanet.optim name or class, or an object with "
        f"init(w) and update(w, g, lr, state); got {type(optimizer).__name__}"
    )


# ============================================================================ exact moments


def _system(problem, alpha, optimizer, beta):
    """State transition T and noise input N: s_t = T s_{t-1} + N xi, e = s[:d]."""
    d = problem.d
    H, I = problem.H, np.eye(d)
    if optimizer == "sgd":
        return I - alpha * H, -alpha * I
    if optimizer == "momentum":
        T = np.block([[I - alpha * (1 - beta) * H, -alpha * beta * I], [(1 - beta) * H, beta * I]])
        N = np.vstack([-alpha * (1 - beta) * I, (1 - beta) * I])
        return T, N
    raise ValidationError(
        f"exact moments are derived for optimizer 'sgd' or 'momentum'; got {optimizer!r}"
    )


def _opt_name(optimizer):
    if not isinstance(optimizer, str) or optimizer.lower() not in ("sgd", "momentum"):
        raise ValidationError(
            f"exact moments are derived for optimizer 'sgd' or 'momentum'; got {optimizer!r}"
        )
    return optimizer.lower()


def exact_curve(
    problem, lr, batch_size=1, steps=1000, w0=None, *, optimizer="sgd", beta=0.9, replace=True
):
    r"""Exact :math:`E\|W_t - w^*\|^2` for t = 0..steps, by the moment recursions.

    Parameters
    ----------
    problem : Quadratic or LeastSquares
    lr : float, array_like or callable
        Learning rate: a constant, an array of at least ``steps`` values, or ``lr(t)`` for the
        update t = 0, 1, ..., steps - 1.
    batch_size : int
    steps : int
    w0 : array_like of shape (d,), optional
        Deterministic start (default: ``w_star + 1``).
    optimizer : {"sgd", "momentum"}
    beta : float
        Momentum's beta (EWMA form).
    replace : bool
        LeastSquares only: minibatches drawn with (True) or without replacement.

    Returns
    -------
    ndarray of shape (steps + 1,)

    Notes
    -----
    With state :math:`s_t = T_t s_{t-1} + N_t \zeta_t` (:math:`s = e` for SGD, :math:`(e, m)`
    for momentum) and noise covariance :math:`C(P_t, \bar e_t)` affine in the error's second
    moment :math:`P = E[ee^\top]` and mean :math:`\bar e = E[e]`:

    .. math:: \bar s_t = T_t \bar s_{t-1},\qquad
              S_t = T_t S_{t-1} T_t^\top + N_t\, C(P_{t-1}, \bar e_{t-1})\, N_t^\top,

    exactly (the noise has mean zero given the past). For least squares
    :math:`C = \frac1B\big[\frac1n\sum_i (x_i^\top P x_i + 2 r_i x_i^\top \bar e + r_i^2)
    x_i x_i^\top - H P H\big]` with :math:`r = Xw^* - y`.
    """
    problem = _problem(problem)
    opt = _opt_name(optimizer)
    steps = positive_int(steps, "steps")
    B = positive_int(batch_size, "batch_size")
    alphas = _schedule(lr, steps)
    d = problem.d
    e0 = _w0(problem, w0) - problem.w_star
    D = d if opt == "sgd" else 2 * d
    s = np.zeros(D)
    s[:d] = e0
    S = np.outer(s, s)
    C0, C1, Cm = problem._noise(B, replace)
    out = np.empty(steps + 1)
    out[0] = float(e0 @ e0)
    for t in range(steps):
        T, N = _system(problem, alphas[t], opt, beta)
        P, mu = S[:d, :d], s[:d]
        C = C0 + (C1 @ P.reshape(-1) + Cm @ mu).reshape(d, d)
        S = T @ S @ T.T + N @ C @ N.T
        S = 0.5 * (S + S.T)
        s = T @ s
        out[t + 1] = float(np.trace(S[:d, :d]))
    return out


def _w0(problem, w0):
    if w0 is None:
        return problem.w_star + 1.0
    w = np.asarray(w0, dtype=np.float64).reshape(-1)
    if w.shape[0] != problem.d or not np.isfinite(w).all():
        raise ValidationError(f"w0 must be {problem.d} finite numbers; got {np.shape(w0)}")
    return w


@dataclasses.dataclass
class Stationary:
    """Exact stationary moments (``stationary``).

    Attributes
    ----------
    value : float
        :math:`E\\|W - w^*\\|^2` under the stationary law.
    P : ndarray (d, d)
        :math:`E[(W - w^*)(W - w^*)^\\top]`.
    c, sigma2, mu2 : float
        The slide's constants in expectation at stationarity: strong convexity
        :math:`\\lambda_{\\min}(H)`, :math:`E\\,\\operatorname{tr}\\operatorname{Cov}` of the
        per-example gradient, and :math:`E\\|\\nabla\\mathcal{L}(W)\\|^2`.
    bound : float
        :math:`\\alpha(\\sigma^2/B + \\mu^2)/(2c)` with these constants (SGD; NaN otherwise, or
        when :math:`\\alpha \\ge 1/(2c)`).
    """

    value: float
    P: np.ndarray
    c: float
    sigma2: float
    mu2: float
    bound: float


def stationary(problem, alpha, batch_size=1, *, optimizer="sgd", beta=0.9, replace=True):
    r"""Exact stationary :math:`E\|W - w^*\|^2` of constant-step SGD (or momentum).

    Parameters
    ----------
    problem : Quadratic or LeastSquares
    alpha : float
        Constant learning rate.
    batch_size : int
    optimizer : {"sgd", "momentum"}
    beta : float
    replace : bool
        LeastSquares only: minibatches with or without replacement.

    Returns
    -------
    Stationary

    Raises
    ------
    ValidationError
        If the second moments diverge (alpha too large for mean-square stability).

    Notes
    -----
    The fixed point of the recursion of ``exact_curve`` with zero mean. For the quadratic with
    additive noise and SGD it is the discrete Lyapunov equation

    .. math:: P = (I - \alpha H) P (I - \alpha H)^\top + \alpha^2 \Sigma / B,

    solved by ``scipy.linalg.solve_discrete_lyapunov``; in one dimension
    :math:`P = \alpha\sigma^2 / (B h (2 - \alpha h))`. In general the fixed point is a linear
    system in :math:`\operatorname{vec} S` of size :math:`D^2` (D = d, or 2d with momentum).
    """
    problem = _problem(problem)
    opt = _opt_name(optimizer)
    alpha = positive_float(alpha, "alpha")
    B = positive_int(batch_size, "batch_size")
    d = problem.d
    T, N = _system(problem, alpha, opt, beta)
    D = T.shape[0]
    C0, C1, _ = problem._noise(B, replace)
    # operator on vec S: S -> T S T^T + N mat(C1 vec S11) N^T
    sel = np.zeros((d * d, D * D))  # vec S -> vec S11
    for i in range(d):
        for j in range(d):
            sel[i * d + j, i * D + j] = 1.0
    A = np.kron(T, T) + np.kron(N, N) @ C1 @ sel
    rho = float(np.max(np.abs(np.linalg.eigvals(A))))
    if rho >= 1.0:
        raise ValidationError(
            f"alpha = {alpha} is too large: the second moments of {opt} diverge (spectral radius "
            f"{rho:.4g} >= 1); try alpha < {alpha / rho:.3g} or smaller"
        )
    if opt == "sgd" and isinstance(problem, Quadratic):
        from scipy.linalg import solve_discrete_lyapunov

        S = solve_discrete_lyapunov(T, N @ C0 @ N.T)
    else:
        rhs = (N @ C0 @ N.T).reshape(-1)
        S = np.linalg.solve(np.eye(D * D) - A, rhs).reshape(D, D)
    S = 0.5 * (S + S.T)
    P = S[:d, :d]
    value = float(np.trace(P))
    c = problem.c
    mu2 = float(np.trace(problem.H @ P @ problem.H))
    # the minibatch noise covariance at stationarity; its trace is the slide's sigma^2 / B
    v_batch = float(np.trace(C0 + (C1 @ P.reshape(-1)).reshape(d, d)))
    f = _batch_factor(problem, B, replace)
    sigma2 = v_batch / f if f > 0 else 0.0
    ok = opt == "sgd" and alpha < 1.0 / (2.0 * c)
    bnd = alpha * (v_batch + mu2) / (2.0 * c) if ok else float("nan")
    return Stationary(value=value, P=P, c=c, sigma2=sigma2, mu2=mu2, bound=bnd)


def _batch_factor(problem, B, replace):
    if isinstance(problem, LeastSquares) and not replace:
        n = problem.n
        return (n - B) / ((n - 1) * B) if n > 1 else 0.0
    return 1.0 / B


def constants(problem, alpha, batch_size=1, **kwargs):
    """The slide's (c, sigma^2, mu^2) for this problem, in expectation at stationarity.

    Returns a dict with ``c``, ``sigma2``, ``mu2`` and the resulting ``bound``; see ``stationary``.
    """
    s = stationary(problem, alpha, batch_size, **kwargs)
    return {"c": s.c, "sigma2": s.sigma2, "mu2": s.mu2, "bound": s.bound}


# ============================================================================ Monte Carlo


@dataclasses.dataclass
class Simulation:
    """Monte-Carlo SGD runs (``simulate``).

    Attributes
    ----------
    t : ndarray of int, shape (k,)
        Recorded steps (0 = the start).
    mean, std, sem : ndarray of shape (k,)
        Mean over runs of :math:`\\|W_t - w^*\\|^2`, its standard deviation, and the standard error
        of the mean (std / sqrt(n_runs)).
    quantiles : ndarray of shape (len(q), k); q : tuple of float
    sq_err : ndarray of shape (n_runs, k), optional
        Every run's curve (``keep_runs=True``).
    run_avg : ndarray of shape (n_runs,)
        Each run's time average of :math:`\\|W_t - w^*\\|^2` over the recorded steps
        t >= ``burn_in`` (the stationary estimate; runs are independent).
    burn_in : int
    """

    t: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    sem: np.ndarray
    quantiles: np.ndarray
    q: tuple
    run_avg: np.ndarray
    burn_in: int
    sq_err: np.ndarray | None = None

    def stationary(self):
        """(mean, standard error) of the stationary :math:`E\\|W - w^*\\|^2`: the mean over runs
        of each run's time average after ``burn_in`` and its standard error across the
        independent runs."""
        n = len(self.run_avg)
        return float(self.run_avg.mean()), float(self.run_avg.std(ddof=1) / math.sqrt(n))


def simulate(
    problem,
    lr,
    batch_size=1,
    steps=1000,
    *,
    n_runs=1000,
    optimizer="sgd",
    beta=0.9,
    w0=None,
    seed=0,
    record_every=1,
    burn_in=None,
    q=(0.05, 0.5, 0.95),
    keep_runs=False,
):
    r"""Monte-Carlo SGD: many independent runs at once (vectorised over runs).

    Parameters
    ----------
    problem : Quadratic or LeastSquares
    lr : float, array_like or callable
        Learning-rate schedule (see ``exact_curve``).
    batch_size : int
    steps : int
    n_runs : int
        Independent runs (rows of one (n_runs, d) array).
    optimizer : "sgd", "momentum", a numbanet.optim name or class, or an ``UpdateRule``
    beta : float
        Momentum's beta (built-in ``"momentum"``).
    w0 : array_like (d,), optional
        Common start of every run (default ``w_star + 1``).
    seed : int
        Seed of NumPy's ``default_rng``; the result is a function of the seed.
    record_every : int
        Record :math:`\|W_t - w^*\|^2` every this many steps (and at t = 0).
    burn_in : int, optional
        Steps discarded before the stationary time average (default: half of ``steps``).
    q : tuple of float
        Quantiles to report.
    keep_runs : bool
        Keep every run's recorded curve.

    Returns
    -------
    Simulation

    Notes
    -----
    Each step draws one minibatch gradient per run (``problem.gradients``) and applies the
    optimiser's update to all runs at once; the squared error is recorded, so memory is
    O(n_runs * d) plus the recorded statistics.
    """
    problem = _problem(problem)
    steps = positive_int(steps, "steps")
    B = positive_int(batch_size, "batch_size")
    R = positive_int(n_runs, "n_runs", minimum=2)
    every = positive_int(record_every, "record_every")
    alphas = _schedule(lr, steps)
    burn = steps // 2 if burn_in is None else int(burn_in)
    if not 0 <= burn <= steps:
        raise ValidationError(f"burn_in must lie in [0, steps = {steps}]; got {burn_in!r}")
    q = tuple(float(v) for v in q)
    if any(not 0 <= v <= 1 for v in q):
        raise ValidationError(f"quantiles q must lie in [0, 1]; got {q}")
    rule = _rule(optimizer, beta)
    from .._threads import threadpoolctl

    threadpool_limits = threadpoolctl().threadpool_limits

    with threadpool_limits(1):  # (n_runs, d) @ (d, d) products: threaded BLAS only adds overhead
        return _simulate(problem, rule, alphas, B, steps, R, every, burn, q, w0, seed, keep_runs)


def _simulate(problem, rule, alphas, B, steps, R, every, burn, q, w0, seed, keep_runs):
    rng = np.random.default_rng(seed)
    W = np.tile(_w0(problem, w0), (R, 1))
    state = rule.init(W)
    rec_t = [0]
    rec = [np.sum((W - problem.w_star) ** 2, axis=1)]
    acc = np.zeros(R)
    n_acc = 0
    if burn == 0:
        acc += rec[0]
        n_acc += 1
    for t in range(1, steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            g = problem.gradients(W, B, rng)
            W = rule.update(W, g, alphas[t - 1], state)
            big = not np.isfinite(np.sum((W - problem.w_star) ** 2))
        if big:
            raise ValidationError(
                f"the runs diverged at step {t} (||W - w*||^2 overflows): lower the learning rate "
                f"(alpha = {alphas[t - 1]:.4g} there)"
            )
        if t % every == 0 or t == steps:
            err = np.sum((W - problem.w_star) ** 2, axis=1)
            rec_t.append(t)
            rec.append(err)
            if t >= burn:
                acc += err
                n_acc += 1
    sq = np.stack(rec, axis=1)
    mean = sq.mean(axis=0)
    std = sq.std(axis=0, ddof=1)
    return Simulation(
        t=np.array(rec_t),
        mean=mean,
        std=std,
        sem=std / math.sqrt(R),
        quantiles=np.quantile(sq, q, axis=0),
        q=q,
        run_avg=acc / max(n_acc, 1),
        burn_in=burn,
        sq_err=sq if keep_runs else None,
    )


# ============================================================================ the slide's claim


def slide_problem():
    """The strongly convex problem of the ``noise-ball`` figure and claim 10.

    A 3-D quadratic, :math:`H = \\operatorname{diag}(1, 2, 4)` (c = 1) and identity noise
    (:math:`\\sigma^2 = 3`)."""
    return Quadratic(H=[1.0, 2.0, 4.0], Sigma=np.eye(3))


def claim_check(alphas=(0.02, 0.05, 0.1), batch_sizes=(1, 4, 16), n_runs=1000, steps=1000, seed=0):
    """Claim 10 of ``numbanet claims``: the noise ball against its bound, shrinking with alpha
    and with B.

    Returns ``(computed, verdict, explanation, method)`` as ``numbanet.claims`` expects.
    """
    prob = slide_problem()
    rows = {}
    ok_bound = ok_mc = True
    worst_z = 0.0
    for B in batch_sizes:
        for a in alphas:
            st = stationary(prob, a, B)
            sim = simulate(
                prob,
                a,
                B,
                steps,
                n_runs=n_runs,
                seed=seed,
                w0=prob.w_star,
                record_every=10,
                burn_in=steps // 3,
            )
            m, se = sim.stationary()
            z = abs(m - st.value) / se
            worst_z = max(worst_z, z)
            ok_mc &= z < 4.0
            ok_bound &= st.value <= st.bound * (1 + 1e-12)
            rows[f"alpha={a}, B={B}"] = {
                "exact": st.value,
                "monte carlo": m,
                "mc s.e.": se,
                "bound": st.bound,
            }
    ex = {(B, a): stationary(prob, a, B).value for B in batch_sizes for a in alphas}
    shrink_a = all(
        ex[(B, a1)] > ex[(B, a0)] for B in batch_sizes for a0, a1 in zip(alphas, alphas[1:])
    )
    shrink_b = all(
        ex[(b0, a)] > ex[(b1, a)] for a in alphas for b0, b1 in zip(batch_sizes, batch_sizes[1:])
    )
    ok = ok_bound and ok_mc and shrink_a and shrink_b
    explanation = (
        "SGD on a quadratic with H = diag(1, 2, 4) (c = 1) and identity gradient noise "
        "(sigma^2 = 3): the exact stationary E||W - w*||^2 (discrete Lyapunov equation) stays "
        "below alpha (sigma^2/B + mu^2)/(2c) with mu^2 = E||grad L(W)||^2 at stationarity, "
        f"Monte Carlo ({n_runs} runs) agrees within {worst_z:.2f} standard errors, and the ball "
        "shrinks as alpha decreases and as B grows"
    )
    return (
        rows,
        "approx" if ok else "differs",
        explanation,
        "theory.noise_ball.stationary (exact) and simulate (Monte Carlo)",
    )


__all__ = [
    "bound",
    "Quadratic",
    "LeastSquares",
    "exact_curve",
    "stationary",
    "constants",
    "simulate",
    "Simulation",
    "Stationary",
    "UpdateRule",
    "SGDRule",
    "MomentumRule",
    "EngineOptimizer",
    "slide_problem",
    "claim_check",
]
