"""numbanet.theory.sharpness: Hessian-vector products from gradients and the top eigenvalue by
power iteration, against Hessians known in closed form; and the batch-size-generalization
figure's data."""

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import ValidationError
from numbanet.theory.sharpness import hessian_vector_product, top_hessian_eigenvalue


def _linear_regression(seed=0, n=50, d=4):
    """A linear model with the quadratic cost C = mean over examples of 1/2 (w.x + b - y)^2:
    its Hessian in (W, b) is exactly (1/n) [X 1]^T [X 1], whatever the parameters."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.array([3.0, 1.0, 0.5, 0.2])
    y = rng.standard_normal((n, 1))
    net = nb.Sequential([nb.Dense(d, 1)], backend="cpu", seed=seed, dtype=np.float64)
    A = np.hstack([X, np.ones((n, 1))])
    return net, X, y, A.T @ A / n


def test_hvp_of_a_quadratic_is_the_analytic_hessian_times_v():
    net, X, y, H = _linear_regression()
    v = np.random.default_rng(1).standard_normal(H.shape[0])
    hv = hessian_vector_product(net, X, y, nb.losses.MSE(), v)
    np.testing.assert_allclose(hv, H @ v, rtol=1e-6, atol=1e-8)


def test_power_iteration_finds_the_top_eigenvalue_of_the_quadratic():
    net, X, y, H = _linear_regression()
    before = net.get_flat()
    res = top_hessian_eigenvalue(net, X, y, nb.losses.MSE(), iters=200, tol=1e-9)
    w, V = np.linalg.eigh(H)
    assert res.converged
    assert res.eigenvalue == pytest.approx(w[-1], rel=1e-6)
    assert abs(res.vector @ V[:, -1]) == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_array_equal(net.get_flat(), before)  # the net is left unchanged


def test_top_eigenvalue_of_a_tiny_net_matches_its_full_hessian():
    # a 2-3-2 tanh net with the cross-entropy: the full Hessian assembled column by column from
    # central differences of the engine's gradients, then diagonalised
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    y = rng.integers(0, 2, 30)
    net = nb.Sequential(
        [nb.Dense(2, 3), nb.Tanh(), nb.Dense(3, 2)], backend="cpu", seed=3, dtype=np.float64
    )
    P = net.n_params()
    H = np.column_stack([hessian_vector_product(net, X, y, "cross_entropy", e) for e in np.eye(P)])
    np.testing.assert_allclose(H, H.T, atol=1e-5)  # a Hessian is symmetric
    w = np.linalg.eigvalsh((H + H.T) / 2)
    top = w[np.argmax(np.abs(w))]
    res = top_hessian_eigenvalue(net, X, y, "cross_entropy", iters=500, tol=1e-10)
    assert res.eigenvalue == pytest.approx(top, rel=1e-4)


def test_float32_nets_are_measured_in_float64():
    net, X, y, H = _linear_regression()
    net32 = net.clone(dtype=np.float32)
    res = top_hessian_eigenvalue(net32, X, y, nb.losses.MSE(), iters=200, tol=1e-9)
    assert res.eigenvalue == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-5)


def test_bad_vectors_and_settings_are_refused():
    net, X, y, _ = _linear_regression()
    with pytest.raises(ValidationError, match="one value per parameter"):
        hessian_vector_product(net, X, y, "mse", np.ones(3))
    with pytest.raises(ValidationError, match="finite"):
        hessian_vector_product(net, X, y, "mse", np.full(5, np.nan))
    with pytest.raises(ValidationError, match="iters"):
        top_hessian_eigenvalue(net, X, y, "mse", iters=0)


def test_batch_size_generalization_small_minibatch_finds_a_flatter_minimum():
    import matplotlib.pyplot as plt

    from numbanet.plots import training_dynamics as F

    d = F.compute_batch_size_generalization(budget="tiny")
    assert d["batch_sizes"] == [10, 200]
    # every run fits the training set to the same loss, the full batch in many more epochs
    assert np.all(d["train_loss"] < d["target_loss"])
    assert d["epochs"][1, 0] > d["epochs"][0, 0]
    # Keskar et al.: the large minibatch ends at a sharper minimum (here near GD's 2 / lr)
    assert d["sharpness"][1, 0] > 3 * d["sharpness"][0, 0] > 0
    for lang in ("en", "es"):
        plt.close(F.draw_batch_size_generalization(d, lang))
