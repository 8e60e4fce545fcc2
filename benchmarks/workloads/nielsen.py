"""Nielsen's network: 784-30-10 sigmoid, quadratic cost 1/2||a - y||^2, SGD eta 3.0, minibatch 10,
one epoch over the 50,000 MNIST training images; the check is the accuracy on the 10,000
validation images.

Every contender starts from the same weights (numbanet's ``init="nielsen"``, seed 0, written by
``prepare``); the manual contenders visit the examples in ``default_rng(0).permutation(n)``, the
order ``fit`` draws for its first epoch from the model's seed 0.
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

NAME = "nielsen"
TITLE = "Nielsen 784-30-10 sigmoid, MSE, SGD eta 3, B 10, one epoch of 50,000 MNIST images"
TARGETS = {"torch": 15.0, "numpy": 2.0}
LR, BS, SEED = 3.0, 10, 0


N = 50000


def prepare(spec):
    """Data, order and initial weights into ``spec["folder"]``; says what the workload is."""
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
        "work": {"samples": n, "batch_size": BS, "lr": LR, "validation": len(xv)},
    }


def _data(spec):
    d = load(spec["folder"], "data")
    return d["x"], d["y"], d["xv"], d["yv"], d["perm"]


def _onehot(y, k=10):
    t = np.zeros((len(y), k), np.float32)
    t[np.arange(len(y)), y] = 1
    return t


def _numbanet_model(nb):
    return nb.Sequential(
        [
            nb.Dense(784, 30, init="nielsen"),
            nb.Sigmoid(),
            nb.Dense(30, 10, init="nielsen"),
            nb.Sigmoid(),
        ],
        backend="cpu",
        seed=SEED,
    )


@contender
def run_numbanet_fit(spec):
    """``net.fit(x, y, loss=MSE(), lr=3.0, batch_size=10, epochs=1)``, every other argument at
    its default (shuffling, finiteness check, the training-accuracy pass)."""
    import numbanet as nb

    x, y, xv, yv, _ = _data(spec)
    w0 = init_list(spec["folder"])
    net = _numbanet_model(nb)
    nb_load(net, w0)
    net.fit(x[:100], y[:100], loss=nb.losses.MSE(), lr=LR, batch_size=BS, epochs=1)  # warm-up
    nb_load(net, w0)
    t0 = clock()
    hist = net.fit(x, y, loss=nb.losses.MSE(), lr=LR, batch_size=BS, epochs=1)
    seconds = clock() - t0
    check = check_classes(net.predict(xv), yv, "sigmoid_mse")
    check["train_loss"] = float(hist["loss"][-1])
    return nb_result(seconds, len(x), len(x) // BS, check, net, call="fit(defaults)")


@contender
def run_numbanet_loop(spec):
    """The manual loop through the public API: net.forward, loss.forward, loss.backward,
    net.zero_grad, net.backward, opt.step, one minibatch at a time."""
    import numbanet as nb

    x, y, xv, yv, perm = _data(spec)
    T = _onehot(y)
    w0 = init_list(spec["folder"])
    net = _numbanet_model(nb)
    loss = nb.losses.MSE()

    def epoch(order):
        opt = nb.optim.SGD(net.parameters(), lr=LR)
        total = 0.0
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            out = net.forward(x[idx], training=True)
            total += loss.forward(out, T[idx]) * len(idx)
            grad = loss.backward()
            net.zero_grad()
            net.backward(grad)
            opt.step()
        return total / len(order)

    nb_load(net, w0)
    epoch(perm[:100])  # warm-up
    nb_load(net, w0)
    t0 = clock()
    train_loss = epoch(perm)
    seconds = clock() - t0
    check = check_classes(net.predict(xv), yv, "sigmoid_mse")
    check["train_loss"] = train_loss
    return nb_result(seconds, len(x), len(x) // BS, check, net, call="manual loop")


@contender
def run_numpy(spec):
    """The best plain NumPy (``_numpy_sgd.NumpySGD``)."""
    from ._numpy_sgd import NumpySGD

    x, y, xv, yv, perm = _data(spec)
    T = _onehot(y)
    w0 = init_list(spec["folder"])
    NumpySGD(w0, "sigmoid", 1.0, LR, BS).epoch(x[:100], T[:100], perm[:100] % 100)  # warm-up
    net = NumpySGD(w0, "sigmoid", 1.0, LR, BS)
    t0 = clock()
    net.epoch(x, T, perm)
    seconds = clock() - t0
    return result(seconds, len(x), len(x) // BS, check_classes(net.predict(xv), yv, "sigmoid_mse"))


@contender
def run_torch(spec):
    """PyTorch eager: nn.Linear/nn.Sigmoid, MSELoss(reduction="sum") / (2 m), optim.SGD."""
    torch = import_torch(spec["threads"])
    x, y, xv, yv, perm = _data(spec)
    w0 = init_list(spec["folder"])
    X, T, P = torch.from_numpy(x), torch.from_numpy(_onehot(y)), torch.from_numpy(perm)
    mse = torch.nn.MSELoss(reduction="sum")

    def build():
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 30),
            torch.nn.Sigmoid(),
            torch.nn.Linear(30, 10),
            torch.nn.Sigmoid(),
        )
        torch_load(torch, model.parameters(), w0)
        return model, torch_optimizer(torch.optim.SGD, model.parameters(), spec, lr=LR)

    def epoch(model, opt, order):
        for s in range(0, len(order), BS):
            idx = order[s : s + BS]
            loss = mse(model(X[idx]), T[idx]) / (2 * len(idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    epoch(*build(), P[:100])  # warm-up
    model, opt = build()
    t0 = clock()
    epoch(model, opt, P)
    seconds = clock() - t0
    check = check_classes(torch_predict(torch, model, xv), yv, "sigmoid_mse")
    return result(
        seconds,
        len(x),
        len(x) // BS,
        check,
        torch_threads=torch.get_num_threads(),
        optimizer_impl=spec.get("torch_impl", "default"),
    )
