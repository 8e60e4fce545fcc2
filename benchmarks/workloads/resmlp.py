"""A ResNet-style MLP on MNIST (issue 21): a stem ``Dense(784, 256) -> BatchNorm1D -> ReLU``, ten
residual blocks ``x -> ReLU(x + BN(Dense(ReLU(BN(Dense(x))))))`` of two 256 x 256 layers each
(20 hidden layers of 256 units in the blocks), and ``Dense(256, 10)``; softmax cross-entropy,
minibatch 128, Adam (lr 1e-3), one epoch over the first 10,240 training images (80 steps). The
check is the accuracy on the 10,000 validation images in evaluation mode (batch norm with its
running statistics, PyTorch's definitions: momentum 0.1, eps 1e-5).

Every contender starts from numbanet's initialisation with seed 0 (He-normal weights, zero
biases, gamma 1, beta 0) and, except ``fit`` (which shuffles with its own generator from the same
seed), visits the images in the same order.
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

TITLE = "ResNet-style MLP 784-256-(2x256 residual)x10-10, batch norm, B 128, Adam, 10,240 MNIST"
TARGETS = {"torch": 1.2}
D_IN, WIDTH, BLOCKS, D_OUT = 784, 256, 10, 10
N, BS, LR, SEED = 10240, 128, 1e-3, 0
MOMENTUM, EPS = 0.1, 1e-5
P = D_IN * WIDTH + 2 * BLOCKS * WIDTH * WIDTH + WIDTH * D_OUT
#: 2P forward, 2P weight gradients, 2(P - 784 * 256) input gradients; batch norm, biases and the
#: element-wise work not counted
FLOPS_PER_SAMPLE = 2 * P + 2 * P + 2 * (P - D_IN * WIDTH)


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
            "flops_formula": "2P forward + 2P weight gradients + 2(P - 784*256) input "
            "gradients, P = weights of the Dense layers",
        },
    }


def _data(spec):
    d = load(spec["folder"], "data")
    return d["x"], d["y"], d["xv"], d["yv"], d["perm"]


def _numbanet_model(nb):
    layers = [nb.Dense(D_IN, WIDTH), nb.BatchNorm1D(WIDTH), nb.ReLU()]
    for _ in range(BLOCKS):
        branch = [
            nb.Dense(WIDTH, WIDTH),
            nb.BatchNorm1D(WIDTH),
            nb.ReLU(),
            nb.Dense(WIDTH, WIDTH),
            nb.BatchNorm1D(WIDTH),
        ]
        layers += [nb.Residual(branch), nb.ReLU()]
    layers.append(nb.Dense(WIDTH, D_OUT))
    return nb.Sequential(layers, backend="cpu", seed=SEED)


@contender
def run_numbanet_fit(spec):
    """``net.fit(x, y, optimizer="adam", lr=1e-3, batch_size=128, epochs=1)`` (loss: the default
    cross-entropy)."""
    import numbanet as nb

    x, y, xv, yv, _ = _data(spec)
    w0 = init_list(spec["folder"])
    net = _numbanet_model(nb)
    net.fit(x[: 2 * BS], y[: 2 * BS], optimizer="adam", lr=LR, batch_size=BS)  # warm-up
    net = _numbanet_model(nb)  # fresh running statistics
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
    loss = nb.losses.CrossEntropy()

    def epoch(net, order):
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

    epoch(_numbanet_model(nb), perm[: 2 * BS])  # warm-up
    net = _numbanet_model(nb)
    nb_load(net, w0)
    t0 = clock()
    train_loss = epoch(net, perm)
    seconds = clock() - t0
    check = check_classes(net.predict(xv), yv, "logits")
    check["train_loss"] = train_loss
    return nb_result(seconds, len(x), len(x) // BS, check, net, call="manual loop")


# ------------------------------------------------------------------------------ NumPy
class _NumpyBN:
    """Batch normalisation of (n, C) in float32: batch statistics in training (biased variance),
    running estimates with the unbiased one, the three-term backward."""

    def __init__(self, gamma, beta):
        self.g, self.b = np.array(gamma, np.float32), np.array(beta, np.float32)
        self.rm, self.rv = np.zeros_like(self.g), np.ones_like(self.g)
        self.dg, self.db = np.empty_like(self.g), np.empty_like(self.b)

    def forward(self, z, training):
        if training:
            m = z.shape[0]
            mu = z.mean(0)
            self.xc = z - mu
            var = np.mean(self.xc * self.xc, 0)
            self.rm *= 1 - MOMENTUM
            self.rm += MOMENTUM * mu
            self.rv *= 1 - MOMENTUM
            self.rv += (MOMENTUM * m / (m - 1)) * var
        else:
            self.xc = z - self.rm
            var = self.rv
        self.inv = (1.0 / np.sqrt(var + np.float32(EPS))).astype(np.float32)
        self.xh = self.xc * self.inv
        return self.xh * self.g + self.b

    def backward(self, dy):
        m = dy.shape[0]
        np.sum(dy, 0, out=self.db)
        np.sum(dy * self.xh, 0, out=self.dg)
        k = self.g * self.inv / m
        return k * (m * dy - self.db - self.xh * self.dg)


class NumpyResMLP:
    """The workload's net in plain NumPy (float32): Dense layers by ``np.matmul``, the batch norm
    above, Adam (sqrt(v) + eps) in place over every parameter."""

    def __init__(self, w0):
        it = iter(w0)

        def dense():
            return [np.array(next(it), np.float32), np.array(next(it), np.float32)]

        def bn():
            return _NumpyBN(next(it), next(it))

        self.stem = (dense(), bn())
        self.blocks = [(dense(), bn(), dense(), bn()) for _ in range(BLOCKS)]
        self.head = dense()
        self.params, self.grads = [], []
        order = [self.stem[0], self.stem[1]]
        for b in self.blocks:
            order += list(b)
        order.append(self.head)
        self._dense_grads = {}
        for layer in order:
            if isinstance(layer, list):
                gw, gb = np.empty_like(layer[0]), np.empty_like(layer[1])
                self._dense_grads[id(layer)] = (gw, gb)
                self.params += layer
                self.grads += [gw, gb]
            else:
                self.params += [layer.g, layer.b]
                self.grads += [layer.dg, layer.db]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    @staticmethod
    def _lin(d, a):
        return a @ d[0].T + d[1]

    def _lin_back(self, d, a, dz, need_dx=True):
        gw, gb = self._dense_grads[id(d)]
        np.matmul(dz.T, a, out=gw)
        np.sum(dz, 0, out=gb)
        return dz @ d[0] if need_dx else None

    def forward(self, x, training):
        d, n = self.stem
        self.cache = [x]
        h = np.maximum(n.forward(self._lin(d, x), training), 0)
        self.hs = [h]
        self.inner = []
        for d1, n1, d2, n2 in self.blocks:
            a = np.maximum(n1.forward(self._lin(d1, h), training), 0)
            u = n2.forward(self._lin(d2, a), training)
            self.inner.append(a)
            h = np.maximum(h + u, 0)
            self.hs.append(h)
        return self._lin(self.head, h)

    def step(self, x, y):
        m = x.shape[0]
        z = self.forward(x, True)
        d = z - z.max(1, keepdims=True)
        np.exp(d, out=d)
        d /= d.sum(1, keepdims=True)
        d[np.arange(m), y] -= 1.0
        d /= m
        g = self._lin_back(self.head, self.hs[-1], d)
        for i in range(BLOCKS - 1, -1, -1):
            d1, n1, d2, n2 = self.blocks[i]
            g = g * (self.hs[i + 1] > 0)  # the ReLU after the sum
            du = n2.backward(g)
            da = self._lin_back(d2, self.inner[i], du)
            da *= self.inner[i] > 0
            g = g + self._lin_back(d1, self.hs[i], n1.backward(da))  # skip + branch
        d0, n0 = self.stem
        g = g * (self.hs[0] > 0)
        self._lin_back(d0, x, n0.backward(g), need_dx=False)
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        step = LR / (1 - b1**self.t)
        c2 = 1 / (1 - b2**self.t)
        for p, gr, m_, v_ in zip(self.params, self.grads, self.m, self.v):
            m_ *= b1
            m_ += (1 - b1) * gr
            v_ *= b2
            v_ += (1 - b2) * gr * gr
            p -= step * m_ / (np.sqrt(v_ * c2) + eps)

    def predict(self, x):
        return self.forward(x, False)


@contender
def run_numpy(spec):
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])

    def epoch(net, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            net.step(x[idx], y[idx])

    epoch(NumpyResMLP(w0), perm[: 2 * BS])  # warm-up
    net = NumpyResMLP(w0)
    t0 = clock()
    epoch(net, perm)
    seconds = clock() - t0
    return result(seconds, len(x), len(x) // BS, check_classes(net.predict(xv), yv, "logits"))


@contender
def run_torch(spec):
    """PyTorch eager: nn.Linear, nn.BatchNorm1d, nn.ReLU in an nn.Module block, CrossEntropyLoss,
    optim.Adam."""
    torch = import_torch(spec["threads"])
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])
    X, Y, Pm = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(perm)
    lossf = torch.nn.CrossEntropyLoss()
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.branch = nn.Sequential(
                nn.Linear(WIDTH, WIDTH),
                nn.BatchNorm1d(WIDTH, momentum=MOMENTUM, eps=EPS),
                nn.ReLU(),
                nn.Linear(WIDTH, WIDTH),
                nn.BatchNorm1d(WIDTH, momentum=MOMENTUM, eps=EPS),
            )

        def forward(self, h):
            return torch.relu(h + self.branch(h))

    def build():
        model = nn.Sequential(
            nn.Linear(D_IN, WIDTH),
            nn.BatchNorm1d(WIDTH, momentum=MOMENTUM, eps=EPS),
            nn.ReLU(),
            *[Block() for _ in range(BLOCKS)],
            nn.Linear(WIDTH, D_OUT),
        )
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
