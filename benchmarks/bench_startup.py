"""The foundation issue's speed targets, measured side by side (numbanet CPU, NumPy, PyTorch).

Three benchmarks, each reporting times and RATIOS (other / numbanet, so 20x = numbanet 20 times
faster):

1. ``nielsen``: Nielsen's network 784-30-10, sigmoid, quadratic cost 1/2||a - y||^2, SGD with
   eta = 3.0, minibatches of 10, one epoch over the 50,000 MNIST training images, then the
   accuracy on the 10,000 validation images. Contenders:

   * numbanet ``net.fit(..., epochs=1)`` wall time (everything fit does: checks, the fused
     epoch, the per-epoch training and validation accuracy) and the kernel-only epoch (the fused
     plan's ``run`` over the epoch, what the training itself costs);
   * the best plain NumPy implementation we could write: float32, vectorised over the
     minibatch, every buffer preallocated, ``out=`` everywhere, ``x @ W.T`` products;
   * PyTorch eager CPU (2 threads): ``nn.Linear``/``nn.Sigmoid``, ``MSELoss(reduction="sum")/(2m)``,
     ``optim.SGD``.

   All three start from the same weights and visit the examples in the same order.
   Targets: numbanet >= 2x NumPy, >= 15x PyTorch; every accuracy >= 90 %.

2. ``tiny``: a 1-10-10-10-10-10-1 ReLU net regressing sin(2 pi x) (MSE, mean over outputs),
   full batch of 256, plain SGD, 2,000 steps. numbanet both as ``fit(epochs=2000)`` (one step per
   epoch, so fit's per-epoch bookkeeping is included) and kernel-only; NumPy; PyTorch eager.
   Target: numbanet >= 20x PyTorch.

3. ``startup``: ``numbanet --help`` wall time, ``import numbanet`` in a fresh process, and the
   first training step of a fresh process with a cold JIT cache (an empty ``NUMBA_CACHE_DIR``)
   and a warm one (the same folder again). Targets: --help < 0.5 s, import < 1 s, warm first
   step < 2 s.

Usage::

    python benchmarks/bench_foundation.py            # everything, tables on stdout
    python benchmarks/bench_foundation.py --quick    # fewer repeats/steps, no cold start
    python benchmarks/bench_foundation.py --json     # one JSON document on stdout
    python benchmarks/bench_foundation.py --only nielsen tiny --repeat 5
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    best_of,
    emit,
    fmt_ratio,
    fmt_time,
    last_json_line,
    machine_info,
    ratio,
    run_fresh,
    table,
    torch_or_none,
)

TARGETS = {
    "nielsen_vs_numpy": 2.0,
    "nielsen_vs_torch": 15.0,
    "nielsen_min_accuracy": 0.90,
    "tiny_vs_torch": 20.0,
    "help_s": 0.5,
    "import_s": 1.0,
    "warm_first_step_s": 2.0,
}


def log(*args):
    print(*args, file=sys.stderr if _JSON else sys.stdout, flush=True)


_JSON = False


# ---------------------------------------------------------------------------------------- data
def load_mnist_split(data=None):
    """(x_train, y_train, x_val, y_val): 50,000 / 10,000, float32 in [0, 1], int64 labels.

    Uses ``numbanet.data.mnist_split`` (NUMBANET_DATA, the cache, ``--data``); if that module
    cannot find the files, reads the four gz IDX files of ``--data`` or ../shared/data/mnist
    directly (the benchmark must not depend on the data module's state).
    """
    here = Path(__file__).resolve().parent
    cands = [Path(data)] if data else []
    cands += [here.parent.parent / "shared" / "data", Path("/work/shared/data")]
    try:
        from numbanet.data import find_mnist, mnist_split

        path = data
        if path is None and find_mnist() is None:
            path = next((str(c) for c in cands if find_mnist(c) is not None), None)
        d = mnist_split(path, download=False)
        return d.x_train, d.y_train, d.x_val, d.y_val
    except Exception as exc:  # noqa: BLE001 - fall back to reading the files here
        log(f"(numbanet.data.mnist_split unavailable: {exc}; reading the IDX files directly)")
    for base in cands:
        for folder in (base / "mnist", base):
            f = folder / "train-images-idx3-ubyte.gz"
            if f.exists():
                imgs = _idx(f).reshape(-1, 784).astype(np.float32) / np.float32(255)
                labs = _idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
                return imgs[:50000], labs[:50000], imgs[50000:], labs[50000:]
    raise SystemExit("MNIST not found: pass --data FOLDER (holding mnist/*.gz)")


def _idx(path):
    raw = gzip.open(path, "rb").read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


# ---------------------------------------------------------------------------------------- NumPy
class NumpyMLP:
    """The best plain-NumPy minibatch SGD we could write (float32, no allocation per step).

    Forward ``z = x W^T + b`` with ``np.matmul(..., out=)``, activations in place, backward
    ``delta W`` / ``delta^T a`` products into preallocated buffers, updates ``W -= (eta) dW``
    in place. The 1/m of the minibatch mean is folded into the output delta.
    """

    def __init__(self, weights, act, loss, lr, bs):
        self.W = [np.array(w, np.float32) for w, _ in weights]
        self.b = [np.array(b, np.float32) for _, b in weights]
        self.act, self.loss = act, loss
        self.lr = np.float32(lr)
        sizes = [self.W[0].shape[1]] + [w.shape[0] for w in self.W]
        self.sizes = sizes
        self.bs = bs
        self.x = np.empty((bs, sizes[0]), np.float32)
        self.t = np.empty((bs, sizes[-1]), np.float32)
        self.a = [np.empty((bs, s), np.float32) for s in sizes[1:]]
        self.d = [np.empty((bs, s), np.float32) for s in sizes[1:]]
        self.tmp = [np.empty((bs, s), np.float32) for s in sizes[1:]]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]

    def _act(self, z, tmp, last):
        if self.act == "sigmoid":
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)
        elif not last:  # relu on hidden layers, identity output
            np.maximum(z, 0, out=z)

    def _dact(self, a, d, tmp, last):
        """d *= act'(z), from a = act(z)."""
        if self.act == "sigmoid":
            np.subtract(1, a, out=tmp)
            tmp *= a
            d *= tmp
        elif not last:
            np.greater(a, 0, out=tmp)  # bool -> 0/1 as float32
            d *= tmp

    def epoch(self, X, T, perm=None):
        """One pass over ``X`` in the order ``perm`` (None: full batches in order, no copy)."""
        with np.errstate(over="ignore"):  # exp(-z) = inf for z << 0 gives sigmoid 0, correctly
            self._epoch(X, T, perm)

    def _epoch(self, X, T, perm):
        n = X.shape[0] if perm is None else perm.shape[0]
        L = len(self.W)
        for s in range(0, n, self.bs):
            if perm is None:
                x, t = X[s : s + self.bs], T[s : s + self.bs]
                m = x.shape[0]
            else:
                idx = perm[s : s + self.bs]
                m = idx.shape[0]
                x = self.x[:m]
                np.take(X, idx, axis=0, out=x)
                t = self.t[:m]
                np.take(T, idx, axis=0, out=t)
            prev = x
            for l in range(L):
                a = self.a[l][:m]
                np.matmul(prev, self.W[l].T, out=a)
                a += self.b[l]
                self._act(a, self.tmp[l][:m], l == L - 1)
                prev = a
            d = self.d[L - 1][:m]
            np.subtract(prev, t, out=d)
            d *= np.float32(self.loss / m)  # 1/m (quadratic) or 2/(k m) (mean squared error)
            self._dact(prev, d, self.tmp[L - 1][:m], True)
            for l in range(L - 1, -1, -1):
                inp = x if l == 0 else self.a[l - 1][:m]
                np.matmul(d.T, inp, out=self.gW[l])
                np.sum(d, axis=0, out=self.gb[l])
                if l > 0:
                    nd = self.d[l - 1][:m]
                    np.matmul(d, self.W[l], out=nd)
                    self._dact(inp, nd, self.tmp[l - 1][:m], False)
                self.gW[l] *= self.lr
                self.W[l] -= self.gW[l]
                self.gb[l] *= self.lr
                self.b[l] -= self.gb[l]
                if l > 0:
                    d = nd

    def predict(self, X):
        with np.errstate(over="ignore"):
            return self._predict(X)

    def _predict(self, X):
        a = X
        for l in range(len(self.W)):
            a = a @ self.W[l].T + self.b[l]
            if self.act == "sigmoid":
                a = 1 / (1 + np.exp(-a))
            elif l < len(self.W) - 1:
                a = np.maximum(a, 0)
        return a


# ---------------------------------------------------------------------------------------- torch
def torch_model(torch, weights, act):
    layers = []
    for i, (w, b) in enumerate(weights):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.array(w, np.float32)))
            lin.bias.copy_(torch.from_numpy(np.array(b, np.float32)))
        layers.append(lin)
        if act == "sigmoid":
            layers.append(torch.nn.Sigmoid())
        elif i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_epoch(torch, model, opt, lossf, Xt, Tt, perm_t, bs):
    n = perm_t.shape[0]
    for s in range(0, n, bs):
        idx = perm_t[s : s + bs]
        out = model(Xt[idx])
        loss = lossf(out, Tt[idx], idx.shape[0])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def _weights(net):
    import numbanet as nb

    return [(d.W.value.copy(), d.b.value.copy()) for d in net.layers if isinstance(d, nb.Dense)]


def _kernel_plan(net, loss, lr, n):
    """The fused plan fit would use (None if fit would run layer by layer)."""
    from numbanet.nn import _fused
    from numbanet.optim import SGD

    opt = SGD(net.parameters(), lr=lr)
    opt.set_train_size(n)
    layers, eff = net._split_for_loss(loss)
    return _fused.plan(net, layers, eff, opt)


def _torch_in_child(args, which, w0, params):
    """Run a PyTorch contender in a fresh process; return (timing dict, accuracy or None)."""
    none = {"min": None, "median": None, "value": None}
    if args.no_torch:
        return none, None
    fd, wpath = tempfile.mkstemp(suffix=".npz")
    os.close(fd)
    try:
        arrs = {}
        for i, (w, b) in enumerate(w0):
            arrs[f"W{i}"], arrs[f"b{i}"] = w, b
        np.savez(wpath, **arrs)
        spec = dict(params, which=which, weights=wpath, n_layers=len(w0), data=args.data,
                    repeat=args.repeat, threads=args.torch_threads)  # fmt: skip
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
            f"import bench_foundation as B; B._torch_child({json.dumps(spec)!r})"
        )
        try:
            _, out = run_fresh(code, timeout=3600)
        except RuntimeError as exc:
            log(f"PyTorch contender failed: {str(exc)[-400:]}")
            return none, None
        got = last_json_line(out)
        if got.get("skipped"):
            log("PyTorch not importable: skipped")
            return none, None
        return got["timing"], got.get("accuracy")
    finally:
        os.unlink(wpath)


def _torch_child(spec_json):
    """Child-process side of ``_torch_in_child``: prints one JSON line."""
    spec = json.loads(spec_json)
    torch = torch_or_none(spec["threads"])
    if torch is None:
        print(json.dumps({"skipped": True}))
        return
    with np.load(spec["weights"]) as z:
        w0 = [(z[f"W{i}"], z[f"b{i}"]) for i in range(spec["n_layers"])]
    state = {}
    lr = spec["lr"]
    rep = spec["repeat"]

    def setup():
        state["tm"] = torch_model(torch, w0, "sigmoid" if spec["which"] == "nielsen" else "relu")
        state["opt"] = torch.optim.SGD(state["tm"].parameters(), lr=lr)

    if spec["which"] == "nielsen":
        x, y, xv, yv = load_mnist_split(spec["data"])
        n, bs = x.shape[0], spec["bs"]
        T = np.zeros((n, 10), np.float32)
        T[np.arange(n), y] = 1
        perm = np.random.default_rng(spec["perm_seed"]).permutation(n)
        Xt, Tt, perm_t = torch.from_numpy(x), torch.from_numpy(T), torch.from_numpy(perm)
        mse = torch.nn.MSELoss(reduction="sum")

        def lossf(out, t, m):
            return mse(out, t) / (2 * m)

        setup()
        torch_epoch(torch, state["tm"], state["opt"], lossf, Xt[:100], Tt[:100],
                    perm_t[:100] % 100, bs)  # fmt: skip
        r = best_of(
            lambda: torch_epoch(torch, state["tm"], state["opt"], lossf, Xt, Tt, perm_t, bs),
            rep,
            setup,
        )
        with torch.no_grad():
            pv = state["tm"](torch.from_numpy(xv)).numpy()
        acc = float((pv.argmax(1) == yv).mean())
    else:
        n, steps = spec["n"], spec["steps"]
        x = np.linspace(-1, 1, n, dtype=np.float32)[:, None]
        y = np.sin(2 * np.pi * x).astype(np.float32)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        mse = torch.nn.MSELoss()

        def run():
            model, opt = state["tm"], state["opt"]
            for _ in range(steps):
                out = model(xt)
                lv = mse(out, yt)
                opt.zero_grad(set_to_none=True)
                lv.backward()
                opt.step()
            return float(lv.detach())

        setup()
        run()
        r = best_of(run, rep, setup)
        acc = None
    r.pop("times", None)
    print(json.dumps({"timing": r, "accuracy": acc}))


# ---------------------------------------------------------------------------------------- 1
def bench_nielsen(args):
    import numbanet as nb

    x, y, xv, yv = load_mnist_split(args.data)
    n = x.shape[0]
    T = np.zeros((n, 10), np.float32)
    T[np.arange(n), y] = 1
    perm = np.random.default_rng(1).permutation(n)
    lr, bs = 3.0, 10
    rep = args.repeat

    def make():
        return nb.Sequential(
            [nb.Dense(784, 30, init="nielsen"), nb.Sigmoid(),
             nb.Dense(30, 10, init="nielsen"), nb.Sigmoid()],
            backend="cpu", seed=0,
        )  # fmt: skip

    w0 = _weights(make())
    res = {"setup": "784-30-10 sigmoid, MSE half_sum, SGD eta 3.0, minibatch 10, 50,000 images"}

    # numbanet: fit (warm-up first: compile or load the JIT cache)
    make().fit(x[:100], T[:100], loss=nb.losses.MSE(), lr=lr, batch_size=bs, progress=False)
    state = {}

    def setup_fit():
        state["net"] = make()

    def run_fit(train_metrics=True):
        return state["net"].fit(
            x, T, loss=nb.losses.MSE(), lr=lr, batch_size=bs, epochs=1,
            validation=(xv, yv), progress=False, seed=1, train_metrics=train_metrics,
        )  # fmt: skip

    r_fit = best_of(run_fit, rep, setup_fit)
    acc_fit = float(r_fit["value"]["val_accuracy"][-1])
    log(f"numbanet fit:    {fmt_time(r_fit['min'])}  val acc {acc_fit:.4f}")
    # fit without the training-set accuracy (the extra forward pass over the 50,000 images that
    # no other contender makes); the validation accuracy is still measured
    r_fit_v = best_of(lambda: run_fit(False), rep, setup_fit)
    log(f"numbanet fit, val only: {fmt_time(r_fit_v['min'])}")

    # numbanet: kernel only
    def setup_k():
        state["net"] = make()
        state["plan"] = _kernel_plan(state["net"], nb.losses.MSE(), lr, n)

    lab = np.zeros(1, np.int64)
    setup_k()
    fused = state["plan"] is not None
    if fused:
        state["plan"].run(x, T, lab, perm, 0, 100, bs)

        def run_k():
            return state["plan"].run(x, T, lab, perm, 0, n, bs)

        r_k = best_of(run_k, rep, setup_k)
        acc_k = state["net"].evaluate(xv, yv)["accuracy"]
        log(f"numbanet kernel: {fmt_time(r_k['min'])}  val acc {acc_k:.4f}")
    else:
        r_k, acc_k = {"min": None, "median": None}, None
        log("numbanet kernel: the fused plan does not apply (!)")

    # NumPy
    def setup_np():
        state["np"] = NumpyMLP(w0, "sigmoid", 1.0, lr, bs)

    r_np = best_of(lambda: state["np"].epoch(x, T, perm), rep, setup_np)
    acc_np = float((state["np"].predict(xv).argmax(1) == yv).mean())
    log(f"NumPy:           {fmt_time(r_np['min'])}  val acc {acc_np:.4f}")

    # PyTorch, in its own process (no Numba/OpenBLAS thread pools competing with its OpenMP)
    r_t, acc_t = _torch_in_child(args, "nielsen", w0, {"perm_seed": 1, "lr": lr, "bs": bs})
    if r_t["min"] is not None:
        log(f"PyTorch eager:   {fmt_time(r_t['min'])}  val acc {acc_t:.4f}")

    k = r_k["min"]
    f = r_fit["min"]
    res.update(
        {
            "numbanet_fit_s": f,
            "numbanet_fit_median_s": r_fit["median"],
            "numbanet_fit_val_only_s": r_fit_v["min"],
            "numbanet_kernel_s": k,
            "numbanet_kernel_median_s": r_k["median"],
            "numpy_s": r_np["min"],
            "numpy_median_s": r_np["median"],
            "torch_s": r_t["min"],
            "torch_median_s": r_t["median"],
            "accuracy": {
                "numbanet_fit": acc_fit,
                "numbanet_kernel": acc_k,
                "numpy": acc_np,
                "torch": acc_t,
            },  # fmt: skip
            "fused_path": fused,
            "ratio_numpy_over_kernel": ratio(r_np["min"], k),
            "ratio_numpy_over_fit": ratio(r_np["min"], f),
            "ratio_numpy_over_fit_val_only": ratio(r_np["min"], r_fit_v["min"]),
            "ratio_torch_over_kernel": ratio(r_t["min"], k),
            "ratio_torch_over_fit": ratio(r_t["min"], f),
        }
    )
    accs = [a for a in res["accuracy"].values() if a is not None]
    res["targets"] = {
        "kernel >= 2x NumPy": _ok(res["ratio_numpy_over_kernel"], TARGETS["nielsen_vs_numpy"]),
        "fit >= 2x NumPy": _ok(res["ratio_numpy_over_fit"], TARGETS["nielsen_vs_numpy"]),
        "kernel >= 15x PyTorch": _ok(res["ratio_torch_over_kernel"], TARGETS["nielsen_vs_torch"]),
        "fit >= 15x PyTorch": _ok(res["ratio_torch_over_fit"], TARGETS["nielsen_vs_torch"]),
        "all accuracies >= 90 %": min(accs) >= TARGETS["nielsen_min_accuracy"],
    }
    rows = [
        ("numbanet fit (epoch + checks + accuracies)", fmt_time(f), "1.0x", f"{acc_fit:.4f}"),
        ("numbanet fit(train_metrics=False)", fmt_time(r_fit_v["min"]), "-", f"{acc_fit:.4f}"),
        ("numbanet fused kernel (epoch only)", fmt_time(k), "-", _acc(acc_k)),
        ("NumPy (best minibatch code)", fmt_time(r_np["min"]),
         f"{fmt_ratio(res['ratio_numpy_over_kernel'])} kernel / "
         f"{fmt_ratio(res['ratio_numpy_over_fit_val_only'])} fit val-only / "
         f"{fmt_ratio(res['ratio_numpy_over_fit'])} fit", f"{acc_np:.4f}"),
        ("PyTorch eager, 2 threads", fmt_time(r_t["min"]),
         f"{fmt_ratio(res['ratio_torch_over_kernel'])} kernel / "
         f"{fmt_ratio(res['ratio_torch_over_fit'])} fit", _acc(acc_t)),
    ]  # fmt: skip
    log(f"\n1. Nielsen 784-30-10, one epoch (min of {rep})")
    log(table(rows, ("contender", "epoch", "time / numbanet", "val acc")))
    log(_targets_text(res["targets"]))
    return res


# ---------------------------------------------------------------------------------------- 2
def bench_tiny(args):
    import numbanet as nb

    steps = 200 if args.quick else 2000
    n = 256
    x = np.linspace(-1, 1, n, dtype=np.float32)[:, None]
    y = np.sin(2 * np.pi * x).astype(np.float32)
    lr = 0.05
    rep = args.repeat

    def make():
        layers = [nb.Dense(1, 10), nb.ReLU()]
        for _ in range(4):
            layers += [nb.Dense(10, 10), nb.ReLU()]
        layers.append(nb.Dense(10, 1))
        return nb.Sequential(layers, backend="cpu", seed=0)

    w0 = _weights(make())
    loss = nb.losses.MSE("mean")
    state = {}
    kw = dict(loss=loss, lr=lr, batch_size=n, shuffle=False, progress=False)
    make().fit(x, y, epochs=2, **kw)

    def setup_fit():
        state["net"] = make()

    r_fit = best_of(lambda: state["net"].fit(x, y, epochs=steps, **kw), rep, setup_fit)
    loss_fit = float(r_fit["value"]["loss"][-1])

    perm = np.arange(n)
    lab = np.zeros(1, np.int64)

    def setup_k():
        state["net"] = make()
        state["plan"] = _kernel_plan(state["net"], loss, lr, n)

    setup_k()
    fused = state["plan"] is not None
    narrow = bool(state["plan"].narrow(n)) if fused else False

    def run_k():
        tot = 0.0
        for _ in range(steps):
            tot = state["plan"].run(x, y, lab, perm, 0, n, n)
        return tot / n

    r_k = best_of(run_k, rep, setup_k) if fused else {"min": None, "median": None, "value": None}

    def setup_np():
        state["np"] = NumpyMLP(w0, "relu", 2.0, lr, n)

    def run_np():
        for _ in range(steps):
            state["np"].epoch(x, y)
        return float(((state["np"].predict(x) - y) ** 2).mean())

    r_np = best_of(run_np, rep, setup_np)

    r_t, _ = _torch_in_child(args, "tiny", w0, {"lr": lr, "steps": steps, "n": n})

    per = {k: (None if r["min"] is None else r["min"] / steps)
           for k, r in (("fit", r_fit), ("kernel", r_k), ("numpy", r_np), ("torch", r_t))}  # fmt: skip
    res = {
        "setup": f"1-10-10-10-10-10-1 ReLU, MSE mean, SGD lr {lr}, full batch {n}, {steps} steps",
        "steps": steps,
        "fused_path": fused,
        "narrow_kernel": narrow,
        "per_step_s": per,
        "final_loss": {
            "numbanet_fit": loss_fit,
            "numbanet_kernel": r_k["value"],
            "numpy": r_np["value"],
            "torch": r_t["value"],
        },  # fmt: skip
        "ratio_torch_over_kernel": ratio(per["torch"], per["kernel"]),
        "ratio_torch_over_fit": ratio(per["torch"], per["fit"]),
        "ratio_numpy_over_kernel": ratio(per["numpy"], per["kernel"]),
        "ratio_numpy_over_fit": ratio(per["numpy"], per["fit"]),
    }
    res["targets"] = {
        "kernel >= 20x PyTorch": _ok(res["ratio_torch_over_kernel"], TARGETS["tiny_vs_torch"]),
        "fit >= 20x PyTorch": _ok(res["ratio_torch_over_fit"], TARGETS["tiny_vs_torch"]),
    }
    fl = res["final_loss"]
    rows = [
        ("numbanet fit(epochs=steps)", fmt_time(per["fit"]), "1.0x", _loss(fl["numbanet_fit"])),
        ("numbanet fused kernel", fmt_time(per["kernel"]), "-", _loss(fl["numbanet_kernel"])),
        ("NumPy (best full-batch code)", fmt_time(per["numpy"]),
         f"{fmt_ratio(res['ratio_numpy_over_kernel'])} kernel / "
         f"{fmt_ratio(res['ratio_numpy_over_fit'])} fit", _loss(fl["numpy"])),
        ("PyTorch eager, 2 threads", fmt_time(per["torch"]),
         f"{fmt_ratio(res['ratio_torch_over_kernel'])} kernel / "
         f"{fmt_ratio(res['ratio_torch_over_fit'])} fit", _loss(fl["torch"])),
    ]  # fmt: skip
    log(f"\n2. Tiny 1-10x5-1 ReLU net, batch {n}, {steps} SGD steps (per step, min of {rep})")
    log(table(rows, ("contender", "per step", "time / numbanet", "final loss")))
    log(_targets_text(res["targets"]))
    return res


# ---------------------------------------------------------------------------------------- 3
_FIRST_STEP = r"""
import json, time
t0 = time.perf_counter()
import numpy as np
import numbanet as nb
t1 = time.perf_counter()
rng = np.random.default_rng(0)
x = rng.random((10, 784), dtype=np.float32)
y = rng.integers(0, 10, 10)
net = nb.Sequential([nb.Dense(784, 30, init="nielsen"), nb.Sigmoid(),
                     nb.Dense(30, 10, init="nielsen"), nb.Sigmoid()], backend="cpu", seed=0)
net.fit(x, y, loss="mse", lr=3.0, batch_size=10, epochs=1, progress=False)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_step_s": t2 - t1}))
"""

_IMPORT = r"""
import json, time
t0 = time.perf_counter()
import numbanet
print(json.dumps({"import_s": time.perf_counter() - t0}))
"""


def bench_startup(args):
    rep = args.repeat
    res = {}
    exe = shutil.which("numbanet") or str(Path(sys.executable).with_name("numbanet"))
    if os.path.exists(exe):
        import subprocess
        import time

        times = []
        for _ in range(rep):
            t0 = time.perf_counter()
            out = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t0)
        res["help_s"] = min(times) if out.returncode == 0 else None
        if out.returncode != 0:
            log(f"numbanet --help failed: {out.stderr[-300:]}")
    else:
        res["help_s"] = None
        log("numbanet CLI not installed: --help skipped")
    res["python_startup_s"] = min(run_fresh("pass")[0] for _ in range(rep))
    res["import_s"] = min(last_json_line(run_fresh(_IMPORT)[1])["import_s"] for _ in range(rep))
    cache = tempfile.mkdtemp(prefix="numbanet-bench-jit-")
    try:
        env = {"NUMBA_CACHE_DIR": cache}
        if args.quick:
            res["cold_first_step_s"] = None
            run_fresh(_FIRST_STEP, env)  # fill the cache, untimed
        else:
            wall, out = run_fresh(_FIRST_STEP, env)
            res["cold_first_step_s"] = last_json_line(out)["first_step_s"]
            res["cold_process_s"] = wall
        warm = []
        for _ in range(rep):
            wall, out = run_fresh(_FIRST_STEP, env)
            warm.append((last_json_line(out)["first_step_s"], wall))
        res["warm_first_step_s"] = min(w[0] for w in warm)
        res["warm_process_s"] = min(w[1] for w in warm)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    res["targets"] = {
        "--help < 0.5 s": None if res["help_s"] is None else res["help_s"] < TARGETS["help_s"],
        "import < 1 s": res["import_s"] < TARGETS["import_s"],
        "warm first step < 2 s": res["warm_first_step_s"] < TARGETS["warm_first_step_s"],
    }
    rows = [
        ("numbanet --help (process wall)", fmt_time(res["help_s"]), "< 0.5 s"),
        ("python -c pass (for scale)", fmt_time(res["python_startup_s"]), ""),
        ("import numbanet (fresh process)", fmt_time(res["import_s"]), "< 1 s"),
        ("first fit step, cold JIT cache", fmt_time(res.get("cold_first_step_s")), ""),
        ("first fit step, warm JIT cache", fmt_time(res["warm_first_step_s"]), "< 2 s"),
        ("whole process, warm (import+step)", fmt_time(res["warm_process_s"]), ""),
    ]
    log(f"\n3. Start-up (min of {rep} fresh processes; cold: once)")
    log(table(rows, ("what", "time", "target")))
    log(_targets_text(res["targets"]))
    return res


# ---------------------------------------------------------------------------------------- util
def _ok(r, target):
    return None if r is None else bool(r >= target)


def _acc(a):
    return "-" if a is None else f"{a:.4f}"


def _loss(v):
    return "-" if v is None else f"{v:.2e}"


def _targets_text(t):
    mark = {True: "PASS", False: "MISS", None: "n/a"}
    return "targets: " + "; ".join(f"{k}: {mark[v]}" for k, v in t.items())


def main(argv=None):
    global _JSON
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--quick", action="store_true",
                   help="1 repeat, 200 tiny-net steps, no cold-cache start-up")  # fmt: skip
    p.add_argument("--repeat", type=int, default=None, help="runs per contender (min reported)")
    p.add_argument("--only", nargs="+", choices=["nielsen", "tiny", "startup"],
                   default=["nielsen", "tiny", "startup"])  # fmt: skip
    p.add_argument("--data", default=None, help="folder holding mnist/*.gz")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch contender")
    p.add_argument("--torch-threads", type=int, default=2, help="torch.set_num_threads (2)")
    args = p.parse_args(argv)
    _JSON = args.json
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    result = {"machine": machine_info(), "targets": TARGETS, "repeat": args.repeat}
    log(f"machine: {result['machine']['cpu']}, {result['machine']['cpus']} cpus, "
        f"load {result['machine']['load_average']}")  # fmt: skip
    benches = {"nielsen": bench_nielsen, "tiny": bench_tiny, "startup": bench_startup}
    for name in args.only:
        result[name] = benches[name](args)
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
