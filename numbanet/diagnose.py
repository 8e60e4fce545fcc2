"""Bias or variance? Deck 003's "¿Qué conviene corregir? ¿Sesgo o varianza?", from a History.

The slide defines two numbers and says they are attacked separately:

* **avoidable bias** = training error - Bayes error ("Error de train - Error bayesiano");
* **generalization gap** = validation error - training error ("Error de validación - Error de
  train").

:func:`diagnose` computes both from a training run and says which one to attack first (the larger;
"Ambos problemas se atacan por separado!"). The remedies for the gap are the deck's own list on the
next slide ("¿Cómo mejorar la capacidad de generalización del algoritmo?": penalty, noise
injection, early stopping, data augmentation, auto-encoders). The deck's flowchart for the bias
("Propuesta de algoritmo", "Atacar el punto débil") survives only as pictures, so the remedies for
the bias are the usual ones that slide refers to (a bigger network, longer or better optimisation,
another architecture) and are labelled as such.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import numpy as np

from .errors import ValidationError

__all__ = ["Diagnosis", "diagnose", "BIAS_ADVICE", "VARIANCE_ADVICE"]

#: remedies for a large avoidable bias (the deck's flowchart is a lost picture: the usual recipe)
BIAS_ADVICE = (
    "train a bigger network (more units or layers)",
    "train longer or with a better optimiser (Adam, a tuned learning rate)",
    "try another architecture (e.g. convolutions for images)",
    "reduce the regularisation",
)
#: remedies for a large generalization gap: deck 003, "¿Cómo mejorar la capacidad de
#: generalización del algoritmo?" (plus more data, the first remedy of the bias-variance slides)
VARIANCE_ADVICE = (
    "more training data",
    "a penalty term (L2 / weight decay)",
    "noise injection (dropout, noise on the inputs or the weights)",
    "early stopping on the validation set",
    "data augmentation",
    "an unsupervised stage (auto-encoder pre-training)",
)


@dataclass
class Diagnosis:
    """Result of :func:`diagnose` (errors as fractions in [0, 1], or losses with ``metric='loss'``).

    ``focus`` is ``"bias"``, ``"variance"``, ``"both"`` (within ``tol`` of each other, both above
    it) or ``"neither"`` (both within ``tol``); ``advice`` lists what to try, the focus first."""

    metric: str
    epoch: int
    train_error: float
    val_error: float
    bayes_error: float
    avoidable_bias: float
    generalization_gap: float
    focus: str
    advice: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self):
        u = "error" if self.metric == "error" else "loss"
        lines = [
            f"epoch {self.epoch}: train {u} {self.train_error:.4f}, validation {u} "
            f"{self.val_error:.4f}, Bayes {u} {self.bayes_error:.4f}",
            f"  avoidable bias      = train - Bayes      = {self.avoidable_bias:+.4f}",
            f"  generalization gap  = validation - train = {self.generalization_gap:+.4f}",
            f"  attack: {self.focus}",
        ]
        lines += [f"  - {a}" for a in self.advice]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self):
        return dict(self.__dict__)


def _series(history, key):
    h = getattr(history, "history", history)
    if not isinstance(h, dict):
        raise ValidationError(
            f"history must be a numbanet History (what fit returns) or a dict of per-epoch lists; "
            f"got {type(history).__name__}"
        )
    v = h.get(key)
    if v is None or len(v) == 0:
        return None
    return np.array([np.nan if x is None else float(x) for x in v], dtype=np.float64)


def diagnose(history, bayes_error=0.0, metric="auto", epoch="last", tol=0.01):
    """Avoidable bias and generalization gap of a training run, and what to attack.

    Parameters
    ----------
    history : numbanet.History or dict
        A run of ``fit`` with ``validation=`` (``val_accuracy`` or ``val_loss``). The training
        accuracy ``fit`` records by default is a running mean over the epoch's minibatches;
        ``fit(..., train_metrics="exact")`` evaluates the whole training set instead, which is
        what the slide's "error de train" means.
    bayes_error : float
        The best error reachable (human-level or the noise of the labels); 0 by default. A
        fraction in [0, 1] for ``metric="error"``, in loss units for ``metric="loss"``.
    metric : {"auto", "error", "loss"}
        ``"error"``: 1 - accuracy; ``"loss"``: the loss; ``"auto"``: error when the run recorded
        accuracies, else the loss.
    epoch : "last", "best" or int
        Which epoch to diagnose: the last, the one with the lowest validation error (or
        ``history.best_epoch`` when set), or an index (0-based, negative counts from the end).
    tol : float
        Differences within ``tol`` count as negligible (``focus="neither"``), and the two terms
        within ``tol`` of each other make ``focus="both"``.

    Returns
    -------
    Diagnosis

    .. math:: \\text{avoidable bias} = E_{\\text{train}} - E_{\\text{Bayes}},\\qquad
              \\text{generalization gap} = E_{\\text{val}} - E_{\\text{train}}
    """
    if metric not in ("auto", "error", "loss"):
        raise ValidationError(f"metric must be 'auto', 'error' or 'loss'; got {metric!r}")
    acc, vacc = _series(history, "accuracy"), _series(history, "val_accuracy")
    loss, vloss = _series(history, "loss"), _series(history, "val_loss")
    if metric == "auto":
        metric = (
            "error"
            if vacc is not None and acc is not None and not np.all(np.isnan(acc))
            else "loss"
        )
    if metric == "error":
        if vacc is None or acc is None:
            raise ValidationError(
                "history has no accuracy and val_accuracy: fit a classifier with "
                "validation=(x_val, y_val) (or use metric='loss')"
            )
        train, val = 1.0 - acc, 1.0 - vacc
    else:
        if vloss is None or loss is None:
            raise ValidationError("history has no val_loss: fit with validation=(x_val, y_val)")
        train, val = loss, vloss
    if len(train) != len(val):
        raise ValidationError(
            f"history has {len(train)} training but {len(val)} validation records"
        )
    try:
        bayes = float(bayes_error)
    except (TypeError, ValueError):
        raise ValidationError(f"bayes_error must be a number; got {bayes_error!r}") from None
    if not np.isfinite(bayes) or bayes < 0 or (metric == "error" and bayes > 1):
        raise ValidationError(
            f"bayes_error must be {'in [0, 1]' if metric == 'error' else '>= 0'} for "
            f"metric={metric!r}; got {bayes_error!r}"
        )
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol >= 0):
        raise ValidationError(f"tol must be a finite number >= 0; got {tol!r}")
    n = len(train)
    if epoch == "last":
        i = n - 1
    elif epoch == "best":
        best = getattr(history, "best_epoch", None)
        if best is not None and 0 <= int(best) < n:
            i = int(best)
        else:
            if np.all(np.isnan(val)):
                raise ValidationError("no finite validation values to choose the best epoch from")
            i = int(np.nanargmin(val))
    elif isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool) and -n <= epoch < n:
        i = int(epoch) % n
    else:
        raise ValidationError(
            f"epoch must be 'last', 'best' or an index in [-{n}, {n}); got {epoch!r}"
        )
    tr, va = float(train[i]), float(val[i])
    if not (np.isfinite(tr) and np.isfinite(va)):
        raise ValidationError(
            f"epoch {i} has no finite training/validation {metric} (train {tr}, validation {va}); "
            "with metric='error', fit with train_metrics=True or 'exact'"
        )
    bias, gap = tr - bayes, va - tr
    notes = []
    if bias < -tol:
        notes.append(
            "the training error is below the Bayes error: the Bayes estimate is too high, or "
            "the training error is not comparable (e.g. measured with dropout)"
        )
    if gap < -tol:
        notes.append(
            "the validation error is below the training error: a running or regularised training "
            "metric (fit with train_metrics='exact'), or a validation set easier than training"
        )
    b, g = max(bias, 0.0), max(gap, 0.0)
    if b <= tol and g <= tol:
        focus, advice = "neither", []
    elif abs(b - g) <= tol:
        focus, advice = "both", list(BIAS_ADVICE) + list(VARIANCE_ADVICE)
    elif b > g:
        focus = "bias"
        advice = list(BIAS_ADVICE) + (list(VARIANCE_ADVICE) if g > tol else [])
    else:
        focus = "variance"
        advice = list(VARIANCE_ADVICE) + (list(BIAS_ADVICE) if b > tol else [])
    return Diagnosis(
        metric=metric,
        epoch=i,
        train_error=tr,
        val_error=va,
        bayes_error=bayes,
        avoidable_bias=bias,
        generalization_gap=gap,
        focus=focus,
        advice=advice,
        notes=notes,
    )


class _CallableModule(types.ModuleType):
    """``numbanet.diagnose`` is both this module and its function: once something has imported
    the module (``from numbanet.diagnose import Diagnosis``), the package attribute is the
    module, and calling it calls :func:`diagnose`."""

    def __call__(self, history, bayes_error=0.0, metric="auto", epoch="last", tol=0.01):
        return diagnose(history, bayes_error=bayes_error, metric=metric, epoch=epoch, tol=tol)


sys.modules[__name__].__class__ = _CallableModule
