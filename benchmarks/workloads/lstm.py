"""LSTM(8, 128) reading 50 steps, then Dense(128, 10) on the last state, softmax cross-entropy,
minibatch 64, Adam (lr 1e-3), one epoch over 1,280 sequences; the check is the loss and accuracy
on 1,280 held-out sequences.

The task (seeded): x_t ~ N(0, 1) in R^8, the label is argmax of (mean_t x_t) P for a fixed
random 8 x 10 matrix P, so the loss visibly falls in one epoch. Every contender starts from
numbanet's initialisation with seed 0 (gates stacked f, i, g, o; PyTorch's i, f, g, o are
permuted to match, its second bias is zero). numbanet's Adam defaults to sqrt(v + eps) in the
denominator, PyTorch's and the NumPy one's to sqrt(v) + eps, so their losses differ slightly.
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

TITLE = "LSTM(8, 128), T 50, + Dense(128, 10), B 64, Adam, 1,280 sequences"
TARGETS = {"torch": 1.2, "numpy": 1.0}
T, D, H, K = 50, 8, 128, 10
N, N_VAL, BS, LR, SEED = 1280, 1280, 64, 1e-3, 0


def prepare(spec):
    import numbanet as nb

    n = scaled(N, spec, BS)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n + N_VAL, T, D)).astype(np.float32)
    proj = rng.standard_normal((D, K))
    y = (x.mean(axis=1) @ proj).argmax(axis=1).astype(np.int64)
    save(
        spec["folder"],
        "data",
        x=x[:n],
        y=y[:n],
        xv=x[n:],
        yv=y[n:],
        perm=np.random.default_rng(SEED).permutation(n),
    )
    nb_save_init(spec["folder"], _numbanet_model(nb))
    return {
        "title": TITLE,
        "targets": TARGETS,
        "work": {
            "samples": n,
            "batch_size": BS,
            "lr": LR,
            "seq": T,
            "input": D,
            "hidden": H,
            "classes": K,
            "validation": N_VAL,
        },
    }


def _data(spec):
    d = load(spec["folder"], "data")
    return d["x"], d["y"], d["xv"], d["yv"], d["perm"]


def _numbanet_model(nb):
    return nb.Sequential(
        [nb.LSTM(D, H), nb.Dense(H, K)], backend="cpu", seed=SEED, input_shape=(T, D)
    )


@contender
def run_numbanet_fit(spec):
    """``net.fit(x, y, optimizer="adam", lr=1e-3, batch_size=64, epochs=1)`` (loss: the default
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
class NumpyLSTM:
    """LSTM + Dense + softmax CE + Adam (sqrt(v) + eps) in plain NumPy: float32, time-major
    preallocated buffers, the input projection and the weight gradients as one product over all
    steps, ``np.matmul(out=)`` and in-place ufuncs."""

    def __init__(self, w0, batch):
        self.p = [np.array(a, np.float32) for a in w0]  # W, U, b, Wd, bd (gates f, i, g, o)
        self.g = [np.zeros_like(a) for a in self.p]
        self.m = [np.zeros_like(a) for a in self.p]
        self.v = [np.zeros_like(a) for a in self.p]
        self.t = 0
        n = batch
        self.a = np.empty((T, n, 4 * H), np.float32)
        self.c = np.empty((T, n, H), np.float32)
        self.tc = np.empty((T, n, H), np.float32)
        self.h = np.empty((T, n, H), np.float32)
        self.r = np.empty((n, 4 * H), np.float32)
        self.dz = np.empty((T, n, 4 * H), np.float32)
        self.dh = np.empty((n, H), np.float32)
        self.dc = np.empty((n, H), np.float32)
        self.tmp = np.empty((n, H), np.float32)

    @staticmethod
    def _sigmoid(a):
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1
        np.reciprocal(a, out=a)

    def _forward(self, x):
        W, U, b, Wd, bd = self.p
        n = x.shape[0]
        if n != self.a.shape[1]:
            raise ValueError(f"NumpyLSTM was built for batches of {self.a.shape[1]}; got {n}")
        xt = np.ascontiguousarray(x.transpose(1, 0, 2))
        a, c, tc, h, r = self.a, self.c, self.tc, self.h, self.r
        np.matmul(xt.reshape(T * n, D), W.T, out=a.reshape(T * n, 4 * H))
        a += b
        for t in range(T):
            if t > 0:
                np.matmul(h[t - 1], U.T, out=r)
                a[t] += r
            at = a[t]
            self._sigmoid(at[:, : 2 * H])  # f, i
            np.tanh(at[:, 2 * H : 3 * H], out=at[:, 2 * H : 3 * H])
            self._sigmoid(at[:, 3 * H :])  # o
            np.multiply(at[:, H : 2 * H], at[:, 2 * H : 3 * H], out=c[t])
            if t > 0:
                np.multiply(at[:, :H], c[t - 1], out=self.tmp)
                c[t] += self.tmp
            np.tanh(c[t], out=tc[t])
            np.multiply(at[:, 3 * H :], tc[t], out=h[t])
        return xt, h[T - 1] @ Wd.T + bd

    def predict(self, x):
        bs = self.a.shape[1]
        return np.concatenate([self._forward(x[s : s + bs])[1] for s in range(0, len(x), bs)])

    def step(self, x, y):
        W, U, b, Wd, bd = self.p
        n = x.shape[0]
        xt, z = self._forward(x)
        a, c, tc, h = self.a, self.c, self.tc, self.h
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
            np.multiply(tc[t], tc[t], out=tmp)  # dc += dh o (1 - tanh(c)^2)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            np.subtract(1, o, out=d[:, 3 * H :])  # output gate
            d[:, 3 * H :] *= o
            d[:, 3 * H :] *= tc[t]
            d[:, 3 * H :] *= dh
            if t > 0:  # forget gate
                np.subtract(1, f, out=d[:, :H])
                d[:, :H] *= f
                d[:, :H] *= c[t - 1]
                d[:, :H] *= dc
            else:
                d[:, :H] = 0
            np.subtract(1, i, out=d[:, H : 2 * H])  # input gate
            d[:, H : 2 * H] *= i
            d[:, H : 2 * H] *= g
            d[:, H : 2 * H] *= dc
            np.multiply(g, g, out=d[:, 2 * H : 3 * H])  # candidate
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


@contender
def run_numpy(spec):
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])

    def epoch(net, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            net.step(x[idx], y[idx])

    epoch(NumpyLSTM(w0, BS), perm[: 2 * BS])  # warm-up
    net = NumpyLSTM(w0, BS)
    t0 = clock()
    epoch(net, perm)
    seconds = clock() - t0
    return result(seconds, len(x), len(x) // BS, check_classes(net.predict(xv), yv, "logits"))


@contender
def run_torch(spec):
    """PyTorch eager: the fused ``nn.LSTM(batch_first=True)`` + ``nn.Linear``, CrossEntropyLoss,
    optim.Adam."""
    torch = import_torch(spec["threads"])
    x, y, xv, yv, perm = _data(spec)
    W, U, b, Wd, bd = init_list(spec["folder"])
    gates = np.r_[H : 2 * H, 0:H, 2 * H : 4 * H]  # f, i, g, o -> i, f, g, o
    X, Y, P = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(perm)
    lossf = torch.nn.CrossEntropyLoss()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(D, H, batch_first=True)
            self.fc = torch.nn.Linear(H, K)

        def forward(self, inp):
            out, _ = self.lstm(inp)
            return self.fc(out[:, -1])

    def build():
        m = Net()
        lstm = m.lstm
        torch_load(
            torch,
            [
                lstm.weight_ih_l0,
                lstm.weight_hh_l0,
                lstm.bias_ih_l0,
                lstm.bias_hh_l0,
                m.fc.weight,
                m.fc.bias,
            ],
            [W[gates], U[gates], b[gates], np.zeros_like(b), Wd, bd],
        )
        return m, torch_optimizer(torch.optim.Adam, m.parameters(), spec, lr=LR)

    def epoch(model, opt, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            loss = lossf(model(X[idx]), Y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    epoch(*build(), P[: 2 * BS])  # warm-up
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
