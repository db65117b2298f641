"""Cluster one layer's activations: Ward (default), BIRCH or k-means, with nearest-centroid prediction.

:class:`LayerClusterer` clusters ``[n, features]`` activations. Ward linkage is quadratic in the rows it
sees (and so is BIRCH's final step when the data are spread out, and k-means is slow on many wide rows),
so above ``max_fit_samples`` rows every method is fitted on a seeded subsample. Then every row, fitted or
not, is assigned to its nearest cluster centroid: the cost in ``n`` is linear, and ``fit(A)`` and
``predict(A)`` always agree. With ``k_range`` the number of clusters is chosen by the
silhouette score. :class:`FilterClusterer` clusters each filter of a convolutional layer on its own
(``[n, channels, positions]``) and makes the node the tuple of filter clusters, as the HuReTEx paper does.

Example
-------
>>> import numpy as np
>>> from glassbox_jupyter.twin.clustering import LayerClusterer
>>> rng = np.random.default_rng(0)
>>> A = np.concatenate([rng.normal(0, 0.1, (50, 3)), rng.normal(5, 0.1, (50, 3))])
>>> clusterer = LayerClusterer(n_clusters=2, name="fc1")
>>> labels = clusterer.fit(A)
>>> clusterer.k_, np.bincount(labels).tolist(), bool((clusterer.predict(A) == labels).all())
(2, [50, 50], True)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

from glassbox_jupyter.errors import GlassboxError

__all__ = [
    "ClusteringError",
    "ConstantActivationsError",
    "FilterClusterer",
    "LayerClusterer",
    "Method",
    "TooFewSamplesError",
]

Method = Literal["ward", "birch", "kmeans"]
METHODS = ("ward", "birch", "kmeans")
_SILHOUETTE_ROWS = 2000  # rows the silhouette score is computed on (it is quadratic too)


class ClusteringError(GlassboxError, ValueError):
    """Activations that cannot be clustered as asked."""


class ConstantActivationsError(ClusteringError):
    """Every sample gives the same activation vector (e.g. a dead ReLU layer)."""


class TooFewSamplesError(ClusteringError):
    """Fewer samples than requested clusters."""


class _Settings:
    """The settings both clusterers take (see :class:`LayerClusterer`)."""

    def __init__(
        self,
        n_clusters: int = 10,
        method: Method = "ward",
        k_range: Iterable[int] | None = None,
        max_fit_samples: int = 5000,
        seed: int = 0,
        name: str = "layer",
    ) -> None:
        self.n_clusters = n_clusters
        self.method = method
        self.k_range = k_range
        self.max_fit_samples = max_fit_samples
        self.seed = seed
        self.name = name


class LayerClusterer(_Settings):
    """Cluster a layer's ``[n, features]`` activations; predict by nearest centroid.

    Parameters
    ----------
    n_clusters : clusters to find (ignored when ``k_range`` is given).
    method : ``"ward"`` (agglomerative, the paper's choice), ``"birch"`` or ``"kmeans"``.
    k_range : candidate numbers of clusters (each ≥ 2); the one with the best silhouette score is used.
    max_fit_samples : the method (and the silhouette search) sees at most this many rows, drawn with ``seed``.
    seed : seed of the subsample, k-means and BIRCH.
    name : the layer's name, used in error messages.

    Attributes (after ``fit``)
    --------------------------
    ``centroids_`` ``[k_, features]``, ``k_``, ``labels_``, ``n_fit_samples_`` (rows the method was fitted on),
    ``silhouette_`` (``{k: score}`` when ``k_range`` was given, else ``{}``).
    Cluster ids run ``0..k_-1`` from the largest cluster to the smallest.

    Example
    -------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).normal(size=(200, 4))
    >>> LayerClusterer(n_clusters=5, method="kmeans").fit(A).shape
    (200,)
    """

    def fit(self, A: Any) -> np.ndarray:
        """Cluster the rows of ``A`` and return one cluster id per row (the nearest-centroid assignment)."""
        candidates = self._check_params()
        A = _as_matrix(A, self.name)
        n = len(A)
        if n < min(candidates):
            raise TooFewSamplesError(
                f"layer {self.name!r} has {n} samples but {min(candidates)} clusters were asked for; pass at least "
                f"{min(candidates)} inputs or lower n_clusters"
            )
        if not np.any(np.ptp(A, axis=0) > 0):
            raise ConstantActivationsError(
                f"layer {self.name!r}'s activations are constant (all {n} samples give the same vector), so they "
                "cannot be clustered; choose another layer (a dead ReLU layer often does this)"
            )
        rng = np.random.default_rng(self.seed)
        limit = int(self.max_fit_samples)
        A_sample = A[np.sort(rng.choice(n, limit, replace=False))] if n > limit else A
        distinct = len(np.unique(A_sample, axis=0))
        usable = [k for k in candidates if k <= distinct] or [distinct]
        if self.k_range is None and usable[0] != candidates[0]:
            warnings.warn(
                f"layer {self.name!r}: only {distinct} distinct activation vectors in the fitted rows, so "
                f"{distinct} clusters are used instead of {self.n_clusters}",
                UserWarning,
                stacklevel=2,
            )

        self.silhouette_: dict[int, float] = {}
        tree = _ward_tree(A_sample) if self.method == "ward" else None
        if self.k_range is not None and len(usable) > 1:
            for k in usable:
                raw = _cut_tree(tree, k) if tree is not None else self._raw_labels(A_sample, k)
                self.silhouette_[k] = _silhouette(A_sample, raw, self.seed)
            k = max(usable, key=lambda kk: (self.silhouette_[kk], -kk))
        else:
            k = usable[0]

        raw = _cut_tree(tree, k) if tree is not None else self._raw_labels(A_sample, k)
        self.n_fit_samples_ = len(A_sample)
        centroids = np.stack([A_sample[raw == c].mean(axis=0) for c in np.unique(raw)])
        labels = _nearest(A, centroids)
        counts = np.bincount(labels, minlength=len(centroids))
        order = [c for c in np.argsort(-counts, kind="stable") if counts[c] > 0]  # largest first, empties dropped
        remap = np.full(len(centroids), -1)
        remap[order] = np.arange(len(order))
        self.centroids_ = centroids[order]
        self.k_ = len(order)
        self.n_features_ = A.shape[1]
        self.labels_ = remap[labels]
        return self.labels_

    def predict(self, A: Any) -> np.ndarray:
        """The nearest centroid's cluster id for each row of ``A``."""
        if not hasattr(self, "centroids_"):
            raise ClusteringError(f"the clusterer for layer {self.name!r} is not fitted yet; call fit() first")
        A = _as_matrix(A, self.name)
        if A.shape[1] != self.n_features_:
            raise ClusteringError(
                f"layer {self.name!r} was fitted on {self.n_features_} features but got {A.shape[1]}; pass the "
                "same layer's activations (collected the same way)"
            )
        return _nearest(A, self.centroids_)

    def _check_params(self) -> list[int]:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if int(self.max_fit_samples) < 2:
            raise ValueError(f"max_fit_samples must be at least 2, not {self.max_fit_samples}")
        if self.k_range is None:
            if int(self.n_clusters) < 1:
                raise ValueError(f"n_clusters must be at least 1, not {self.n_clusters}")
            return [int(self.n_clusters)]
        candidates = sorted({int(k) for k in self.k_range})
        if not candidates or candidates[0] < 2:
            raise ValueError(
                f"k_range must hold numbers of clusters of at least 2 (silhouette needs 2), got {candidates}"
            )
        return candidates

    def _raw_labels(self, A: np.ndarray, k: int) -> np.ndarray:
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.method == "kmeans":
                from sklearn.cluster import KMeans

                return KMeans(n_clusters=k, n_init=3, random_state=self.seed).fit(A).labels_
            if self.method == "birch":
                return _birch(A, k)
            return _cut_tree(_ward_tree(A), k)


class FilterClusterer(_Settings):
    """Cluster each filter of a conv layer (``[n, channels, positions]``) and combine the filter clusters.

    Each filter's maps are clustered by its own :class:`LayerClusterer`; a sample's node is the tuple of its
    filter clusters. Tuples are re-indexed ``0..k_-1`` from the most frequent (``combos_[i]`` is node ``i``'s
    tuple). A constant filter (a dead one) is one cluster, 0. ``predict`` maps a tuple never seen in ``fit``
    to the nearest seen tuple (fewest differing filters; ties go to the more frequent tuple).

    Example
    -------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).normal(size=(60, 2, 9))
    >>> clusterer = FilterClusterer(n_clusters=2, name="conv1")
    >>> ids = clusterer.fit(A)
    >>> bool((clusterer.predict(A) == ids).all()), len(clusterer.combos_[0])
    (True, 2)
    """

    def fit(self, A: Any) -> np.ndarray:
        """Cluster every filter and return one combination (node) id per sample."""
        A = self._as_maps(A)
        n, channels = A.shape[:2]
        if n < int(self.n_clusters) and self.k_range is None:
            raise TooFewSamplesError(
                f"layer {self.name!r} has {n} samples but {self.n_clusters} clusters per filter were asked for; "
                f"pass at least {self.n_clusters} inputs or lower n_clusters"
            )
        filters: list[LayerClusterer | None] = []
        filter_labels = np.zeros((n, channels), dtype=np.int64)
        reduced = []
        for c in range(channels):
            maps = A[:, c, :]
            if not np.any(np.ptp(maps, axis=0) > 0):
                filters.append(None)  # a dead filter: one cluster
                continue
            clusterer = LayerClusterer(
                self.n_clusters, self.method, self.k_range, self.max_fit_samples, self.seed, f"{self.name}[{c}]"
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", UserWarning)
                filter_labels[:, c] = clusterer.fit(maps)
            if caught:
                reduced.append(c)
            filters.append(clusterer)
        if all(f is None for f in filters):
            raise ConstantActivationsError(
                f"layer {self.name!r}'s activations are constant (every filter gives the same map for all {n} "
                "samples), so they cannot be clustered; choose another layer"
            )
        if reduced:
            warnings.warn(
                f"layer {self.name!r}: filters {reduced} have fewer distinct maps than n_clusters={self.n_clusters}, "
                "so they use fewer clusters",
                UserWarning,
                stacklevel=2,
            )
        combos, inverse, counts = np.unique(filter_labels, axis=0, return_inverse=True, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        self.filters_ = filters
        self.combo_array_ = combos[order]
        self.combos_: list[tuple[int, ...]] = [tuple(int(v) for v in row) for row in self.combo_array_]
        self._index = {combo: i for i, combo in enumerate(self.combos_)}
        self.k_ = len(self.combos_)
        self.n_channels_ = channels
        self.n_positions_ = A.shape[2]
        self.filter_labels_ = filter_labels
        self.labels_ = rank[np.asarray(inverse).reshape(-1)]
        return self.labels_

    def predict_filters(self, A: Any) -> np.ndarray:
        """Each filter's cluster id per sample, ``[n, channels]``."""
        if not hasattr(self, "filters_"):
            raise ClusteringError(f"the clusterer for layer {self.name!r} is not fitted yet; call fit() first")
        A = self._as_maps(A)
        if A.shape[1:] != (self.n_channels_, self.n_positions_):
            raise ClusteringError(
                f"layer {self.name!r} was fitted on [n, {self.n_channels_}, {self.n_positions_}] maps but got "
                f"[n, {A.shape[1]}, {A.shape[2]}]; pass the same layer's per-filter activations"
            )
        out = np.zeros(A.shape[:2], dtype=np.int64)
        for c, clusterer in enumerate(self.filters_):
            if clusterer is not None:
                out[:, c] = clusterer.predict(A[:, c, :])
        return out

    def predict(self, A: Any) -> np.ndarray:
        """The combination (node) id of each sample; unseen combinations go to the nearest seen one."""
        filter_labels = self.predict_filters(A)
        ids = np.array([self._index.get(tuple(int(v) for v in row), -1) for row in filter_labels], dtype=np.int64)
        unseen = np.flatnonzero(ids < 0)
        if len(unseen):
            mismatches = (filter_labels[unseen, None, :] != self.combo_array_[None, :, :]).sum(axis=2)
            ids[unseen] = mismatches.argmin(axis=1)  # ties: the lowest id, i.e. the most frequent combination
        return ids

    def _as_maps(self, A: Any) -> np.ndarray:
        A = np.asarray(A, dtype=np.float64)
        if A.ndim > 3:
            A = A.reshape(A.shape[0], A.shape[1], -1)
        if A.ndim != 3:
            raise ClusteringError(
                f"per-filter clustering of layer {self.name!r} needs [n, channels, positions] activations, got "
                f"{A.ndim}-D; collect them with conv='per_filter', or use LayerClusterer for dense layers"
            )
        if not np.isfinite(A).all():
            raise ClusteringError(f"layer {self.name!r}'s activations contain NaN or infinite values")
        return A


def _as_matrix(A: Any, name: str) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim == 1:
        A = A[:, None]
    elif A.ndim > 2:
        A = A.reshape(len(A), -1)
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise ClusteringError(f"layer {name!r} has no activations to cluster (shape {A.shape})")
    if not np.isfinite(A).all():
        raise ClusteringError(
            f"layer {name!r}'s activations contain NaN or infinite values; check the model and its inputs"
        )
    return A


def _ward_tree(A: np.ndarray) -> np.ndarray:
    from scipy.cluster.hierarchy import ward

    return ward(A)


def _cut_tree(Z: np.ndarray, k: int) -> np.ndarray:
    """Flat labels with exactly ``k`` clusters from a scipy linkage matrix (undo its last ``k-1`` merges)."""
    n = len(Z) + 1
    merges = n - k  # merges kept
    label = np.full(2 * n - 1, -1, dtype=np.int64)
    roots = set(range(n + merges))  # leaves and kept merged clusters that are nobody's child
    for i in range(merges):
        roots.discard(int(Z[i, 0]))
        roots.discard(int(Z[i, 1]))
    for new, root in enumerate(sorted(roots)):
        label[root] = new
    for i in range(merges - 1, -1, -1):  # top down: children inherit the label of the cluster they merged into
        label[int(Z[i, 0])] = label[int(Z[i, 1])] = label[n + i]
    return label[:n]


def _birch(A: np.ndarray, k: int) -> np.ndarray:
    """BIRCH with its subcluster radius scaled to the data, shrunk until there are at least ``k`` subclusters."""
    from sklearn.cluster import Birch

    threshold = 0.5 * float(np.sqrt(((A - A.mean(axis=0)) ** 2).sum(axis=1).mean()))
    for _ in range(12):
        model = Birch(threshold=threshold, n_clusters=None).fit(A)
        if len(model.subcluster_centers_) >= k:
            break
        threshold /= 2
    model.set_params(n_clusters=k)
    model.partial_fit()  # only the global step: group the subclusters into k clusters
    return model.predict(A)


def _silhouette(A: np.ndarray, labels: np.ndarray, seed: int) -> float:
    from sklearn.metrics import silhouette_score

    if not 2 <= len(np.unique(labels)) < len(A):
        return -1.0
    size = min(len(A), _SILHOUETTE_ROWS)
    return float(silhouette_score(A, labels, sample_size=size, random_state=seed))


def _nearest(A: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid per row, in blocks so memory stays bounded."""
    norms = (centroids**2).sum(axis=1)
    out = np.empty(len(A), dtype=np.int64)
    step = max(1, 2**22 // max(1, len(centroids)))
    for start in range(0, len(A), step):
        block = A[start : start + step]
        out[start : start + step] = (norms[None, :] - 2.0 * block @ centroids.T).argmin(axis=1)
    return out
