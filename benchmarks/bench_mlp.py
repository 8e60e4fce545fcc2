"""Large-MLP training throughput: 784-1024-1024-10 ReLU, batch 256, Adam, softmax cross-entropy.

The training toolkit issue's target: numbanet on CPU at least 1.1x PyTorch on CPU with the same
two threads, and the fraction of this machine's sgemm peak that each reaches.

Contenders (same initial weights, same random data, same batch order):

* numbanet ``Sequential.fit`` (cpu backend, float32, ``train_metrics=False`` so that, like the
  others, it does not re-measure the training accuracy after the epoch): the layer path with
  BLAS products and the fused Adam kernel;
* NumPy: the best plain code we could write (float32, preallocated buffers, ``np.matmul(out=)``,
  in-place ReLU and Adam), in its own process (as numbanet is: each contender's thread pools
  then run alone);
* PyTorch eager, ``torch.set_num_threads(threads)``, ``nn.Linear``/``nn.ReLU``,
  ``CrossEntropyLoss``, ``optim.Adam``, in its own process (its OpenMP pool then does not compete
  with numbanet's BLAS threads).

FLOPs per sample: forward 2 * sum(fan_in * fan_out), backward twice that (dX and dW products), so
6 * sum(fan_in * fan_out); the sgemm peak is measured here as the best of 1024^3 float32 products.

Usage::

    python benchmarks/bench_mlp.py [--steps 40] [--repeat 3] [--no-torch] [--json]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    best_of,
    emit,
    fmt_ratio,
    last_json_line,
    machine_info,
    ratio,
    run_fresh,
    table,
    torch_or_none,
)

SIZES = [784, 1024, 1024, 10]
BATCH = 256
LR = 1e-3
TARGET = 1.1


def flops_per_sample(sizes=SIZES):
    return 6 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def data(steps, seed=0):
    rng = np.random.default_rng(seed)
    n = steps * BATCH
    x = rng.random((n, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], size=n).astype(np.int64)
    return x, y


def init_weights(seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for fi, fo in zip(SIZES[:-1], SIZES[1:]):
        w = (rng.standard_normal((fo, fi)) * np.sqrt(2.0 / fi)).astype(np.float32)
        out.append((w, np.zeros(fo, np.float32)))
    return out


def sgemm_peak(n=1024, repeat=5):
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = a.copy()
    c = np.empty_like(a)
    np.matmul(a, b, out=c)
    r = best_of(lambda: np.matmul(a, b, out=c), repeat=repeat)
    return 2 * n**3 / r["min"]


# ------------------------------------------------------------------------------------- numbanet
def numbanet_runner(x, y, w0):
    import numbanet as nb

    layers = []
    for i, (w, _b) in enumerate(w0):
        d = nb.Dense(w.shape[1], w.shape[0])
        layers.append(d)
        if i < len(w0) - 1:
            layers.append(nb.ReLU())
    net = nb.Sequential(layers, backend="cpu", seed=0)
    dense = [layer for layer in layers if isinstance(layer, nb.Dense)]

    def reset():
        for d, (w, b) in zip(dense, w0):
            d.W.value = w
            d.b.value = b

    def run():
        opt = nb.optim.Adam(net.parameters(), lr=LR)
        net.fit(x, y, loss=nb.losses.CrossEntropy(), optimizer=opt, epochs=1, batch_size=BATCH,
                shuffle=False, progress=False, train_metrics=False)  # fmt: skip
        return net

    return reset, run


# ---------------------------------------------------------------------------------------- NumPy
class NumpyMLP:
    """Hand-written ReLU MLP + softmax CE + Adam, float32, every buffer preallocated."""

    def __init__(self, w0, batch):
        self.W = [w.copy() for w, _ in w0]
        self.b = [b.copy() for _, b in w0]
        self.h = [np.empty((batch, w.shape[0]), np.float32) for w in self.W]
        self.d = [np.empty((batch, w.shape[0]), np.float32) for w in self.W]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        params = self.W + self.b
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, x, y):
        L = len(self.W)
        a = x
        for i in range(L):
            np.matmul(a, self.W[i].T, out=self.h[i])
            self.h[i] += self.b[i]
            if i < L - 1:
                np.maximum(self.h[i], 0, out=self.h[i])
            a = self.h[i]
        z = self.h[-1]
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        m = x.shape[0]
        d = self.d[-1]
        d[...] = z
        d[np.arange(m), y] -= 1.0
        d /= m
        for i in range(L - 1, -1, -1):
            prev = x if i == 0 else self.h[i - 1]
            np.matmul(self.d[i].T, prev, out=self.gW[i])
            np.sum(self.d[i], axis=0, out=self.gb[i])
            if i > 0:
                np.matmul(self.d[i], self.W[i], out=self.d[i - 1])
                self.d[i - 1] *= self.h[i - 1] > 0
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p, g, m_, v_ in zip(self.W + self.b, self.gW + self.gb, self.m, self.v):
            m_ *= b1
            m_ += (1 - b1) * g
            v_ *= b2
            v_ += (1 - b2) * g * g
            p -= (LR / c1) * m_ / (np.sqrt(v_ / c2) + eps)


def numpy_runner(x, y, w0):
    state = {}

    def reset():
        state["net"] = NumpyMLP(w0, BATCH)

    def run():
        net = state["net"]
        for s in range(0, len(x), BATCH):
            net.step(x[s : s + BATCH], y[s : s + BATCH])

    return reset, run


def _numbanet_child(spec_json):
    """Child-process side of numbanet (its Numba and SciPy-OpenBLAS pools alone: NumPy's own
    OpenBLAS, used to measure the sgemm peak in the parent, would otherwise keep a second BLAS
    pool spinning in the same process)."""
    spec = json.loads(spec_json)
    x, y = data(spec["steps"])
    reset, run = numbanet_runner(x, y, init_weights())
    reset()
    run()  # compile / warm
    r = best_of(run, repeat=spec["repeat"], setup=reset)
    print(json.dumps({"min": r["min"], "median": r["median"]}))


# -------------------------------------------------------------------------------------- PyTorch
def _numpy_child(spec_json):
    """Child-process side of the NumPy contender (NumPy's own OpenBLAS pool, alone)."""
    spec = json.loads(spec_json)
    x, y = data(spec["steps"])
    reset, run = numpy_runner(x, y, init_weights())
    reset()
    run()
    r = best_of(run, repeat=spec["repeat"], setup=reset)
    print(json.dumps({"min": r["min"], "median": r["median"]}))


def _torch_child(spec_json):
    spec = json.loads(spec_json)
    torch = torch_or_none(spec["threads"])
    if torch is None:
        print(json.dumps(None))
        return
    x, y = data(spec["steps"])
    w0 = init_weights()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def build():
        layers = []
        for i, (w, b) in enumerate(w0):
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(w0) - 1:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    lossf = torch.nn.CrossEntropyLoss()
    state = {}

    def reset():
        state["m"] = build()
        state["opt"] = torch.optim.Adam(state["m"].parameters(), lr=LR)

    def run():
        m, opt = state["m"], state["opt"]
        for s in range(0, len(xt), BATCH):
            opt.zero_grad(set_to_none=True)
            loss = lossf(m(xt[s : s + BATCH]), yt[s : s + BATCH])
            loss.backward()
            opt.step()

    reset()
    run()  # warm-up
    r = best_of(run, repeat=spec["repeat"], setup=reset)
    print(json.dumps({"min": r["min"], "median": r["median"], "version": torch.__version__}))


def in_child(args, which):
    """Run one contender in a fresh process (its BLAS/OpenMP pool then runs alone)."""
    if which == "torch" and args.no_torch:
        return None
    spec = dict(steps=args.steps, repeat=args.repeat, threads=args.threads)
    code = (
        f"import sys; sys.path.insert(0, {str(pathlib.Path(__file__).resolve().parent)!r}); "
        f"import bench_mlp as B; B._{which}_child({json.dumps(json.dumps(spec))})"
    )
    try:
        _, out = run_fresh(code)
    except RuntimeError as e:
        print(f"{which} run failed: {e}", file=sys.stderr)
        return None
    return last_json_line(out)


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=40, help="minibatches per timed run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.repeat < 1:
        ap.error("--steps and --repeat must be at least 1")

    n = args.steps * BATCH
    peak = sgemm_peak()
    res = {"machine": machine_info(), "sizes": SIZES, "batch": BATCH, "samples": n,
           "sgemm_peak_gflops": peak / 1e9, "flops_per_sample": flops_per_sample()}  # fmt: skip
    rows = []
    times = {}
    t = in_child(args, "numbanet")
    if not t:
        sys.exit("the numbanet contender failed (see above)")
    times["numbanet cpu fit"] = t["min"]
    t = in_child(args, "numpy")
    if t:
        times["NumPy"] = t["min"]
    t = in_child(args, "torch")
    if t:
        times["PyTorch eager"] = t["min"]
        res["torch_version"] = t["version"]
    ours = times["numbanet cpu fit"]
    for name, s in times.items():
        sps = n / s
        frac = sps * flops_per_sample() / peak
        rows.append((name, f"{s * 1e3:.0f} ms", f"{sps:,.0f}", f"{100 * frac:.0f} %",
                     "1.0x" if name.startswith("numbanet") else fmt_ratio(ratio(s, ours))))  # fmt: skip
        res[name] = {"seconds": s, "samples_per_s": sps, "fraction_of_sgemm_peak": frac,
                     "ratio_vs_numbanet": ratio(s, ours)}  # fmt: skip
    out = sys.stderr if args.json else sys.stdout
    print(f"784-1024-1024-10 ReLU, batch {BATCH}, Adam, CE; {n:,} samples per run; "
          f"sgemm peak {peak / 1e9:.0f} GFLOP/s", file=out)  # fmt: skip
    print(table(rows, ("contender", "time", "samples/s", "of sgemm peak", "numbanet speed-up")),
          file=out)  # fmt: skip
    if "PyTorch eager" in times:
        r = ratio(times["PyTorch eager"], ours)
        print(
            f"target >= {TARGET}x PyTorch: {'met' if r >= TARGET else 'NOT met'} ({r:.2f}x)",
            file=out,
        )
    emit(res, args.json)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
