"""InputSpec: what a teacher's inputs are (names, units, bounds, distribution, shape).

The spec is given by the user or derived from data the user passes; GlassBox never guesses it
from weights.

Example:
    >>> from glassbox_jupyter import InputSpec
    >>> spec = InputSpec(names=["mass", "speed"], low=[0, 0], high=[10, 3], units=["kg", "m/s"])
    >>> spec.width, spec.label(1)
    (2, 'speed [m/s]')
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DISTRIBUTIONS = ("uniform", "gaussian")
_MAX_KEPT_ROWS = 20_000  # rows of user data kept for resampling probes


def python_names(names: tuple[str, ...]) -> list[str]:
    """Valid, distinct Python identifiers for feature names (``"loan amount"`` → ``loan_amount``).

    Example:
        >>> python_names(("loan amount", "2x", "class"))
        ['loan_amount', '_2x', 'class_']
    """
    out: list[str] = []
    for name in names:
        ident = re.sub(r"\W", "_", name)
        if not ident or ident[0].isdigit():
            ident = f"_{ident}"
        if keyword.iskeyword(ident) or ident in ("numpy", "torch"):
            ident = f"{ident}_"
        base, k = ident, 2
        while ident in out:
            ident, k = f"{base}_{k}", k + 1
        out.append(ident)
    return out


def _as_float_list(values: Any, what: str, width: int) -> tuple[float, ...]:
    array = np.asarray(values, dtype=float).reshape(-1)
    if array.size == 1 and width > 1:
        array = np.full(width, float(array[0]))
    if array.size != width:
        raise ValueError(f"InputSpec: {what} has {array.size} values but there are {width} names")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"InputSpec: {what} must be finite numbers, got {array.tolist()}")
    return tuple(float(v) for v in array)


@dataclass(frozen=True, eq=False, init=False)
class InputSpec:
    """Names, units, bounds and distribution of a teacher's inputs.

    Args:
        names: one name per input feature (the flat feature vector).
        low, high: bounds per feature (a scalar is broadcast). Required for ``uniform``.
        units: optional unit per feature (``None`` entries allowed), shown in every rendering.
        distribution: ``"uniform"`` within the bounds or ``"gaussian"`` with ``mean``/``std``
            (default: the box centre and a quarter of its width).
        mean, std: Gaussian parameters per feature.
        shape: per-sample shape the teacher expects (e.g. ``(1, 28, 28)``); flat vectors are
            reshaped to it before the teacher is called. Default: ``(width,)``.
        dtype: dtype the teacher expects (e.g. ``"float32"``); ``None`` (default) takes the
            teacher's own. A float spec on a teacher with other float weights warns (inputs
            are cast); a non-float spec on a float teacher is an error.

    The constructor accepts flexible inputs (lists, arrays, scalars to broadcast); the attributes
    hold them normalised: tuples of floats, one per feature, and ``shape`` always set.

    Example:
        >>> spec = InputSpec(names=["a", "b"], low=0, high=1)
        >>> spec.to_dict()["high"]
        [1.0, 1.0]
    """

    names: tuple[str, ...]
    low: tuple[float, ...] | None
    high: tuple[float, ...] | None
    units: tuple[str | None, ...] | None
    distribution: str
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    shape: tuple[int, ...]
    dtype: str | None
    data: np.ndarray | None = field(repr=False)

    def __init__(
        self,
        names: Sequence[str],
        low: Sequence[float] | float | None = None,
        high: Sequence[float] | float | None = None,
        units: Sequence[str | None] | None = None,
        distribution: str = "uniform",
        mean: Sequence[float] | float | None = None,
        std: Sequence[float] | float | None = None,
        shape: Sequence[int] | None = None,
        dtype: str | None = None,
        data: np.ndarray | None = None,
    ) -> None:
        checked_names = tuple(names) if not isinstance(names, str) else (names,)
        if not checked_names:
            raise ValueError("InputSpec needs at least one feature name")
        bad = [n for n in checked_names if not isinstance(n, str) or not n.strip()]
        if bad:
            raise ValueError(f"InputSpec: feature names must be non-empty strings, got {bad!r}")
        duplicates = sorted({n for n in checked_names if checked_names.count(n) > 1})
        if duplicates:
            raise ValueError(f"InputSpec: feature names must be unique; repeated: {duplicates}")
        width = len(checked_names)
        set_ = object.__setattr__  # the dataclass is frozen
        set_(self, "names", checked_names)
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"InputSpec: distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
        set_(self, "distribution", distribution)
        low_ = None if low is None else _as_float_list(low, "low", width)
        high_ = None if high is None else _as_float_list(high, "high", width)
        if (low_ is None) != (high_ is None):
            raise ValueError("InputSpec: give both low and high, or neither")
        if low_ is not None and high_ is not None:
            wrong = [n for n, lo, hi in zip(checked_names, low_, high_) if not lo < hi]
            if wrong:
                raise ValueError(f"InputSpec: low must be below high for every feature; not for {wrong}")
        set_(self, "low", low_)
        set_(self, "high", high_)
        mean_ = None if mean is None else _as_float_list(mean, "mean", width)
        std_ = None if std is None else _as_float_list(std, "std", width)
        if std_ is not None and min(std_) <= 0:
            raise ValueError("InputSpec: std must be positive")
        if distribution == "uniform" and low_ is None:
            raise ValueError(
                "InputSpec: a uniform distribution needs bounds; pass low=[...] and high=[...], "
                "or build the spec from data with InputSpec.from_data(X)"
            )
        if distribution == "gaussian" and mean_ is None and low_ is None:
            raise ValueError("InputSpec: a gaussian distribution needs mean/std or low/high")
        if mean_ is None and low_ is not None and high_ is not None:
            mean_ = tuple((lo + hi) / 2 for lo, hi in zip(low_, high_))
        if std_ is None and low_ is not None and high_ is not None:
            std_ = tuple((hi - lo) / 4 for lo, hi in zip(low_, high_))
        set_(self, "mean", mean_)
        set_(self, "std", std_)
        units_ = None
        if units is not None:
            units_ = tuple(None if u in (None, "") else str(u) for u in units)
            if len(units_) != width:
                raise ValueError(f"InputSpec: units has {len(units_)} entries but there are {width} names")
        set_(self, "units", units_)
        shape_ = (width,) if shape is None else tuple(int(s) for s in shape)
        if math.prod(shape_) != width:
            raise ValueError(
                f"InputSpec: shape {shape_} holds {math.prod(shape_)} values but there are {width} "
                "names; give one name per element of the flattened input"
            )
        set_(self, "shape", shape_)
        # np.dtype raises TypeError on an unknown name
        set_(self, "dtype", None if dtype is None else np.dtype(dtype).name)
        data_ = None
        if data is not None:
            data_ = np.array(data, dtype=float).reshape(len(data), -1)
            if data_.shape[1] != width:
                raise ValueError(f"InputSpec: data has {data_.shape[1]} columns but {width} names")
        set_(self, "data", data_)

    @property
    def width(self) -> int:
        """Number of flat input features."""
        return len(self.names)

    def unit(self, index: int) -> str | None:
        """Unit of feature ``index`` (or ``None``)."""
        return None if self.units is None else self.units[index]

    def label(self, index: int) -> str:
        """``"name [unit]"`` for feature ``index``: the text every rendering shows."""
        unit = self.unit(index)
        return self.names[index] if unit is None else f"{self.names[index]} [{unit}]"

    def index(self, name: str) -> int:
        """Position of a feature by name, with a clear error listing the valid names."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no feature named {name!r}; the spec has {list(self.names)}") from None

    @classmethod
    def from_data(
        cls,
        X: Any,
        names: Sequence[str] | None = None,
        units: Sequence[str | None] | None = None,
        distribution: str = "uniform",
        margin: float = 0.0,
    ) -> InputSpec:
        """Derive a spec from example inputs (a 2-D array or a pandas DataFrame).

        Bounds are the observed min/max, widened by ``margin`` (a fraction of the range); mean and
        std are observed too; up to 20,000 rows are kept so probes can resample real data.

        Example:
            >>> import numpy as np
            >>> InputSpec.from_data(np.array([[0.0, 1.0], [2.0, 3.0]])).names
            ('x1', 'x2')
        """
        if names is None and hasattr(X, "columns"):
            names = [str(c) for c in X.columns]
        data = np.asarray(X, dtype=float)
        if data.ndim != 2 or data.shape[0] == 0:
            raise ValueError(
                f"InputSpec.from_data expects a non-empty 2-D array (rows × features), got shape "
                f"{data.shape}; flatten images with X.reshape(len(X), -1) and pass shape=..."
            )
        finite = data[np.all(np.isfinite(data), axis=1)]
        if finite.shape[0] == 0:
            raise ValueError("InputSpec.from_data: every row holds NaN or inf")
        if names is None:
            names = [f"x{i + 1}" for i in range(data.shape[1])]
        low, high = finite.min(axis=0), finite.max(axis=0)
        span = high - low
        flat = span == 0  # a constant feature still gets a (tiny) box around its value
        span = np.where(flat, np.maximum(np.abs(low), 1.0) * 1e-3, span)
        low = low - margin * span - flat * span / 2
        high = high + margin * span + flat * span / 2
        std = finite.std(axis=0)
        std = np.where(std > 0, std, span / 4)
        rng = np.random.default_rng(0)
        kept = (
            finite if len(finite) <= _MAX_KEPT_ROWS else finite[rng.choice(len(finite), _MAX_KEPT_ROWS, replace=False)]
        )
        return cls(
            names=list(names),
            low=low,
            high=high,
            units=units,
            distribution=distribution,
            mean=finite.mean(axis=0),
            std=std,
            data=kept,
        )

    def check(self, X: Any) -> np.ndarray:
        """Return ``X`` as a float 2-D array of this spec's width, or raise a clear error."""
        array = np.asarray(X, dtype=float)
        if array.ndim == 1 and self.width == 1:
            array = array[:, None]
        if array.ndim == len(self.shape) + 1 and array.shape[1:] == self.shape:
            array = array.reshape(len(array), -1)
        if array.ndim != 2 or array.shape[1] != self.width:
            from glassbox_jupyter.errors import ShapeMismatchError

            raise ShapeMismatchError(
                f"inputs have shape {array.shape} but the spec describes {self.width} features "
                f"{list(self.names)[:8]}{'…' if self.width > 8 else ''}; pass an array of shape "
                f"(n, {self.width})"
            )
        return array

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (data rows are summarised, not copied)."""
        return {
            "names": list(self.names),
            "low": None if self.low is None else list(self.low),
            "high": None if self.high is None else list(self.high),
            "units": None if self.units is None else list(self.units),
            "distribution": self.distribution,
            "mean": None if self.mean is None else list(self.mean),
            "std": None if self.std is None else list(self.std),
            "shape": list(self.shape),
            "dtype": self.dtype,
            "data_rows": 0 if self.data is None else len(self.data),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InputSpec:
        """Inverse of :meth:`to_dict` (without data rows)."""
        keys = ("names", "low", "high", "units", "distribution", "mean", "std", "shape", "dtype")
        return cls(**{k: d[k] for k in keys if k in d})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InputSpec):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # unhashable on purpose: equality compares contents

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{n}</td><td>{self.unit(i) or ''}</td>"
            f"<td>{'' if self.low is None else f'{self.low[i]:.4g}'}</td>"
            f"<td>{'' if self.high is None else f'{self.high[i]:.4g}'}</td></tr>"
            for i, n in enumerate(self.names[:50])
        )
        more = f"<p>… and {self.width - 50} more</p>" if self.width > 50 else ""
        return (
            f"<b>InputSpec</b> ({self.width} features, {self.distribution})"
            f"<table><tr><th>feature</th><th>unit</th><th>low</th><th>high</th></tr>{rows}</table>{more}"
        )
