"""FlowGraphExplorer: walk a readable twin's flow graph; the clicked path syncs back to Python.

Columns are the chosen layers (the predicted class last), nodes their activation clusters, edges the
rough-set flow between clusters of consecutive layers. Each click in the browser writes the node ids of
the path being built to ``_path``; Python checks them, asks the finding for the path's certainty,
coverage and strength (``finding.select_path``) and sends the numbers back.

Example:
    >>> view = twin.widget()                      # doctest: +SKIP
    >>> view._path = ["conv1:3", "conv2:1"]       # what two clicks in the browser do  # doctest: +SKIP
    >>> view.selected_path, twin.selected_path    # doctest: +SKIP
    (('conv1:3', 'conv2:1'), ('conv1:3', 'conv2:1'))
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset
from glassbox_jupyter.widgets.jsonable import jsonable


class FlowGraphExplorer(GlassboxWidget):
    """The flow graph of a readable twin; clicked nodes become ``finding.selected_path``."""

    _esm = static_asset("flow_graph_explorer.js")
    _css = static_asset("flow_graph_explorer.css", optional=True)
    _selection_trait: ClassVar[str] = "_path"

    _data = traitlets.Dict().tag(sync=True)
    _path = traitlets.List(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        self._quiet = False
        super().__init__(_data=jsonable(finding.view_data()), **kwargs)

    def _columns_of_nodes(self) -> tuple[list[str], dict[str, int]]:
        columns = [str(c) for c in self._data.get("columns", [])]
        index = {name: i for i, name in enumerate(columns)}
        nodes: dict[str, int] = {}
        for node in self._data.get("nodes", []):
            ci = node.get("column_index")
            nodes[str(node["id"])] = int(ci) if ci is not None else index.get(str(node.get("column")), -1)
        return columns, nodes

    @traitlets.validate("_path")
    def _check_path(self, proposal: dict[str, Any]) -> Any:
        path = proposal["value"]
        if path is None:
            return path
        columns, nodes = self._columns_of_nodes()
        example = next(iter(nodes), "conv1:0")
        for i, node_id in enumerate(path):
            if not isinstance(node_id, str):
                raise traitlets.TraitError(
                    f"_path[{i}] is {node_id!r}; a path lists node ids (strings like {example!r})"
                )
            if node_id not in nodes:
                raise traitlets.TraitError(
                    f"_path[{i}] {node_id!r} is not a node of the flow graph; node ids look like {example!r} "
                    f"(columns: {', '.join(columns)})"
                )
        for a, b in pairwise(path):
            if nodes[b] != nodes[a] + 1:
                want = columns[nodes[a] + 1] if nodes[a] + 1 < len(columns) else None
                where = f"a node of column {want!r}" if want else f"nothing: {a!r} is in the last column"
                raise traitlets.TraitError(
                    f"_path must run through consecutive columns left to right: {a!r} can be followed by {where}, "
                    f"not {b!r}"
                )
        return list(path)

    @traitlets.observe("_path")
    def _apply_path(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        ids = list(change["new"] or [])
        error = None
        try:
            stats = self._finding.select_path(ids)
        except (ValueError, KeyError) as exc:  # e.g. no edge between two chosen clusters
            stats = None
            error = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        self._push(stats, error)

    def _push(self, stats: Any, error: str | None) -> None:
        data = dict(self._data)
        data.update(
            selected_path=list(self.selected_path),
            path_stats=jsonable(stats) if stats else None,  # {} (an empty path) is no stats
            error=error,
        )
        self._data = data

    def refresh(self) -> None:
        """Send the finding's graph and its selected path again (after changing the finding from Python)."""
        self._data = jsonable(self._finding.view_data())
        selected = list(self.selected_path)
        if (self._path or []) != selected:
            self._write_quietly("_path", selected)

    @property
    def finding(self) -> Any:
        return self._finding

    @property
    def selected_path(self) -> tuple[str, ...]:
        """Node ids of the path chosen in the browser, left to right (read-only; ``()`` when none)."""
        return tuple(self._finding.selected_path or ())

    def __repr__(self) -> str:
        return f"FlowGraphExplorer(selected_path={list(self.selected_path)})"
