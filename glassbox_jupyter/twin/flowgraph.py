"""The sequential information system and its rough-set flow graph (Pawlak).

The information system (SIS) has one row per sample and one column per chosen layer, holding the sample's
cluster id in that layer, then ``"class"``: the model's predicted class. An optional ``"true"`` column keeps
the true label for reference; it is not part of the flow graph.

In the flow graph, node ``"<column>:<value>"`` is the set of samples with that value in that column, and an
edge joins nodes of consecutive columns. From the ``s`` samples on an edge ``n → n′`` out of ``N``:
strength ``s/N``, certainty ``s/|n|`` (= P(n′ | n)), covering ``s/|n′|`` (= P(n | n′)) and confidence
``2·cer·cov/(cer+cov)`` (their harmonic mean). Along a path ``x₁ … x_k`` certainties and coverings multiply,
and its strength is ``σ(x₁)·cer(x₁ … x_k) = σ(x_k)·cov(x₁ … x_k)`` (Pawlak's flow-conservation rule, an
estimate: :func:`path_support` counts the samples that really follow the whole path).

Example
-------
>>> import numpy as np
>>> from glassbox_jupyter.twin.flowgraph import flow_graph, information_system, path_coefficients
>>> sis = information_system({"fc1": np.array([0, 0, 1, 1])}, predicted=np.array([0, 1, 1, 1]))
>>> G = flow_graph(sis)
>>> G.edges["fc1:0", "class:1"]["certainty"], G.edges["fc1:0", "class:1"]["covering"]
(0.5, 0.3333333333333333)
>>> path_coefficients(G, ["fc1:1", "class:1"])["strength"]
0.5
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.errors import GlassboxError, SelectionError

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = [
    "CLASS_COLUMN",
    "TRUE_COLUMN",
    "FlowGraphError",
    "PathError",
    "flow_graph",
    "information_system",
    "node_id",
    "path_coefficients",
    "path_support",
]

CLASS_COLUMN = "class"
TRUE_COLUMN = "true"


class FlowGraphError(GlassboxError, ValueError):
    """An information system or flow graph that cannot be built as asked."""


class PathError(FlowGraphError, SelectionError):
    """A path that is not a path of the flow graph (unknown node, skipped layer, missing edge)."""


def node_id(column: str, value: Any) -> str:
    """The flow-graph node id of ``value`` in ``column``: ``"<column>:<value>"``."""
    return f"{column}:{_plain(value)}"


def information_system(
    labels: Mapping[str, Any],
    predicted: Any,
    true: Any = None,
    class_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per sample: each layer's cluster id (in the given order), then ``"class"``, then maybe ``"true"``.

    ``predicted`` and ``true`` are class ids (e.g. ``logits.argmax(1)``); with ``class_names`` they are
    written as names. ``df.attrs`` keeps ``layers`` and ``class_names``.

    Example
    -------
    >>> import numpy as np
    >>> information_system({"conv1": np.array([2, 0])}, np.array([1, 0]), class_names=["cat", "dog"]).values.tolist()
    [[2, 'dog'], [0, 'cat']]
    """
    import pandas as pd

    if not labels:
        raise FlowGraphError("no layer labels given; pass {layer name: cluster id per sample}")
    pred = _class_values(predicted, class_names, "predicted")
    n = len(pred)
    columns: dict[str, np.ndarray] = {}
    for name, values in labels.items():
        name = str(name)
        if name in (CLASS_COLUMN, TRUE_COLUMN):
            raise FlowGraphError(f"a layer may not be called {name!r} (that column is reserved); rename it")
        array = np.asarray(values)
        if array.ndim != 1:
            raise FlowGraphError(
                f"layer {name!r} needs one cluster id per sample (1-D), got shape {array.shape}; cluster the "
                "activations first"
            )
        if len(array) != n:
            raise FlowGraphError(f"layer {name!r} has {len(array)} cluster ids but there are {n} predictions")
        columns[name] = array
    columns[CLASS_COLUMN] = pred
    if true is not None:
        truth = _class_values(true, class_names, "true")
        if len(truth) != n:
            raise FlowGraphError(f"true has {len(truth)} labels but there are {n} predictions")
        columns[TRUE_COLUMN] = truth
    frame = pd.DataFrame(columns)
    frame.attrs["layers"] = [str(name) for name in labels]
    frame.attrs["class_names"] = list(class_names) if class_names is not None else None
    return frame


def flow_graph(
    sis: pd.DataFrame,
    columns: Sequence[str] | None = None,
    node_labels: Mapping[str, Mapping[Any, Any]] | None = None,
) -> nx.DiGraph:
    """Pawlak's flow graph of ``sis`` over ``columns`` (default: every column but ``"true"``, in order).

    Nodes carry ``layer``, ``layer_index``, ``cluster``, ``support`` (sample count) and ``share``
    (support/N), plus ``label`` when ``node_labels[column][value]`` gives one (e.g. a filter-cluster tuple).
    Edges carry ``count``, ``strength``, ``certainty``, ``covering`` and ``confidence``. Graph attributes:
    ``columns`` and ``n_samples``.

    Example
    -------
    >>> import numpy as np
    >>> G = flow_graph(information_system({"fc1": np.array([0, 1, 1])}, np.array([0, 0, 1])))
    >>> G.nodes["fc1:1"]["support"], G.edges["fc1:1", "class:0"]["confidence"]
    (2, 0.5)
    """
    import networkx as nx

    if columns is None:
        columns = [str(c) for c in sis.columns if c != TRUE_COLUMN]
    columns = list(columns)
    unknown = [c for c in columns if c not in sis.columns]
    if unknown:
        raise FlowGraphError(f"columns {unknown} are not in the information system; it has {list(sis.columns)}")
    if len(set(columns)) != len(columns):
        raise FlowGraphError(f"columns {columns} repeat a column; give each once")
    if len(columns) < 2:
        raise FlowGraphError("a flow graph needs at least two columns (a layer and the class)")
    n = len(sis)
    if n == 0:
        raise FlowGraphError("the information system has no rows")
    if sis[columns].isna().to_numpy().any():
        raise FlowGraphError("the information system has missing values; every sample needs a value in each column")

    graph = nx.DiGraph(columns=columns, n_samples=n)
    support: dict[str, int] = {}
    for index, column in enumerate(columns):
        labels = (node_labels or {}).get(column, {})
        counts = sis[column].value_counts(sort=False)
        for value, count in sorted(counts.items(), key=lambda item: _sort_key(item[0])):
            node = node_id(column, value)
            attrs = {"layer": column, "layer_index": index, "cluster": _plain(value), "support": int(count)}
            attrs["share"] = int(count) / n
            if value in labels:
                attrs["label"] = labels[value]
            graph.add_node(node, **attrs)
            support[node] = int(count)
    for source, target in itertools.pairwise(columns):
        pairs = sis.groupby([source, target], sort=False).size()
        for (a, b), count in sorted(pairs.items(), key=lambda item: (_sort_key(item[0][0]), _sort_key(item[0][1]))):
            u, v = node_id(source, a), node_id(target, b)
            s = int(count)
            certainty, covering = s / support[u], s / support[v]
            graph.add_edge(
                u,
                v,
                count=s,
                strength=s / n,
                certainty=certainty,
                covering=covering,
                confidence=2 * certainty * covering / (certainty + covering),
            )
    return graph


def path_coefficients(G: nx.DiGraph, path: Sequence[str]) -> dict[str, float]:
    """Pawlak's certainty, coverage and strength of a path through consecutive layers.

    ``certainty`` = ∏ edge certainty, ``coverage`` = ∏ edge covering, ``strength`` = σ(start)·certainty.
    A one-node path has certainty and coverage 1 and strength σ(node). Raises :class:`PathError` on an
    unknown node, a skipped or repeated layer, or a missing edge.

    Example
    -------
    >>> import numpy as np
    >>> G = flow_graph(information_system({"fc1": np.array([0, 0, 1])}, np.array([0, 1, 1])))
    >>> path_coefficients(G, ["fc1:0", "class:1"])
    {'certainty': 0.5, 'coverage': 0.5, 'strength': 0.3333333333333333}
    """
    nodes = _check_path(G, path)
    certainty = coverage = 1.0
    for u, v in itertools.pairwise(nodes):
        certainty *= G.edges[u, v]["certainty"]
        coverage *= G.edges[u, v]["covering"]
    return {"certainty": certainty, "coverage": coverage, "strength": G.nodes[nodes[0]]["share"] * certainty}


def path_support(G: nx.DiGraph, sis: pd.DataFrame, path: Sequence[str]) -> int:
    """How many samples of ``sis`` really follow every node of ``path`` (Pawlak's strength only estimates it)."""
    nodes = _check_path(G, path)
    mask = np.ones(len(sis), dtype=bool)
    for node in nodes:
        attrs = G.nodes[node]
        mask &= np.asarray(sis[attrs["layer"]].to_numpy() == attrs["cluster"], dtype=bool)
    return int(mask.sum())


def _check_path(G: nx.DiGraph, path: Sequence[str]) -> list[str]:
    nodes = [path] if isinstance(path, str) else list(path)
    if not nodes:
        raise PathError("the path is empty; give the node ids in layer order, e.g. ['conv1:3', 'fc1:0', 'class:7']")
    columns = list(G.graph.get("columns", []))
    for node in nodes:
        if node not in G:
            example = next(iter(G.nodes), "layer:0")
            raise PathError(
                f"node {node!r} is not in the flow graph; node ids look like {example!r} (layers: {', '.join(columns)})"
            )
    for u, v in itertools.pairwise(nodes):
        iu, iv = G.nodes[u]["layer_index"], G.nodes[v]["layer_index"]
        if iv != iu + 1:
            after = (
                f"a node of layer {columns[iu + 1]!r}"
                if iu + 1 < len(columns)
                else f"nothing ({u!r} is in the last layer)"
            )
            raise PathError(
                f"a path must visit consecutive layers left to right: {u!r} (layer {G.nodes[u]['layer']!r}) can be "
                f"followed by {after}, not {v!r} (layer {G.nodes[v]['layer']!r})"
            )
        if not G.has_edge(u, v):
            raise PathError(f"no sample goes from {u!r} to {v!r}: the edge is missing, so the path carries no flow")
    return nodes


def _class_values(values: Any, class_names: Sequence[str] | None, what: str) -> np.ndarray:
    array = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values)
    if array.ndim != 1:
        raise FlowGraphError(
            f"{what} must hold one class per sample (1-D), got shape {array.shape}; for scores use .argmax(1)"
        )
    if class_names is None:
        return array
    names = np.asarray(list(class_names), dtype=object)
    if not np.issubdtype(array.dtype, np.integer) or (len(array) and (array.min() < 0 or array.max() >= len(names))):
        raise FlowGraphError(
            f"with class_names, {what} must hold class ids 0..{len(names) - 1}; got values outside that range"
        )
    return names[array]


def _plain(value: Any) -> Any:
    """numpy scalars → Python scalars, so node ids and attributes read the same everywhere."""
    return value.item() if isinstance(value, np.generic) else value


def _sort_key(value: Any) -> tuple[int, Any]:
    value = _plain(value)
    return (0, value) if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, str(value))
