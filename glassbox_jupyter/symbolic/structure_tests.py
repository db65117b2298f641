"""Structure hypotheses as stencils: finite combinations of teacher values that vanish when one holds.

Each hypothesis picks ``samples`` random stencils (points in the box, other inputs held at a random
row) and coefficients ``c`` such that ``sum_i c_i u(x_i) = 0`` exactly when the hypothesis holds,
``u`` being the teacher's output or a transform of it (``log|f|``, or ``G^-1(f)`` for an outer
function ``G``):

- ``additive`` in (x, y): ``u(x1,y1) - u(x1,y2) - u(x2,y1) + u(x2,y2)``, x1, x2, y1, y2 uniform;
- ``difference`` / ``ratio`` / ``product`` / ``radius``: ``u(p) - u(p')`` with ``p'`` moved along the
  level set of ``x - y`` (``x+a, y+a``), ``x / y`` (``x s, y s``), ``x y`` (``x s, y / s``) or
  ``x^2 + y^2`` (rotated about the origin); moves that leave the box are rejected;
- ``irrelevant`` x: ``u(p) - u(p with x redrawn)``;
- ``linear`` in x: ``u(x1) - 2 u((x1+x3)/2) + u(x3)``.

Under the null hypothesis a residual is only the teacher's noise: ``noise`` (the error floor,
:mod:`~glassbox_jupyter.symbolic.structure_floor`) carried through the transform (``|du/df| noise`` per
point) and the coefficients, so its variance is ``v_s = sum_i c_i^2 (du/df_i)^2 noise^2``. The
statistic is the residuals' RMS with each stencil weighted by its precision ``1 / v_s`` (equal weights
for the identity; for ``log|f|`` the stencils where f is near 0, whose noise the log magnifies, do not
drown the others), ``floor`` the same weighted RMS of ``sqrt(v_s)``. The verdict is

    holds  <=>  statistic <= K_SIGMA * floor + EPS_REL * roundoff_scale

with ``K_SIGMA = 4``: for 100+ stencils of roughly Gaussian noise the RMS lands within a few percent
of ``floor``, so 4 leaves room for the floor estimate being off by the factor 2-3 its own tests
allow and for non-Gaussian (kinked, periodic) noise, while a broken hypothesis gives residuals of the
order of the output's own variation. ``EPS_REL`` (1e-9 of the stencil's ``sum |c_i u_i|``) absorbs
float64 roundoff for an exact teacher whose measured floor is 0. A test whose tolerance is more than
a tenth of the transformed output's spread cannot reject anything and is refused (``holds=None``),
as is a transform outside its domain (``log`` of a sign-changing output, ``arcsin`` beyond 1 ...).

``distill(held_out=...)`` runs them through :func:`structure.find_structure`; :meth:`StructureTest.splits` is
the stricter level at which a structure splits the search (:mod:`stitching`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

K_SIGMA = 4.0
#: The stricter level a structure must meet to split the search (``StructureTest.splits``).
SPLIT_SIGMA = 1.0
EPS_REL = 1e-9
#: A test is refused when its tolerance exceeds this fraction of the transformed output's spread.
MAX_TOLERANCE_FRACTION = 0.1

PAIR_HYPOTHESES = ("additive", "difference", "ratio", "product", "radius")
SINGLE_HYPOTHESES = ("irrelevant", "linear")

#: name -> (u = G^-1(f), |du/df|, domain check on f, the domain in words)
Transform = tuple[
    Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], bool], str
]


def _one_sign(y: np.ndarray) -> bool:
    return bool(np.all(y > 0) or np.all(y < 0))


TRANSFORMS: dict[str, Transform] = {
    "identity": (lambda y: y, np.ones_like, lambda y: True, "any"),
    "log|f|": (lambda y: np.log(np.abs(y)), lambda y: 1 / np.abs(y), _one_sign, "f of one sign"),
}
#: outer functions G of f = G(u), by name: u = G^-1(f), as above.
OUTER_FUNCTIONS: dict[str, Transform] = {
    "sqrt": (np.square, lambda y: 2 * np.abs(y), lambda y: bool(np.all(y >= 0)), "f >= 0"),
    "square": (np.sqrt, lambda y: 0.5 / np.sqrt(y), lambda y: bool(np.all(y > 0)), "f > 0"),
    "exp": (np.log, lambda y: 1 / y, lambda y: bool(np.all(y > 0)), "f > 0"),
    "log": (np.exp, np.exp, lambda y: bool(np.all(y < 700)), "f < 700"),
    "sin": (np.arcsin, lambda y: 1 / np.sqrt(1 - y**2), lambda y: bool(np.all(np.abs(y) < 1)), "|f| < 1"),
    "arcsin": (np.sin, lambda y: np.abs(np.cos(y)), lambda y: bool(np.all(np.abs(y) <= np.pi / 2)), "|f| <= pi/2"),
    "inverse": (lambda y: 1 / y, lambda y: 1 / y**2, _one_sign, "f of one sign"),
}


@dataclass
class StructureTest:
    """One hypothesis tested on the teacher: statistic, tolerance, verdict and evidence."""

    hypothesis: str  # one of PAIR_HYPOTHESES or SINGLE_HYPOTHESES
    inputs: tuple[str, ...]
    transform: str  # "identity", "log|f|" (multiplicative) or an outer function's name
    holds: bool | None  # None: refused (see reason)
    statistic: float  # RMS of the stencil residuals
    floor: float  # the error floor carried to the statistic (its RMS under the hypothesis)
    tolerance: float  # K_SIGMA * floor + EPS_REL * roundoff scale
    samples: int  # stencils
    evaluations: int  # teacher evaluations behind them
    reason: str = ""
    spread: float = np.nan  # the transformed output's spread on the stencils
    roundoff: float = 0.0  # the EPS_REL part of the tolerance

    def splits(self) -> bool:
        """Whether the structure is clear enough to split the search on: the statistic within
        ``SPLIT_SIGMA`` floors (not ``K_SIGMA``), a tolerance small enough against the spread to reject.

        A network's error is smooth, and a stencil cancels most of it: on true structure the statistic lands
        well under one floor (0.2-0.4 on the Feynman teachers), while broken structures land above one or
        two. ``holds`` (4 floors) is the report's verdict, made never to reject a structure the learned law
        has; a split only guides a search whose stitched equation is measured like any other, so it asks for
        the clearer case and leaves the near ones to the direct search.
        """
        tolerance = SPLIT_SIGMA * self.floor + self.roundoff
        if not (np.isfinite(self.statistic) and np.isfinite(tolerance) and np.isfinite(self.spread)):
            return False
        return self.statistic <= tolerance and tolerance <= MAX_TOLERANCE_FRACTION * self.spread

    def to_dict(self) -> dict[str, Any]:
        return {
            "hypothesis": self.hypothesis,
            "inputs": list(self.inputs),
            "transform": self.transform,
            "holds": self.holds,
            "statistic": self.statistic,
            "floor": self.floor,
            "tolerance": self.tolerance,
            "k_sigma": K_SIGMA,
            "samples": self.samples,
            "evaluations": self.evaluations,
            "reason": self.reason,
            "splits": self.splits(),
        }


@dataclass
class Stencils:
    """Stencil points ``[n, s, d]``, their coefficients ``[s]`` and the teacher's values ``[n, s]``."""

    hypothesis: str
    columns: tuple[int, ...]
    points: np.ndarray
    coefficients: np.ndarray
    values: np.ndarray
    reason: str = ""


class Box:
    """Where stencils are drawn: bounds per input and, optionally, rows to hold other inputs at."""

    def __init__(self, low: np.ndarray, high: np.ndarray, rows: np.ndarray | None = None) -> None:
        self.low, self.high, self.rows = np.asarray(low, float), np.asarray(high, float), rows

    def base(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.rows is not None:
            return self.rows[rng.integers(0, len(self.rows), n)].astype(float)
        return self.low + (self.high - self.low) * rng.random((n, len(self.low)))

    def uniform(self, rng: np.random.Generator, column: int, n: int) -> np.ndarray:
        return rng.uniform(self.low[column], self.high[column], n)

    def inside(self, points: np.ndarray) -> np.ndarray:
        return np.all((points >= self.low) & (points <= self.high), axis=-1)


def _moved(hypothesis: str, box: Box, rng: np.random.Generator, x: np.ndarray, y: np.ndarray, i: int, j: int) -> Any:
    n = len(x)
    if hypothesis == "difference":
        a = rng.uniform(-1, 1, n) * min(box.high[i] - box.low[i], box.high[j] - box.low[j]) / 2
        return x + a, y + a
    if hypothesis == "ratio":
        s = np.exp(rng.uniform(-0.5, 0.5, n))
        return x * s, y * s
    if hypothesis == "product":
        s = np.exp(rng.uniform(-0.5, 0.5, n))
        return x * s, y / s
    theta = rng.uniform(-0.5, 0.5, n)  # radius: rotate about the origin
    return x * np.cos(theta) - y * np.sin(theta), x * np.sin(theta) + y * np.cos(theta)


def draw_stencils(
    f: Callable[[np.ndarray], np.ndarray],
    box: Box,
    hypothesis: str,
    columns: tuple[int, ...],
    samples: int,
    seed: int | Sequence[int],
) -> Stencils:
    """Draw ``samples`` stencils of ``hypothesis`` on ``columns`` and evaluate ``f`` on them."""
    rng = np.random.default_rng(seed)
    d = len(box.low)
    if hypothesis == "additive":
        i, j = columns
        base = box.base(rng, samples)
        x1, x2, y1, y2 = (box.uniform(rng, c, samples) for c in (i, i, j, j))
        points = np.repeat(base[:, None, :], 4, axis=1)
        points[:, :, i] = np.stack([x1, x1, x2, x2], axis=1)
        points[:, :, j] = np.stack([y1, y2, y1, y2], axis=1)
        coefficients = np.array([1.0, -1.0, -1.0, 1.0])
    elif hypothesis in ("irrelevant", "linear"):
        (i,) = columns
        base = box.base(rng, samples)
        t1, t3 = box.uniform(rng, i, samples), box.uniform(rng, i, samples)
        ts = [base[:, i], t1] if hypothesis == "irrelevant" else [t1, (t1 + t3) / 2, t3]
        points = np.repeat(base[:, None, :], len(ts), axis=1)
        points[:, :, i] = np.stack(ts, axis=1)
        coefficients = np.array([1.0, -1.0]) if hypothesis == "irrelevant" else np.array([1.0, -2.0, 1.0])
    else:
        i, j = columns
        base = box.base(rng, 8 * samples)
        moved = base.copy()
        moved[:, i], moved[:, j] = _moved(hypothesis, box, rng, base[:, i], base[:, j], i, j)
        keep = np.flatnonzero(box.inside(moved))[:samples]
        points = np.stack([base[keep], moved[keep]], axis=1)
        coefficients = np.array([1.0, -1.0])
        if len(keep) < max(8, samples // 4):
            reason = f"only {len(keep)} of {8 * samples} moves along the level sets stay inside the box"
            return Stencils(hypothesis, columns, points, coefficients, np.empty((0, 2)), reason)
    values = np.asarray(f(points.reshape(-1, d)), dtype=float).reshape(points.shape[:2])
    return Stencils(hypothesis, columns, points, coefficients, values)


def verdict(stencils: Stencils, noise: float, names: tuple[str, ...], transform: str = "identity") -> StructureTest:
    """Decide a hypothesis on drawn stencils, the target transformed by ``transform``."""
    inverse, slope, in_domain, domain = TRANSFORMS.get(transform) or OUTER_FUNCTIONS[transform]
    y, c = stencils.values, stencils.coefficients
    inputs = tuple(names[k] for k in stencils.columns)

    def refused(reason: str) -> StructureTest:
        n = len(y)
        return StructureTest(stencils.hypothesis, inputs, transform, None, np.nan, np.nan, np.nan, n, y.size, reason)

    if stencils.reason:
        return refused(stencils.reason)
    if not in_domain(y):
        return refused(f"the {transform} transform needs {domain}")
    with np.errstate(all="ignore"):
        u, du = inverse(y), slope(y)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(du))):
        return refused(f"the {transform} transform is not finite on the stencils")
    with np.errstate(all="ignore"):
        residuals = u @ c
        variance = (du**2) @ (c**2)  # per stencil, over noise^2: its residual's variance under the hypothesis
        # stencils weighted by their precision, so a transform that magnifies the noise somewhere (log|f| near
        # f = 0) does not drown the stencils where it does not; with equal slopes the weights are equal
        weights = 1 / np.maximum(variance, np.finfo(float).tiny)
        weights = weights / weights.sum()
        statistic = float(np.sqrt(weights @ residuals**2))
        floor = float(noise * np.sqrt(weights @ variance))
        roundoff = float(np.sqrt(weights @ (np.abs(u) @ np.abs(c)) ** 2))
        mean = float(weights @ u.mean(axis=1))
        spread = float(np.sqrt(weights @ ((u - mean) ** 2).mean(axis=1)))
    if not all(np.isfinite(v) for v in (statistic, floor, roundoff, spread)):
        return refused(f"the {transform} transform overflows on the stencils")
    tolerance = K_SIGMA * floor + EPS_REL * roundoff
    if tolerance > MAX_TOLERANCE_FRACTION * spread:
        test = refused(f"the floor ({floor:.3g} on this statistic) is too large against the spread for a verdict")
        test.statistic, test.floor, test.tolerance = statistic, floor, tolerance
        test.spread, test.roundoff = spread, EPS_REL * roundoff
        return test
    holds = statistic <= tolerance
    return StructureTest(
        stencils.hypothesis,
        inputs,
        transform,
        holds,
        statistic,
        floor,
        tolerance,
        len(y),
        y.size,
        "",
        spread,
        EPS_REL * roundoff,
    )
