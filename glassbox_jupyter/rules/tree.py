"""A small, readable decision tree (extracted from scikit-learn) and its IF/ELSE rules.

GlassBox keeps its own copy of the fitted tree so thresholds can be rounded to readable values
and sibling leaves with the same prediction merged, without touching scikit-learn internals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Node:
    """A split (``feature``, ``threshold``: ``x <= threshold`` goes left) or a leaf (``value``)."""

    feature: int = -1
    threshold: float = math.nan
    left: Node | None = None
    right: Node | None = None
    value: np.ndarray = field(default_factory=lambda: np.zeros(1))  # class counts or the mean

    @property
    def is_leaf(self) -> bool:
        return self.left is None

    @property
    def children(self) -> tuple[Node, Node]:
        """``(left, right)`` of a split (a split always has both; a leaf has neither)."""
        if self.left is None or self.right is None:
            raise ValueError("a leaf has no children")
        return self.left, self.right


def from_sklearn(estimator: Any) -> Node:
    """Copy a fitted scikit-learn decision tree into :class:`Node` objects."""
    tree = estimator.tree_

    def build(i: int) -> Node:
        value = np.array(tree.value[i][0], dtype=float)
        if tree.children_left[i] == -1:
            return Node(value=value)
        return Node(
            feature=int(tree.feature[i]),
            threshold=float(tree.threshold[i]),
            left=build(int(tree.children_left[i])),
            right=build(int(tree.children_right[i])),
            value=value,
        )

    return build(0)


def leaf_index(root: Node, X: np.ndarray) -> np.ndarray:
    """For each row, the position of its leaf in :func:`leaves` order."""
    order = {id(leaf): k for k, leaf in enumerate(leaves(root))}
    out = np.empty(len(X), dtype=int)
    stack = [(root, np.arange(len(X)))]
    while stack:
        node, rows = stack.pop()
        if node.is_leaf:
            out[rows] = order[id(node)]
            continue
        goes_left = X[rows, node.feature] <= node.threshold
        left, right = node.children
        stack.append((left, rows[goes_left]))
        stack.append((right, rows[~goes_left]))
    return out


def leaves(root: Node) -> list[Node]:
    """Leaves, left to right."""
    if root.is_leaf:
        return [root]
    left, right = root.children
    return leaves(left) + leaves(right)


def splits(root: Node) -> list[Node]:
    if root.is_leaf:
        return []
    left, right = root.children
    return [root, *splits(left), *splits(right)]


def paths(root: Node) -> list[list[tuple[int, str, float]]]:
    """For each leaf (left to right), the conditions on the way: ``(feature, "<=" or ">", threshold)``."""
    if root.is_leaf:
        return [[]]
    left, right = root.children
    return [[(root.feature, "<=", root.threshold), *p] for p in paths(left)] + [
        [(root.feature, ">", root.threshold), *p] for p in paths(right)
    ]


def merge_same_leaves(root: Node, same: Callable[[np.ndarray, np.ndarray], bool]) -> Node:
    """Collapse splits whose two leaves predict the same thing (predictions are unchanged)."""
    if root.is_leaf:
        return root
    left, right = root.children
    root.left = merge_same_leaves(left, same)
    root.right = merge_same_leaves(right, same)
    if root.left.is_leaf and root.right.is_leaf and same(root.left.value, root.right.value):
        return Node(value=root.value)  # the parent already holds the pooled prediction
    return root


def nice_values(threshold: float, span: float) -> list[float]:
    """Rounder numbers near ``threshold`` (within 2% of the feature's range), roundest first."""
    if not math.isfinite(threshold) or span <= 0:
        return []
    out = []
    top = math.floor(math.log10(span))
    for exponent in range(top, top - 4, -1):
        for step in (10.0**exponent, 5 * 10.0 ** (exponent - 1)):
            candidate = round(round(threshold / step) * step, 10)
            if abs(candidate - threshold) <= 0.02 * span and candidate not in out:
                out.append(candidate)
    return out


def merge_intervals(conditions: list[tuple[int, str, float]]) -> dict[int, tuple[float, float]]:
    """Per feature, the interval ``(low, high]`` the conditions allow."""
    bounds: dict[int, tuple[float, float]] = {}
    for feature, op, threshold in conditions:
        low, high = bounds.get(feature, (-math.inf, math.inf))
        if op == "<=":
            high = min(high, threshold)
        else:
            low = max(low, threshold)
        bounds[feature] = (low, high)
    return bounds
