"""The one JSON converter: numpy / pandas values inside Findings become plain JSON.

Used for a Finding's ``to_dict()``, its view data and selection (synced widget state must be strict
JSON), and the report. numpy / pandas values become Python numbers, booleans and lists; NaN and
infinities become ``None``.

Example:
    >>> import numpy as np
    >>> jsonable({"w": np.float32(0.5), "hub": np.bool_(True), "ids": np.arange(2), "r2": float("nan")})
    {'w': 0.5, 'hub': True, 'ids': [0, 1], 'r2': None}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def jsonable(value: Any) -> Any:
    """Numbers as plain floats / ints / bools (NaN and inf as None), mappings and sequences recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if getattr(value, "ndim", 0) and hasattr(value, "to_numpy"):  # pandas Series / DataFrame
        return jsonable(value.to_numpy().tolist())
    if getattr(value, "ndim", 0) and hasattr(value, "tolist"):  # numpy arrays (matrices, thumbnails, histograms)
        return jsonable(value.tolist())
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if kind == "b":  # numpy bool
        return bool(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if isinstance(value, int) or kind in ("i", "u"):
        return int(value)
    return number if math.isfinite(number) else None
