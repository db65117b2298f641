"""The teacher's error floor: how much its output varies that no smooth law explains.

Estimator (``error_floor``): at ``probes`` random points of the box, sample ``2p + 8`` points
uniformly in a cube around each (half-width ``h`` times each input's box width) and fit the
teacher there by least squares with a full polynomial of degree ``q`` in the inputs (``p``
coefficients): cubic up to ``CUBIC_MAX_INPUTS`` inputs, quadratic up to ``QUADRATIC_MAX_INPUTS``,
linear beyond (a full polynomial needs too many points in many dimensions). The residual's RMS
(with the degrees-of-freedom correction ``sqrt(SSR / (K - p))``) is ``r(h)``. A smooth law leaves
a residual that shrinks like ``h^(q+1)`` (``q`` the fit's degree); noise, high-frequency wiggles,
ReLU kinks and float roundoff do not shrink. So at two scales ``h`` and ``2h``

    r(h)^2 = noise^2 + c h^(2q+2),    r(2h)^2 = noise^2 + 2^(2q+2) c h^(2q+2)

and the Richardson combination ``(2^(2q+2) r(h)^2 - r(2h)^2) / (2^(2q+2) - 1)`` removes the smooth
part, leaving ``noise^2`` (clipped at 0). The floor is the median of the per-probe values' square
roots, robust to the few probes that straddle a sharp feature (fewer probes, at least 8, for wide
teachers, so the local designs stay within ``FLOOR_VALUES`` input values). ``relative`` divides it by the
output's standard deviation over the box.

It is ~0 (roundoff and the fit's higher-order terms) for an analytic function and, for additive
wiggles of amplitude ``A`` faster than the neighbourhood, about ``A / sqrt(2)`` (their RMS).
Wiggles slower than the cube look smooth to it: the scale bounds what it sees. ``FLOOR_SCALE`` is
therefore as large as a local cubic allows while still fitting analytic laws to about 1e-5 of their
spread (half-widths 8% and 16% of the box): the structure tests move inputs across the whole box, so
the floor should see as much of a network's non-smooth error (ReLU kinks) as it can. A network whose
error against the law is smooth on that scale (tanh, underfitted) has a floor below its real error,
and structure tests on it can reject a hypothesis the law satisfies: a limit of this estimator.

Not yet used by ``distill``: the structure tests (:mod:`glassbox_jupyter.symbolic.structure`) use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from math import comb
from typing import Any

import numpy as np

CUBIC_MAX_INPUTS = 6
QUADRATIC_MAX_INPUTS = 12
#: Half-widths of the local cubes, as fractions of each input's box width: ``h`` and ``2h``.
FLOOR_SCALE = 0.08
#: Input values one scale's local fits may hold (probes x points x inputs): 2^22 float64 are 32 MB.
FLOOR_VALUES = 2**22


@dataclass
class ErrorFloor:
    """The teacher's error floor on one output, with the evidence it was measured on."""

    noise: float  # absolute, in the output's units
    relative: float  # noise / the output's standard deviation over the box
    output_std: float
    scales: tuple[float, float]  # local cube half-widths, fractions of the box widths
    residuals: tuple[float, float]  # median local-fit residual RMS at each scale
    degree: int  # of the local polynomial fit (3, 2 or 1)
    probes: int
    points_per_probe: int
    evaluations: int = field(default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "noise": self.noise,
            "relative": self.relative,
            "output_std": self.output_std,
            "scales": list(self.scales),
            "residuals": list(self.residuals),
            "degree": self.degree,
            "probes": self.probes,
            "points_per_probe": self.points_per_probe,
            "evaluations": self.evaluations,
        }


def _design(z: np.ndarray, degree: int) -> np.ndarray:
    """Every monomial of ``z`` of degree at most ``degree``, as columns: ``[..., K, p]``."""
    terms = [t for q in range(degree + 1) for t in combinations_with_replacement(range(z.shape[-1]), q)]
    return np.stack([np.prod(z[..., list(t)], axis=-1) for t in terms], axis=-1)


def error_floor(
    f: Any,
    low: np.ndarray,
    high: np.ndarray,
    seed: int = 0,
    probes: int = 48,
    scale: float = FLOOR_SCALE,
) -> ErrorFloor:
    """Measure the error floor of ``f`` (``[n, d] -> [n]``) over the box ``[low, high]``.

    Example:
        >>> import numpy as np
        >>> floor = error_floor(lambda X: np.sin(X[:, 0]) + X[:, 1] ** 2, np.zeros(2), np.ones(2))
        >>> floor.noise < 1e-5
        True
    """
    rng = np.random.default_rng(seed)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    width, d = high - low, len(low)
    degree = 3 if d <= CUBIC_MAX_INPUTS else 2 if d <= QUADRATIC_MAX_INPUTS else 1
    p = comb(d + degree, degree)
    k = 2 * p + 8
    probes = max(8, min(probes, FLOOR_VALUES // (k * d)))  # wide teachers: bounded memory
    scales = (scale, 2 * scale)
    centres = low + width * (scales[1] + (1 - 2 * scales[1]) * rng.random((probes, d)))  # cubes inside
    squares = []
    for h in scales:
        z = rng.uniform(-1, 1, (probes, k, d))
        y = np.asarray(f((centres[:, None, :] + z * h * width).reshape(-1, d)), dtype=float).reshape(probes, k)
        design = _design(z, degree)
        ssr = np.empty(probes)
        for i in range(probes):  # probes are few; lstsq per probe keeps memory at one design
            coef, *_ = np.linalg.lstsq(design[i], y[i], rcond=None)
            ssr[i] = float(np.sum((design[i] @ coef - y[i]) ** 2))
        squares.append(ssr / (k - p))
    ratio = 2.0 ** (2 * degree + 2)
    noise_sq = np.clip((ratio * squares[0] - squares[1]) / (ratio - 1), 0, None)
    noise = float(np.median(np.sqrt(noise_sq)))
    spread = np.asarray(f(low + width * rng.random((256, d))), dtype=float)
    output_std = float(np.std(spread))
    return ErrorFloor(
        noise=noise,
        relative=noise / output_std if output_std > 0 else 0.0,
        output_std=output_std,
        scales=scales,
        residuals=(float(np.median(np.sqrt(squares[0]))), float(np.median(np.sqrt(squares[1])))),
        degree=degree,
        probes=probes,
        points_per_probe=k,
        evaluations=2 * probes * k + 256,
    )
