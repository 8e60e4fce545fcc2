"""A large MLP: 784-1024-1024-10 ReLU, softmax cross-entropy, minibatch 256, Adam (lr 1e-3), one
epoch over the first 10,240 MNIST training images (40 steps); the check is the accuracy on the
10,000 validation images. ``bench_cpu.py`` also reports each contender's GFLOP/s against the
FP32 FMA peak of the cores it used.

FLOPs per training sample: 2 P forward, 2 P for the weight gradients and 2 (P - 784 * 1024) for
the input gradients of layers 2 and 3 (the first layer's input gradient is not needed), with
P = 784 * 1024 + 1024 * 1024 + 1024 * 10 weights; biases and element-wise work are not counted.
Every contender starts from numbanet's initialisation with seed 0 and (except ``fit``, which
shuffles with its own generator from the same seed) visits the images in the same order.
"""

from __future__ import annotations

import numpy as np

from ._util import (
    check_classes,
    clock,
    contender,
    import_torch,
    init_list,
    load,
    mnist,
    nb_load,
    nb_result,
    nb_save_init,
    result,
    save,
    scaled,
    torch_load,
    torch_optimizer,
    torch_predict,
)

TITLE = "784-1024-1024-10 ReLU, B 256, Adam, 10,240 MNIST images"
TARGETS = {"torch": 1.2}
SIZES = (784, 1024, 1024, 10)
N, BS, LR, SEED = 10240, 256, 1e-3, 0
P = sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:]))
FLOPS_PER_SAMPLE = 2 * P + 2 * P + 2 * (P - SIZES[0] * SIZES[1])


def prepare(spec):
    import numbanet as nb

    x, y, xv, yv, src = mnist(spec.get("data"))
    n = scaled(N, spec, BS)
    save(
        spec["folder"],
        "data",
        x=x[:n],
        y=y[:n],
        xv=xv,
        yv=yv,
        perm=np.random.default_rng(SEED).permutation(n),
    )
    nb_save_init(spec["folder"], _numbanet_model(nb))
    return {
        "title": TITLE,
        "targets": TARGETS,
        "data_source": src,
        "work": {
            "samples": n,
            "batch_size": BS,
            "lr": LR,
            "validation": len(xv),
            "flops_per_sample": FLOPS_PER_SAMPLE,
            "flops_formula": "2P forward + 2P weight gradients + 2(P - 784*1024) input "
            "gradients, P = weights",
        },
    }


def _data(spec):
    d = load(spec["folder"], "data")
    return d["x"], d["y"], d["xv"], d["yv"], d["perm"]


def _numbanet_model(nb):
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nb.Dense(a, b))
        if i < len(SIZES) - 2:
            layers.append(nb.ReLU())
    return nb.Sequential(layers, backend="cpu", seed=SEED)


@contender
def run_numbanet_fit(spec):
    """``net.fit(x, y, optimizer="adam", lr=1e-3, batch_size=256, epochs=1)`` (loss: the default
    cross-entropy)."""
    import numbanet as nb

    x, y, xv, yv, _ = _data(spec)
    w0 = init_list(spec["folder"])
    net = _numbanet_model(nb)
    nb_load(net, w0)
    net.fit(x[: 2 * BS], y[: 2 * BS], optimizer="adam", lr=LR, batch_size=BS)  # warm-up
    nb_load(net, w0)
    t0 = clock()
    hist = net.fit(x, y, optimizer="adam", lr=LR, batch_size=BS, epochs=1)
    seconds = clock() - t0
    check = check_classes(net.predict(xv), yv, "logits")
    check["train_loss"] = float(hist["loss"][-1])
    return nb_result(seconds, len(x), len(x) // BS, check, net, call="fit(defaults)")


@contender
def run_numbanet_loop(spec):
    import numbanet as nb

    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])
    net = _numbanet_model(nb)
    loss = nb.losses.CrossEntropy()

    def epoch(order):
        opt = nb.optim.Adam(net.parameters(), lr=LR)
        total = 0.0
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            out = net.forward(x[idx], training=True)
            total += loss.forward(out, y[idx]) * len(idx)
            grad = loss.backward()
            net.zero_grad()
            net.backward(grad)
            opt.step()
        return total / len(order)

    nb_load(net, w0)
    epoch(perm[: 2 * BS])  # warm-up
    nb_load(net, w0)
    t0 = clock()
    train_loss = epoch(perm)
    seconds = clock() - t0
    check = check_classes(net.predict(xv), yv, "logits")
    check["train_loss"] = train_loss
    return nb_result(seconds, len(x), len(x) // BS, check, net, call="manual loop")


# ------------------------------------------------------------------------------ NumPy
class NumpyAdamMLP:
    """ReLU MLP + softmax CE + Adam (sqrt(v) + eps) in plain NumPy: float32, every buffer
    preallocated, ``np.matmul(out=)``, in-place ReLU and Adam."""

    def __init__(self, w0, batch):
        self.W = [np.array(w, np.float32) for w in w0[0::2]]
        self.b = [np.array(b, np.float32) for b in w0[1::2]]
        self.h = [np.empty((batch, w.shape[0]), np.float32) for w in self.W]
        self.d = [np.empty((batch, w.shape[0]), np.float32) for w in self.W]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        params = self.W + self.b
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]
        self.t = 0

    def predict(self, x):
        a = x
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            a = a @ w.T + b
            if i < len(self.W) - 1:
                a = np.maximum(a, 0)
        return a

    def step(self, x, y):
        L = len(self.W)
        m = x.shape[0]
        a = x
        for i in range(L):
            np.matmul(a, self.W[i].T, out=self.h[i][:m])
            self.h[i][:m] += self.b[i]
            if i < L - 1:
                np.maximum(self.h[i][:m], 0, out=self.h[i][:m])
            a = self.h[i][:m]
        d = self.d[-1][:m]
        np.subtract(a, a.max(axis=1, keepdims=True), out=d)
        np.exp(d, out=d)
        d /= d.sum(axis=1, keepdims=True)
        d[np.arange(m), y] -= 1.0
        d /= m
        for i in range(L - 1, -1, -1):
            prev = x if i == 0 else self.h[i - 1][:m]
            np.matmul(self.d[i][:m].T, prev, out=self.gW[i])
            np.sum(self.d[i][:m], axis=0, out=self.gb[i])
            if i > 0:
                np.matmul(self.d[i][:m], self.W[i], out=self.d[i - 1][:m])
                self.d[i - 1][:m] *= self.h[i - 1][:m] > 0
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        step = LR / (1 - b1**self.t)
        c2 = 1 / (1 - b2**self.t)
        for p, g, m_, v_, tmp in zip(self.W + self.b, self.gW + self.gb, self.m, self.v, self.tmp):
            m_ *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m_ += tmp
            v_ *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v_ += tmp
            np.multiply(v_, c2, out=tmp)  # tmp = step * m / (sqrt(v c2) + eps)
            np.sqrt(tmp, out=tmp)
            tmp += eps
            np.divide(m_, tmp, out=tmp)
            tmp *= step
            p -= tmp


@contender
def run_numpy(spec):
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])

    def epoch(net, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            net.step(x[idx], y[idx])

    epoch(NumpyAdamMLP(w0, BS), perm[: 2 * BS])  # warm-up
    net = NumpyAdamMLP(w0, BS)
    t0 = clock()
    epoch(net, perm)
    seconds = clock() - t0
    return result(seconds, len(x), len(x) // BS, check_classes(net.predict(xv), yv, "logits"))


@contender
def run_torch(spec):
    """PyTorch eager: nn.Linear/nn.ReLU, CrossEntropyLoss, optim.Adam."""
    torch = import_torch(spec["threads"])
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])
    X, Y, Pm = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(perm)
    lossf = torch.nn.CrossEntropyLoss()

    def build():
        layers = []
        for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(SIZES) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        torch_load(torch, model.parameters(), w0)
        return model, torch_optimizer(torch.optim.Adam, model.parameters(), spec, lr=LR)

    def epoch(model, opt, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            loss = lossf(model(X[idx]), Y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    epoch(*build(), Pm[: 2 * BS])  # warm-up
    model, opt = build()
    t0 = clock()
    epoch(model, opt, Pm)
    seconds = clock() - t0
    check = check_classes(torch_predict(torch, model, xv), yv, "logits")
    return result(
        seconds,
        len(x),
        len(x) // BS,
        check,
        torch_threads=torch.get_num_threads(),
        optimizer_impl=spec.get("torch_impl", "default"),
    )
