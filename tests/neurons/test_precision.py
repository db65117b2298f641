import warnings

import numpy as np
import pytest
from sklearn.covariance import GraphicalLasso, graphical_lasso

from glassbox_jupyter.errors import GlassboxError
from glassbox_jupyter.neurons.errors import DegenerateActivationsError
from glassbox_jupyter.neurons.precision import estimate_precision, partial_correlations

from .conftest import f1, sparse_gaussian, top_edges


def support(result, tol: float = 0.0) -> set[tuple[int, int]]:
    i, j = np.nonzero(np.triu(np.abs(result.partial_correlations) > tol, 1))
    cols = result.columns
    return {(int(cols[a]), int(cols[b])) for a, b in zip(i, j)}


def test_chain_is_recovered_exactly_at_its_own_sparsity():
    X, edges = sparse_gaussian(20, 2000, kind="chain")
    result = estimate_precision(X)
    assert result.method == "cv" and result.alpha > 0
    assert top_edges(result.partial_correlations, len(edges)) == edges
    assert edges <= support(result)  # no true edge is lost by the penalty


def test_random_sparse_graph_f1_at_matched_sparsity_and_fixed_alpha():
    X, edges = sparse_gaussian(60, 3000, seed=1)
    result = estimate_precision(X)
    assert f1(top_edges(result.partial_correlations, len(edges)), edges) >= 0.95
    assert f1(support(result, tol=0.05), edges) >= 0.9  # what the view shows at its default threshold
    fixed = estimate_precision(X, alpha=0.1)
    assert fixed.method == "fixed" and fixed.cv_alphas is None
    assert f1(support(fixed), edges) >= 0.9


def test_cv_stops_at_the_readability_ceiling_when_n_is_close_to_p_and_says_so():
    # shaped like a real MLP layer: about as many samples as neurons, low rank plus noise (the held-out
    # likelihood keeps rising into ever denser graphs: without the ceiling CV ends at alpha ~ 0.005, 52 edges per
    # neuron, in ~10 s)
    rng = np.random.default_rng(0)
    p, n, rank = 200, 220, 10
    X = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, p)) + 0.5 * rng.standard_normal((n, p))
    result = estimate_precision(X)
    assert result.method == "cv" and 2 * result.n_edges / p <= 25
    stop = [a for a in result.actions if "readability ceiling max_degree=25" in a]
    assert len(stop) == 1 and f"did not go below alpha = {result.alpha:.4g}" in stop[0]
    scores = dict(zip(result.cv_alphas, result.cv_scores))
    rejected = [a for a, s in scores.items() if not np.isfinite(s)]
    assert rejected and max(rejected) < result.alpha  # only the denser side of the path was cut
    assert result.alpha == max(scores, key=scores.__getitem__)
    # the rule, not the likelihood, stopped the path: scored, the rejected alpha is better and too dense
    denser = estimate_precision(X, alphas=[result.alpha, max(rejected)], max_degree=None)
    assert denser.alpha == max(rejected) and 2 * denser.n_edges / p > 25
    assert not any("readability ceiling" in a for a in denser.actions)
    # a sparse graph never reaches the ceiling
    sparse, _ = sparse_gaussian(60, 3000, seed=1)
    assert not any("readability ceiling" in a for a in estimate_precision(sparse).actions)
    with pytest.raises(ValueError, match="max_degree"):
        estimate_precision(X, max_degree=0)


def test_cv_picks_the_best_scored_alpha_and_is_deterministic():
    X, _ = sparse_gaussian(15, 600, seed=2)
    a = estimate_precision(X, seed=3)
    b = estimate_precision(X, seed=3)
    assert np.all(np.diff(a.cv_alphas) > 0)
    assert a.alpha == a.cv_alphas[np.argmax(a.cv_scores)]
    assert len(a.cv_alphas) >= 5
    np.testing.assert_array_equal(a.precision, b.precision)


def test_one_standard_error_rule_gives_a_sparser_graph_that_keeps_the_true_edges():
    X, edges = sparse_gaussian(60, 3000, seed=1)
    best = estimate_precision(X)
    sparse = estimate_precision(X, alpha="1se")
    assert sparse.method == "cv-1se" and sparse.alpha > best.alpha
    assert np.array_equal(sparse.cv_alphas, best.cv_alphas)  # the same CV path, another pick on it
    score = dict(zip(sparse.cv_alphas, sparse.cv_scores))
    assert score[sparse.alpha] < score[best.alpha]  # worse held-out likelihood, but within one SE
    assert sparse.n_edges < best.n_edges
    assert f1(support(sparse), edges) > f1(support(best), edges) and edges <= support(sparse)
    assert any("one-standard-error rule" in a for a in sparse.actions)
    with pytest.raises(ValueError, match="'1se'"):
        estimate_precision(X, alpha="sparse")


def test_screening_gives_the_same_solution_as_one_full_fit():
    X, _ = sparse_gaussian(30, 1500, seed=4)
    ours = estimate_precision(X, alpha=0.15)
    assert ours.n_blocks > 1  # the screen did split the problem
    Z = (X - X.mean(0)) / X.std(0)
    _, full = graphical_lasso(Z.T @ Z / len(Z), 0.15, enet_tol=1e-7, tol=1e-6, max_iter=500)
    np.testing.assert_allclose(ours.precision, full, atol=2e-3)


def test_partial_correlations_formula():
    theta = np.array([[2.0, -1.0], [-1.0, 2.0]])
    np.testing.assert_allclose(partial_correlations(theta), [[1.0, 0.5], [0.5, 1.0]])


def test_duplicates_are_merged_where_plain_sklearn_fails():
    X, _ = sparse_gaussian(12, 1000, seed=5)
    X = np.column_stack([X, X[:, 3], -2 * X[:, 3] + 1])  # columns 12, 13 duplicate column 3
    with pytest.raises(FloatingPointError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        GraphicalLasso(alpha=0.05).fit(X)
    result = estimate_precision(X, alpha=0.05, names=list(range(100, 114)))
    assert result.groups[3] == [3, 12, 13]
    assert 12 not in result.columns and 13 not in result.columns
    assert result.actions == ["merged 2 duplicate neurons into #103 (|correlation| > 1 − 1e-8): #112, #113"]
    assert np.all(np.isfinite(result.precision))


def test_constant_neurons_are_dropped_and_reported():
    X, _ = sparse_gaussian(10, 500, seed=6)
    X[:, 2] = 0.0
    X[:, 7] = 3.5
    result = estimate_precision(X, alpha=0.05)
    assert result.dropped == [2, 7]
    assert result.actions[0] == "dropped 2 constant neurons: #2, #7"
    assert 2 not in result.columns and len(result.columns) == 8


def test_ill_conditioned_fit_recovers_with_shrinkage_and_says_so():
    X = np.random.default_rng(1).standard_normal((10, 30))  # n < p: sklearn's solvers fail at small alpha
    Z = (X - X.mean(0)) / X.std(0)
    with pytest.raises(FloatingPointError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graphical_lasso(Z.T @ Z / len(Z), 0.01, enet_tol=1e-7)
    ours = estimate_precision(X, alpha=0.01)  # GlassBox's solver starts inside the feasible box: no failure
    assert ours.actions == [] and ours.converged
    np.linalg.cholesky(ours.precision)
    result = estimate_precision(X, alpha=0.01, mode="lars")  # scikit-learn's LARS fails: the ladder steps in
    assert np.all(np.isfinite(result.precision))
    np.linalg.cholesky(result.precision)
    assert any(
        "failed on a block of" in a and ("mode=" in a or "shrunk" in a or "diagonal" in a) for a in result.actions
    )
    np.testing.assert_allclose(result.precision, ours.precision, atol=1e-4 * np.abs(ours.precision).max())


def test_all_constant_and_single_varying_neuron_are_clear_errors():
    with pytest.raises(DegenerateActivationsError, match="all 5 neurons are constant"):
        estimate_precision(np.ones((50, 5)))
    X = np.ones((50, 4))
    X[:, 1] = np.arange(50)
    with pytest.raises(DegenerateActivationsError, match="only 1 of 4 neurons varies"):
        estimate_precision(X)
    X[:, 2] = 2 * X[:, 1]  # a duplicate of the only varying neuron is still one neuron
    with pytest.raises(DegenerateActivationsError, match="after merging duplicates only #1 is left"):
        estimate_precision(X)


def test_too_few_samples_nan_and_bad_alpha_are_clear_errors():
    X = np.random.default_rng(0).standard_normal((8, 5))
    with pytest.raises(DegenerateActivationsError, match="only 8 samples"):
        estimate_precision(X)
    X = np.random.default_rng(0).standard_normal((40, 5))
    X[3, 2] = np.nan
    with pytest.raises(DegenerateActivationsError, match="NaN or infinite"):
        estimate_precision(X)
    with pytest.raises(ValueError, match="alpha must be a positive number"):
        estimate_precision(np.random.default_rng(0).standard_normal((40, 5)), alpha=-1)
    err = DegenerateActivationsError("x")
    assert isinstance(err, GlassboxError) and isinstance(err, ValueError)


def test_cv_stops_where_low_rank_activations_make_the_solver_fail():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3)) @ rng.standard_normal((3, 12)) + 0.01 * rng.standard_normal((300, 12))
    # 12 neurons driven by 3 causes: nearly collinear, as in real layers; scikit-learn's LARS fails at small alpha
    result = estimate_precision(X, mode="lars")
    assert any(a.startswith(f"cross-validation stopped at alpha = {result.alpha:.4g}") for a in result.actions)
    assert np.isfinite(result.cv_scores[-1]) and np.isneginf(result.cv_scores[0])  # the smallest alphas failed
    np.linalg.cholesky(result.precision)
    # GlassBox's solver fits every fold down to the path's floor (alpha_max / 1000), positive definite
    ours = estimate_precision(X)
    assert np.all(np.isfinite(ours.cv_scores)) and ours.converged and ours.actions == []
    assert ours.alpha == ours.cv_alphas[0] < result.alpha
    np.linalg.cholesky(ours.precision)


def test_cv_folds_keep_groups_whole():
    from glassbox_jupyter.neurons.cv import fold_rows

    groups = np.repeat(np.arange(10), 4)  # 10 texts of 4 tokens
    folds = fold_rows(40, 3, seed=0, groups=groups)
    assert sorted(np.concatenate(folds).tolist()) == list(range(40))
    assert all(len(set(groups[f])) * 4 == len(f) for f in folds)  # every text entirely in one fold
    X, _ = sparse_gaussian(10, 400, seed=7)
    with pytest.raises(ValueError, match="one label per row"):
        estimate_precision(X, groups=[0, 1])
