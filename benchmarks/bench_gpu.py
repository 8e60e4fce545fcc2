"""numbanet on a GPU: the cuda backend against numbanet's cpu backend and PyTorch CUDA (issue 17).

Four workloads, the course's nets:

* ``tiny``: 1-10x5-1 ReLU regressing sin(2 pi x), MSE, full batch 256, SGD (lr 0.05): the one-launch
  fused step on cuda;
* ``mlp``: 784-1024-1024-10 ReLU, softmax cross-entropy, batch 128, Adam (lr 1e-3);
* ``lenet``: the slides' LeNet (``nb.models.lenet``) on 28x28 inputs, batch 64, SGD (lr 0.01);
* ``lstm``: LSTM(8, 128) over 50 steps + Dense(128, 10), batch 64, Adam (lr 1e-3).

Before anything is timed, every contender takes the same ``--check-steps`` steps in float64 from
the same weights on the same minibatches, and the script prints the largest difference of the
parameters from numbanet cpu's (relative to the largest parameter): a fast contender that
computes something else shows. numbanet's Adam runs with ``eps_inside=False`` (PyTorch's
sqrt(v) + eps). Then each contender is timed in float32 over ``--steps`` steps of the manual
loop (numbanet: device data with ``DeviceDataset`` on cuda, ``fit`` for the tiny net),
synchronising the device before reading the clock, median of ``--rounds`` rounds.

Without a CUDA GPU the script prints one line and exits 0: no GPU timing is ever made up (the
cuda kernels are checked in Numba's simulator and compiled to PTX by the tests instead).

Usage::

    python benchmarks/bench_gpu.py                 # all four, 3 rounds
    python benchmarks/bench_gpu.py --only tiny lstm --device 1
    python benchmarks/bench_gpu.py --json          # one JSON object instead of the table
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

WORKLOADS = ("tiny", "mlp", "lenet", "lstm")


# ---------------------------------------------------------------------------- workloads
def _workload(name, nb, backend, dtype):
    """(net, x, y, loss name, optimizer factory, batch size) of workload ``name``."""
    rng = np.random.default_rng(1)
    if name == "tiny":
        layers = [nb.Dense(1, 10), nb.ReLU()]
        for _ in range(4):
            layers += [nb.Dense(10, 10), nb.ReLU()]
        layers.append(nb.Dense(10, 1))
        x = np.linspace(-1, 1, 256)[:, None]
        y = np.sin(2 * np.pi * x)
        return layers, None, x, y, "mse", ("sgd", 0.05), 256
    if name == "mlp":
        sizes = [784, 1024, 1024, 10]
        layers = [nb.Dense(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        layers = [layers[0], nb.ReLU(), layers[1], nb.ReLU(), layers[2]]
        x = rng.random((1024, 784))
        return layers, None, x, rng.integers(0, 10, 1024), "cross_entropy", ("adam", 1e-3), 128
    if name == "lenet":
        net = nb.models.lenet(backend=backend, seed=0, dtype=dtype)
        x = rng.random((512, 1, 28, 28))
        return None, net, x, rng.integers(0, 10, 512), "cross_entropy", ("sgd", 0.01), 64
    x = rng.standard_normal((512, 50, 8))
    y = (x.mean(axis=1) @ rng.standard_normal((8, 10))).argmax(axis=1)
    layers = [nb.LSTM(8, 128, return_sequences=False), nb.Dense(128, 10)]
    return layers, None, x, y, "cross_entropy", ("adam", 1e-3), 64


def _numbanet(name, backend, dtype):
    import numbanet as nb

    layers, net, x, y, loss, (opt, lr), bs = _workload(name, nb, backend, dtype)
    if net is None:
        net = nb.Sequential(layers, backend=backend, seed=0, dtype=dtype)
    kw = {"eps_inside": False} if opt == "adam" else {}
    return (
        net,
        x.astype(dtype),
        y,
        nb.losses.get(loss),
        nb.optim.get(opt, net.parameters(), lr, **kw),
        bs,
    )


def _torch_model(torch, net, dtype, device):
    """A PyTorch module with ``net``'s layers and weights (LSTM gates f, i, g, o permuted to
    PyTorch's i, f, g, o; its second bias zero and frozen), built in ``dtype`` so the copy is
    exact."""
    import numbanet as nb

    nn = torch.nn
    mods = []
    for layer in net.layers:
        p = {k: np.asarray(v.value) for k, v in layer._params.items()}
        if isinstance(layer, nb.Dense):
            m = nn.Linear(layer.in_features, layer.out_features, dtype=dtype)
            m.weight.data[:] = torch.from_numpy(p["W"])
            m.bias.data[:] = torch.from_numpy(p["b"])
        elif isinstance(layer, nb.Conv2D):
            m = nn.Conv2d(
                layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                tuple(layer.padding), dtype=dtype,
            )  # fmt: skip
            m.weight.data[:] = torch.from_numpy(p["W"])
            m.bias.data[:] = torch.from_numpy(p["b"])
        elif isinstance(layer, nb.LSTM):
            H = layer.hidden_size
            gates = np.r_[H : 2 * H, 0:H, 2 * H : 4 * H]
            lstm = nn.LSTM(layer.input_size, H, batch_first=True, dtype=dtype)
            lstm.weight_ih_l0.data[:] = torch.from_numpy(p["W"][gates])
            lstm.weight_hh_l0.data[:] = torch.from_numpy(p["U"][gates])
            lstm.bias_ih_l0.data[:] = torch.from_numpy(p["b"][gates])
            lstm.bias_hh_l0.data[:] = 0
            lstm.bias_hh_l0.requires_grad_(False)  # one bias, as numbanet's (two would both move)

            class Last(nn.Module):
                def __init__(self, inner):
                    super().__init__()
                    self.inner = inner

                def forward(self, s):
                    return self.inner(s)[0][:, -1]

            m = Last(lstm)
        elif isinstance(layer, nb.ReLU):
            m = nn.ReLU()
        elif isinstance(layer, nb.Flatten):
            m = nn.Flatten()
        elif isinstance(layer, nb.AvgPool2D):
            m = nn.AvgPool2d(layer.size, layer.stride)
        else:
            raise TypeError(f"no PyTorch twin for {type(layer).__name__}")
        mods.append(m)
    return nn.Sequential(*mods).to(device=device, dtype=dtype)


def _torch_opt(torch, model, opt):
    name, lr = opt
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr)


# ---------------------------------------------------------------------------- steps
def _batches(x, y, bs, device_data):
    """The minibatches, made before any clock starts (on the device with ``DeviceDataset``)."""
    if device_data:
        from numbanet.backends import cuda as C

        return list(C.DeviceDataset(x, y, x.dtype).batches(bs, shuffle=False))
    return [(x[s : s + bs], y[s : s + bs]) for s in range(0, x.shape[0], bs)]


def _nb_steps(name, net, loss, opt, batches, steps):
    """``steps`` minibatch steps: the public manual loop, or ``fit`` for the tiny net (whose
    full-batch epochs are single steps, on cuda one fused launch each)."""
    if name == "tiny":
        x, y = batches[0]
        net.fit(
            x, y, loss=loss, optimizer=opt, epochs=steps, batch_size=x.shape[0], shuffle=False,
            check_finite=False, train_metrics=False, progress=False,
        )  # fmt: skip
    else:
        for k in range(steps):
            xb, yb = batches[k % len(batches)]
            opt.zero_grad()
            out = net.forward(xb, training=True)
            loss.forward(out, yb)
            net.backward(loss.backward())
            opt.step()
    net.backend.synchronize()


def _torch_steps(torch, model, topt, lossf, X, Y, bs, steps):
    n = X.shape[0]
    for k in range(steps):
        s = (k * bs) % n
        topt.zero_grad(set_to_none=True)
        lossf(model(X[s : s + bs]), Y[s : s + bs]).backward()
        topt.step()
    if X.is_cuda:
        torch.cuda.synchronize(X.device)


def _torch_parts(torch, name, net, x, y, dtype, device, opt):
    model = _torch_model(torch, net, dtype, device)
    X = torch.from_numpy(x).to(device=device, dtype=dtype)
    if name == "tiny":
        Y = torch.from_numpy(y).to(device=device, dtype=dtype)
        lossf = lambda out, t: 0.5 * ((out - t) ** 2).sum(dim=1).mean()  # noqa: E731 - MSE half_sum
    else:
        Y = torch.from_numpy(np.asarray(y, np.int64)).to(device)
        lossf = torch.nn.CrossEntropyLoss()
    return model, _torch_opt(torch, model, opt), lossf, X, Y


def check(name, torch, device, steps):
    """Largest parameter difference from numbanet cpu after ``steps`` float64 steps, relative
    to the largest parameter."""
    import numbanet as nb

    out = {}
    ref, x, y, loss, opt, bs = _numbanet(name, "cpu", np.float64)
    w0 = ref.get_flat()
    _nb_steps(name, ref, loss, opt, _batches(x, y, bs, False), steps)
    want = ref.get_flat()
    scale = float(np.abs(want).max())
    net, x, y, loss, opt, bs = _numbanet(name, "cuda", np.float64)
    net.set_flat(w0)
    _nb_steps(name, net, loss, opt, _batches(x, y, bs, name != "tiny"), steps)
    out["numbanet cuda"] = float(np.abs(net.get_flat() - want).max()) / scale
    if torch is not None:
        src, *_ = _numbanet(name, "cpu", np.float64)
        src.set_flat(w0)
        spec = _workload(name, nb, "cpu", np.float64)[5]
        model, topt, lossf, X, Y = _torch_parts(torch, name, src, x, y, torch.float64, device, spec)
        _torch_steps(torch, model, topt, lossf, X, Y, bs, steps)
        out["PyTorch CUDA"] = float(np.abs(_torch_flat(model, src) - want).max()) / scale
    return out


def _torch_flat(model, net):
    """PyTorch's parameters in numbanet's flat order (W, U, b of an LSTM, gates permuted back
    to f, i, g, o, its two biases added)."""
    import numbanet as nb

    def h(t):
        return t.detach().cpu().numpy()

    parts = []
    for layer, m in zip(net.layers, model):
        if isinstance(layer, nb.LSTM):
            H = layer.hidden_size
            back = np.argsort(np.r_[H : 2 * H, 0:H, 2 * H : 4 * H])
            lstm = m.inner
            b = h(lstm.bias_ih_l0) + h(lstm.bias_hh_l0)
            parts += [h(lstm.weight_ih_l0)[back], h(lstm.weight_hh_l0)[back], b[back]]
        elif hasattr(m, "weight"):
            parts += [h(m.weight), h(m.bias)]
    return np.concatenate([p.ravel() for p in parts])


def time_contenders(name, torch, device, steps, rounds):
    """Median seconds per step of each contender, float32."""
    times = {}
    runs = {
        "numbanet cuda": lambda: _numbanet(name, "cuda", np.float32),
        "numbanet cpu": lambda: _numbanet(name, "cpu", np.float32),
    }
    for label, make in runs.items():
        net, x, y, loss, opt, bs = make()
        batches = _batches(x, y, bs, label.endswith("cuda") and name != "tiny")
        _nb_steps(name, net, loss, opt, batches, 3)  # warm-up (compilation)
        got = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            _nb_steps(name, net, loss, opt, batches, steps)
            got.append((time.perf_counter() - t0) / steps)
        times[label] = float(np.median(got))
    if torch is not None:
        src, x, y, _, _, bs = _numbanet(name, "cpu", np.float32)
        spec = _workload(name, __import__("numbanet"), "cpu", np.float32)[5]
        model, topt, lossf, X, Y = _torch_parts(torch, name, src, x, y, torch.float32, device, spec)
        _torch_steps(torch, model, topt, lossf, X, Y, bs, 3)
        got = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            _torch_steps(torch, model, topt, lossf, X, Y, bs, steps)
            got.append((time.perf_counter() - t0) / steps)
        times["PyTorch CUDA"] = float(np.median(got))
    return times


# ---------------------------------------------------------------------------- counts
#: The four nets with their layer structure, shrunk so that Numba's simulator runs them in
#: seconds (launches, allocations and copies per step do not depend on the widths).
COUNT_NETS = {
    "dense MLP (784-1024-1024-10 shape, Adam)": ("mlp", (12, 16, 16, 10), 4),
    "tiny 1-10x5-1 (SGD)": ("tiny", None, 8),
    "LeNet (SGD)": ("lenet", None, 2),
    "LSTM (T 5, Adam)": ("lstm", None, 2),
}


def _count_net(kind, sizes, nb):
    rng = np.random.default_rng(0)
    if kind == "mlp":
        layers = [nb.Dense(sizes[0], sizes[1]), nb.ReLU(), nb.Dense(sizes[1], sizes[2]), nb.ReLU()]
        layers.append(nb.Dense(sizes[2], sizes[3]))
        x, y, loss, opt = (
            rng.random((16, sizes[0])),
            rng.integers(0, 10, 16),
            "cross_entropy",
            "adam",
        )
    elif kind == "tiny":
        layers = [nb.Dense(1, 10), nb.ReLU()]
        for _ in range(4):
            layers += [nb.Dense(10, 10), nb.ReLU()]
        layers.append(nb.Dense(10, 1))
        x = np.linspace(-1, 1, 32)[:, None]
        y, loss, opt = np.sin(2 * np.pi * x), "mse", "sgd"
    elif kind == "lenet":
        layers = [
            nb.Conv2D(1, 2, 3), nb.ReLU(), nb.AvgPool2D(2), nb.Conv2D(2, 3, 3), nb.ReLU(),
            nb.AvgPool2D(2), nb.Flatten(), nb.Dense(3, 4), nb.ReLU(), nb.Dense(4, 3),
        ]  # fmt: skip
        x, y, loss, opt = rng.random((8, 1, 10, 10)), rng.integers(0, 3, 8), "cross_entropy", "sgd"
    else:
        layers = [nb.LSTM(2, 3, return_sequences=False), nb.Dense(3, 3)]
        x, y = rng.standard_normal((8, 5, 2)), rng.integers(0, 3, 8)
        loss, opt = "cross_entropy", "adam"
    net = nb.Sequential(layers, backend="cuda", seed=0, dtype=np.float32)
    return net, x.astype(np.float32), y, loss, opt


def _ways(kind, sizes, bs):
    """{way: run(k)} for one net: k minibatch steps of the manual loop on NumPy or device
    minibatches, or of ``fit`` (layer by layer; fused for the tiny net)."""
    import numbanet as nb
    from numbanet.backends import cuda as C

    net, x, y, loss_name, opt_name = _count_net(kind, sizes, nb)

    def manual(batches):
        lossf = nb.losses.get(loss_name)
        opt = nb.optim.get(opt_name, net.parameters(), 0.01)
        for xb, yb in batches:
            opt.zero_grad()
            out = net.forward(xb, training=True)
            lossf.forward(out, yb)
            net.backward(lossf.backward())
            opt.step()

    def fit(k, fused):
        net.fit(
            x[: k * bs], y[: k * bs], loss=loss_name, optimizer=opt_name, lr=0.01,
            batch_size=bs, seed=0, fused=fused, progress=False,
        )  # fmt: skip

    host = [(x[:bs], y[:bs])] * 4
    dev = list(C.DeviceDataset(x, y, np.float32).batches(bs, shuffle=False))[:1] * 4
    ways = {
        "manual loop, NumPy minibatches": lambda k: manual(host[:k]),
        "manual loop, DeviceDataset": lambda k: manual(dev[:k]),
        "fit, layer by layer": lambda k: fit(k, False),
    }
    if kind == "tiny":
        ways["fit, fused step"] = lambda k: fit(k, True)
    return ways


def step_counts():
    """{net: {way: per-step launches, allocations, h2d, d2h}} counted with
    ``numbanet.backends.cuda.stats()``. Per step = (the counts of 4 steps minus those of 2) / 2
    (every per-call and per-epoch cost cancels; both sizes run once before counting)."""
    from numbanet.backends import cuda as C

    out = {}
    keys = ("launches", "allocations", "h2d", "d2h")
    for label, (kind, sizes, bs) in COUNT_NETS.items():
        rows = {}
        for way, run in _ways(kind, sizes, bs).items():
            run(2)
            run(4)  # warm-up, in the counting order (fit's one cached permutation alternates)
            got = []
            for k in (2, 4):
                C.reset_stats()
                run(k)
                got.append(C.stats())
            rows[way] = {key: (got[1][key] - got[0][key]) / 2 for key in keys}
        out[label] = rows
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    ap.add_argument("--steps", type=int, default=50, help="timed steps per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--check-steps", type=int, default=3, help="float64 steps compared first")
    ap.add_argument("--device", type=int, default=0, help="CUDA device number (cuda:N)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--counts",
        action="store_true",
        help="print launches, allocations and copies per training step (in Numba's simulator "
        "when there is no GPU; run with NUMBA_ENABLE_CUDASIM=1) instead of timing",
    )
    args = ap.parse_args(argv)
    if args.counts:
        from numbanet import _cuda, config

        if _cuda.is_simulator():  # small blocks: the simulator runs every thread in Python
            config.THREADS_PER_BLOCK, config.TILE = 8, 4
        counts = step_counts()
        if args.json:
            print(json.dumps(counts))
            return 0
        print("net | way | launches | allocations | h2d | d2h  (per training step)")
        for net, rows in counts.items():
            for way, c in rows.items():
                cells = " | ".join(f"{c[k]:g}" for k in ("launches", "allocations", "h2d", "d2h"))
                print(f"{net} | {way} | {cells}")
        return 0

    from numbanet import _cuda

    if not _cuda.has_real_gpu():
        print(f"bench_gpu: no CUDA GPU ({_cuda.status()}); nothing timed, no GPU figure claimed")
        return 0
    from numbanet.backends import set_default_backend

    set_default_backend(f"cuda:{args.device}")  # checks the device exists (clear error if not)
    try:
        import torch

        if not torch.cuda.is_available():
            torch = None
    except ImportError:
        torch = None
    device = f"cuda:{args.device}"
    results = {}
    for name in args.only:
        results[name] = {
            "param_diff_after_float64_steps": check(name, torch, device, args.check_steps),
            "seconds_per_step": time_contenders(name, torch, device, args.steps, args.rounds),
        }
    if args.json:
        print(json.dumps({"gpu": _cuda.status(), "results": results}))
        return 0
    print(f"# {_cuda.status()}; seconds per step (median of {args.rounds} x {args.steps})")
    for name, r in results.items():
        t = r["seconds_per_step"]
        d = r["param_diff_after_float64_steps"]
        cells = ", ".join(f"{k} {v * 1e3:.3f} ms" for k, v in t.items())
        diffs = ", ".join(f"{k} {v:.1e}" for k, v in d.items())
        print(f"{name}: {cells} | float64 parameter difference from numbanet cpu: {diffs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
