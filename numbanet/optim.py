r"""Optimisers, written as the slides write them, each one fused update kernel per parameter.

With :math:`g_t` the minibatch gradient at step :math:`t` (1-based) and :math:`\alpha` the
learning rate:

==================  ==========================================================================
optimiser           update
==================  ==========================================================================
``SGD``             :math:`\theta_t = \theta_{t-1} - \alpha g_t`
``Momentum``        :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\;
                    \theta_t = \theta_{t-1} - \alpha m_t` (EWMA form, the slides'); with
                    ``bias_correction``: :math:`\hat m_t = m_t / (1-\beta_1^t)`;
                    ``form="classical"``: :math:`v_t = \mu v_{t-1} + g_t` (PyTorch, Nielsen)
``Nesterov``        :math:`\theta_t = \theta_{t-1} - \alpha\beta_1 m_{t-1}
                    - \alpha(1-\beta_1)\nabla L(\theta_{t-1} - \alpha\beta_1 m_{t-1})`
``Adagrad``         :math:`\theta_t = \theta_{t-1} - \alpha g_t / \sqrt{\sum_{\tau\le t} g_\tau^2
                    + \epsilon}`
``RMSProp``         :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\;
                    \theta_t = \theta_{t-1} - \alpha g_t / \sqrt{v_t + \epsilon}`; with
                    ``bias_correction``: :math:`\hat v_t = v_t / (1-\beta_2^t)` in place of v
``Adam``            :math:`\theta_t = \theta_{t-1} - \alpha \hat m_t / \sqrt{\hat v_t + \epsilon}`
                    (momentum and RMSProp, both bias-corrected)
==================  ==========================================================================

Epsilon sits *inside* the square root as on the slides (``eps_inside=True``); ``eps_inside=False``
puts it outside, :math:`\sqrt{\hat v_t} + \epsilon`, as Kingma & Ba and PyTorch do. The two differ
only while :math:`v` is of the order of epsilon.

Momentum's two forms, side by side. The EWMA form averages: :math:`m_t = (1-\beta_1)\sum_k
\beta_1^k g_{t-k}`, so :math:`m_1 = 0.1 g_1` and :math:`m_2 = 0.1 g_2 + 0.09 g_1` for
:math:`\beta_1 = 0.9` and the effective learning rate is :math:`\alpha(1-\beta_1)` (or
:math:`\alpha(1-\beta_1)/(1-\beta_1^t)` with bias correction). The classical form sums,
:math:`v_t = \sum_k \mu^k g_{t-k}`; it is the EWMA form with :math:`\alpha_{classical} =
\alpha(1-\beta_1)`, i.e. the same trajectory when the learning rate is rescaled.

Nesterov through ``step()``. The slides evaluate the gradient at the look-ahead point
:math:`\phi_{t-1} = \theta_{t-1} - \alpha\beta_1 m_{t-1}`. We store :math:`\phi` in the model (so
``fit`` computes the gradient where Nesterov wants it) and update it by

.. math:: m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
          \phi_t = \phi_{t-1} - \alpha\,[\beta_1 m_t + (1-\beta_1) g_t],\qquad
          g_t = \nabla L(\phi_{t-1}).

Substituting :math:`\phi = \theta - \alpha\beta_1 m` into the slide's update gives exactly this
(for a constant :math:`\alpha`), so the sequence of :math:`\theta_t = \phi_t + \alpha\beta_1 m_t`
is the slide's; :meth:`Nesterov.slide_params` returns it. (Sutskever et al. 2013; the same
reformulation as PyTorch's ``nesterov=True`` in the classical form.)

Weight decay comes in three spellings, all for weights only (not biases), as in the slides:

* ``l2=lambda, n_train=n``: Nielsen's form :math:`w \leftarrow (1 - \alpha\lambda/n) w - \alpha
  \cdot\text{update}`, the update of the cost :math:`C = C_0 + \frac{\lambda}{2n}\sum w^2` for SGD
  (``fit`` fills in ``n_train``); for adaptive optimisers this is decoupled decay (AdamW-like);
* ``weight_decay=wd``: PyTorch's coupled SGD form, the same with :math:`\lambda / n = wd`;
* ``l2_penalty=lambda`` (a float, or ``{parameter name: lambda_l}`` per layer): the penalty
  :math:`J = \frac1B\sum_i L_i + \sum_l \frac{\lambda_l}{2}\|W^{[l]}\|_F^2`. Its gradient
  :math:`\lambda_l W^{[l]}` is added to :math:`g_t` inside the update kernel (so it also goes
  through m and v), and ``fit`` adds :meth:`Optimizer.penalty` to the reported training loss.

``clip_norm=c`` rescales every gradient by :math:`\min(1, c / \|g\|)`, with :math:`\|g\|` the
global norm over all trainable parameters, between backward and the update
(``last_grad_norm`` keeps the unclipped norm).

Size: over 600 lines on purpose: the six optimisers of the slides side by side, with the shared
state, flat-run update and checkpoint plumbing of their base class; splitting them would scatter
one table of update rules.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._validate import positive_float
from .errors import ValidationError

_FLAT = "flat"  # the key of the whole flat run of parameters in ``Optimizer._buf``


class FusedRule(NamedTuple):
    """An update the fused dense-epoch kernels apply (see ``Optimizer.fused_rule``)."""

    lr: float
    momentum: bool
    beta: float  # velocity decay (momentum only)
    damp: float  # the gradient's factor in the velocity: 1 - beta (EWMA form) or 1 (classical)


def _unit_interval(value, name):
    v = float(value)
    if not (0.0 <= v < 1.0) or math.isnan(v):
        raise ValidationError(f"{name} must lie in [0, 1); got {value!r}")
    return v


class Optimizer:
    """Base class: holds the parameters, the learning rate and the step count ``t``.

    Parameters
    ----------
    params : list of Parameter
        Usually ``net.parameters()``.
    lr : float
        Learning rate alpha (a schedule may change ``optimizer.lr`` between epochs).
    weight_decay, l2, n_train : float, float, int
        Multiplicative weight decay (see the module docstring).
    l2_penalty : float or dict, optional
        lambda of the penalty lambda/2 ||W||_F^2, for every weight or per parameter name.
    clip_norm : float, optional
        Global gradient-norm clipping threshold.
    """

    name = "optimizer"
    #: Names of the per-parameter state arrays (for ``state_dict`` and plots).
    state_names: tuple = ()

    def __init__(
        self, params, lr, weight_decay=0.0, l2=0.0, n_train=None, l2_penalty=0.0, clip_norm=None
    ):
        from .nn.parameter import Parameter

        params = list(params)
        if not params:
            raise ValidationError("the optimiser received no parameters (params is empty)")
        for p in params:
            if not isinstance(p, Parameter):
                raise ValidationError(
                    f"params must be Parameter objects, e.g. net.parameters(); got {type(p).__name__}"
                )
        self.params = params
        self.lr = positive_float(lr, "lr")
        self.weight_decay = positive_float(weight_decay, "weight_decay", allow_zero=True)
        self.l2 = positive_float(l2, "l2", allow_zero=True)
        self.n_train = None if n_train is None else int(n_train)
        if isinstance(l2_penalty, dict):
            names = {p.name for p in params}
            unknown = sorted(set(l2_penalty) - names)
            if unknown:
                raise ValidationError(
                    f"l2_penalty names unknown parameters {unknown}; use names from "
                    f"net.parameters() such as {sorted(names)[:3]}"
                )
            self.l2_penalty = {
                k: positive_float(v, f"l2_penalty[{k!r}]", allow_zero=True)
                for k, v in l2_penalty.items()
            }
        else:
            self.l2_penalty = positive_float(l2_penalty, "l2_penalty", allow_zero=True)
        self.clip_norm = None if clip_norm is None else positive_float(clip_norm, "clip_norm")
        self.t = 0
        self.last_grad_norm = None
        self._state = [dict() for _ in params]

    @property
    def backend(self):
        return self.params[0].backend

    @property
    def fusable(self):
        """True when a fused epoch kernel that knows only lr and decay_factor may run us."""
        return self.clip_norm is None and not self._has_penalty()

    def set_train_size(self, n):
        """Called by ``fit``: the n of Nielsen's lambda / n, unless given explicitly."""
        if self.n_train is None:
            self.n_train = int(n)

    def decay_factor(self, p):
        """The multiplicative weight-decay factor for parameter ``p`` at this step."""
        if p.kind != "weight":
            return 1.0
        rate = self.weight_decay
        if self.l2:
            if not self.n_train:
                raise ValidationError(
                    "l2 needs the training-set size n (Nielsen's lambda / n): pass n_train= or "
                    "train with fit()"
                )
            rate += self.l2 / self.n_train
        return 1.0 - self.lr * rate

    # ------------------------------------------------------------- L2 penalty
    def _has_penalty(self):
        if isinstance(self.l2_penalty, dict):
            return any(v > 0 for v in self.l2_penalty.values())
        return self.l2_penalty > 0

    def penalty_coef(self, p):
        """lambda of the L2 penalty for parameter ``p`` (0 for biases and 'other')."""
        if p.kind != "weight":
            return 0.0
        if isinstance(self.l2_penalty, dict):
            return self.l2_penalty.get(p.name, 0.0)
        return self.l2_penalty

    def penalty(self):
        r"""The penalty :math:`\sum_l \frac{\lambda_l}{2}\|W^{[l]}\|_F^2` at the current weights."""
        if not self._has_penalty():
            return 0.0
        total = 0.0
        for p in self.params:
            lam = self.penalty_coef(p)
            if lam:
                total += 0.5 * lam * p.backend.sq_norm(p.data)
        return total

    # ------------------------------------------------------------- the step
    def grad_norm(self):
        """Global L2 norm of the gradients of the trainable parameters."""
        return math.sqrt(sum(p.backend.sq_norm(p.grad_data) for p in self.params if p.trainable))

    def zero_grad(self):
        seg = self._flat_segment()
        if seg is not None:
            seg.backend.fill(seg.grad_data, 0)
            return
        for p in self.params:
            p.zero_grad()

    def step(self):
        """Apply one update to every trainable parameter (after clipping, if asked).

        When the parameters are one run of a model's flat buffer and every one of them is
        updated with the same factors (trainable, no weight decay or L2 penalty that would treat
        weights and biases differently), the update is one kernel call over the whole run.
        """
        self.t += 1
        gscale = 1.0
        if self.clip_norm is not None:
            norm = self.grad_norm()
            self.last_grad_norm = norm
            if norm > self.clip_norm:
                gscale = self.clip_norm / norm
        seg = self._flat_segment()
        if seg is not None and self._uniform_update():
            self._update(_FLAT, seg, gscale, 0.0)
            return
        for i, p in enumerate(self.params):
            if p.trainable:
                self._update(i, p, gscale, self.penalty_coef(p))

    def _flat_segment(self):
        """A ``Parameter`` spanning all of ``params`` when they are consecutive views of one
        flat buffer (in order, no gaps), else None. Computed once."""
        seg = self.__dict__.get("_seg", False)
        if seg is not False:
            return seg
        seg = None
        homes = [p.home for p in self.params]
        if all(h is not None for h in homes):
            flat, grad, start = homes[0]
            off, ok = start, True
            for p, (f, g, o) in zip(self.params, homes):
                if f is not flat or g is not grad or o != off:
                    ok = False
                    break
                off += p.size
            if ok:
                from .nn.parameter import Parameter

                seg = Parameter(
                    "flat",
                    flat[start:off],
                    grad[start:off],
                    self.params[0].backend,
                    kind="weight",
                    home=(flat, grad, start),
                )
        self._seg = seg
        return seg

    def _uniform_update(self):
        """True when one update over the flat run equals the per-parameter updates: every
        parameter trainable, no weight decay (weights only) and no L2 penalty."""
        return (
            self.weight_decay == 0.0
            and self.l2 == 0.0
            and not self._has_penalty()
            and all(p.trainable for p in self.params)
        )

    def _update(self, i, p, gscale, l2):  # pragma: no cover - abstract
        raise NotImplementedError

    def buffer(self, i, name):
        """The live state array ``name`` (e.g. ``"m"``) of parameter ``i``, flat, on the
        parameter's backend (created as zeros on first use). Writing into it changes the
        optimiser's state; ``get_state``/``state_arrays`` give copies."""
        return self._buf(i, name)

    def fused_rule(self):
        """This optimiser's update as the fused dense-epoch kernels know it, or None.

        Those kernels apply ``w <- decay * w - lr * u`` to weights (``decay_factor``) and
        ``b <- b - lr * u`` to biases, with ``u = g`` (SGD) or the velocity
        ``v <- beta v + damp g`` (momentum).
        An optimiser that is not of that form (adaptive ones, bias correction, Nesterov's
        look-ahead, clipping, an L2 penalty) returns None and ``fit`` runs layer by layer.
        """
        return None

    def _plain_update(self, cls):
        """True unless a subclass of ``cls`` changed how a step updates (then its rule is not
        the one the fused kernels know)."""
        kind = type(self)
        return kind.step is cls.step and kind._update is cls._update

    def _buf(self, i, name):
        """State array ``name`` of parameter ``i`` (zeros on the parameter's backend, lazily).

        With a flat run of parameters (``_flat_segment``) every state array is one flat array
        and each parameter's state a view of it, so the one-call update and the per-parameter
        path share the same state. ``i`` may be ``_FLAT`` for the whole run."""
        seg = self._flat_segment()
        if seg is not None:
            flat_state = self.__dict__.setdefault("_flat_state", {})
            if name not in flat_state:
                flat_state[name] = seg.backend.zeros((seg.size,), seg.dtype)
                o = 0
                for k, p in enumerate(self.params):
                    self._state[k][name] = flat_state[name][o : o + p.size]
                    o += p.size
            if i is _FLAT:
                return flat_state[name]
            return self._state[i][name]
        st = self._state[i]
        if name not in st:
            p = self.params[i]
            st[name] = p.backend.zeros((p.size,), p.dtype)
        return st[name]

    # ------------------------------------------------------------- inspection
    def get_state(self, i):
        """State of parameter ``i`` (index or Parameter) as NumPy arrays shaped like it, plus
        ``lr_eff``: the per-component step size the last update applied to the gradient."""
        if not isinstance(i, int):
            i = next(k for k, p in enumerate(self.params) if p is i)
        p = self.params[i]
        out = {k: p.backend.to_numpy(a).reshape(p.shape).copy() for k, a in self._state[i].items()}
        out["lr_eff"] = self.effective_lr(i)
        return out

    def state_arrays(self):
        """{state name: [NumPy array shaped like parameter i, for each i]} (zeros before the
        first step), e.g. ``opt.state_arrays()["m"][0]`` for plotting."""
        out = {}
        for name in self.state_names:
            arrs = []
            for i, p in enumerate(self.params):
                a = self._state[i].get(name)
                arrs.append(
                    np.zeros(p.shape, p.dtype)
                    if a is None
                    else p.backend.to_numpy(a).reshape(p.shape).copy()
                )
            out[name] = arrs
        return out

    def effective_lr(self, i=0):
        """The factor multiplying the (newest) gradient in the update; scalar or array."""
        return self.lr

    # ------------------------------------------------------------- state (for checkpoints)
    def hyperparameters(self):
        """Scalar settings (JSON-able), for checkpoints."""
        out = {"lr": self.lr, "weight_decay": self.weight_decay, "l2": self.l2}
        if self.n_train is not None:
            out["n_train"] = self.n_train
        if self.clip_norm is not None:
            out["clip_norm"] = self.clip_norm
        out["l2_penalty"] = self.l2_penalty
        return out

    def state_dict(self):
        """Scalars and per-parameter state arrays (NumPy): ``t``, ``lr``, ``<state>.<i>``."""
        out = {"t": np.array(self.t), "lr": np.array(self.lr), "name": np.array(self.name)}
        for i, st in enumerate(self._state):
            for k, a in st.items():
                out[f"{k}.{i}"] = np.array(self.params[i].backend.to_numpy(a), copy=True)
        return out

    def load_state_dict(self, state):
        """Restore from ``state_dict()`` output; validates names, sizes and dtypes first."""
        t, lr, new = self._validate_state(state)
        names = {k for (_, k) in new}
        for i, p in enumerate(self.params):
            for k in names:  # state absent from the file for a parameter starts at zero
                buf = self._buf(i, k)
                a = new.get((i, k))
                if a is None:
                    p.backend.fill(buf, 0)
                else:
                    p.backend.copy_into(buf, a.astype(p.dtype))
        for i, st in enumerate(self._state):
            for k in [k for k in st if k not in names]:
                self.params[i].backend.fill(st[k], 0)
        self.t, self.lr = t, lr

    def _validate_state(self, state):
        """Check ``state`` against this optimiser; returns (t, lr, {(i, name): array})."""
        if "name" in state and str(np.asarray(state["name"])) != self.name:
            raise ValidationError(
                f"optimizer state is for {str(np.asarray(state['name']))!r}, not {self.name!r}"
            )
        new = {}
        for key, arr in state.items():
            if key in ("t", "lr", "name"):
                continue
            k, _, idx = key.rpartition(".")
            if k not in self.state_names or not idx.isdigit() or int(idx) >= len(self.params):
                raise ValidationError(
                    f"optimizer state has an unexpected entry {key!r} for {self.name!r} "
                    f"(expected names {list(self.state_names)} with parameter indices "
                    f"0..{len(self.params) - 1})"
                )
            p = self.params[int(idx)]
            a = np.asarray(arr)
            if a.shape != (p.size,):
                raise ValidationError(
                    f"optimizer state {key!r} has shape {a.shape}; parameter {p.name} needs "
                    f"({p.size},)"
                )
            if a.dtype.kind != "f" or not np.isfinite(a).all():
                raise ValidationError(f"optimizer state {key!r} must be finite floats")
            new[(int(idx), k)] = a
        if "t" not in state or "lr" not in state:
            raise ValidationError("optimizer state needs the step count 't' and 'lr'")
        t, lr = int(state["t"]), float(state["lr"])
        if t < 0 or not (lr > 0 and math.isfinite(lr)):
            raise ValidationError(f"optimizer state has t={t}, lr={lr}; need t >= 0, lr > 0")
        return t, lr, new

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent: w <- (decay) w - lr grad."""

    name = "sgd"

    def fused_rule(self):
        if not self.fusable or not self._plain_update(SGD):
            return None
        return FusedRule(self.lr, False, 0.0, 1.0)

    def _update(self, i, p, gscale=1.0, l2=0.0):
        if gscale == 1.0 and l2 == 0.0:
            self.backend.sgd_update(p.data, p.grad_data, self.lr, self.decay_factor(p))
        else:  # momentum with beta = 0 is SGD; its kernel folds in clipping and the penalty
            scratch = self._scratch(i, p)
            p.backend.momentum_update(
                p.data,
                p.grad_data,
                scratch,
                self.lr,
                0.0,
                1.0,
                1.0,
                False,
                self.decay_factor(p),
                gscale,
                l2,
            )

    def _scratch(self, i, p):
        if not hasattr(self, "_scratch_bufs"):
            self._scratch_bufs = {}
        if i not in self._scratch_bufs:
            self._scratch_bufs[i] = p.backend.zeros((p.size,), p.dtype)
        return self._scratch_bufs[i]


class Momentum(Optimizer):
    r"""SGD with momentum.

    ``form="ewma"`` (default, the slides): :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
    :math:`\theta_t = \theta_{t-1} - \alpha m_t` (or :math:`\alpha m_t/(1-\beta_1^t)` with
    ``bias_correction=True``). ``form="classical"``: :math:`v_t = \beta_1 v_{t-1} + g_t`,
    :math:`\theta_t = \theta_{t-1} - \alpha v_t` (Nielsen's and PyTorch's ``momentum=``).

    State: ``m`` (one array per parameter). ``effective_lr`` is the slides'
    :math:`\alpha(1-\beta_1)`, or :math:`\alpha(1-\beta_1)/(1-\beta_1^t)` when corrected.
    """

    name = "momentum"
    state_names = ("m",)
    nesterov = False

    def __init__(self, params, lr, beta1=0.9, bias_correction=False, form="ewma", **kwargs):
        super().__init__(params, lr, **kwargs)
        self.beta1 = _unit_interval(beta1, "beta1")
        if form not in ("ewma", "classical"):
            raise ValidationError(f"form must be 'ewma' or 'classical'; got {form!r}")
        self.form = form
        self.bias_correction = bool(bias_correction)
        if self.bias_correction and self.form == "classical":
            raise ValidationError("bias_correction applies to the EWMA form (form='ewma') only")

    @property
    def _damp(self):
        return 1.0 - self.beta1 if self.form == "ewma" else 1.0

    def fused_rule(self):
        if not self.fusable or not self._plain_update(Momentum):
            return None
        if self.bias_correction or self.nesterov:
            return None  # the step size changes with t inside an epoch / a look-ahead point
        return FusedRule(self.lr, True, self.beta1, self._damp)

    def _corr(self):
        if self.bias_correction and self.t > 0:
            return 1.0 / (1.0 - self.beta1**self.t)
        return 1.0

    def _update(self, i, p, gscale=1.0, l2=0.0):
        p.backend.momentum_update(
            p.data,
            p.grad_data,
            self._buf(i, "m"),
            self.lr,
            self.beta1,
            self._damp,
            self._corr(),
            self.nesterov,
            self.decay_factor(p),
            gscale,
            l2,
        )

    def effective_lr(self, i=0):
        if self.nesterov:
            return self.lr * self._damp * (1 + self.beta1)
        return self.lr * self._damp * self._corr()

    def hyperparameters(self):
        return {
            **super().hyperparameters(),
            "beta1": self.beta1,
            "form": self.form,
            "bias_correction": self.bias_correction,
        }

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, beta1={self.beta1}, form={self.form!r})"


class Nesterov(Momentum):
    r"""Nesterov's accelerated gradient (the slides' form, run through ``step()``).

    The model holds the look-ahead point :math:`\phi = \theta - \alpha\beta_1 m`, where the
    gradient is evaluated; the update is :math:`\phi \leftarrow \phi - \alpha[\beta_1 m_t +
    (1-\beta_1) g_t]` (see the module docstring for the equivalence with the slide's
    :math:`\theta_t = \theta_{t-1} - \alpha\beta_1 m_{t-1} - \alpha(1-\beta_1)\nabla L(\theta_{t-1}
    - \alpha\beta_1 m_{t-1})`). ``form="classical"`` is PyTorch's ``nesterov=True``. No bias
    correction.
    """

    name = "nesterov"
    nesterov = True

    def __init__(self, params, lr, beta1=0.9, form="ewma", **kwargs):
        super().__init__(params, lr, beta1=beta1, bias_correction=False, form=form, **kwargs)

    def slide_params(self, i):
        r"""The slides' :math:`\theta_t = \phi_t + \alpha\beta_1 m_t` for parameter ``i`` (NumPy),
        exact for a constant learning rate (EWMA form)."""
        p = self.params[i]
        m = self._state[i].get("m")
        phi = p.value.astype(np.float64)
        if m is None:
            return phi
        scale = self.lr * self.beta1  # phi = theta - lr beta1 m in both forms
        return phi + scale * p.backend.to_numpy(m).reshape(p.shape)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al. 2011): :math:`\theta_t = \theta_{t-1} - \alpha g_t /
    \sqrt{\sum_{\tau=1}^t g_\tau^2 + \epsilon}`. State: ``s`` (the running sum of squares)."""

    name = "adagrad"
    state_names = ("s",)

    def __init__(self, params, lr, eps=1e-8, eps_inside=True, **kwargs):
        super().__init__(params, lr, **kwargs)
        self.eps = positive_float(eps, "eps")  # eps = 0 would make 0 / 0 of a zero gradient
        self.eps_inside = bool(eps_inside)

    def _update(self, i, p, gscale=1.0, l2=0.0):
        p.backend.adagrad_update(
            p.data,
            p.grad_data,
            self._buf(i, "s"),
            self.lr,
            self.eps,
            self.eps_inside,
            self.decay_factor(p),
            gscale,
            l2,
        )

    def effective_lr(self, i=0):
        s = self._state[i].get("s")
        if s is None:
            return self.lr
        s = self.params[i].backend.to_numpy(s).astype(np.float64).reshape(self.params[i].shape)
        den = np.sqrt(s + self.eps) if self.eps_inside else np.sqrt(s) + self.eps
        return self.lr / den

    def hyperparameters(self):
        return {**super().hyperparameters(), "eps": self.eps, "eps_inside": self.eps_inside}


class RMSProp(Optimizer):
    r"""RMSProp: :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`, :math:`\theta_t =
    \theta_{t-1} - \alpha g_t / \sqrt{v_t + \epsilon}`; ``bias_correction=True`` uses
    :math:`\hat v_t = v_t / (1 - \beta_2^t)`. State: ``v``."""

    name = "rmsprop"
    state_names = ("v",)

    def __init__(
        self, params, lr, beta2=0.9, eps=1e-8, bias_correction=False, eps_inside=True, **kwargs
    ):
        super().__init__(params, lr, **kwargs)
        self.beta2 = _unit_interval(beta2, "beta2")
        self.eps = positive_float(eps, "eps")  # eps = 0 would make 0 / 0 of a zero gradient
        self.bias_correction = bool(bias_correction)
        self.eps_inside = bool(eps_inside)

    def _corr2(self):
        if self.bias_correction and self.t > 0:
            return 1.0 / (1.0 - self.beta2**self.t)
        return 1.0

    def _update(self, i, p, gscale=1.0, l2=0.0):
        p.backend.rmsprop_update(
            p.data,
            p.grad_data,
            self._buf(i, "v"),
            self.lr,
            self.beta2,
            self._corr2(),
            self.eps,
            self.eps_inside,
            self.decay_factor(p),
            gscale,
            l2,
        )

    def effective_lr(self, i=0):
        v = self._state[i].get("v")
        if v is None:
            return self.lr
        v = self.params[i].backend.to_numpy(v).astype(np.float64).reshape(self.params[i].shape)
        v = v * self._corr2()
        den = np.sqrt(v + self.eps) if self.eps_inside else np.sqrt(v) + self.eps
        return self.lr / den

    def hyperparameters(self):
        return {
            **super().hyperparameters(),
            "beta2": self.beta2,
            "eps": self.eps,
            "bias_correction": self.bias_correction,
            "eps_inside": self.eps_inside,
        }


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015): momentum and RMSProp, both bias-corrected,

    .. math:: \theta_t = \theta_{t-1} - \alpha\,\frac{\hat m_t}{\sqrt{\hat v_t + \epsilon}},\quad
              \hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t}.

    State: ``m``, ``v``. Its first step moves every weight by about alpha (hat m_1 / sqrt(hat v_1)
    = g_1 / |g_1|). ``eps_inside=False`` gives PyTorch's :math:`\sqrt{\hat v_t} + \epsilon`.
    ``effective_lr`` is the per-component :math:`\alpha / \sqrt{\hat v_t + \epsilon}`.
    """

    name = "adam"
    state_names = ("m", "v")

    def __init__(
        self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, eps_inside=True, **kwargs
    ):
        super().__init__(params, lr, **kwargs)
        self.beta1 = _unit_interval(beta1, "beta1")
        self.beta2 = _unit_interval(beta2, "beta2")
        self.eps = positive_float(eps, "eps")  # eps = 0 would make 0 / 0 of a zero gradient
        self.eps_inside = bool(eps_inside)

    def _corrs(self):
        t = max(self.t, 1)
        return 1.0 / (1.0 - self.beta1**t), 1.0 / (1.0 - self.beta2**t)

    def _update(self, i, p, gscale=1.0, l2=0.0):
        c1, c2 = self._corrs()
        p.backend.adam_update(
            p.data,
            p.grad_data,
            self._buf(i, "m"),
            self._buf(i, "v"),
            self.lr,
            self.beta1,
            self.beta2,
            c1,
            c2,
            self.eps,
            self.eps_inside,
            self.decay_factor(p),
            gscale,
            l2,
        )

    def effective_lr(self, i=0):
        v = self._state[i].get("v")
        if v is None:
            return self.lr
        v = self.params[i].backend.to_numpy(v).astype(np.float64).reshape(self.params[i].shape)
        v = v * self._corrs()[1]
        den = np.sqrt(v + self.eps) if self.eps_inside else np.sqrt(v) + self.eps
        return self.lr / den

    def hyperparameters(self):
        return {
            **super().hyperparameters(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "eps": self.eps,
            "eps_inside": self.eps_inside,
        }

    def __repr__(self):
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def get(name, params, lr, **kwargs):
    """An optimiser by name over ``params`` ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop',
    'adam')."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValidationError(
            f"unknown optimizer {name!r}; choose one of {', '.join(sorted(OPTIMIZERS))}"
        )
    return OPTIMIZERS[key](params, lr=lr, **kwargs)


__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "RMSProp",
    "Adam",
    "OPTIMIZERS",
    "get",
]
