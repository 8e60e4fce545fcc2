"""Helpers shared by the workload modules (run inside the contenders' processes).

Nothing here imports numbanet or torch at module level: a PyTorch or NumPy contender's process
never loads numbanet, and a numbanet contender's process never loads torch.
"""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED_DATA = (HERE.parent.parent.parent / "shared" / "data").resolve()


class Unavailable(Exception):
    """The contender cannot run here (e.g. PyTorch not installed)."""


def contender(func):
    """Decorator: turn ``Unavailable`` into ``{"unavailable": reason}`` (printed as '-')."""

    def wrapper(spec):
        try:
            return func(spec)
        except Unavailable as exc:
            return {"unavailable": str(exc)}

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def clock():
    return time.perf_counter()


# ------------------------------------------------------------------------------ files
def save(folder, name, **arrays):
    np.savez(Path(folder) / f"{name}.npz", **arrays)


def load(folder, name):
    """The arrays of ``folder/name.npz`` as a dict (fully read; never unpickled)."""
    with np.load(Path(folder) / f"{name}.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def init_list(folder):
    """The initial parameters p0, p1, ... in numbanet's order (layer order, W then b)."""
    d = load(folder, "init")
    return [d[f"p{i}"] for i in range(len(d))]


def scaled(n, spec, multiple=1):
    """``n`` times ``spec["scale"]`` (``--scale``, for smoke runs), a multiple of ``multiple``,
    at least ``multiple``."""
    k = int(round(n * float(spec.get("scale") or 1.0) / multiple))
    return max(1, k) * multiple


# ------------------------------------------------------------------------------ MNIST
def mnist(data=None):
    """(x_train, y_train, x_val, y_val, source): Nielsen's 50,000 / 10,000 split, float32 in
    [0, 1], int64 labels. Through ``numbanet.data.mnist_split`` (its search: ``data``,
    $NUMBANET_DATA, the cache, then ../shared/data); if that fails, the IDX files of ``data`` or
    ../shared/data/mnist read directly."""
    candidates = ([Path(data)] if data else []) + [SHARED_DATA]
    try:
        from numbanet.data import find_mnist, mnist_split

        path = data
        if path is None and find_mnist() is None:
            path = next((str(c) for c in candidates if find_mnist(c) is not None), None)
        d = mnist_split(path, download=False)
        return d.x_train, d.y_train, d.x_val, d.y_val, f"numbanet.data.mnist_split({path!r})"
    except Exception as exc:  # noqa: BLE001 - fall back to the files themselves
        reason = f"{type(exc).__name__}: {exc}"
    for base in candidates:
        for folder in (base / "mnist", base):
            f = folder / "train-images-idx3-ubyte.gz"
            if f.exists():
                imgs = _idx(f).reshape(-1, 784).astype(np.float32) / np.float32(255)
                labs = _idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
                src = f"{folder} (IDX read directly; numbanet.data failed: {reason})"
                return imgs[:50000], labs[:50000], imgs[50000:], labs[50000:], src
    raise SystemExit(f"MNIST not found (numbanet.data: {reason}); pass --data FOLDER")


def _idx(path):
    raw = gzip.open(path, "rb").read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


# ------------------------------------------------------------------------------ checks
def check_classes(out, labels, kind):
    """Accuracy and loss of the outputs ``out`` on ``labels`` (computed the same way for every
    contender, in float64): ``kind`` "logits" (softmax cross-entropy) or "sigmoid_mse" (the
    quadratic cost 1/2 ||a - onehot||^2 on sigmoid outputs)."""
    out = np.asarray(out, np.float64).reshape(len(labels), -1)
    acc = float((out.argmax(1) == labels).mean())
    if kind == "logits":
        z = out - out.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        loss = float(-logp[np.arange(len(labels)), labels].mean())
    else:
        t = np.zeros_like(out)
        t[np.arange(len(labels)), labels] = 1
        loss = float(0.5 * ((out - t) ** 2).sum(1).mean())
    return {"val_accuracy": acc, "val_loss": loss}


# ------------------------------------------------------------------------------ numbanet
def nb_params(net):
    return [p.value.copy() for p in net.parameters()]


def nb_load(net, arrays):
    """Set every parameter of ``net`` (public ``Parameter.value``) from ``arrays``."""
    params = net.parameters()
    if len(params) != len(arrays):
        raise ValueError(f"{len(arrays)} arrays for {len(params)} parameters")
    for p, a in zip(params, arrays):
        p.value = a


def nb_save_init(folder, net):
    save(folder, "init", **{f"p{i}": a for i, a in enumerate(nb_params(net))})


def nb_result(seconds, samples, steps, check, net, **extra):
    return {
        "seconds": seconds,
        "samples": samples,
        "steps": steps,
        "check": check,
        "config": {"backend": type(net.backend).__name__, **extra},
    }


# ------------------------------------------------------------------------------ PyTorch
def import_torch(threads):
    """``torch`` with ``threads`` intra-op threads, or ``Unavailable``."""
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - the optional contender
        raise Unavailable(f"torch not importable: {type(exc).__name__}: {exc}") from None
    torch.set_num_threads(int(threads))
    return torch


def torch_load(torch, params, arrays):
    """Copy ``arrays`` into the torch parameters ``params`` (same order and shapes)."""
    params = list(params)
    if len(params) != len(arrays):
        raise ValueError(f"{len(arrays)} arrays for {len(params)} torch parameters")
    with torch.no_grad():
        for p, a in zip(params, arrays):
            p.copy_(torch.from_numpy(np.ascontiguousarray(a, np.float32)).reshape(p.shape))


def torch_optimizer(cls, params, spec, **kwargs):
    """``cls(params, **kwargs)`` in the implementation ``spec["torch_impl"]``: "default" (on CPU
    the per-parameter loop), "foreach" (multi-tensor) or "fused" (one fused kernel)."""
    impl = spec.get("torch_impl", "default")
    extra = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[impl]
    try:
        return cls(params, **kwargs, **extra)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise Unavailable(f"{cls.__name__}({impl}) not supported here: {exc}") from None


def torch_predict(torch, model, x, bs=4096):
    """Outputs of ``model`` on ``x`` under ``torch.inference_mode`` (evaluation mode)."""
    model.eval()
    outs = []
    with torch.inference_mode():
        for s in range(0, len(x), bs):
            outs.append(model(torch.from_numpy(x[s : s + bs])).numpy().copy())
    model.train()
    return np.concatenate(outs)


def result(seconds, samples, steps, check, **config):
    return {
        "seconds": seconds,
        "samples": samples,
        "steps": steps,
        "check": check,
        "config": config,
    }


def blas_threads():
    """BLAS threads of this process as threadpoolctl reports them (None if unknown)."""
    try:
        from threadpoolctl import threadpool_info

        return [p.get("num_threads") for p in threadpool_info() if p.get("user_api") == "blas"]
    except Exception:  # noqa: BLE001
        return None


def env_threads():
    return int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
