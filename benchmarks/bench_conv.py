"""LeNet training throughput: the slides' LeNet on 28x28 inputs, batch 64, SGD with momentum 0.9.

The convolution issue's target: numbanet on CPU at least 2x PyTorch on CPU with the same two
threads, in one run.

Contenders (same architecture, 60,074 parameters, same random data and batch size; each trains
``--steps`` minibatches drawn through a fresh permutation, best of ``--repeat`` runs after a
warm-up):

* numbanet ``Sequential.fit`` on the ``cpu`` backend (float32, ``train_metrics=False``), in this
  process: direct Numba convolution kernels (3x3 stride-1 and 2x2-pool loops written out), Numba/BLAS dense layers, the
  fused momentum update. BLAS runs on ``--blas-threads`` threads (default 1: the dense products of
  LeNet are small, and OpenBLAS's spinning worker threads stall them on a busy machine);
* NumPy: the best plain code we could write, in its own process: channels-last (NHWC) so no
  transposes are needed, im2col through ``sliding_window_view`` + one ``matmul`` per layer,
  col2im by nine strided adds, average pooling by reshapes, float32 throughout;
* PyTorch eager, ``torch.set_num_threads(threads)`` (and, for context on a busy machine, also
  one thread; the target ratio is against ``threads``), ``nn.Conv2d``/``nn.AvgPool2d``/
  ``nn.Linear``, ``CrossEntropyLoss``, ``optim.SGD(momentum=0.9)``, in its own process.
* PyTorch again with the C library settings that numbanet's CPU backend gives itself
  (``numbanet.config.tune_malloc``: freed arrays are reused instead of returned to the kernel,
  which saves a page fault per 4 KiB per step), so that the share of the ratio due to memory
  reuse alone is visible. The target ratio is against stock PyTorch, as users run it.

Ratios are time(other) / time(numbanet): above 1 means numbanet is faster.

Usage::

    python benchmarks/bench_conv.py [--steps 100] [--repeat 3] [--threads 2] [--no-torch] [--json]
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
)

BATCH = 64
LR = 0.01
BETA = 0.9
TARGET = 2.0
HERE = pathlib.Path(__file__).resolve().parent


def data(steps, seed=0):
    rng = np.random.default_rng(seed)
    n = steps * BATCH
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=n).astype(np.int64)
    return x, y


# ----------------------------------------------------------------------------------- numbanet
def run_numbanet(steps, repeat, blas_threads):
    from threadpoolctl import threadpool_limits

    from numbanet.models import lenet
    from numbanet.optim import Momentum

    x, y = data(steps)
    net = lenet(backend="cpu", seed=0)
    opt = Momentum(net.parameters(), lr=LR, beta1=BETA, form="classical")

    def epoch():
        net.fit(x, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=BATCH, seed=0,
                progress=False, train_metrics=False, check_finite=False)  # fmt: skip

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        net.fit(x[: 4 * BATCH], y[: 4 * BATCH], optimizer=opt, epochs=1, batch_size=BATCH,
                progress=False, train_metrics=False)  # compile, warm caches  # fmt: skip
        r = best_of(epoch, repeat)
    return {"min": r["min"], "median": r["median"]}


# ----------------------------------------------------------------------------------- NumPy
def _he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class NumpyLeNet:
    """LeNet in plain NumPy, channels last (NHWC), im2col convolutions."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.p = {
            "c1": _he(rng, (9, 6), 9), "c1b": np.zeros(6, np.float32),
            "c2": _he(rng, (54, 16), 54), "c2b": np.zeros(16, np.float32),
            "d1": _he(rng, (400, 120), 400), "d1b": np.zeros(120, np.float32),
            "d2": _he(rng, (120, 84), 120), "d2b": np.zeros(84, np.float32),
            "d3": _he(rng, (84, 10), 84), "d3b": np.zeros(10, np.float32),
        }  # fmt: skip
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}

    @staticmethod
    def _cols(x):  # (N, H, W, C) -> (N*OH*OW, C*9) in (c, u, v) order
        win = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))
        n, oh, ow, c = win.shape[:4]
        return np.ascontiguousarray(win).reshape(n * oh * ow, c * 9), (n, oh, ow)

    @staticmethod
    def _col2im(dcols, shape, c):
        n, oh, ow = shape
        d = dcols.reshape(n, oh, ow, c, 3, 3)
        dx = np.zeros((n, oh + 2, ow + 2, c), np.float32)
        for u in range(3):
            for v in range(3):
                dx[:, u : u + oh, v : v + ow, :] += d[..., u, v]
        return dx

    @staticmethod
    def _pool(a):  # 2x2 average pooling, floor
        n, h, w, c = a.shape
        h2, w2 = h // 2, w // 2
        return a[:, : 2 * h2, : 2 * w2].reshape(n, h2, 2, w2, 2, c).mean(axis=(2, 4))

    @staticmethod
    def _unpool(d, shape):
        n, h, w, c = shape
        h2, w2 = d.shape[1], d.shape[2]
        out = np.zeros(shape, np.float32)
        g = (0.25 * d)[:, :, None, :, None, :]
        out[:, : 2 * h2, : 2 * w2] = np.broadcast_to(g, (n, h2, 2, w2, 2, c)).reshape(
            n, 2 * h2, 2 * w2, c
        )  # fmt: skip
        return out

    def step(self, xb, yb):
        p = self.p
        n = xb.shape[0]
        x = xb.reshape(n, 28, 28, 1)
        c1, s1 = self._cols(x)
        z1 = c1 @ p["c1"] + p["c1b"]
        a1 = np.maximum(z1, 0).reshape(n, 26, 26, 6)
        q1 = self._pool(a1)
        c2, s2 = self._cols(q1)
        z2 = c2 @ p["c2"] + p["c2b"]
        a2 = np.maximum(z2, 0).reshape(n, 11, 11, 16)
        q2 = self._pool(a2).reshape(n, 400)
        z3 = q2 @ p["d1"] + p["d1b"]
        a3 = np.maximum(z3, 0)
        z4 = a3 @ p["d2"] + p["d2b"]
        a4 = np.maximum(z4, 0)
        z5 = a4 @ p["d3"] + p["d3b"]
        z5 -= z5.max(axis=1, keepdims=True)
        e = np.exp(z5)
        prob = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(prob[np.arange(n), yb] + 1e-12).mean()
        d5 = prob
        d5[np.arange(n), yb] -= 1
        d5 /= n
        g = {"d3": a4.T @ d5, "d3b": d5.sum(0)}
        d4 = (d5 @ p["d3"].T) * (z4 > 0)
        g["d2"], g["d2b"] = a3.T @ d4, d4.sum(0)
        d3 = (d4 @ p["d2"].T) * (z3 > 0)
        g["d1"], g["d1b"] = q2.T @ d3, d3.sum(0)
        dq2 = (d3 @ p["d1"].T).reshape(n, 5, 5, 16)
        dz2 = (self._unpool(dq2, (n, 11, 11, 16)) * (a2 > 0)).reshape(-1, 16)
        g["c2"], g["c2b"] = c2.T @ dz2, dz2.sum(0)
        dq1 = self._col2im(dz2 @ p["c2"].T, s2, 6)
        dz1 = (self._unpool(dq1, (n, 26, 26, 6)) * (a1 > 0)).reshape(-1, 6)
        g["c1"], g["c1b"] = c1.T @ dz1, dz1.sum(0)
        for k, gk in g.items():  # PyTorch's momentum: v = beta v + g; p -= lr v
            v = self.v[k]
            v *= BETA
            v += gk
            p[k] -= LR * v
        return float(loss)


def run_numpy(steps, repeat):
    x, y = data(steps)
    net = NumpyLeNet(0)
    rng = np.random.default_rng(0)

    def epoch():
        perm = rng.permutation(len(x))
        for s in range(0, len(x), BATCH):
            idx = perm[s : s + BATCH]
            net.step(x[idx], y[idx])

    net.step(x[:BATCH], y[:BATCH])
    r = best_of(epoch, repeat)
    return {"min": r["min"], "median": r["median"]}


# ----------------------------------------------------------------------------------- PyTorch
def run_torch(steps, repeat, threads):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = data(steps)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=BETA)
    lossf = nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(len(xt))
        for s in range(0, len(xt), BATCH):
            idx = perm[s : s + BATCH]
            opt.zero_grad()
            loss = lossf(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    epoch()  # warm-up
    r = best_of(epoch, repeat)
    return {"min": r["min"], "median": r["median"], "torch": torch.__version__}


def child(which, steps, repeat, threads):
    """Entry point of the fresh processes: prints one JSON line."""
    if which == "numpy":
        res = run_numpy(steps, repeat)
    else:
        res = run_torch(steps, repeat, threads)
    print(json.dumps(res))


def _fresh(which, steps, repeat, threads, env):
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_conv; "
            f"bench_conv.child({which!r}, {steps}, {repeat}, {threads})")  # fmt: skip
    _, out = run_fresh(code, env=env)
    return last_json_line(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100, help="minibatches per timed run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="PyTorch and NumPy-BLAS threads")
    ap.add_argument("--blas-threads", type=int, default=1, help="numbanet's BLAS threads")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-numpy", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    samples = args.steps * BATCH
    t0 = time.perf_counter()
    env = {"OMP_NUM_THREADS": str(args.threads), "OPENBLAS_NUM_THREADS": str(args.threads)}
    res = {"numbanet": run_numbanet(args.steps, args.repeat, args.blas_threads)}
    if not args.no_numpy:
        res["numpy"] = _fresh("numpy", args.steps, args.repeat, args.threads, env)
    if not args.no_torch:
        try:
            res["torch"] = _fresh("torch", args.steps, args.repeat, args.threads, env)
        except RuntimeError as exc:  # torch not installed
            res["torch"] = None
            print(f"PyTorch skipped: {str(exc).splitlines()[-1]}", file=sys.stderr)
        if res["torch"] is not None and args.threads != 1:  # context: a busy machine
            env1 = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
            res["torch_1_thread"] = _fresh("torch", args.steps, args.repeat, 1, env1)
        if res["torch"] is not None:
            # context: PyTorch with the glibc settings numbanet's CPU backend applies to itself
            # (numbanet.config.tune_malloc), so the ratio that is due to memory reuse alone shows
            from numbanet import config as nbconfig

            envm = dict(env, MALLOC_MMAP_THRESHOLD_=str(nbconfig.MALLOC_MMAP_THRESHOLD),
                        MALLOC_TRIM_THRESHOLD_=str(nbconfig.MALLOC_TRIM_THRESHOLD))  # fmt: skip
            res["torch_malloc_tuned"] = _fresh("torch", args.steps, args.repeat, args.threads,
                                               envm)  # fmt: skip
    ours = res["numbanet"]["min"]
    rows = []
    for name, r in res.items():
        if r is None:
            continue
        r["samples_per_s"] = samples / r["min"]
        r["ratio"] = ratio(r["min"], ours)
        rows.append((name, f"{r['samples_per_s']:,.0f}", f"{r['min'] * 1e3:.1f} ms",
                     f"{r['median'] * 1e3:.1f} ms", fmt_ratio(r["ratio"])))  # fmt: skip
    result = {
        "benchmark": "lenet_training",
        "batch": BATCH,
        "steps": args.steps,
        "threads": args.threads,
        "blas_threads_numbanet": args.blas_threads,
        "target_vs_torch": TARGET,
        "results": res,
        "vs_torch": ratio(res["torch"]["min"], ours) if res.get("torch") else None,
        "vs_numpy": ratio(res["numpy"]["min"], ours) if res.get("numpy") else None,
        "machine": machine_info(),
        "wall_s": time.perf_counter() - t0,
    }
    if not args.json:
        print(f"LeNet training, batch {BATCH}, SGD momentum {BETA}, {args.steps} steps "
              f"({samples} samples), best of {args.repeat}")  # fmt: skip
        print(table(rows, ("contender", "samples/s", "best", "median", "numbanet faster by")))
        if result["vs_torch"] is not None:
            ok = "meets" if result["vs_torch"] >= TARGET else "misses"
            print(f"vs PyTorch ({args.threads} threads): {result['vs_torch']:.2f}x "
                  f"({ok} the {TARGET:.0f}x target)")  # fmt: skip
    emit(result, args.json)
    return result


if __name__ == "__main__":
    main()
