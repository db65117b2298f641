"""Drawing inputs from an InputSpec: space-filling designs, random draws, or real rows with jitter.

Used by probes and by a callable teacher's behaviour fingerprint.

Example:
    >>> spec = InputSpec(["a", "b"], low=0, high=1)
    >>> sample_inputs(spec, 4, "sobol").shape
    (4, 2)
"""

from __future__ import annotations

import warnings

import numpy as np

from glassbox_jupyter.errors import EmptyProbeError
from glassbox_jupyter.teacher.spec import InputSpec

METHODS = ("sobol", "lhs", "uniform", "gaussian", "data")


def sample_inputs(spec: InputSpec, n: int, method: str = "sobol", seed: int = 0, jitter: float = 0.01) -> np.ndarray:
    """Draw ``n`` input rows from ``spec``.

    Methods: ``sobol`` (scrambled Sobol, low discrepancy), ``lhs`` (Latin hypercube),
    ``uniform`` (i.i.d. in the bounds), ``gaussian`` (``spec.mean``/``spec.std``, clipped to the
    bounds when there are any) and ``data`` (rows of ``spec.data`` resampled with Gaussian jitter
    of ``jitter`` × each feature's std).
    """
    if method not in METHODS:
        raise ValueError(f"unknown probe method {method!r}; choose one of {METHODS}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise EmptyProbeError(f"a probe needs at least one input; got n={n!r}. Pass n >= 1")
    rng = np.random.default_rng(seed)
    d = spec.width
    if method in ("sobol", "lhs", "uniform"):
        if spec.low is None:
            raise ValueError(f"method {method!r} needs bounds in the spec (low/high)")
        if method == "sobol":
            from scipy.stats import qmc

            with warnings.catch_warnings():  # n need not be a power of 2 for our use
                warnings.simplefilter("ignore", UserWarning)
                unit = qmc.Sobol(d, scramble=True, seed=rng).random(n)
        elif method == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d, seed=rng).random(n)
        else:
            unit = rng.random((n, d))
        low, high = np.asarray(spec.low), np.asarray(spec.high)
        scaled: np.ndarray = low + unit * (high - low)
        return scaled
    if method == "gaussian":
        X = rng.normal(np.asarray(spec.mean), np.asarray(spec.std), size=(n, d))
        if spec.low is not None:
            X = np.clip(X, spec.low, spec.high)
        return X
    if spec.data is None or len(spec.data) == 0:
        raise ValueError(
            "method 'data' resamples real inputs, but the spec carries none; build it with "
            "InputSpec.from_data(X) or choose method='sobol'"
        )
    rows = spec.data[rng.integers(0, len(spec.data), size=n)]
    scale = np.asarray(spec.std) * jitter
    return rows + rng.normal(0.0, 1.0, size=rows.shape) * scale
