"""Training and evaluation of a ``Sequential``: ``fit``, ``evaluate``, and the progress bar.

``Sequential.fit`` and ``Sequential.evaluate`` call :func:`fit` and :func:`evaluate` here. One
epoch of ``fit`` is:

1. shuffle the example order (the fit's seeded generator), unless one minibatch holds the
   whole training set: a full batch's gradient is the same sum in any order (only its rounding
   differs), and drawing a permutation of 256 examples costs about 7 us, a quarter of a training
   step of a tiny net;
2. train on the minibatches in that order, either through the backend's fused dense-epoch path
   (``backend.fused_dense_plan``: a whole chunk of minibatches in one compiled call, for plain
   dense nets trained with SGD or momentum) or layer by layer (forward, loss, backward through
   the same layers, ``optimizer.step``);
3. record the mean training loss and, for class targets, the **running training accuracy**: the
   fraction of examples that their own minibatch's forward pass classified right, before that
   minibatch's update (what Keras reports; it costs nothing, since the forward pass was done for
   training anyway). ``train_metrics="exact"`` instead evaluates the whole training set after the
   epoch with the final weights (one more forward pass over the data); ``False`` skips it;
4. evaluate the validation set, if any, then run the callbacks.

With ``check_finite`` a diverged epoch (a loss that is not finite) is rolled back to the end of
the previous one: parameters *and* running statistics (``model_state``), as ``EarlyStopping``
does when it restores the best epoch.

**Many epochs per call.** When nothing between two epochs needs Python (the fused path, no
callbacks, no validation set, no augmentation, no exact training metrics), the fused plan runs
many epochs in one compiled call (``FusedDensePlan.run_epochs``) and returns each epoch's summed
loss and right answers, so the ``History`` is the one the epoch-by-epoch loop records (its
``time`` is the call's time shared equally among its epochs). A tiny net trained on one full
batch per epoch spent half of ``fit`` in that loop (1-10x5-1 ReLU, 256 examples: 69 us per
epoch against 31 us for the step). Both ways run the same compiled kernel, so they give the same
weights and losses bit for bit; the call stops at a diverged epoch and puts its weights back,
and ``fit`` raises the same ``DivergenceError``. Each call covers at most
``config.FUSED_CALL_MACS`` multiply-adds (and 1/50 of the epochs when a progress bar shows),
so the bar moves and Ctrl-C is answered within about a second.

A model's outputs become classes by its loss (``Loss.labels_from``): the largest output of
several, and a single output thresholded at 0.5 for a probability or 0 for a logit.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from ._validate import positive_int, seed_value
from .callbacks import Callback, History
from .errors import DivergenceError, ValidationError


def fit(
    model,
    x,
    y,
    loss="cross_entropy",
    optimizer="sgd",
    epochs=1,
    batch_size=32,
    validation=None,
    seed=None,
    lr=None,
    shuffle=True,
    callbacks=(),
    progress=None,
    fused=True,
    check_finite=True,
    train_metrics=True,
    augment=None,
):
    """Train ``model`` with minibatch gradient descent; see ``Sequential.fit``."""
    from . import losses as L
    from . import optim as O

    x = model._check_input(x)
    n = x.shape[0]
    epochs = positive_int(epochs, "epochs")
    # a minibatch larger than the data is the whole data: workspaces are sized by min(bs, n)
    bs = min(positive_int(batch_size, "batch_size"), max(n, 1))
    seed = seed_value(seed)
    if train_metrics not in (True, False, "exact"):
        raise ValidationError(
            f"train_metrics must be True, False or 'exact'; got {train_metrics!r}"
        )
    loss_obj = L.get(loss)
    if isinstance(optimizer, O.Optimizer):
        if lr is not None:
            raise ValidationError(
                f"lr={lr!r} was given with an optimizer object, which keeps its own learning rate "
                f"({optimizer.lr}); set it when creating the optimizer (or set optimizer.lr), or "
                "pass the optimizer by name (optimizer='sgd', lr=...)"
            )
        opt = optimizer
    else:
        opt = O.get(optimizer, model.parameters(), 0.01 if lr is None else lr)
    opt.set_train_size(n)
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise ValidationError(f"callbacks must be Callback objects; got {type(cb).__name__}")
    layers, eff = model._split_for_loss(loss_obj)
    n_out = model._n_out()
    target = eff.prepare_target(y, n_out, model.dtype, n_rows=n)
    labels = labels_of(y, n_out, n)
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ValidationError("validation must be a pair (x_val, y_val)")
        xv = model._check_input(validation[0], "validation x")
        eff.prepare_target(
            validation[1], n_out, model.dtype, n_rows=xv.shape[0], name="validation y"
        )
    aug = _augmentation(augment)
    rng = np.random.default_rng(model.seed if seed is None else seed)
    model._fit_rng = rng
    if aug is not None:
        # a stream of its own, so the shuffles are the same with or without augmentation
        base = model.seed if seed is None else seed
        aug_rng = np.random.default_rng(None if base is None else (int(base), 0xA06))
    for layer in model.layers:  # noise layers (Dropout, ...) draw from the fit generator
        if hasattr(layer, "set_fit_rng"):
            layer.set_fit_rng(rng)
    model.loss = loss_obj  # how predict_classes turns outputs into classes from now on
    be = model.backend
    plan = None
    if fused and not any(cb.wants_batches for cb in callbacks):
        plan = fused_plan(model, layers, eff, opt)
    X = be.asarray(x, model.dtype)
    T = be.asarray(target, target.dtype)
    running = labels is not None and train_metrics is True
    history = History()
    if progress is None:
        progress = sys.stderr.isatty()
    reps = 1 if aug is None else aug[1] + int(aug[2])  # examples per original, per epoch
    bar = _Progress(epochs, n * reps, progress)
    for cb in callbacks:
        cb.on_train_begin(model, opt)
    good = model_state(model) if check_finite else None
    batched = (
        hasattr(plan, "run_epochs")  # a plan that can run many epochs per call (cpu)
        and not callbacks
        and validation is None
        and aug is None
        and not (labels is not None and train_metrics == "exact")
        and (not bar.enabled or epochs >= 50)
    )
    try:
        if batched:
            acc_labels = labels if running else None
            _epochs_fused(plan, X, target, acc_labels, n, bs, epochs, rng, shuffle, opt, bar,
                          check_finite, history)  # fmt: skip
        for epoch in range(1, 0 if batched else epochs + 1):
            for cb in callbacks:
                cb.on_epoch_begin(model, opt, epoch)
            t0 = time.perf_counter()
            Xe, Te, tgt, lab, ne = X, T, target, labels, n
            if aug is not None:  # this epoch's examples: the originals and fresh copies
                Xe = be.asarray(_augmented_epoch(aug, x, aug_rng), model.dtype)
                tgt = np.concatenate([target] * reps)
                Te = be.asarray(tgt, tgt.dtype)
                lab = None if labels is None else np.tile(labels, reps)
                ne = n * reps
            perm = rng.permutation(ne) if shuffle and bs < ne else np.arange(ne)
            lr_epoch = opt.lr
            acc_labels = lab if running else None
            if plan is not None:
                total, hits = _epoch_fused(plan, Xe, tgt, acc_labels, perm, bs, bar)
            else:
                total, hits = _epoch_layers(
                    model, layers, eff, opt, Xe, Te, acc_labels, perm, bs, bar, callbacks
                )
            train_loss = total / ne
            if check_finite and not math.isfinite(train_loss):
                restore_model_state(model, good)
                raise _diverged(epoch, train_loss, opt, history)
            logs = {"epoch": epoch, "loss": train_loss, "lr": lr_epoch}
            if running:
                logs["accuracy"] = hits / ne
            elif labels is not None and train_metrics == "exact":
                logs["accuracy"] = evaluate_checked(model, x, labels, None)["accuracy"]
            if validation is not None:
                ev = evaluate_checked(model, xv, validation[1], loss_obj)
                logs["val_loss"] = ev["loss"]
                logs["val_accuracy"] = ev["accuracy"]
            logs["time"] = time.perf_counter() - t0
            stop = False
            for cb in callbacks:  # callbacks may add entries to logs before it is recorded
                stop = bool(cb.on_epoch_end(model, opt, epoch, logs)) or stop
            history.append(**logs)
            bar.epoch_done(epoch, logs)
            if check_finite and epoch < epochs and not stop:  # the next epoch's rollback point
                good = model_state(model)
            if stop:
                history.stopped_early = True
                break
    finally:
        bar.close()
    for cb in callbacks:
        cb.on_train_end(model, opt, history)
    return history


def _diverged(epoch, train_loss, opt, history):
    """The DivergenceError of a rolled-back epoch, carrying the history of the epochs before."""
    err = DivergenceError(
        f"training diverged at epoch {epoch}: the loss became {train_loss}; the "
        f"weights of epoch {epoch - 1} were restored. Lower the learning rate "
        f"(now {opt.lr}) or check the data"
    )
    err.history = history
    return err


def _epochs_fused(plan, X, target, acc_labels, n, bs, epochs, rng, shuffle, opt, bar, check,
                  history):  # fmt: skip
    """Every epoch of ``fit`` through ``plan.run_epochs``, as many per call as
    ``config.FUSED_CALL_MACS`` allows (see the module docstring), recording the same History as
    the epoch-by-epoch loop. The example orders are drawn from ``rng`` epoch by epoch, as that
    loop draws them; a diverged epoch raises the same ``DivergenceError``."""
    from . import config

    s = plan.sizes
    work = 3 * n * int((s[:-1] * s[1:]).sum())  # multiply-adds per epoch: forward + backward
    per_call = max(1, config.FUSED_CALL_MACS // max(work, 1))
    fixed = None if shuffle and bs < n else np.arange(n, dtype=np.int64)[None, :]
    if fixed is None:  # one row of int64 per epoch: bounded
        per_call = min(per_call, max(1, config.FUSED_CALL_ORDERS // n))
    if bar.enabled:
        per_call = min(per_call, -(-epochs // 50))
    lr = opt.lr
    done_epochs = 0
    while done_epochs < epochs:
        k = min(per_call, epochs - done_epochs)
        t0 = time.perf_counter()
        perms = fixed if fixed is not None else np.stack([rng.permutation(n) for _ in range(k)])
        totals, hits, ran = plan.run_epochs(X, target, acc_labels, perms, bs, k, check)
        seconds = (time.perf_counter() - t0) / ran
        losses = (totals / n).tolist()
        good = ran - 1 if check and not math.isfinite(losses[-1]) else ran
        first = done_epochs + 1
        logs = {"epoch": list(range(first, first + good)), "loss": losses[:good], "lr": [lr] * good}
        if acc_labels is not None:
            logs["accuracy"] = (hits[:good] / n).tolist()
        logs["time"] = [seconds] * good
        history.extend(**logs)
        bar.advance(ran * n)
        done_epochs += good
        if good:
            bar.epoch_done(done_epochs, {key: v[-1] for key, v in logs.items()})
        if good < ran:  # the kernel has put the weights of the epoch before back
            raise _diverged(done_epochs + 1, losses[-1], opt, history)


def _augmentation(augment):
    """(transform, copies, keep_original) of ``fit``'s ``augment`` argument, or None: an
    ``Augment`` (``numbanet.data.augment``) or any function ``f(x, rng) -> x'`` (one copy)."""
    if augment is None:
        return None
    fn = getattr(augment, "transform", augment)
    if not callable(fn):
        raise ValidationError(
            "augment must be a numbanet.data.augment.Augment or a function f(x, rng) returning "
            f"an array of x's shape; got {type(augment).__name__}"
        )
    copies = positive_int(getattr(augment, "copies", 1), "augment.copies")
    return fn, copies, bool(getattr(augment, "keep_original", True))


def _augmented_epoch(aug, x, rng):
    """The examples of one augmented epoch: ``x`` (if kept) then ``copies`` transformed copies,
    each checked to have x's shape."""
    fn, copies, keep = aug
    parts = [x] if keep else []
    for _ in range(copies):
        xa = np.asarray(fn(x, rng))
        if xa.shape != x.shape:
            raise ValidationError(
                f"the augmentation returned shape {xa.shape} for inputs of shape {x.shape}; it "
                "must return one transformed example per example, of the same shape"
            )
        parts.append(xa.astype(x.dtype, copy=False))
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def model_state(model):
    """Everything a rollback must put back, as NumPy copies: the flat parameter vector and the
    *buffers* of every layer (the running mean and variance of batch normalisation, also inside
    a ``Residual``). The weights alone are not the model: in evaluation mode a batch-norm layer
    normalises with its running statistics, so weights of epoch 5 with statistics of epoch 9 are
    a model that never existed. ``restore_model_state`` puts a state back."""
    buffers = {}
    for li, layer in enumerate(model.layers):
        # looked up on the class: a layer's instance lookup falls back to __getattr__, which
        # costs more than the copy itself on a tiny net trained one step per epoch
        if hasattr(type(layer), "buffers"):
            for name, a in layer.buffers().items():
                buffers[(li, name)] = np.array(layer.backend.to_numpy(a), copy=True)
    return model.get_flat(), buffers


def restore_model_state(model, state):
    """Put back a ``model_state(model)``: the parameters and every layer's running statistics,
    copied into the live arrays (the model's parameter buffer and layers stay the same objects)."""
    flat, buffers = state
    model.set_flat(flat)
    for li, layer in enumerate(model.layers):
        if hasattr(type(layer), "buffers"):
            for name, target in layer.buffers().items():
                layer.backend.copy_into(target, buffers[(li, name)].astype(target.dtype))


def fused_plan(model, layers, loss, optimizer):
    """The backend's fused dense-epoch plan for training ``layers`` of ``model`` with ``loss``
    (already the logits version if a final activation was absorbed) and ``optimizer``, or None
    when the backend has none for them."""
    stack = model.dense_stack(layers)
    code = None if stack is None else loss.fused_code(stack.acts[-1], stack.sizes[-1])
    return model.backend.fused_dense_plan(stack, code, optimizer)


def _epoch_fused(plan, X, target, acc_labels, perm, bs, bar):
    """One epoch through the backend's fused plan, in at most 50 chunks when a progress bar
    shows (one call otherwise). Returns (summed loss, right answers)."""
    n = perm.shape[0]
    n_batches = (n + bs - 1) // bs
    chunks = min(n_batches, 50) if bar.enabled else 1
    per = ((n_batches + chunks - 1) // chunks) * bs
    total, hits = 0.0, 0
    for s in range(0, n, per):
        e = min(n, s + per)
        t, h = plan.run(X, target, acc_labels, perm, s, e, bs)
        total += t
        hits += h
        bar.advance(e - s)
    return total, hits


def _epoch_layers(model, layers, loss, opt, X, T, acc_labels, perm, bs, bar, callbacks):
    """One epoch layer by layer. Returns (summed loss, right answers before each update)."""
    be = model.backend
    total, hits = 0.0, 0
    dev_total = dev_hits = None
    n = perm.shape[0]
    whole = bs >= n
    for bi, s in enumerate(range(0, n, bs)):
        idx = perm[s : s + bs]
        if whole and _is_identity(idx):
            xb, tb = X, T  # full batch in the original order: no gather
        else:
            xb = be.take_rows(X, idx)
            tb = be.take_rows(T, idx)
        opt.zero_grad()
        out = model._forward(xb, training=True, layers=layers)
        out2 = out if out.ndim == 2 else out.reshape(out.shape[0], -1)
        val, grad = loss.compute(be, out2, tb)
        if acc_labels is not None and hasattr(be, "count_hits"):
            # a device backend (cuda) counts right answers there, read once after the epoch
            dev_hits = be.count_hits(out2, acc_labels, idx, loss.threshold, dev_hits)
        elif acc_labels is not None:
            pred = loss.labels_from(be.to_numpy(out2))
            hits += int(np.count_nonzero(pred == acc_labels[idx]))
        pen = opt.penalty()  # the optimiser's L2 penalty (0.0 without one)
        if pen:
            val = val + pen
        model._want_input_grad = False
        try:
            model._backward(grad.reshape(out.shape) if out.ndim != 2 else grad, layers)
        finally:
            model._want_input_grad = True
        opt.step()
        if hasattr(val, "add_to"):
            # a device backend's loss (cuda): summed on the device, read once after the epoch
            dev_total = val.add_to(dev_total, len(idx))
        else:
            total += val * len(idx)
        for cb in callbacks:  # a per-batch callback gets a float (on cuda: read when asked)
            cb.on_batch_end(model, opt, bi, float(val))
        bar.advance(len(idx))
    if dev_total is not None:
        total += be.read_accumulator(dev_total)
    if dev_hits is not None:
        hits += be.read_count(dev_hits)
    return total, hits


def _is_identity(idx):
    return (
        idx.shape[0] > 0
        and idx[0] == 0
        and idx[-1] == idx.shape[0] - 1
        and bool(np.all(np.diff(idx) == 1))
    )


def evaluate_checked(model, x, y, loss_obj, bs=4096):
    """``Sequential.evaluate`` on an ``x`` already validated by ``_check_input`` (``fit``
    checks its data once, not again after every epoch)."""
    layers, eff = model._split_for_loss(loss_obj) if loss_obj else (model.layers, None)
    decider = eff if eff is not None else model._class_decider(layers)
    n_out = model._n_out()
    target = eff.prepare_target(y, n_out, model.dtype, n_rows=x.shape[0]) if eff else None
    labels = labels_of(y, n_out, x.shape[0])
    be = model.backend
    total, correct = 0.0, 0
    for s in range(0, x.shape[0], bs):
        xb = be.asarray(x[s : s + bs], model.dtype)
        out = model._forward(xb, training=False, layers=layers)
        out2 = out if out.ndim == 2 else out.reshape(out.shape[0], -1)
        if eff is not None:
            tb = be.asarray(target[s : s + bs], target.dtype)
            val, _ = eff.compute(be, out2, tb)
            total += val * out2.shape[0]
        if labels is not None:
            pred = decider.labels_from(be.to_numpy(out2))
            correct += int((pred == labels[s : s + bs]).sum())
    res = {"loss": total / x.shape[0] if eff is not None else None}
    res["accuracy"] = correct / x.shape[0] if labels is not None else None
    return res


def labels_of(y, n_out, n):
    """Integer class labels for accuracy, or None when ``y`` is not a classification target."""
    arr = np.asarray(y)
    if arr.dtype.kind in "biu" and arr.ndim == 1:
        return arr.astype(np.int64) if n_out > 1 or set(np.unique(arr)) <= {0, 1} else None
    if arr.ndim == 2 and arr.shape[1] == n_out and n_out > 1:
        rows = arr.sum(axis=1)
        if np.all((arr == 0) | (arr == 1)) and np.all(rows == 1):
            return arr.argmax(axis=1)
    if arr.ndim == 2 and arr.shape[1] == 1 and n_out == 1 and np.all((arr == 0) | (arr == 1)):
        return arr[:, 0].astype(np.int64)
    return None


class _Progress:
    """A rich progress bar over the examples of all epochs (or nothing)."""

    def __init__(self, epochs, n, enabled):
        self.enabled = bool(enabled)
        self._p = None
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._p = Progress(
                TextColumn("[bold]epoch {task.fields[epoch]}/{task.fields[epochs]}"),
                BarColumn(),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
                transient=False,
            )
            self._p.start()
            self._task = self._p.add_task("fit", total=epochs * n, epoch=1, epochs=epochs, info="")

    def advance(self, k):
        if self._p is not None:
            self._p.advance(self._task, k)

    def epoch_done(self, epoch, logs):
        if self._p is not None:
            info = f"loss {logs['loss']:.4f}"
            if logs.get("val_accuracy") is not None:
                info += f"  val acc {logs['val_accuracy']:.4f}"
            self._p.update(
                self._task, epoch=min(epoch + 1, self._p.tasks[0].fields["epochs"]), info=info
            )

    def close(self):
        if self._p is not None:
            self._p.stop()
