"""Which neurons go into the graph: all of them (up to a cap), the k most variable, or given ids.

Example:
    >>> import numpy as np
    >>> values = np.random.default_rng(0).normal(size=(100, 6)) * [1, 5, 1, 3, 1, 1]
    >>> select_neurons(values, np.arange(6), 2).tolist()
    [1, 3]
    >>> select_neurons(values, np.arange(6), [4, 0]).tolist()
    [0, 4]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.neurons.errors import NeuronSelectionError

__all__ = ["describe_selection", "select_neurons", "standardise"]


def select_neurons(
    values: np.ndarray,
    neuron_ids: Sequence[int] | np.ndarray,
    neurons: int | Sequence[int] | None = None,
    max_neurons: int = 256,
) -> np.ndarray:
    """The ids of the chosen neurons, in increasing order.

    ``neurons=None`` takes every neuron, or the ``max_neurons`` with the largest variance when there are more;
    an int ``k`` takes the ``k`` most variable; a list takes exactly those ids.

    Raises:
        NeuronSelectionError: more neurons than the layer has, unknown or repeated ids.
    """
    ids = np.asarray(neuron_ids, dtype=int)
    available = len(ids)
    if neurons is None:
        if int(max_neurons) < 2:
            raise NeuronSelectionError(f"max_neurons must be at least 2, not {max_neurons}")
        return _top_variance(values, ids, min(int(max_neurons), available))
    if isinstance(neurons, (int, np.integer)) and not isinstance(neurons, bool):
        k = int(neurons)
        if k < 2:
            raise NeuronSelectionError(f"neurons={k}: a graph needs at least 2 neurons; ask for 2 or more")
        if k > available:
            raise NeuronSelectionError(
                f"neurons={k} asks for more neurons than the layer has ({available}, ids {ids.min()}–{ids.max()}); "
                f"pass neurons ≤ {available}, or None for all of them"
            )
        return _top_variance(values, ids, k)
    if isinstance(neurons, (str, bytes, bool)) or not hasattr(neurons, "__iter__"):
        raise NeuronSelectionError(
            f"neurons must be None, an int (the k most variable) or a list of neuron ids, not {neurons!r}"
        )
    wanted = [_as_id(n) for n in neurons]
    if len(wanted) > available:
        raise NeuronSelectionError(
            f"{len(wanted)} neurons requested but the layer has only {available} (ids {ids.min()}–{ids.max()}); "
            "pass fewer ids"
        )
    if len(wanted) < 2:
        raise NeuronSelectionError(f"a graph needs at least 2 neurons; got {wanted}")
    repeated = sorted({n for n in wanted if wanted.count(n) > 1})
    if repeated:
        raise NeuronSelectionError(f"neuron ids {repeated} are listed more than once; give each id once")
    known = set(ids.tolist())
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise NeuronSelectionError(
            f"the layer has no neuron {', '.join(map(str, unknown[:10]))}: its neuron ids run "
            f"{ids.min()}–{ids.max()} ({available} neurons)"
        )
    return np.array(sorted(wanted), dtype=int)


def _as_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise NeuronSelectionError(f"neuron ids must be integers, got {value!r}")
    return int(value)


def _top_variance(values: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    variance = np.asarray(values, dtype=float).var(axis=0)
    order = np.lexsort((ids, -variance))  # largest variance first, ties by id
    return np.sort(ids[order[:k]])


def describe_selection(neurons: Any, chosen: np.ndarray, available: int) -> str:
    """One sentence saying how the neurons were chosen."""
    if neurons is None and len(chosen) == available:
        return f"all {available} neurons of the layer"
    if neurons is None or isinstance(neurons, (int, np.integer)):
        return f"the {len(chosen)} most variable of {available} neurons"
    return f"{len(chosen)} neurons chosen by id"


def standardise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z-scores, means, standard deviations) of the columns; constant columns get z = 0 and std 1."""
    values = np.asarray(values, dtype=float)
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    safe = np.where(std > 0, std, 1.0)
    return (values - mean) / safe, mean, safe
