"""GlassBox's graphical-lasso solver against scikit-learn's, its inner lasso against coordinate descent, its
warm starts, and a whole 1,536-neuron layer checked against the optimality conditions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.covariance import graphical_lasso

from glassbox_jupyter.neurons.glasso import (
    feasible_start,
    lasso_active_set,
    lasso_coordinate_descent,
    sparse_graphical_lasso,
)
from glassbox_jupyter.neurons.precision import estimate_precision

from .conftest import f1, sparse_gaussian, top_edges


def correlation(X: np.ndarray) -> np.ndarray:
    Z = (X - X.mean(0)) / X.std(0)
    return Z.T @ Z / len(Z)


def assert_optimal(S: np.ndarray, alpha: float, W: np.ndarray, precision: np.ndarray, tol: float) -> None:
    """The graphical lasso's optimality conditions: W = Θ⁻¹, W_ii = S_ii, W_ij − S_ij = α·sign(Θ_ij) where
    Θ_ij ≠ 0 and |W_ij − S_ij| ≤ α where Θ_ij = 0."""
    off = ~np.eye(len(S), dtype=bool)
    gap = (W - S)[off]
    theta = precision[off]
    assert np.allclose(np.diag(W), np.diag(S))
    assert np.all(np.abs(gap) <= alpha + tol)
    nonzero = theta != 0
    np.testing.assert_allclose(gap[nonzero], alpha * np.sign(theta[nonzero]), atol=tol)
    np.testing.assert_allclose(W @ precision, np.eye(len(S)), atol=100 * tol * max(1.0, np.abs(precision).max()))


@pytest.mark.parametrize(
    ("p", "n", "alpha", "seed"),
    [(20, 500, 0.05, 0), (40, 200, 0.1, 1), (60, 3000, 0.03, 2), (50, 30, 0.2, 3), (80, 4000, 0.02, 4)],
)
def test_same_solution_as_scikit_learn(p: int, n: int, alpha: float, seed: int) -> None:
    S = correlation(sparse_gaussian(p, n, seed=seed)[0])
    ours = sparse_graphical_lasso(S, alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cov, precision = graphical_lasso(S, alpha, tol=1e-10, enet_tol=1e-12, max_iter=2000)
    assert ours.converged
    np.testing.assert_array_equal(ours.precision != 0, precision != 0)  # the same graph, edge for edge
    np.testing.assert_allclose(ours.precision, precision, atol=1e-5 * np.abs(precision).max())
    np.testing.assert_allclose(ours.covariance, cov, atol=1e-5)
    assert_optimal(S, alpha, ours.covariance, ours.precision, tol=1e-5)


def test_warm_start_reaches_the_same_solution_in_fewer_sweeps() -> None:
    S = correlation(sparse_gaussian(80, 1000, seed=5)[0])
    near = sparse_graphical_lasso(S, 0.06)
    cold = sparse_graphical_lasso(S, 0.05)
    warm = sparse_graphical_lasso(S, 0.05, start=(near.covariance, near.coefficients))
    np.testing.assert_array_equal(warm.precision != 0, cold.precision != 0)
    np.testing.assert_allclose(warm.precision, cold.precision, atol=1e-5)
    assert warm.n_iter <= cold.n_iter


def test_singular_covariance_stays_positive_definite() -> None:
    # n < p and nearly collinear neurons: scikit-learn's solver raises "Non SPD result" at small alpha
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3)) @ rng.standard_normal((3, 12)) + 0.01 * rng.standard_normal((300, 12))
    S = correlation(X)
    start = feasible_start(S, 0.002)
    assert np.all(np.abs(start - S) <= 0.002 + 1e-15)
    np.linalg.cholesky(start)
    fit = sparse_graphical_lasso(S, 0.002)
    np.linalg.cholesky(fit.precision)
    assert_optimal(S, 0.002, fit.covariance, fit.precision, tol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_active_set_lasso_is_exact(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 40))
    A = rng.standard_normal((2 * k, k))
    Q = A.T @ A / (2 * k) + 0.05 * np.eye(k)
    q = rng.standard_normal(k) * 0.5
    alpha = float(rng.uniform(0.02, 0.3))
    start = np.where(rng.random(k) < 0.3, rng.standard_normal(k), 0.0)  # a warm start with wrong signs
    ours = lasso_active_set(Q, q, alpha, start)
    reference = lasso_coordinate_descent(Q, q, alpha, np.zeros(k))
    np.testing.assert_allclose(ours, reference, atol=1e-8)
    gradient = q - Q @ ours
    assert np.all(np.abs(gradient) <= alpha + 1e-9)


def test_a_whole_1536_neuron_layer_is_solved_exactly() -> None:
    X, edges = sparse_gaussian(1536, 400, seed=3)
    result = estimate_precision(X, alpha=0.2)  # about 1 s; scikit-learn's solver takes minutes on its big block
    assert result.largest_block > 500 and result.converged and result.actions == []
    S = correlation(X)
    assert_optimal(S, 0.2, result.covariance, result.precision, tol=1e-5)
    assert f1(top_edges(result.partial_correlations, len(edges)), edges) >= 0.95
