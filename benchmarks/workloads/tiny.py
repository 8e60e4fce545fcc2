"""A tiny net: 1-10-10-10-10-10-1 ReLU regressing sin(2 pi x) on 256 points, mean squared error,
full batch (256), 2,000 plain SGD steps (lr 0.05); the check is the final mean squared error on
the 256 points.

Every contender starts from numbanet's initialisation with seed 0 (written by ``prepare``). With
one full batch per step the gradient does not depend on the example order, so every contender
should end at the same loss (up to float32 rounding).
"""

from __future__ import annotations

import numpy as np

from ._util import (
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

TITLE = "tiny 1-10x5-1 ReLU, MSE, full batch 256, 2,000 SGD steps"
TARGETS = {"torch": 25.0}
N, STEPS, LR, SEED = 256, 2000, 0.05, 0


def prepare(spec):
    import numbanet as nb

    x = np.linspace(-1, 1, N, dtype=np.float32)[:, None]
    y = np.sin(2 * np.pi * x).astype(np.float32)
    steps = scaled(STEPS, spec)
    save(spec["folder"], "data", x=x, y=y, steps=np.array(steps))
    nb_save_init(spec["folder"], _numbanet_model(nb))
    return {
        "title": TITLE,
        "targets": TARGETS,
        "work": {"samples": N * steps, "steps": steps, "batch_size": N, "lr": LR},
    }


def _data(spec):
    d = load(spec["folder"], "data")
    return d["x"], d["y"], int(d["steps"])


def _numbanet_model(nb):
    layers = [nb.Dense(1, 10), nb.ReLU()]
    for _ in range(4):
        layers += [nb.Dense(10, 10), nb.ReLU()]
    layers.append(nb.Dense(10, 1))
    return nb.Sequential(layers, backend="cpu", seed=SEED)


def _mse(pred, y):
    return float(np.mean((np.asarray(pred, np.float64) - y) ** 2))


@contender
def run_numbanet_fit(spec):
    """``net.fit(x, y, loss=MSE("mean"), lr=0.05, batch_size=256, epochs=2000)``: one step per
    epoch, so fit's per-epoch work (shuffle, finiteness check, history) is in every step."""
    import numbanet as nb

    x, y, steps = _data(spec)
    w0 = init_list(spec["folder"])
    net = _numbanet_model(nb)
    nb_load(net, w0)
    net.fit(x, y, loss=nb.losses.MSE("mean"), lr=LR, batch_size=N, epochs=5)  # warm-up
    nb_load(net, w0)
    t0 = clock()
    hist = net.fit(x, y, loss=nb.losses.MSE("mean"), lr=LR, batch_size=N, epochs=steps)
    seconds = clock() - t0
    check = {"final_loss": _mse(net.predict(x), y), "train_loss": float(hist["loss"][-1])}
    return nb_result(seconds, N * steps, steps, check, net, call="fit(defaults)")


@contender
def run_numbanet_loop(spec):
    """net.forward, loss.forward, loss.backward, net.zero_grad, net.backward, opt.step."""
    import numbanet as nb

    x, y, steps = _data(spec)
    w0 = init_list(spec["folder"])
    net = _numbanet_model(nb)
    loss = nb.losses.MSE("mean")

    def train(k):
        opt = nb.optim.SGD(net.parameters(), lr=LR)
        for _ in range(k):
            out = net.forward(x, training=True)
            loss.forward(out, y)
            grad = loss.backward()
            net.zero_grad()
            net.backward(grad)
            opt.step()

    nb_load(net, w0)
    train(5)  # warm-up
    nb_load(net, w0)
    t0 = clock()
    train(steps)
    seconds = clock() - t0
    return nb_result(
        seconds, N * steps, steps, {"final_loss": _mse(net.predict(x), y)}, net, call="manual loop"
    )


@contender
def run_numpy(spec):
    from ._numpy_sgd import NumpySGD

    x, y, steps = _data(spec)
    w0 = init_list(spec["folder"])
    warm = NumpySGD(w0, "relu", 2.0, LR, N)
    for _ in range(5):
        warm.epoch(x, y)
    net = NumpySGD(w0, "relu", 2.0, LR, N)
    t0 = clock()
    for _ in range(steps):
        net.epoch(x, y)
    seconds = clock() - t0
    return result(seconds, N * steps, steps, {"final_loss": _mse(net.predict(x), y)})


@contender
def run_torch(spec):
    """PyTorch eager: nn.Linear/nn.ReLU, nn.MSELoss(), optim.SGD."""
    torch = import_torch(spec["threads"])
    x, y, steps = _data(spec)
    w0 = init_list(spec["folder"])
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    mse = torch.nn.MSELoss()

    def build():
        layers = [torch.nn.Linear(1, 10), torch.nn.ReLU()]
        for _ in range(4):
            layers += [torch.nn.Linear(10, 10), torch.nn.ReLU()]
        layers.append(torch.nn.Linear(10, 1))
        model = torch.nn.Sequential(*layers)
        torch_load(torch, model.parameters(), w0)
        return model, torch_optimizer(torch.optim.SGD, model.parameters(), spec, lr=LR)

    def train(model, opt, k):
        for _ in range(k):
            loss = mse(model(X), Y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    train(*build(), 5)  # warm-up
    model, opt = build()
    t0 = clock()
    train(model, opt, steps)
    seconds = clock() - t0
    check = {"final_loss": _mse(torch_predict(torch, model, x), y)}
    return result(
        seconds,
        N * steps,
        steps,
        check,
        torch_threads=torch.get_num_threads(),
        optimizer_impl=spec.get("torch_impl", "default"),
    )
