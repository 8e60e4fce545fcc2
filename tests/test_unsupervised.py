"""The perceptron, RBMs, autoencoders and deep belief nets (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import ValidationError
from numbanet.unsupervised import LOGIC_GATES, Perceptron

# --------------------------------------------------------------------------- perceptron


@pytest.mark.parametrize("gate", ["AND", "OR", "NOR", "NOT", "NAND"])
@pytest.mark.parametrize("seed", [None, 0, 1])
def test_perceptron_converges_on_separable_gates(gate, seed):
    X, y = LOGIC_GATES[gate]
    p = Perceptron(X.shape[1], seed=seed)
    errors = p.fit(X, y, epochs=100)
    assert p.converged
    assert errors[-1] == 0 and all(e > 0 for e in errors[:-1])
    assert len(errors) < 100
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.score(X, y) == 1.0
    assert p.w is p.weights and p.weights.shape == (X.shape[1],)


def test_perceptron_and_by_hand():
    # zero init, examples in order, eta = 1: the hand-traceable run of the slides
    X, y = LOGIC_GATES["AND"]
    p = Perceptron(2)
    errors = p.fit(X, y, epochs=100)
    # epoch 1: (0,0) -> y_hat 1 (z=0), update b=-1; (0,1) ok; (1,0) ok; (1,1) -> 0, w=(1,1), b=0
    assert errors[0] == 2
    w, b = p.weights, p.b
    z = X @ w + b
    assert np.all((z >= 0) == (y == 1))


@pytest.mark.parametrize("seed", [None, 0, 3])
def test_perceptron_never_converges_on_xor(seed):
    X, y = LOGIC_GATES["XOR"]
    p = Perceptron(2, seed=seed)
    errors = p.fit(X, y, epochs=200)
    assert not p.converged
    assert len(errors) == 200 and min(errors) >= 1
    assert p.score(X, y) <= 0.75


def test_perceptron_nb_namespace():
    assert nb.unsupervised.Perceptron is Perceptron


@pytest.mark.parametrize(
    "X, y, match",
    [
        ([[0, 0], [1, 1]], [0, 2], "label"),
        ([[0, 0], [1, 1]], [0, -1], "label"),
        ([[0, 0], [1, 1]], [0.5, 1], "label"),
        ([[0, np.nan], [1, 1]], [0, 1], "NaN"),
        ([[0, 0, 0], [1, 1, 1]], [0, 1], "shape"),
        ([[0, 0], [1, 1]], [0, 1, 1], "labels"),
        ([[0, 0], [1, 1]], [np.nan, 1], "NaN"),
    ],
)
def test_perceptron_validation(X, y, match):
    with pytest.raises(ValidationError, match=match):
        Perceptron(2).fit(np.asarray(X, dtype=float), np.asarray(y), epochs=5)


def test_perceptron_bad_args():
    with pytest.raises(ValidationError, match="n_inputs"):
        Perceptron(0)
    with pytest.raises(ValidationError, match="lr"):
        Perceptron(2, lr=-1.0)
    with pytest.raises(ValidationError, match="epochs"):
        Perceptron(2).fit(*LOGIC_GATES["AND"], epochs=0)
    with pytest.raises(ValidationError, match="shape"):
        Perceptron(2).predict(np.zeros((3, 5)))


# --------------------------------------------------------------------------- RBM

import itertools  # noqa: E402

from numbanet.backends import get_backend  # noqa: E402
from numbanet.unsupervised import RBM  # noqa: E402


def _brute_free_energy(W, b, c, X):
    """F(x) = -log sum_h exp(-E(x, h)), E = -b.x - c.h - h.W.x, by enumerating h."""
    H = np.array(list(itertools.product((0.0, 1.0), repeat=W.shape[0])))
    out = []
    for x in X:
        neg_e = x @ b + H @ c + H @ (W @ x)
        out.append(-np.logaddexp.reduce(neg_e))
    return np.array(out)


def _brute_log_z(W, b, c):
    V = np.array(list(itertools.product((0.0, 1.0), repeat=W.shape[1])))
    H = np.array(list(itertools.product((0.0, 1.0), repeat=W.shape[0])))
    neg_e = (V @ b)[:, None] + (H @ c)[None, :] + V @ W.T @ H.T
    return np.logaddexp.reduce(neg_e.ravel())


def _random_rbm(nv, nh, backend, seed=0, dtype=np.float64):
    r = RBM(nv, nh, backend=backend, seed=seed, dtype=dtype)
    g = np.random.default_rng(seed + 100)
    r.W = g.normal(0, 1.0, (nh, nv))
    r.b = g.normal(0, 0.5, nv)
    r.c = g.normal(0, 0.5, nh)
    return r


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_rbm_free_energy_matches_brute_force(backend):
    r = _random_rbm(4, 3, backend)
    X = np.array(list(itertools.product((0.0, 1.0), repeat=4)))[[0, 3, 6, 9, 15]]
    np.testing.assert_allclose(
        r.free_energy(X), _brute_free_energy(r.W, r.b, r.c, X), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("nv, nh", [(4, 3), (3, 5)])
def test_rbm_log_partition_and_likelihood_exact(nv, nh):
    r = _random_rbm(nv, nh, "reference", seed=2)
    log_z = _brute_log_z(r.W, r.b, r.c)
    assert r.log_partition() == pytest.approx(log_z, abs=1e-10)
    V = np.array(list(itertools.product((0.0, 1.0), repeat=nv)))
    probs = np.exp(-_brute_free_energy(r.W, r.b, r.c, V) - log_z)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert r.log_likelihood(V[[1, 2]]) == pytest.approx(np.mean(np.log(probs[[1, 2]])), abs=1e-10)


def _toy_binary_data(seed=0, n=60):
    """Three 4-bit prototypes with 5% bit flips: a distribution an RBM 4-3 can model."""
    g = np.random.default_rng(seed)
    protos = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=np.float64)
    X = protos[g.integers(0, 3, n)]
    flip = g.random(X.shape) < 0.05
    return np.where(flip, 1 - X, X)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_rbm_cd1_raises_exact_log_likelihood(backend):
    X = _toy_binary_data()
    r = RBM(4, 3, backend=backend, seed=0, dtype=np.float64)
    lls = [r.log_likelihood(X)]
    for _ in range(6):
        r.fit(X, epochs=25, k=1, lr=0.1, batch_size=10, seed=len(lls))
        lls.append(r.log_likelihood(X))
    # log P under the initial (nearly uniform, b from the data means) model vs after CD-1
    assert lls[-1] > lls[0] + 0.4, lls
    # and it climbs: each checkpoint after the first block is above the start
    assert all(ll > lls[0] for ll in lls[1:]), lls
    # the entropy of the data-generating distribution bounds what any model can reach
    assert lls[-1] < 0


def test_rbm_cdk_more_steps_also_learns():
    X = _toy_binary_data(1)
    r = RBM(4, 3, backend="reference", seed=1, dtype=np.float64)
    ll0 = r.log_likelihood(X)
    r.fit(X, epochs=100, k=5, lr=0.1, batch_size=10, seed=0)
    assert r.log_likelihood(X) > ll0 + 0.4


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rbm_ops_match_reference(backend, dtype):
    ref, be = get_backend("reference"), get_backend(backend)
    g = np.random.default_rng(5)
    n, V, H = 3, 5, 7
    W = g.normal(0, 1, (H, V)).astype(dtype)
    b, c = g.normal(0, 1, V).astype(dtype), g.normal(0, 1, H).astype(dtype)
    v = (g.random((n, V)) < 0.5).astype(dtype)
    uh, uv = g.random((n, H)).astype(dtype), g.random((n, V)).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 2e-6

    def np_(a):
        return be.to_numpy(a)

    Wd, bd, cd = (be.asarray(a, dtype) for a in (W, b, c))
    p_r, h_r = ref.rbm_hidden(v, W, c, uh)
    p_b, h_b = be.rbm_hidden(be.asarray(v, dtype), Wd, cd, uh)
    np.testing.assert_allclose(np_(p_b), p_r, rtol=tol, atol=tol)
    np.testing.assert_array_equal(np_(h_b), h_r)
    q_r, s_r = ref.rbm_visible(h_r, W, b, uv)
    q_b, s_b = be.rbm_visible(be.asarray(h_r, dtype), Wd, bd, uv)
    np.testing.assert_allclose(np_(q_b), q_r, rtol=tol, atol=tol)
    np.testing.assert_array_equal(np_(s_b), s_r)
    assert be.rbm_visible(be.asarray(h_r, dtype), Wd, bd)[1] is None
    np.testing.assert_allclose(
        np_(be.rbm_free_energy(be.asarray(v, dtype), Wd, bd, cd)),
        ref.rbm_free_energy(v, W, b, c),
        rtol=tol,
        atol=tol,
    )
    np.testing.assert_allclose(
        np_(be.sq_err_rows(be.asarray(v, dtype), q_b)), ref.sq_err_rows(v, q_r), rtol=tol, atol=tol
    )
    # one CD update with momentum and decay, twice (so the velocity matters)
    state_r = [W.copy(), b.copy(), c.copy(), np.zeros_like(W), np.zeros_like(b), np.zeros_like(c)]
    state_b = [be.asarray(a.copy(), dtype) for a in state_r]
    stats = (v, p_r, q_r, g.random((n, H)).astype(dtype))
    for _ in range(2):
        ref.rbm_cd_update(*state_r, *stats, 0.3, 0.5, 0.01)
        be.rbm_cd_update(*state_b, *(be.asarray(a, dtype) for a in stats), 0.3, 0.5, 0.01)
    for a_r, a_b in zip(state_r, state_b):
        np.testing.assert_allclose(np_(a_b), a_r, rtol=tol, atol=tol)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_rbm_gemm_path_matches_fused(backend, monkeypatch):
    """Large problems take BLAS (CPU) / tiled matmul (CUDA) + bias_sigmoid_sample: same results."""
    import numbanet.backends._rbm_ops as ops

    be = get_backend(backend)
    g = np.random.default_rng(7)
    n, V, H = 3, 5, 7
    W = g.normal(0, 1, (H, V))
    c, b = g.normal(0, 1, H), g.normal(0, 1, V)
    v = (g.random((n, V)) < 0.5).astype(np.float64)
    uh, uv = g.random((n, H)), g.random((n, V))
    args = [be.asarray(a, np.float64) for a in (v, W, c, b)]
    fused = [be.to_numpy(a) for a in be.rbm_hidden(args[0], args[1], args[2], uh)]
    fused += [
        be.to_numpy(a)
        for a in be.rbm_visible(be.asarray(fused[1], np.float64), args[1], args[3], uv)
    ]
    monkeypatch.setattr(ops, "RBM_GEMM_MIN_MACS", 0)
    gemm = [be.to_numpy(a) for a in be.rbm_hidden(args[0], args[1], args[2], uh)]
    gemm += [
        be.to_numpy(a)
        for a in be.rbm_visible(be.asarray(gemm[1], np.float64), args[1], args[3], uv)
    ]
    for f, m in zip(fused, gemm):
        np.testing.assert_allclose(m, f, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_rbm_training_follows_reference_chain(backend):
    """Host-drawn uniforms: the same seed gives the same Gibbs chain and weights on every backend."""
    X = _toy_binary_data(2, n=7)
    X = np.hstack([X, X[:, :1]])  # 5 visible
    runs = {}
    for name in ("reference", backend):
        r = RBM(5, 7, backend=name, seed=3, dtype=np.float64)
        errs = r.fit(X, epochs=2, k=2, lr=0.5, batch_size=3, seed=4, momentum=0.5)
        runs[name] = (errs, r.W, r.b, r.c)
    for a, bb in zip(runs["reference"], runs[backend]):
        np.testing.assert_allclose(np.asarray(bb), np.asarray(a), rtol=1e-10, atol=1e-12)


def test_rbm_attributes_and_shapes():
    r = RBM(6, 4, backend="cpu", seed=0)
    assert r.W.shape == (4, 6) and r.b.shape == (6,) and r.c.shape == (4,)
    assert r.W.dtype == np.float32
    X = (np.random.default_rng(0).random((5, 6)) < 0.5).astype(np.float32)
    assert r.transform(X).shape == (5, 4)
    assert r.reconstruct(X).shape == (5, 6)
    assert r.free_energy(X).shape == (5,)
    assert r.gibbs(X, steps=2, seed=0).shape == (5, 6)
    assert set(np.unique(r.gibbs(X, steps=1, seed=0))) <= {0.0, 1.0}
    errs = r.fit(X, epochs=3, batch_size=2, seed=0)
    assert len(errs) == 3 and r.history_ == errs
    # the reconstruction P(x|P(h|x)) is consistent with the conditionals
    np.testing.assert_allclose(r.reconstruct(X), r.visible_probs(r.hidden_probs(X)), rtol=1e-6)


def test_rbm_validation():
    r = RBM(4, 3, backend="reference")
    with pytest.raises(ValidationError, match=r"\[0, 1\]"):
        r.fit(np.full((3, 4), 2.0))
    with pytest.raises(ValidationError, match="shape"):
        r.fit(np.zeros((3, 5)))
    with pytest.raises(ValidationError, match="NaN"):
        r.free_energy(np.array([[0, np.nan, 0, 1.0]]))
    with pytest.raises(ValidationError, match="k"):
        r.fit(np.zeros((3, 4)), k=0)
    with pytest.raises(ValidationError, match="lr"):
        r.fit(np.zeros((3, 4)), lr=0)
    with pytest.raises(ValidationError, match="W"):
        r.W = np.zeros((4, 3))
    with pytest.raises(ValidationError, match="n_hidden"):
        RBM(4, 0)
    with pytest.raises(ValidationError, match="min"):
        RBM(30, 25).log_partition()


def test_rbm_mnist_reconstruction_error_falls(shared_data):
    from numbanet.data import load_mnist

    X = load_mnist().x_train[:2000]
    r = RBM(784, 64, backend="cpu", seed=0)

    def smoothness(W):
        """Correlation of horizontally adjacent pixels across the 28x28 filters."""
        ims = W.reshape(-1, 28, 28)
        ims = ims - ims.mean(axis=(1, 2), keepdims=True)
        return np.corrcoef(ims[:, :, :-1].ravel(), ims[:, :, 1:].ravel())[0, 1]

    assert abs(smoothness(r.W)) < 0.1  # random init: noise
    errs = r.fit(X, epochs=4, lr=0.1, batch_size=50, seed=0, momentum=0.5)
    # learned filters are spatially coherent (strokes and blobs), not noise
    assert smoothness(r.W) > 0.5
    assert all(e2 < e1 for e1, e2 in zip(errs, errs[1:])), errs
    assert errs[-1] < 0.7 * errs[0]
    # free energy of real digits is lower than that of shuffled-pixel digits of the same ink
    g = np.random.default_rng(0)
    shuffled = np.array([g.permutation(x) for x in X[:200]])
    assert r.free_energy(X[:200]).mean() < r.free_energy(shuffled).mean()


# --------------------------------------------------------------------------- autoencoders

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from gradcheck import check_model_grads, numeric_grad  # noqa: E402

from numbanet.unsupervised.autoencoder import (  # noqa: E402
    Autoencoder,
    JointAutoencoder,
    corrupt,
)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(hidden=(5,), code_activation="identity"),
        dict(activation="tanh"),
    ],
)
def test_autoencoder_gradcheck(kw):
    ae = Autoencoder(6, 3, backend="reference", seed=0, dtype=np.float64, **kw)
    x = np.random.default_rng(0).random((4, 6))
    check_model_grads(ae.net, x, x, nb.losses.BCE(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_joint_autoencoder_gradcheck(beta):
    """d/dtheta of beta J_clas + (1 - beta) J_ae, encoder fed by both heads, vs finite differences."""
    g = np.random.default_rng(1)
    x = g.random((5, 6))
    x_in = corrupt(x, 0.3, g)
    y = np.array([0, 2, 1, 2, 0])
    j = JointAutoencoder(6, 3, 3, beta=beta, backend="reference", seed=0, dtype=np.float64)
    params = j.parameters()
    for p in params:
        p.zero_grad()
    j.loss_and_grads(x_in, x, y)
    analytic = [p.grad.copy() for p in params]

    def f():
        return j.loss_and_grads(x_in, x, y)[0]

    for p, ga in zip(params, analytic):
        num = numeric_grad(f, p.value)
        np.testing.assert_allclose(ga, num, rtol=1e-5, atol=1e-8, err_msg=p.name)
    head_grads = [p.grad for p in j.head.parameters()]
    dec_grads = [p.grad for p in j.decoder.parameters()]
    if beta == 0.0:
        assert all(np.all(gr == 0) for gr in head_grads)
    if beta == 1.0:
        assert all(np.all(gr == 0) for gr in dec_grads)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_joint_autoencoder_matches_reference(backend):
    g = np.random.default_rng(2)
    x = g.random((5, 7))
    y = np.array([0, 1, 1, 0, 1])
    res = {}
    for be in ("reference", backend):
        j = JointAutoencoder(7, 3, 2, beta=0.4, noise=0.2, backend=be, seed=0, dtype=np.float64)
        hist = j.fit(x, y, epochs=1, lr=0.05, batch_size=3, optimizer="sgd", seed=0)
        res[be] = (hist[-1]["loss"], j.encode(x))
    assert res[backend][0] == pytest.approx(res["reference"][0], rel=1e-10)
    np.testing.assert_allclose(res[backend][1], res["reference"][1], rtol=1e-10)


def test_autoencoder_cuda_matches_reference():
    x = np.random.default_rng(3).random((5, 7))
    out = {}
    for be in ("reference", "cuda"):
        ae = Autoencoder(7, 3, noise=0.1, backend=be, seed=0, dtype=np.float64)
        losses = ae.fit(x, epochs=1, lr=0.05, batch_size=3, optimizer="sgd", seed=0)
        out[be] = (losses, ae.encode(x))
    assert out["cuda"][0] == pytest.approx(out["reference"][0], rel=1e-10)
    np.testing.assert_allclose(out["cuda"][1], out["reference"][1], rtol=1e-10)


def test_corrupt_masking_noise():
    g = np.random.default_rng(0)
    x = np.ones((200, 50))
    xc = corrupt(x, 0.3, g)
    assert abs((xc == 0).mean() - 0.3) < 0.02
    assert set(np.unique(xc)) <= {0.0, 1.0}
    assert corrupt(x, 0.0, g) is x


def test_autoencoder_learns_and_shapes(shared_data):
    from numbanet.data import load_mnist

    X = load_mnist().x_train[:1000]
    for noise in (0.0, 0.25):
        ae = Autoencoder(784, 16, noise=noise, backend="cpu", seed=0)
        before = ae.reconstruction_error(X)
        losses = ae.fit(X, epochs=4, lr=3e-3, batch_size=32, seed=0)
        assert losses[-1] < losses[0]
        after = ae.reconstruction_error(X)
        assert after < 0.8 * before, (before, after)
        u = ae.encode(X[:5])
        assert u.shape == (5, 16) and np.all((u > 0) & (u < 1))
        # the code is not flat: units vary across examples (no saturation at the mean image)
        assert ae.encode(X).std(axis=0).mean() > 0.05
        assert ae.decode(u).shape == (5, 784)
        np.testing.assert_allclose(ae.decode(u), ae.reconstruct(X[:5]), rtol=1e-5, atol=1e-6)


def test_autoencoder_validation():
    ae = Autoencoder(4, 2, backend="reference")
    with pytest.raises(ValidationError, match=r"\[0, 1\]"):
        ae.fit(np.full((3, 4), 3.0))
    with pytest.raises(ValidationError, match="shape"):
        ae.encode(np.zeros((3, 5)))
    with pytest.raises(ValidationError, match="noise"):
        Autoencoder(4, 2, noise=1.0)
    with pytest.raises(ValidationError, match="activation"):
        Autoencoder(4, 2, activation="bogus")
    with pytest.raises(ValidationError, match="beta"):
        JointAutoencoder(4, 2, 3, beta=1.5)


# --------------------------------------------------------------------------- greedy pre-training

from numbanet.unsupervised import DBN, StackedAutoencoder  # noqa: E402


def _toy_classes(seed=0, n=90, d=20):
    g = np.random.default_rng(seed)
    y = g.integers(0, 3, n)
    protos = g.random((3, d)) < 0.4
    X = np.where(g.random((n, d)) < 0.1, 1 - protos[y], protos[y]).astype(np.float32)
    return X, y


@pytest.mark.parametrize("kind", ["sae", "dbn"])
def test_greedy_pretraining_freezes_installs_and_fine_tunes(kind):
    X, y = _toy_classes()
    if kind == "sae":
        model = StackedAutoencoder((20, 8, 6), 3, noise=0.1, backend="cpu", seed=0)
        hist = model.pretrain(X, epochs=2, batch_size=16, seed=0)
        units = model.autoencoders_
        first_W = units[0].encoder_weights()[0][0]
    else:
        model = DBN((20, 8, 6), 3, backend="cpu", seed=0)
        hist = model.pretrain(X, epochs=2, batch_size=16, seed=0)
        units = model.rbms_
        first_W = units[0].W
    assert len(hist) == 2 and all(len(h) == 2 for h in hist)
    hidden = model.hidden_layers
    assert all(layer.frozen for layer in hidden) and not model.dense_layers[-1].frozen
    np.testing.assert_array_equal(hidden[0].W.value, first_W)
    # layer 2 was trained on the codes of the frozen layer 1
    codes1 = model._codes(X, 1)
    expect = units[0].encode(X) if kind == "sae" else units[0].transform(X)
    np.testing.assert_allclose(codes1, expect, rtol=1e-5, atol=1e-6)
    before = [layer.W.value.copy() for layer in model.dense_layers]
    model.train_top(X, y, epochs=2, lr=0.5, batch_size=16, seed=0)
    after = [layer.W.value.copy() for layer in model.dense_layers]
    for b, a in zip(before[:-1], after[:-1]):
        np.testing.assert_array_equal(a, b)  # frozen: untouched
    assert not np.array_equal(after[-1], before[-1])  # the top layer learned
    model.fine_tune(X, y, epochs=30, lr=0.5, batch_size=16, seed=0)
    assert not any(layer.frozen for layer in model.net.layers)
    assert not np.array_equal(model.dense_layers[0].W.value, after[0])
    assert model.score(X, y) > 0.6


def test_dbn_layers_are_the_rbms():
    X, _ = _toy_classes(1)
    dbn = DBN((20, 7), 3, backend="reference", seed=0, dtype=np.float64)
    dbn.pretrain(X, epochs=1, batch_size=10)
    rbm = dbn.rbms_[0]
    layer = dbn.hidden_layers[0]
    np.testing.assert_array_equal(layer.W.value, rbm.W)
    np.testing.assert_array_equal(layer.b.value, rbm.c)
    # the net's first hidden activations are P(h = 1 | x)
    np.testing.assert_allclose(dbn._codes(X, 1), rbm.transform(X), rtol=1e-12)


@pytest.mark.parametrize("cls", [StackedAutoencoder, DBN])
def test_greedy_classifier_and_validation(cls):
    """Both models build the same sigmoid classifier (models.mlp ending in logits) from the
    same seed, and refuse bad sizes and inputs outside [0, 1]."""
    from numbanet import models

    model = cls((6, 5, 4), 3, backend="reference", seed=0)
    names = [type(layer).__name__ for layer in model.net.layers]
    assert names == ["Dense", "Sigmoid", "Dense", "Sigmoid", "Dense"]
    ref = models.mlp((6, 5, 4, 3), "sigmoid", init="glorot_uniform", backend="reference", seed=0)
    np.testing.assert_array_equal(model.net.get_flat(), ref.get_flat())
    with pytest.raises(ValidationError, match="sizes"):
        cls((6,), 3)
    with pytest.raises(ValidationError, match="n_classes"):
        cls((6, 3), 1)
    with pytest.raises(ValidationError, match="seed"):
        cls((6, 3), 2, seed=1.5)
    with pytest.raises(ValidationError, match=r"\[0, 1\]"):
        cls((4, 3), 2).pretrain(np.full((5, 4), 7.0))


def test_unsupervised_modules_import_without_cycles():
    """The greedy base class has its own module: no module of numbanet.unsupervised imports,
    directly or through others, one that imports it back (dbn.py and pretraining.py both
    depend on greedy.py and neither on the other)."""
    import ast
    from pathlib import Path

    import numbanet.unsupervised as U

    folder = Path(U.__file__).parent
    graph = {}
    for f in folder.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[f.stem] = deps & {g.stem for g in folder.glob("*.py")}
    assert {"greedy"} <= graph["dbn"] and {"greedy"} <= graph["pretraining"]
    assert "pretraining" not in graph["dbn"] and "dbn" not in graph["pretraining"]

    def reaches(a, b, seen=()):
        return any(d == b or (d not in seen and reaches(d, b, (*seen, d))) for d in graph[a])

    cycles = [m for m in graph if reaches(m, m)]
    assert not cycles, {m: graph[m] for m in cycles}
