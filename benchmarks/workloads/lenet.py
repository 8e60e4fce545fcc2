"""The slides' LeNet (``numbanet.models.lenet()``, 60,074 parameters) on MNIST: minibatch 64, SGD
with momentum 0.9 (PyTorch's form v = 0.9 v + g, w -= lr v), lr 0.01, one epoch over the first
6,400 training images; the check is the accuracy on the 10,000 validation images.

Every contender starts from ``lenet(seed=0)``'s weights (written by ``prepare``); the manual
contenders visit the images in ``default_rng(0).permutation(n)`` (fit's first-epoch order).
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

TITLE = "LeNet of the slides, B 64, SGD momentum 0.9, 6,400 MNIST images"
TARGETS = {"torch": 2.0}
N, BS, LR, BETA, SEED = 6400, 64, 0.01, 0.9, 0


def prepare(spec):
    from numbanet.models import lenet

    x, y, xv, yv, src = mnist(spec.get("data"))
    n = scaled(N, spec, BS)
    save(
        spec["folder"],
        "data",
        x=x[:n].reshape(n, 1, 28, 28),
        y=y[:n],
        xv=xv.reshape(-1, 1, 28, 28),
        yv=yv,
        perm=np.random.default_rng(SEED).permutation(n),
    )
    nb_save_init(spec["folder"], lenet(backend="cpu", seed=SEED))
    return {
        "title": TITLE,
        "targets": TARGETS,
        "data_source": src,
        "work": {"samples": n, "batch_size": BS, "lr": LR, "momentum": BETA, "validation": len(xv)},
    }


def _data(spec):
    d = load(spec["folder"], "data")
    return d["x"], d["y"], d["xv"], d["yv"], d["perm"]


def _nb_momentum(nb, net):
    return nb.optim.Momentum(net.parameters(), lr=LR, beta1=BETA, form="classical")


@contender
def run_numbanet_fit(spec):
    """``net = lenet(); net.fit(x, y, optimizer=Momentum(..., lr=0.01, beta1=0.9,
    form="classical"), batch_size=64, epochs=1)`` (loss: fit's default cross-entropy)."""
    import numbanet as nb
    from numbanet.models import lenet

    x, y, xv, yv, _ = _data(spec)
    w0 = init_list(spec["folder"])
    net = lenet(backend="cpu", seed=SEED)
    nb_load(net, w0)
    net.fit(x[: 4 * BS], y[: 4 * BS], optimizer=_nb_momentum(nb, net), batch_size=BS)  # warm-up
    nb_load(net, w0)
    t0 = clock()
    net.fit(x, y, optimizer=_nb_momentum(nb, net), batch_size=BS, epochs=1)
    seconds = clock() - t0
    check = check_classes(net.predict(xv), yv, "logits")
    return nb_result(seconds, len(x), len(x) // BS, check, net, call="fit(defaults)")


@contender
def run_numbanet_loop(spec):
    import numbanet as nb
    from numbanet.models import lenet

    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])
    net = lenet(backend="cpu", seed=SEED)
    loss = nb.losses.CrossEntropy()

    def epoch(order):
        opt = _nb_momentum(nb, net)
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            out = net.forward(x[idx], training=True)
            loss.forward(out, y[idx])
            grad = loss.backward()
            net.zero_grad()
            net.backward(grad)
            opt.step()

    nb_load(net, w0)
    epoch(perm[: 4 * BS])  # warm-up
    nb_load(net, w0)
    t0 = clock()
    epoch(perm)
    seconds = clock() - t0
    check = check_classes(net.predict(xv), yv, "logits")
    return nb_result(seconds, len(x), len(x) // BS, check, net, call="manual loop")


# ------------------------------------------------------------------------------ NumPy
class NumpyLeNet:
    """LeNet in plain NumPy, channels last (NHWC, so no transposes), im2col through
    ``sliding_window_view`` + one ``matmul`` per layer, col2im by nine strided adds, average
    pooling by reshapes, float32 throughout. Takes numbanet's (NCHW) weights."""

    def __init__(self, w0):
        c1, c1b, c2, c2b, d1, d1b, d2, d2b, d3, d3b = [np.asarray(a, np.float32) for a in w0]
        self.p = {
            "c1": c1.reshape(6, -1).T.copy(),
            "c1b": c1b.copy(),
            "c2": c2.reshape(16, -1).T.copy(),
            "c2b": c2b.copy(),
            # numbanet flattens (16, 5, 5) as c, h, w; NHWC flattens h, w, c
            "d1": d1.reshape(120, 16, 5, 5).transpose(2, 3, 1, 0).reshape(400, 120).copy(),
            "d1b": d1b.copy(),
            "d2": d2.T.copy(),
            "d2b": d2b.copy(),
            "d3": d3.T.copy(),
            "d3b": d3b.copy(),
        }
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
        )
        return out

    def _forward(self, xb):
        p = self.p
        n = xb.shape[0]
        c1, s1 = self._cols(xb.reshape(n, 28, 28, 1))
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
        return z5, (c1, s1, a1, c2, s2, a2, q2, z3, a3, z4, a4)

    def predict(self, x, bs=1000):
        return np.concatenate([self._forward(x[s : s + bs])[0] for s in range(0, len(x), bs)])

    def step(self, xb, yb):
        p = self.p
        n = xb.shape[0]
        z5, (c1, s1, a1, c2, s2, a2, q2, z3, a3, z4, a4) = self._forward(xb)
        z5 -= z5.max(axis=1, keepdims=True)
        e = np.exp(z5)
        d5 = e / e.sum(axis=1, keepdims=True)
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
        for k, gk in g.items():  # v = beta v + g; p -= lr v
            v = self.v[k]
            v *= BETA
            v += gk
            p[k] -= LR * v


@contender
def run_numpy(spec):
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])

    def epoch(net, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            net.step(x[idx], y[idx])

    epoch(NumpyLeNet(w0), perm[: 4 * BS])  # warm-up
    net = NumpyLeNet(w0)
    t0 = clock()
    epoch(net, perm)
    seconds = clock() - t0
    return result(seconds, len(x), len(x) // BS, check_classes(net.predict(xv), yv, "logits"))


@contender
def run_torch(spec):
    """PyTorch eager: nn.Conv2d/nn.AvgPool2d/nn.Linear, CrossEntropyLoss, SGD(momentum=0.9)."""
    torch = import_torch(spec["threads"])
    nn = torch.nn
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])
    X, Y, P = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(perm)
    lossf = nn.CrossEntropyLoss()

    def build():
        model = nn.Sequential(
            nn.Conv2d(1, 6, 3),
            nn.ReLU(),
            nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 3),
            nn.ReLU(),
            nn.AvgPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
        )
        torch_load(torch, model.parameters(), w0)
        return model, torch_optimizer(
            torch.optim.SGD, model.parameters(), spec, lr=LR, momentum=BETA
        )

    def epoch(model, opt, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            loss = lossf(model(X[idx]), Y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    epoch(*build(), P[: 4 * BS])  # warm-up
    model, opt = build()
    t0 = clock()
    epoch(model, opt, P)
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
