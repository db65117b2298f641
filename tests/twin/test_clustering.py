"""Layer clustering: Ward / BIRCH / k-means, nearest-centroid prediction, subsampled Ward, per-filter combinations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from glassbox_jupyter.twin.clustering import (
    ClusteringError,
    ConstantActivationsError,
    FilterClusterer,
    LayerClusterer,
    TooFewSamplesError,
)

METHODS = ["ward", "birch", "kmeans"]


def blobs(n_per: list[int], dim: int, seed: int, spread: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Well-separated Gaussian blobs, one per entry of ``n_per``; returns rows and their blob."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (len(n_per), dim))
    centres *= 10 / np.linalg.norm(centres, axis=1, keepdims=True) * np.arange(1, len(n_per) + 1)[:, None]
    rows = np.concatenate([c + rng.normal(0, spread, (n, dim)) for c, n in zip(centres, n_per)])
    truth = np.repeat(np.arange(len(n_per)), n_per)
    return rows, truth


def nearest(A: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.argmin(((A[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2), axis=1)


@pytest.mark.parametrize("method", METHODS)
def test_requested_k_and_nearest_centroid_prediction(method):
    A, truth = blobs([120, 90, 60, 30], dim=5, seed=0)
    clusterer = LayerClusterer(n_clusters=4, method=method, name="fc1")
    labels = clusterer.fit(A)
    assert clusterer.k_ == 4 and clusterer.centroids_.shape == (4, 5)
    assert adjusted_rand_score(truth, labels) == 1.0  # the blobs are found
    assert np.bincount(labels).tolist() == [120, 90, 60, 30]  # ids run from the largest cluster
    assert (labels == nearest(A, clusterer.centroids_)).all()  # fit labels are the nearest-centroid assignment
    fresh, _ = blobs([10, 10, 10, 10], dim=5, seed=0)  # same centres, new noise
    fresh += np.random.default_rng(9).normal(0, 0.5, fresh.shape)
    assert (clusterer.predict(fresh) == nearest(fresh, clusterer.centroids_)).all()
    assert (clusterer.predict(A) == labels).all()
    assert clusterer.n_fit_samples_ == len(A) and clusterer.silhouette_ == {}


@pytest.mark.parametrize("method", METHODS)
def test_more_clusters_than_blobs_still_gives_the_requested_k(method):
    A, _ = blobs([100, 100], dim=3, seed=1, spread=1.0)
    clusterer = LayerClusterer(n_clusters=6, method=method)
    labels = clusterer.fit(A)
    assert clusterer.k_ == 6 and sorted(set(labels.tolist())) == list(range(6))


def test_ward_on_many_rows_fits_a_subsample():
    A, truth = blobs([8000, 7000, 5000], dim=8, seed=2, spread=1.0)
    clusterer = LayerClusterer(n_clusters=10, method="ward", name="fc1")
    labels = clusterer.fit(A)  # 20,000 rows: a full Ward tree would need 2·10⁸ distances
    assert clusterer.n_fit_samples_ <= clusterer.max_fit_samples == 5000
    assert len(labels) == 20_000 and clusterer.k_ == 10
    assert (labels == nearest(A, clusterer.centroids_)).all()  # the other 15,000 rows: nearest centroid
    coarse = LayerClusterer(n_clusters=3, method="ward", max_fit_samples=1000)
    assert adjusted_rand_score(truth, coarse.fit(A)) > 0.99 and coarse.n_fit_samples_ == 1000
    again = LayerClusterer(n_clusters=3, method="ward", max_fit_samples=1000).fit(A)
    assert (again == coarse.labels_).all()  # the subsample is seeded


@pytest.mark.parametrize("method", ["birch", "kmeans"])
def test_every_method_fits_at_most_max_fit_samples_rows(method):
    A, truth = blobs([1500, 1000, 500], dim=6, seed=8)
    clusterer = LayerClusterer(n_clusters=3, method=method, max_fit_samples=400)
    labels = clusterer.fit(A)
    assert clusterer.n_fit_samples_ == 400 and len(labels) == 3000
    assert adjusted_rand_score(truth, labels) == 1.0


def test_constant_layer_is_a_clear_error():
    with pytest.raises(ConstantActivationsError, match=r"layer 'relu3'.s activations are constant"):
        LayerClusterer(name="relu3").fit(np.zeros((50, 16)))
    with pytest.raises(ConstantActivationsError, match="constant"):
        FilterClusterer(name="conv2").fit(np.ones((50, 4, 9)))
    assert issubclass(ConstantActivationsError, ValueError)


def test_fewer_samples_than_clusters_is_a_clear_error():
    A = np.random.default_rng(0).normal(size=(5, 3))
    with pytest.raises(TooFewSamplesError, match=r"layer 'fc1' has 5 samples but 10 clusters"):
        LayerClusterer(n_clusters=10, name="fc1").fit(A)
    with pytest.raises(TooFewSamplesError, match="5 samples"):
        FilterClusterer(n_clusters=10, name="conv1").fit(np.random.default_rng(0).normal(size=(5, 2, 4)))


def test_fewer_distinct_rows_than_clusters_uses_fewer_clusters():
    A = np.repeat(np.eye(3), 20, axis=0)  # 60 rows, 3 distinct vectors (a ReLU layer can do this)
    clusterer = LayerClusterer(n_clusters=10, name="relu1")
    with pytest.warns(UserWarning, match="only 3 distinct activation vectors"):
        labels = clusterer.fit(A)
    assert clusterer.k_ == 3 and len(set(labels.tolist())) == 3


@pytest.mark.parametrize("method", METHODS)
def test_silhouette_recovers_three_blobs(method):
    A, truth = blobs([80, 70, 50], dim=4, seed=3)
    clusterer = LayerClusterer(method=method, k_range=range(2, 8))
    labels = clusterer.fit(A)
    assert clusterer.k_ == 3
    assert set(clusterer.silhouette_) == set(range(2, 8))
    assert max(clusterer.silhouette_, key=clusterer.silhouette_.get) == 3
    assert adjusted_rand_score(truth, labels) == 1.0


def test_per_filter_combination_ids_are_consistent_between_fit_and_predict():
    rng = np.random.default_rng(4)
    n = 300
    mode = rng.integers(0, 3, size=(n, 3))  # each of 3 filters shows one of 3 map patterns
    patterns = rng.normal(0, 3, (3, 3, 9))  # [filter, pattern, positions]
    A = np.stack([patterns[f, mode[:, f]] for f in range(3)], axis=1) + rng.normal(0, 0.1, (n, 3, 9))
    clusterer = FilterClusterer(n_clusters=3, name="conv1")
    ids = clusterer.fit(A)
    assert clusterer.filter_labels_.shape == (n, 3)
    assert clusterer.k_ == len(clusterer.combos_) == len(set(map(tuple, mode.tolist())))  # one node per combination
    assert sorted(set(ids.tolist())) == list(range(clusterer.k_))  # re-indexed 0..k-1
    for i in range(n):  # node id ↔ tuple label
        assert clusterer.combos_[ids[i]] == tuple(clusterer.filter_labels_[i])
    counts = np.bincount(ids)
    assert (np.diff(counts) <= 0).all()  # most frequent combination first
    for f in range(3):  # each filter's clusters are its patterns
        assert adjusted_rand_score(mode[:, f], clusterer.filter_labels_[:, f]) == 1.0
    assert (clusterer.predict(A) == ids).all()
    assert (clusterer.predict(A[::-1]) == ids[::-1]).all()
    assert (clusterer.predict(A.reshape(n, 3, 3, 3)) == ids).all()  # [n, C, H, W] maps are flattened


def test_unseen_combination_goes_to_the_nearest_seen_one():
    rng = np.random.default_rng(5)
    low, high = np.zeros(4), np.full(4, 5.0)
    together = np.array([0] * 30 + [1] * 20)  # the three filters always agree: combinations (0,0,0) and (1,1,1)
    maps = np.where(together[:, None, None] == 0, low, high) + rng.normal(0, 0.1, (50, 3, 4))
    clusterer = FilterClusterer(n_clusters=2, name="conv1")
    clusterer.fit(maps)
    assert clusterer.combos_ == [(0, 0, 0), (1, 1, 1)]
    unseen = np.stack([[high, high, low], [low, low, high], [high, low, low]])  # (1,1,0), (0,0,1), (1,0,0)
    assert clusterer.predict_filters(unseen).tolist() == [[1, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert clusterer.predict(unseen).tolist() == [1, 0, 0]  # fewest differing filters


def test_a_dead_filter_is_one_cluster():
    rng = np.random.default_rng(6)
    A = rng.normal(size=(40, 2, 5))
    A[:, 1, :] = 0.0  # filter 1 never fires
    clusterer = FilterClusterer(n_clusters=4)
    ids = clusterer.fit(A)
    assert clusterer.filters_[1] is None and (clusterer.filter_labels_[:, 1] == 0).all()
    assert clusterer.k_ == 4 and (clusterer.predict(A) == ids).all()


def test_bad_input():
    A, _ = blobs([20, 20], dim=3, seed=7)
    with pytest.raises(ClusteringError, match="not fitted yet"):
        LayerClusterer(name="fc1").predict(A)
    fitted = LayerClusterer(n_clusters=2, name="fc1")
    fitted.fit(A)
    with pytest.raises(ClusteringError, match="fitted on 3 features but got 4"):
        fitted.predict(np.zeros((2, 4)))
    bad = A.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ClusteringError, match="NaN"):
        LayerClusterer(n_clusters=2, name="fc1").fit(bad)
    with pytest.raises(ValueError, match="method must be one of"):
        LayerClusterer(method="dbscan").fit(A)
    with pytest.raises(ValueError, match="k_range"):
        LayerClusterer(k_range=[1, 2]).fit(A)
    with pytest.raises(ClusteringError, match=r"\[n, channels, positions\]"):
        FilterClusterer().fit(A)
    with pytest.raises(ClusteringError, match="not fitted yet"):
        FilterClusterer().predict(np.zeros((2, 2, 2)))
