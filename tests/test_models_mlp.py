"""numbanet.models.mlp: the one MLP builder, checked layer by layer and draw by draw against the five
builders it replaced (kept below, frozen, as oracles), and its argument validation."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import models
from numbanet.errors import ValidationError


# ------------------------------------------------------------------ the replaced builders, frozen
# Each is the code that lived in numbanet before models.mlp, reduced to its layer loop. They are
# the oracles: for the same seed, mlp must give the same layers in the same order and the same
# initial parameters, so that every figure, claim and sweep built on them computes what it did.
def _legacy_autoencoder_mlp(sizes, backend, seed, dtype, init="glorot_uniform"):
    """numbanet/unsupervised/autoencoder.py ``_mlp``."""
    from numbanet.nn import Dense, Sequential, Sigmoid

    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, init=init))
        if i < len(sizes) - 2:
            layers.append(Sigmoid())
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype)


def _legacy_build_sigmoid_net(sizes, backend="auto", seed=None, dtype=None, init="glorot_uniform"):
    """numbanet/unsupervised/pretraining.py ``build_sigmoid_net`` (the same loop)."""
    return _legacy_autoencoder_mlp(sizes, backend, seed, dtype, init)


def _legacy_nielsen_network2(sizes, seed=0, backend="cpu", dtype=np.float64):
    """numbanet/theory/gradient_speed.py ``nielsen_network2``: a Sigmoid after every Dense."""
    from numbanet.nn import Dense, Sequential, Sigmoid

    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [Dense(a, b, init="nielsen"), Sigmoid()]
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype)


def _legacy_cli_mlp(sizes, activation, out_act, init, backend, seed):
    """numbanet/cli.py ``_train``'s loop for ``--model mlp``."""
    from numbanet import nn

    stack = []
    for i in range(len(sizes) - 1):
        stack.append(nn.Dense(sizes[i], sizes[i + 1], init=init))
        act = activation if i < len(sizes) - 2 else out_act
        if act not in ("identity", "linear"):
            stack.append(nn.activation(act))
    return nn.Sequential(stack, backend=backend, seed=seed)


def _legacy_sweep_build_model(model, n_in, n_out, seed):
    """numbanet/sweep/trial.py ``build_model``."""
    from numbanet import nn

    hidden = list(model["hidden"]) if "hidden" in model else [model["width"]] * model["depth"]
    layers, prev = [], n_in
    for h in hidden:
        layers.append(nn.Dense(prev, h, init=model.get("init", "he_normal")))
        layers.append(nn.activation(model.get("activation", "relu")))
        if model.get("dropout", 0):
            layers.append(nn.Dropout(model["dropout"]))
        prev = h
    layers.append(nn.Dense(prev, n_out, init=model.get("init", "he_normal")))
    return nn.Sequential(
        layers, backend=model.get("backend", "cpu"), seed=seed, dtype=model.get("dtype", "float32")
    )


def _describe(net):
    """Layer classes with their hyper-parameters, and the flat initial parameter vector."""
    layers = []
    for layer in net.layers:
        extra = {
            k: getattr(layer, k)
            for k in ("in_features", "out_features", "p", "alpha")
            if isinstance(getattr(layer, k, None), (int, float))
        }
        layers.append((type(layer).__name__, tuple(sorted(extra.items()))))
    return layers, net.get_flat(), net.dtype, net.backend.name


def assert_same_net(a, b):
    la, fa, da, ba = _describe(a)
    lb, fb, db, bb = _describe(b)
    assert la == lb
    assert (da, ba) == (db, bb)
    assert fa.shape == fb.shape
    np.testing.assert_array_equal(fa, fb)  # bit for bit: the same draws in the same order


SEEDS = [0, 7, 12345]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sizes", [(6, 5, 4, 3), (9, 2), (3, 8, 8, 8, 2)])
def test_mlp_matches_the_sigmoid_builders_of_the_unsupervised_models(sizes, seed):
    for init in ("glorot_uniform", "he_normal"):
        old = _legacy_autoencoder_mlp(list(sizes), "reference", seed, None, init)
        new = models.mlp(sizes, "sigmoid", init=init, backend="reference", seed=seed)
        assert_same_net(old, new)
        old = _legacy_build_sigmoid_net(sizes, backend="cpu", seed=seed, dtype=np.float64)
        new = models.mlp(
            sizes, "sigmoid", init="glorot_uniform", backend="cpu", seed=seed, dtype=np.float64
        )
        assert_same_net(old, new)


@pytest.mark.parametrize("seed", SEEDS)
def test_mlp_matches_nielsens_network2(seed):
    for sizes in ((784, 30, 10), (784, 20, 15, 10), (4, 3)):
        old = _legacy_nielsen_network2(sizes, seed=seed)
        new = models.mlp(
            sizes,
            "sigmoid",
            output="sigmoid",
            init="nielsen",
            backend="cpu",
            seed=seed,
            dtype=np.float64,
        )
        assert_same_net(old, new)
        if sizes[1] >= 20:  # N(0, 1) biases (the nielsen default): the draws include them
            assert 0.6 < np.std(new.layers[0].b.value) < 1.5


@pytest.mark.parametrize(
    ("activation", "out_act", "init"),
    [
        ("sigmoid", "softmax", "glorot_uniform"),
        ("relu", "identity", "he_normal"),
        ("tanh", "sigmoid", "lecun_normal"),
        ("identity", "softmax", "he_normal"),
        ("leaky_relu", "linear", "he_uniform"),
        ("prelu", "softmax", "he_normal"),
    ],
)
def test_mlp_matches_the_cli_builder(activation, out_act, init):
    for seed in SEEDS:
        old = _legacy_cli_mlp([5, 7, 6, 3], activation, out_act, init, "reference", seed)
        new = models.mlp(
            [5, 7, 6, 3], activation, output=out_act, init=init, backend="reference", seed=seed
        )
        assert_same_net(old, new)


@pytest.mark.parametrize(
    "model",
    [
        {"width": 8, "depth": 2},
        {"hidden": [6, 4], "activation": "tanh", "init": "glorot_normal", "dtype": "float64"},
        {"width": 5, "depth": 3, "dropout": 0.2, "activation": "elu"},
        {"width": 5, "depth": 1, "dropout": 0.0, "backend": "reference"},
    ],
)
def test_mlp_matches_the_sweep_builder(model):
    from numbanet.sweep.spec import layer_sizes

    for seed in SEEDS:
        old = _legacy_sweep_build_model(model, 4, 3, seed)
        new = models.mlp(
            [4, *layer_sizes(model), 3],
            model.get("activation", "relu"),
            init=model.get("init", "he_normal"),
            dropout=model.get("dropout", 0.0),
            backend=model.get("backend", "cpu"),
            seed=seed,
            dtype=model.get("dtype", "float32"),
        )
        assert_same_net(old, new)


def test_same_seed_same_net_other_seed_other_net():
    a = models.mlp([4, 6, 2], "relu", seed=3, backend="reference")
    b = models.mlp([4, 6, 2], "relu", seed=3, backend="reference")
    c = models.mlp([4, 6, 2], "relu", seed=4, backend="reference")
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())
    assert not np.array_equal(a.get_flat(), c.get_flat())


def test_mlp_layers_and_options():
    net = models.mlp(
        [3, 4, 5, 2],
        nb.Tanh,
        output="softmax",
        dropout=0.25,
        backend="reference",
        seed=0,
        dtype="float64",
    )
    names = [type(layer).__name__ for layer in net.layers]
    assert names == ["Dense", "Tanh", "Dropout", "Dense", "Tanh", "Dropout", "Dense", "Softmax"]
    assert net.dtype == np.float64 and net.backend.name == "reference"
    assert [layer.p for layer in net.layers if type(layer).__name__ == "Dropout"] == [0.25, 0.25]
    # every activation is its own object
    acts = [layer for layer in net.layers if type(layer).__name__ == "Tanh"]
    assert acts[0] is not acts[1]
    # no hidden layer: one Dense, and the output activation only
    single = models.mlp([3, 2], "relu", output="sigmoid", backend="reference")
    assert [type(layer).__name__ for layer in single.layers] == ["Dense", "Sigmoid"]
    # the network trains end to end
    x = np.random.default_rng(0).normal(size=(12, 3))
    y = (x[:, 0] > 0).astype(np.int64)
    logits = models.mlp([3, 8, 2], "relu", backend="reference", seed=1)
    hist = logits.fit(x, y, loss="cross_entropy", epochs=3, batch_size=4, lr=0.1, progress=False)
    assert hist.epochs == 3 and np.isfinite(hist["loss"]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": [4]}, "at least an input and an output"),
        ({"sizes": []}, "at least an input and an output"),
        ({"sizes": 784}, "sequence of layer widths"),
        ({"sizes": "784-30-10"}, "sequence of layer widths"),
        ({"sizes": [4, 0, 2]}, r"sizes\[1\] must be a positive integer"),
        ({"sizes": [4, 2.5, 2]}, r"sizes\[1\] must be a positive integer"),
        ({"sizes": [4, True, 2]}, r"sizes\[1\] must be a positive integer"),
        ({"activation": "sigmoidd"}, "unknown activation 'sigmoidd'"),
        ({"activation": nb.ReLU()}, "not the layer instance"),
        ({"activation": nb.Dense}, "activation name"),
        ({"activation": 3}, "activation name"),
        ({"output": "softmaxx"}, "unknown output activation 'softmaxx'"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"dropout": -0.1}, "dropout must be in"),
        ({"init": "no_such_init"}, "no_such_init"),
        ({"dtype": "int32"}, "int32"),
    ],
)
def test_mlp_refuses_bad_arguments(kwargs, match):
    args = {"sizes": [4, 3, 2], "activation": "relu", "backend": "reference"}
    args.update(kwargs)
    with pytest.raises(nb.NumbanetError, match=match):
        models.mlp(**args)


def test_mlp_errors_are_validation_errors():
    with pytest.raises(ValidationError):
        models.mlp([4, -1], "relu")
