"""FlowGraphExplorer: walk a readable twin's flow graph; the clicked path syncs back to Python.

Columns are the chosen layers (the predicted class last), nodes their activation clusters, edges the
rough-set flow between clusters of consecutive layers. The selection is the list of node ids of the
path being built; each click asks the finding for the longer (or shorter) path, and the finding sends
the path's certainty, coverage and strength back as the selection's details. A path that is not a
path of the graph is refused with a message naming the fix.

Example:
    >>> view = twin.widget()                                # doctest: +SKIP
    >>> view.request_selection(["conv1:3", "conv2:1"])      # what two clicks in the browser do  # doctest: +SKIP
    >>> view.selected_path, twin.selected_path              # doctest: +SKIP
    (('conv1:3', 'conv2:1'), ['conv1:3', 'conv2:1'])
"""

from __future__ import annotations

from typing import Any

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class FlowGraphExplorer(GlassboxWidget):
    """The flow graph of a readable twin; clicked nodes become ``finding.selected_path``."""

    _esm = static_asset("flow_graph_explorer.js")
    _css = static_asset("flow_graph_explorer.css", optional=True)

    @property
    def selected_path(self) -> tuple[str, ...]:
        """Node ids of the path chosen in the browser, left to right (read-only; ``()`` when none)."""
        finding: Any = self.finding
        return tuple(finding.selected_path or ())
