"""The 8×8 handwritten digits of the ``digits_cnn`` demo, split exactly as it was trained and tested.

The images are scikit-learn's shipped ``load_digits`` (1,797 images, no download), pixels 0–16
scaled to 0–1, shaped ``(n, 1, 8, 8)`` float32. The split is stratified by digit and seeded
(``SPLIT_SEED``): for each digit, a ``numpy.random.default_rng(SPLIT_SEED)`` permutation of its
images sends the first ``round(TEST_FRACTION · count)`` to the test set (450 images), the rest to
training (1,347); both keep the original order of the dataset.

Example:
    >>> from glassbox_jupyter.demos.digits import load_digits_split
    >>> X, y = load_digits_split("test")
    >>> X.shape, X.dtype.name, y[:5].tolist()
    ((450, 1, 8, 8), 'float32', [1, 5, 9, 2, 4])
"""

from __future__ import annotations

import numpy as np

from glassbox_jupyter.errors import GlassboxError

SPLIT_SEED = 0
TEST_FRACTION = 0.25
SIDE = 8
CLASSES = [str(d) for d in range(10)]
#: Flat feature names of the 64 pixels, row-major: ``px_<row>_<column>``.
PIXEL_NAMES = [f"px_{r}_{c}" for r in range(SIDE) for c in range(SIDE)]
SPLITS = ("train", "test", "all")


class UnknownSplitError(GlassboxError, ValueError):
    """A digits split other than ``"train"``, ``"test"`` or ``"all"`` was asked for."""


def held_out_mask(y: np.ndarray, seed: int = SPLIT_SEED, fraction: float = TEST_FRACTION) -> np.ndarray:
    """Boolean mask of the held-out rows: per class, a seeded permutation's first ``round(fraction·count)``."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        mask[rng.permutation(rows)[: round(fraction * len(rows))]] = True
    return mask


def load_digits_split(split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """Images ``X`` ``(n, 1, 8, 8)`` float32 in [0, 1] and digits ``y`` ``(n,)`` int64 of one split.

    ``split`` is ``"test"`` (the 450 held-out images the card's accuracy is measured on),
    ``"train"`` (the 1,347 the demo was trained on) or ``"all"`` (the 1,797 in dataset order).
    """
    if split not in SPLITS:
        raise UnknownSplitError(f"split must be one of {SPLITS}, got {split!r}; use 'test' for the held-out images")
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32).reshape(-1, 1, SIDE, SIDE)
    y = digits.target.astype(np.int64)
    if split == "all":
        return X, y
    mask = held_out_mask(y)
    keep = mask if split == "test" else ~mask
    return X[keep], y[keep]
