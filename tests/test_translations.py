"""docs/from-pytorch-and-keras.md: every numbanet block of the page runs, the two translations of
deck 002's PyTorch MultilayerPerceptron give the same numbers as each other, the CPU and CUDA
(simulator) backends the same as the NumPy reference backend, and the LeNet translation of deck
003's Keras listing is models.lenet with a softmax and prints the summary the page shows.

PyTorch is not a numbanet dependency; where it happens to be installed, the page's PyTorch
listings themselves are run with the same weights and compared too.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pytest

import numbanet as nb

DOC = Path(__file__).resolve().parents[1] / "docs" / "from-pytorch-and-keras.md"
_BLOCK = re.compile(r"<!-- (test|listing|summary): ([\w-]+) -->\n```(\w+)\n(.*?)```", re.S)


def _blocks(kind):
    return {name: code for k, name, _lang, code in _BLOCK.findall(DOC.read_text()) if k == kind}


def _translations(hidden=None):
    """The namespace of the page's two MultilayerPerceptron translations (optionally with
    smaller hidden layers, for the CUDA simulator)."""
    code = _blocks("test")
    ns: dict = {}
    exec(code["numbanet-mlp"], ns)  # noqa: S102 - the documentation's own code
    exec(code["numbanet-sequential"], ns)  # noqa: S102
    if hidden is not None:
        ns["num_hidden_1"], ns["num_hidden_2"] = hidden
    return ns


def test_the_page_has_every_block():
    assert set(_blocks("test")) == {
        "numbanet-mlp",
        "numbanet-sequential",
        "numbanet-training",
        "numbanet-lenet",
    }
    assert set(_blocks("listing")) == {"pytorch-mlp", "pytorch-sequential", "keras-lenet"}
    assert set(_blocks("summary")) == {"numbanet-lenet"}


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_both_translations_agree_and_match_the_reference(backend):
    hidden = (5, 7) if backend == "cuda" else None  # the simulator runs every thread in Python
    ns = _translations(hidden)
    n_in = 12 if backend == "cuda" else 784
    x = np.random.default_rng(0).uniform(0, 1, (3 if backend == "cuda" else 16, n_in))
    a = ns["MultilayerPerceptron"](num_features=n_in, num_classes=10, seed=1, backend=backend)
    b = ns["MultilayerPerceptron2"](num_features=n_in, num_classes=10, seed=1, backend=backend)
    ref = ns["MultilayerPerceptron"](num_features=n_in, num_classes=10, seed=1, backend="reference")
    # the same initial weights, hence the same numbers
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())
    np.testing.assert_array_equal(a.get_flat(), ref.get_flat())
    logits_a, log_probas = a(x)
    logits_b, probas = b(x)
    np.testing.assert_array_equal(logits_a, logits_b)
    np.testing.assert_allclose(np.exp(log_probas), probas, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(probas.sum(axis=1), 1, rtol=1e-5)
    logits_r, log_probas_r = ref(x)
    np.testing.assert_allclose(logits_a, logits_r, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(log_probas, log_probas_r, rtol=1e-4, atol=1e-5)
    # one step of the page's training loop on each: the same weights
    y = np.arange(x.shape[0]) % 10
    for m in (a, b, ref):
        loss = nb.losses.CrossEntropy()
        opt = nb.optim.SGD(m.parameters(), lr=0.5)
        logits, _ = m(x)
        loss(logits, y)
        opt.zero_grad()
        m.backward(loss.backward())
        opt.step()
    np.testing.assert_allclose(a.get_flat(), b.get_flat(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a.get_flat(), ref.get_flat(), rtol=1e-4, atol=1e-5)
    assert not np.allclose(
        a.get_flat(),
        _translations(hidden)["MultilayerPerceptron"](
            num_features=n_in, num_classes=10, seed=1, backend=backend
        ).get_flat(),
    )


def _run_training(ns, cls, backend, x, y):
    run = dict(ns)
    run.update(
        MultilayerPerceptron=functools.partial(cls, backend=backend),
        x_train=x,
        y_train=y,
        num_epochs=2,
        batch_size=16,
    )
    exec(_blocks("test")["numbanet-training"], run)  # noqa: S102
    return run["model"]


def test_the_training_loop_of_the_page():
    ns = _translations()
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (40, 784)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    first = ns["MultilayerPerceptron"](num_features=784, num_classes=10, seed=1, backend="cpu")
    cpu = _run_training(ns, ns["MultilayerPerceptron"], "cpu", x, y)
    seq = _run_training(ns, ns["MultilayerPerceptron2"], "cpu", x, y)
    ref = _run_training(ns, ns["MultilayerPerceptron"], "reference", x, y)
    assert not np.allclose(cpu.get_flat(), first.get_flat())  # it trained
    np.testing.assert_allclose(cpu.get_flat(), seq.get_flat(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(cpu.get_flat(), ref.get_flat(), rtol=1e-4, atol=1e-5)
    # and the loss went down on the examples it saw
    loss = nb.losses.CrossEntropy()
    assert loss(cpu(x)[0], y) < loss(first(x)[0], y)


def test_the_pytorch_listings_themselves_with_the_same_weights():
    torch = pytest.importorskip("torch")
    listings = _blocks("listing")
    t1: dict = {}
    exec(listings["pytorch-mlp"], t1)  # noqa: S102
    t2 = dict(t1)
    exec(listings["pytorch-sequential"], t2)  # noqa: S102
    ns = _translations()
    x = np.random.default_rng(2).uniform(0, 1, (8, 784))
    y = np.arange(8) % 10
    for ours, theirs, log in (
        (ns["MultilayerPerceptron"], t1["MultilayerPerceptron"], True),
        (ns["MultilayerPerceptron2"], t2["MultilayerPerceptron"], False),
    ):
        m = ours(num_features=784, num_classes=10, seed=3, backend="cpu")
        t = theirs(num_features=784, num_classes=10).double()
        dense = [layer for _, layer in m.named_layers() if isinstance(layer, nb.Dense)]
        linear = [mod for mod in t.modules() if isinstance(mod, torch.nn.Linear)]
        assert len(dense) == len(linear) == 3
        with torch.no_grad():
            for d, lin in zip(dense, linear):
                lin.weight.copy_(torch.from_numpy(d.W.value.astype(np.float64)))
                lin.bias.copy_(torch.from_numpy(d.b.value.astype(np.float64)))
        logits, probas = m(x)
        tl, tp = t(torch.from_numpy(x))
        np.testing.assert_allclose(logits, tl.detach().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(probas, tp.detach().numpy(), rtol=1e-4, atol=1e-5)
        assert log == bool((probas < 0).all())  # log-probabilities, or probabilities
        # one SGD step on the mean cross-entropy of the logits
        loss = nb.losses.CrossEntropy()
        opt = nb.optim.SGD(m.parameters(), lr=0.5)
        loss(logits, y)
        opt.zero_grad()
        m.backward(loss.backward())
        opt.step()
        topt = torch.optim.SGD(t.parameters(), lr=0.5)
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tl, torch.from_numpy(y)).backward()
        topt.step()
        for d, lin in zip(dense, linear):
            np.testing.assert_allclose(d.W.value, lin.weight.detach().numpy(), rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(d.b.value, lin.bias.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_the_keras_lenet_translation(capsys):
    ns: dict = {"nb": nb}
    exec(_blocks("test")["numbanet-lenet"], ns)  # noqa: S102
    printed = capsys.readouterr().out
    want = _blocks("summary")["numbanet-lenet"]
    assert [line.rstrip() for line in printed.strip().splitlines()] == want.strip().splitlines()
    model = ns["model"]
    assert model.n_params() == 60_074
    assert model.layer_output_shapes()[:6] == [
        (6, 26, 26),
        (6, 26, 26),
        (6, 13, 13),
        (16, 11, 11),
        (16, 11, 11),
        (16, 5, 5),
    ]
    # models.lenet is the same network ending in logits: same weights, softmax of its outputs
    lenet = nb.models.lenet(backend=model.backend, seed=0)
    lenet.set_flat(model.get_flat())
    x = np.random.default_rng(4).uniform(0, 1, (5, 1, 28, 28))
    p = model(x)
    z = lenet(x).astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
    # the CPU backend against the reference, forward and a short fit
    ref = model.clone(backend="reference")
    np.testing.assert_allclose(p, ref(x), rtol=1e-4, atol=1e-6)
    y = np.arange(5) % 10
    h = model.fit(
        x, y, loss="cross_entropy", optimizer="adam", lr=1e-3, epochs=2, batch_size=2, seed=0
    )
    hr = ref.fit(
        x, y, loss="cross_entropy", optimizer="adam", lr=1e-3, epochs=2, batch_size=2, seed=0
    )
    np.testing.assert_allclose(h["loss"], hr["loss"], rtol=1e-4)
    np.testing.assert_allclose(model.get_flat(), ref.get_flat(), rtol=1e-3, atol=1e-5)
