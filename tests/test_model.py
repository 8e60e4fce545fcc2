"""nb.LogSoftmax on every backend, and nb.Model: a class with its own forward, backward walked
back over the recorded calls.

The reference backend is checked against central finite differences in float64; the CPU and
CUDA (simulator) backends against the reference. Models are checked against the equivalent
``Sequential`` (same seed, hence the same initial weights) and against finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
import numbanet.nn.functional as F
from numbanet.backends import get_backend
from numbanet.errors import ValidationError
from tests.gradcheck import numeric_grad

BACKENDS = ["reference", "cpu", "cuda"]


# --------------------------------------------------------------------------- LogSoftmax
def _log_softmax64(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def test_log_softmax_reference_matches_finite_differences():
    ref = get_backend("reference")
    rng = np.random.default_rng(0)
    z = 3 * rng.standard_normal((4, 5))
    w = rng.standard_normal((4, 5))  # C = sum(w * log_softmax(z))
    y = ref.log_softmax_forward(z)
    np.testing.assert_allclose(np.exp(y).sum(axis=1), 1.0, rtol=1e-14)
    dz = ref.log_softmax_backward(y, w)
    num = numeric_grad(lambda: float((w * ref.log_softmax_forward(z)).sum()), z)
    np.testing.assert_allclose(dz, num, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_is_stable_and_matches_the_reference(backend, dtype):
    z = np.array(
        [
            [1000.0, 0.0, -1000.0],  # exp would overflow, log(softmax) would be log 0
            [-1000.0, -1000.0, -1000.0],
            [88.0, -88.0, 0.5],
            [1e-3, 2e-3, -1e-3],
            [3.0e4, 3.0e4 + 1.0, -3.0e4],
        ],
        dtype=dtype,
    )
    dy = np.random.default_rng(1).standard_normal(z.shape).astype(dtype)
    be = get_backend(backend)
    y = be.log_softmax_forward(be.asarray(z, dtype))
    dz = be.to_numpy(be.log_softmax_backward(y, be.asarray(dy, dtype)))
    y = be.to_numpy(y)
    assert y.dtype == dtype and np.isfinite(y).all() and np.isfinite(dz).all()
    want = _log_softmax64(z)
    np.testing.assert_allclose(y, want, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-5)
    assert y[0, 2] == pytest.approx(-2000.0) and y[0, 0] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(y[1], np.log(1 / 3), rtol=1e-6)
    p = np.exp(want)
    want_dz = dy - p * dy.astype(np.float64).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dz, want_dz, rtol=1e-5, atol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_log_softmax_layer_in_a_sequential(backend):
    """As the last layer with cross_entropy (log-probabilities act as logits), on every backend:
    the same losses as the reference; exp of the output is the softmax model's output."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 4))
    y = rng.integers(0, 3, 6)

    def net(b, last):
        return nb.Sequential(
            [nb.Dense(4, 5), nb.Tanh(), nb.Dense(5, 3), last()], backend=b, seed=3, dtype=np.float64
        )

    got, ref = net(backend, nb.LogSoftmax), net("reference", nb.LogSoftmax)
    np.testing.assert_allclose(got(x), ref(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.exp(ref(x)), net("reference", nb.Softmax)(x), rtol=1e-12)
    hg = got.fit(x, y, loss="cross_entropy", lr=0.5, epochs=3, batch_size=4, seed=0)
    hr = ref.fit(x, y, loss="cross_entropy", lr=0.5, epochs=3, batch_size=4, seed=0)
    np.testing.assert_allclose(hg["loss"], hr["loss"], rtol=1e-10)
    np.testing.assert_allclose(got.get_flat(), ref.get_flat(), rtol=1e-9, atol=1e-12)
    # and the same training as logits without the layer (a softmax ignores the row shift)
    plain = nb.Sequential(
        [nb.Dense(4, 5), nb.Tanh(), nb.Dense(5, 3)], backend="reference", seed=3, dtype=np.float64
    )
    hp = plain.fit(x, y, loss="cross_entropy", lr=0.5, epochs=3, batch_size=4, seed=0)
    np.testing.assert_allclose(hp["loss"], hr["loss"], rtol=1e-10)
    assert nb.nn.activation("log_softmax").__class__ is nb.LogSoftmax


# --------------------------------------------------------------------------- Model
class MLP(nb.Model):
    """The slides' PyTorch MultilayerPerceptron (deck 002), small."""

    def __init__(self, num_features, num_classes, backend="reference", seed=None, dtype=None):
        super().__init__(backend=backend, seed=seed, dtype=dtype)
        self.linear_1 = nb.Dense(num_features, 6)
        self.linear_2 = nb.Dense(6, 5)
        self.linear_out = nb.Dense(5, num_classes)

    def forward(self, x):
        out = self.linear_1(x)
        out = F.relu(out)
        out = self.linear_2(out)
        out = F.relu(out)
        logits = self.linear_out(out)
        probas = F.log_softmax(logits, dim=1)
        return logits, probas


def _seq(backend="reference", dtype=None, seed=0):
    return nb.Sequential(
        [nb.Dense(4, 6), nb.ReLU(), nb.Dense(6, 5), nb.ReLU(), nb.Dense(5, 3)],
        backend=backend,
        seed=seed,
        dtype=dtype,
    )


def _grads(net):
    """Every parameter gradient, in one NumPy vector (a copy)."""
    return np.array(net.backend.to_numpy(net._flat_grad), copy=True)


@pytest.fixture
def data():
    rng = np.random.default_rng(4)
    return rng.standard_normal((7, 4)), rng.integers(0, 3, 7)


@pytest.mark.parametrize("backend", BACKENDS)
def test_model_equals_its_sequential(backend, data):
    x, y = data
    m = MLP(4, 3, backend=backend, seed=0, dtype=np.float64)
    s = _seq(backend, np.float64)
    assert [name for name, _ in m.named_parameters()] == [
        "linear_1.W",
        "linear_1.b",
        "linear_2.W",
        "linear_2.b",
        "linear_out.W",
        "linear_out.b",
    ]
    np.testing.assert_array_equal(m.get_flat(), s.get_flat())  # same seed, same order
    logits, probas = m(x)
    np.testing.assert_allclose(logits, s(x), rtol=1e-12)
    np.testing.assert_allclose(probas, _log_softmax64(logits), rtol=1e-12, atol=1e-14)
    # backward from the logits alone: every gradient as the Sequential's
    g = np.random.default_rng(5).standard_normal(logits.shape)
    m.zero_grad()
    s.zero_grad()
    np.testing.assert_allclose(m.backward(g), s.backward(g), rtol=1e-12)
    np.testing.assert_allclose(_grads(m), _grads(s), rtol=1e-12)
    # training through fit: the same history and weights
    hm = m.fit(x, y, loss="cross_entropy", lr=0.3, epochs=4, batch_size=3, seed=1)
    hs = s.fit(x, y, loss="cross_entropy", lr=0.3, epochs=4, batch_size=3, seed=1)
    np.testing.assert_allclose(hm["loss"], hs["loss"], rtol=1e-10)
    np.testing.assert_allclose(hm["accuracy"], hs["accuracy"])
    np.testing.assert_allclose(m.get_flat(), s.get_flat(), rtol=1e-9, atol=1e-12)
    assert m.evaluate(x, y, loss="cross_entropy") == pytest.approx(
        s.evaluate(x, y, loss="cross_entropy")
    )
    np.testing.assert_array_equal(m.predict_classes(x), s.predict_classes(x))


def test_model_backward_adds_the_gradients_of_both_outputs(data):
    """C = sum(a * logits) + sum(b * log_softmax(logits)): the gradient reaching the logits is
    a + (b - softmax * sum b), checked against finite differences of every parameter."""
    x, _ = data
    m = MLP(4, 3, seed=1, dtype=np.float64)
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))

    def cost():
        lo, pr = m(x)
        return float((a * lo).sum() + (b * pr).sum())

    m(x)
    m.zero_grad()
    dx = m.backward(a, b)
    for p in m.parameters():
        np.testing.assert_allclose(
            p.grad, numeric_grad(cost, p.value), rtol=1e-6, atol=1e-8, err_msg=p.name
        )
    np.testing.assert_allclose(dx, numeric_grad(cost, x), rtol=1e-6, atol=1e-8)
    # None skips an output; one gradient means the first output
    m(x)
    m.zero_grad()
    m.backward(None, b)
    only_b = _grads(m)
    m.zero_grad()
    m.backward(a)
    only_a = _grads(m)
    m.zero_grad()
    m.backward(a, b)
    np.testing.assert_allclose(_grads(m), only_a + only_b, rtol=1e-12, atol=1e-14)


class Shared(nb.Model):
    """One Dense used twice and one ReLU layer reused: weights shared, gradients added."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.inp = nb.Dense(3, 4)
        self.mid = nb.Dense(4, 4)
        self.act = nb.ReLU()
        self.out = [nb.Dense(4, 2), nb.Sigmoid()]

    def forward(self, x):
        h = self.act(self.inp(x))
        h = self.act(self.mid(h))
        h = self.act(self.mid(h))  # the same weights again
        return self.out[1](self.out[0](h))


def test_reused_layers_share_weights_and_add_gradients():
    m = Shared(seed=2, dtype=np.float64)
    assert len(m.parameters()) == 6 and [n for n, _ in m.named_layers()] == [
        "inp",
        "mid",
        "act",
        "out.0",
        "out.1",
    ]
    x = np.random.default_rng(7).standard_normal((5, 3))
    w = np.random.default_rng(8).standard_normal((5, 2))
    m(x)
    m.zero_grad()
    m.backward(w)
    cost = lambda: float((w * m(x)).sum())  # noqa: E731
    for p in m.parameters():
        np.testing.assert_allclose(
            p.grad, numeric_grad(cost, p.value), rtol=1e-6, atol=1e-8, err_msg=p.name
        )
    # same numbers as writing it out with separate layers holding the same weights
    W, b = m.mid.W.value, m.mid.b.value
    h = np.maximum(x @ m.inp.W.value.T + m.inp.b.value, 0)
    h = np.maximum(np.maximum(h @ W.T + b, 0) @ W.T + b, 0)
    want = 1 / (1 + np.exp(-(h @ m.out[0].W.value.T + m.out[0].b.value)))
    np.testing.assert_allclose(m(x), want, rtol=1e-12)


class WithSequential(nb.Model):
    """The slides' second listing: an nb.Sequential attribute, softmax probabilities."""

    def __init__(self, seed=None, backend="reference"):
        super().__init__(seed=seed, backend=backend, dtype=np.float64)
        self.my_network = nb.Sequential(
            [nb.Dense(4, 6), nb.ReLU(), nb.Dense(6, 5), nb.ReLU(), nb.Dense(5, 3)], seed=99
        )

    def forward(self, x):
        logits = self.my_network(x)
        probas = F.softmax(logits, dim=1)
        return logits, probas


def test_sequential_attribute_joins_the_model(data):
    x, y = data
    m = WithSequential(seed=0)
    s = _seq(dtype=np.float64)
    np.testing.assert_array_equal(m.get_flat(), s.get_flat())  # the Model's seed, not 99
    logits, probas = m(x)
    np.testing.assert_allclose(probas, np.exp(_log_softmax64(logits)), rtol=1e-12)
    assert [n for n, _ in m.named_parameters()][:2] == ["my_network.0.W", "my_network.0.b"]
    assert len(m.my_network) == 5 and repr(m.my_network[0]) == "Dense(4, 6)"


class ProbabilitiesFirst(nb.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.body = nb.Sequential(
            [nb.Dense(4, 6), nb.ReLU(), nb.Dense(6, 5), nb.ReLU(), nb.Dense(5, 3)]
        )
        self.softmax = nb.Softmax()

    def forward(self, x):
        return self.softmax(self.body(x))


def test_a_softmax_output_is_absorbed_by_cross_entropy_as_in_sequential(data):
    x, y = data
    m = ProbabilitiesFirst(seed=0, dtype=np.float64)
    s = nb.Sequential(
        _seq(dtype=np.float64).layers + [nb.Softmax()],
        seed=0,
        dtype=np.float64,
        backend="reference",
    )
    np.testing.assert_array_equal(m.get_flat(), s.get_flat())
    hm = m.fit(x, y, loss="cross_entropy", lr=0.3, epochs=3, batch_size=3, seed=1)
    hs = s.fit(x, y, loss="cross_entropy", lr=0.3, epochs=3, batch_size=3, seed=1)
    np.testing.assert_allclose(hm["loss"], hs["loss"], rtol=1e-10)
    np.testing.assert_allclose(m.get_flat(), s.get_flat(), rtol=1e-10)
    np.testing.assert_allclose(m.predict(x), s.predict(x), rtol=1e-10)  # probabilities


def test_to_clone_and_checkpoint(tmp_path, data):
    x, y = data
    m = MLP(4, 3, seed=0)
    lo, _ = m(x)
    c = m.clone(backend="cpu")
    assert c.backend.name == "cpu" and m.backend.name == "reference"
    np.testing.assert_allclose(c(x)[0], lo, rtol=1e-5)
    c.linear_1.W.value = np.zeros((6, 4), np.float32)  # separate parameters
    assert np.abs(m.linear_1.W.value).sum() > 0
    assert m.to("cpu", dtype=np.float64) is m and m.dtype == np.float64
    np.testing.assert_allclose(m(x)[0], lo, rtol=1e-5)
    m.fit(x, y, lr=0.1, epochs=1, batch_size=7)
    path = tmp_path / "mlp.npz"
    m.save(path)
    fresh = MLP(4, 3, seed=5, dtype=np.float64)
    nb.checkpoint.load(path, model=fresh)
    np.testing.assert_array_equal(fresh.get_flat(), m.get_flat())
    with pytest.raises(ValidationError, match=r"nb.checkpoint.load\(path, model=MLP"):
        MLP.load(path)
    text = m.summary(print_fn=None)
    assert "linear_out" in text and "LogSoftmax()" in text and "Total params: 83" in text


def test_model_mistakes_are_explained(data):
    x, _ = data

    class NumpyStep(nb.Model):
        def __init__(self):
            super().__init__(backend="reference")
            self.a = nb.Dense(4, 3)
            self.b = nb.Dense(3, 2)

        def forward(self, x):
            return self.b(self.a(x) * 2)  # a NumPy expression: no backward

    with pytest.raises(ValidationError, match="not made by a layer call"):
        NumpyStep()(x)

    class ReturnsNumpy(NumpyStep):
        def forward(self, x):
            return self.b(self.a(x)) + 1

    with pytest.raises(ValidationError, match="output 0 was not made by a layer call"):
        ReturnsNumpy()(x)

    class NoSuper(nb.Model):
        def __init__(self):
            self.a = nb.Dense(4, 3)

    with pytest.raises(ValidationError, match=r"call super\(\).__init__\(\)"):
        NoSuper()

    class NoLayers(nb.Model):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            return x

    with pytest.raises(ValidationError, match="declares no layers"):
        NoLayers()

    class NoForward(nb.Model):
        def __init__(self):
            super().__init__()
            self.a = nb.Dense(4, 3)

    with pytest.raises(ValidationError, match="must define forward"):
        NoForward()

    class Twice(NumpyStep):
        def __init__(self):
            super().__init__()
            self.c = self.a.layer

    with pytest.raises(ValidationError, match="assigned twice"):
        Twice()

    m = MLP(4, 3, seed=0)
    with pytest.raises(ValidationError, match="call the model"):
        m.linear_1(x)
    with pytest.raises(ValidationError, match="backward before forward"):
        m.backward(np.ones((7, 3)))
    m(x)
    with pytest.raises(ValidationError, match="one gradient per output"):
        m.backward(np.ones((7, 3)), np.ones((7, 3)), np.ones((7, 3)))
    with pytest.raises(ValidationError, match=r"gradient 0 has shape \(7, 2\)"):
        m.backward(np.ones((7, 2)))
    with pytest.raises(ValidationError, match="already built"):
        m.extra = nb.Dense(2, 2)
    with pytest.raises(ValidationError, match="dim=1"):
        F.log_softmax(np.ones((2, 3, 4)), dim=2)
    with pytest.raises(ValidationError, match="examples of shape"):
        m(np.ones((2, 5)))


def test_functional_outside_a_model_evaluates_with_the_reference():
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1000.0]])
    np.testing.assert_allclose(F.log_softmax(z), _log_softmax64(z), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(z), np.exp(_log_softmax64(z)), rtol=1e-12)
    np.testing.assert_allclose(F.relu(z), np.maximum(z, 0))
    assert F.sigmoid(np.zeros((1, 2), np.float32)).dtype == np.float32


def _layer_classes():
    from numbanet.nn.layers import Layer

    seen, todo = [], [Layer]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


def test_containers_run_each_layers_own_code_without_its_guard():
    """Sequential and Residual call ``_forward_unchecked``/``_backward_unchecked`` on their
    layers (the input is already checked); for every layer class these must be the very
    implementations its guarded ``forward``/``backward`` wrap, never a guard and never a
    parent's code where the class has its own."""
    from numbanet.nn.layers import Layer

    classes = _layer_classes()
    assert len(classes) > 20
    for cls in classes:
        for kind in ("forward", "backward"):
            raw = getattr(cls, f"_{kind}_unchecked")
            public = getattr(cls, kind)
            if public is Layer.__dict__[kind]:  # an abstract base's: nothing to guard yet
                assert raw is public
                continue
            assert not getattr(raw, "_guarded", False), (cls, kind)
            assert getattr(public, "_guarded", False), (cls, kind)
            assert public.__wrapped__ is raw, (cls, kind)
            own = cls.__dict__.get(kind)
            if own is not None:
                assert own.__wrapped__ is raw, (cls, kind)
