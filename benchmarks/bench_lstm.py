"""LSTM training throughput: sequences of 50 steps, 8 inputs, 128 hidden units, batch 64, Adam.

The recurrent issue's target: numbanet on CPU at least 1x PyTorch on CPU with the same two
threads (the issue measured PyTorch at about 1,330 samples/s on this machine).

Model: LSTM(8, 128) reading the whole sequence (many-to-one), then Dense(128, 10) and softmax
cross-entropy on random labels; Adam (lr 1e-3). Contenders, each timed over the same data in the
same batch order:

* numbanet ``Sequential.fit`` (cpu backend, float32, ``train_metrics=False``): the LSTM's
  Numba kernels (one BLAS product per step, vectorised gates), the Dense layer, fused Adam;
* NumPy: the best plain code we could write (float32, time-major preallocated buffers,
  ``np.matmul(out=)``, in-place ufuncs, the weight gradients as one product over all steps),
  in its own process, once with one BLAS thread and once with two;
* PyTorch eager ``nn.LSTM(batch_first=True)`` + ``nn.Linear``, ``CrossEntropyLoss``,
  ``optim.Adam``, ``torch.set_num_threads(threads)``, in its own process.

Times are the minimum of ``--repeat`` runs (see ``_common.py``); "speed-up" is
time(contender) / time(numbanet).

Usage::

    python benchmarks/bench_lstm.py [--steps 20] [--repeat 3] [--threads 2] [--no-torch] [--json]
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

T, D, H, K = 50, 8, 128, 10
BATCH = 64
LR = 1e-3
TARGET = 1.0


def data(steps, seed=0):
    rng = np.random.default_rng(seed)
    n = steps * BATCH
    x = rng.standard_normal((n, T, D)).astype(np.float32)
    y = rng.integers(0, K, size=n).astype(np.int64)
    return x, y


def init_weights(seed=0):
    """W (4H, D), U (4H, H), b (4H,) with gates stacked f, i, g, o; Wd (K, H), bd (K,)."""
    rng = np.random.default_rng(seed)
    s = 1.0 / np.sqrt(H)
    W = rng.uniform(-s, s, (4 * H, D)).astype(np.float32)
    U = rng.uniform(-s, s, (4 * H, H)).astype(np.float32)
    b = np.zeros(4 * H, np.float32)
    b[:H] = 1.0
    Wd = rng.uniform(-s, s, (K, H)).astype(np.float32)
    bd = np.zeros(K, np.float32)
    return W, U, b, Wd, bd


# ------------------------------------------------------------------------------------- numbanet
def numbanet_runner(x, y, w0):
    import numbanet as nb
    from numbanet.nn.recurrent import LSTM

    lstm = LSTM(D, H)
    dense = nb.Dense(H, K)
    net = nb.Sequential([lstm, dense], backend="cpu", seed=0, input_shape=(T, D))

    def reset():
        W, U, b, Wd, bd = w0
        lstm.W.value, lstm.U.value, lstm.b.value = W, U, b
        dense.W.value, dense.b.value = Wd, bd

    def run():
        opt = nb.optim.Adam(net.parameters(), lr=LR)
        net.fit(x, y, loss=nb.losses.CrossEntropy(), optimizer=opt, epochs=1, batch_size=BATCH,
                shuffle=False, progress=False, train_metrics=False)  # fmt: skip
        return net

    return reset, run


# ---------------------------------------------------------------------------------------- NumPy
class NumpyLSTM:
    """Hand-written LSTM + Dense + softmax CE + Adam, float32, time-major, buffers preallocated."""

    def __init__(self, w0, batch):
        self.p = [a.copy() for a in w0]  # W, U, b, Wd, bd
        self.g = [np.zeros_like(a) for a in self.p]
        self.m = [np.zeros_like(a) for a in self.p]
        self.v = [np.zeros_like(a) for a in self.p]
        self.t = 0
        n = batch
        self.a = np.empty((T, n, 4 * H), np.float32)  # gates
        self.c = np.empty((T, n, H), np.float32)
        self.tc = np.empty((T, n, H), np.float32)
        self.h = np.empty((T, n, H), np.float32)
        self.r = np.empty((n, 4 * H), np.float32)
        self.dz = np.empty((T, n, 4 * H), np.float32)
        self.dh = np.empty((n, H), np.float32)
        self.dc = np.empty((n, H), np.float32)
        self.tmp = np.empty((n, H), np.float32)

    def step(self, x, y):
        W, U, b, Wd, bd = self.p
        n = x.shape[0]
        xt = np.ascontiguousarray(x.transpose(1, 0, 2))
        a, c, tc, h, r = self.a, self.c, self.tc, self.h, self.r
        np.matmul(xt.reshape(T * n, D), W.T, out=a.reshape(T * n, 4 * H))
        a += b
        for t in range(T):
            if t > 0:
                np.matmul(h[t - 1], U.T, out=r)
                a[t] += r
            at = a[t]
            np.negative(at[:, : 2 * H], out=at[:, : 2 * H])  # sigmoid on f, i
            np.exp(at[:, : 2 * H], out=at[:, : 2 * H])
            at[:, : 2 * H] += 1
            np.reciprocal(at[:, : 2 * H], out=at[:, : 2 * H])
            np.tanh(at[:, 2 * H : 3 * H], out=at[:, 2 * H : 3 * H])
            np.negative(at[:, 3 * H :], out=at[:, 3 * H :])  # sigmoid on o
            np.exp(at[:, 3 * H :], out=at[:, 3 * H :])
            at[:, 3 * H :] += 1
            np.reciprocal(at[:, 3 * H :], out=at[:, 3 * H :])
            np.multiply(at[:, H : 2 * H], at[:, 2 * H : 3 * H], out=c[t])
            if t > 0:
                np.multiply(at[:, :H], c[t - 1], out=self.tmp)
                c[t] += self.tmp
            np.tanh(c[t], out=tc[t])
            np.multiply(at[:, 3 * H :], tc[t], out=h[t])
        # dense + softmax cross-entropy on the last state
        z = h[T - 1] @ Wd.T + bd
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[np.arange(n), y] -= 1.0
        z /= n
        gW, gU, gb, gWd, gbd = self.g
        np.matmul(z.T, h[T - 1], out=gWd)
        np.sum(z, axis=0, out=gbd)
        dh, dc, dz, tmp = self.dh, self.dc, self.dz, self.tmp
        np.matmul(z, Wd, out=dh)
        dc[...] = 0
        for t in range(T - 1, -1, -1):
            if t < T - 1:
                np.matmul(dz[t + 1], U, out=dh)
            at, d = a[t], dz[t]
            f, i, g, o = at[:, :H], at[:, H : 2 * H], at[:, 2 * H : 3 * H], at[:, 3 * H :]
            # dc = dh * o * (1 - tc^2) + f_{t+1} dc_{t+1} (dc holds the carry)
            np.multiply(tc[t], tc[t], out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            # output gate: dh * tc * o (1 - o)
            np.subtract(1, o, out=d[:, 3 * H :])
            d[:, 3 * H :] *= o
            d[:, 3 * H :] *= tc[t]
            d[:, 3 * H :] *= dh
            # forget gate: dc * c_{t-1} * f (1 - f)
            if t > 0:
                np.subtract(1, f, out=d[:, :H])
                d[:, :H] *= f
                d[:, :H] *= c[t - 1]
                d[:, :H] *= dc
            else:
                d[:, :H] = 0
            # input gate: dc * g * i (1 - i)
            np.subtract(1, i, out=d[:, H : 2 * H])
            d[:, H : 2 * H] *= i
            d[:, H : 2 * H] *= g
            d[:, H : 2 * H] *= dc
            # candidate: dc * i * (1 - g^2)
            np.multiply(g, g, out=d[:, 2 * H : 3 * H])
            np.subtract(1, d[:, 2 * H : 3 * H], out=d[:, 2 * H : 3 * H])
            d[:, 2 * H : 3 * H] *= i
            d[:, 2 * H : 3 * H] *= dc
            dc *= f
        dz2 = dz.reshape(T * n, 4 * H)
        np.matmul(dz2.T, xt.reshape(T * n, D), out=gW)
        np.matmul(dz[1:].reshape((T - 1) * n, 4 * H).T, h[:-1].reshape((T - 1) * n, H), out=gU)
        np.sum(dz2, axis=0, out=gb)
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p, g_, m_, v_ in zip(self.p, self.g, self.m, self.v):
            m_ *= b1
            m_ += (1 - b1) * g_
            v_ *= b2
            v_ += (1 - b2) * g_ * g_
            p -= (LR / c1) * m_ / (np.sqrt(v_ / c2) + eps)


def numpy_runner(x, y, w0):
    state = {}

    def reset():
        state["net"] = NumpyLSTM(w0, BATCH)

    def run():
        net = state["net"]
        for s in range(0, len(x), BATCH):
            net.step(x[s : s + BATCH], y[s : s + BATCH])

    return reset, run


def _numpy_child(spec_json):
    """Child-process side of the NumPy contender (NumPy's own OpenBLAS pool, alone)."""
    spec = json.loads(spec_json)
    x, y = data(spec["steps"])
    reset, run = numpy_runner(x, y, init_weights())
    reset()
    run()
    r = best_of(run, repeat=spec["repeat"], setup=reset)
    print(json.dumps({"min": r["min"], "median": r["median"]}))


# -------------------------------------------------------------------------------------- PyTorch
def _torch_child(spec_json):
    spec = json.loads(spec_json)
    torch = torch_or_none(spec["threads"])
    if torch is None:
        print(json.dumps(None))
        return
    x, y = data(spec["steps"])
    W, U, b, Wd, bd = init_weights()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    # numbanet stacks the gates f, i, g, o; PyTorch i, f, g, o
    perm = np.r_[H : 2 * H, 0:H, 2 * H : 4 * H]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(D, H, batch_first=True)
            self.fc = torch.nn.Linear(H, K)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.fc(out[:, -1])

    def build():
        m = Net()
        with torch.no_grad():
            m.lstm.weight_ih_l0.copy_(torch.from_numpy(W[perm]))
            m.lstm.weight_hh_l0.copy_(torch.from_numpy(U[perm]))
            m.lstm.bias_ih_l0.copy_(torch.from_numpy(b[perm]))
            m.lstm.bias_hh_l0.zero_()
            m.fc.weight.copy_(torch.from_numpy(Wd))
            m.fc.bias.copy_(torch.from_numpy(bd))
        return m

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


def in_child(args, which, env=None):
    """Run one contender in a fresh process (its BLAS/OpenMP pool then runs alone)."""
    if which == "torch" and args.no_torch:
        return None
    spec = dict(steps=args.steps, repeat=args.repeat, threads=args.threads)
    code = (
        f"import sys; sys.path.insert(0, {str(pathlib.Path(__file__).resolve().parent)!r}); "
        f"import bench_lstm as B; B._{which}_child({json.dumps(json.dumps(spec))})"
    )
    try:
        _, out = run_fresh(code, env=env)
    except RuntimeError as e:
        print(f"{which} run failed: {e}", file=sys.stderr)
        return None
    return last_json_line(out)


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20, help="minibatches per timed run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.repeat < 1:
        ap.error("--steps and --repeat must be at least 1")

    x, y = data(args.steps)
    w0 = init_weights()
    n = len(x)
    res = {"machine": machine_info(), "seq": T, "input": D, "hidden": H, "classes": K,
           "batch": BATCH, "samples": n}  # fmt: skip
    times = {}
    reset, run = numbanet_runner(x, y, w0)
    reset()
    run()  # compile / warm
    times["numbanet cpu fit"] = best_of(run, repeat=args.repeat, setup=reset)["min"]
    for k in (1, 2):  # NumPy's BLAS on one and on two threads (the better one is "NumPy")
        t = in_child(args, "numpy", env={"OPENBLAS_NUM_THREADS": str(k)})
        if t:
            times[f"NumPy ({k} BLAS thread{'s' if k > 1 else ''})"] = t["min"]
    t = in_child(args, "torch")
    if t:
        times["PyTorch eager"] = t["min"]
        res["torch_version"] = t["version"]
    ours = times["numbanet cpu fit"]
    np_best = min((v for k, v in times.items() if k.startswith("NumPy")), default=None)
    res["numpy_best_ratio"] = ratio(np_best, ours)
    rows = []
    for name, s in times.items():
        sps = n / s
        rows.append((name, f"{s * 1e3:.0f} ms", f"{sps:,.0f}",
                     "1.0x" if name.startswith("numbanet") else fmt_ratio(ratio(s, ours))))  # fmt: skip
        res[name] = {"seconds": s, "samples_per_s": sps, "ratio_vs_numbanet": ratio(s, ours)}
    out = sys.stderr if args.json else sys.stdout
    print(f"LSTM({D}, {H}) over {T} steps + Dense({H}, {K}), batch {BATCH}, Adam, CE; "
          f"{n:,} samples per run", file=out)  # fmt: skip
    print(table(rows, ("contender", "time", "samples/s", "numbanet speed-up")), file=out)
    if "PyTorch eager" in times:
        r = ratio(times["PyTorch eager"], ours)
        print(f"target >= {TARGET}x PyTorch: {'met' if r >= TARGET else 'NOT met'} ({r:.2f}x)",
              file=out)  # fmt: skip
    emit(res, args.json)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
