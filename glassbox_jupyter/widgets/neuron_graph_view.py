"""NeuronGraphView: a layer's neuron graph; click a neuron to see the inputs that activate it most.

Nodes are neurons (coloured by community, hubs ringed), edges their partial correlations (blue
positive, red negative). Only the strongest edges are laid out and shown at first (a slider, with a
count, shows more); neurons those edges leave alone sit in a grid under the graph. The selection is the
neuron id; its details are the inputs that activate it most, listed in the side panel. Shows a
NeuronGraphFinding or a topic comparison (one edge set per topic and their differences; the legend says
what each set's blue and red mean, e.g. "partial correlation higher for cooking than for finance").

Example:
    >>> view = finding.widget()          # doctest: +SKIP
    >>> view.request_selection(42)       # what a click on neuron #42 does  # doctest: +SKIP
    >>> view.selected_neuron, finding.selected_neuron  # doctest: +SKIP
    (42, 42)
"""

from __future__ import annotations

from typing import Any

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class NeuronGraphView(GlassboxWidget):
    """Neuron graph with communities and hubs; the clicked neuron becomes ``finding.selected_neuron``."""

    _esm = static_asset("neuron_graph_view.js")
    _css = static_asset("neuron_graph_view.css", optional=True)

    @property
    def selected_neuron(self) -> int | None:
        """The neuron clicked in the browser (its id), or ``None`` (read-only)."""
        finding: Any = self.finding
        selected = finding.selected_neuron
        return None if selected is None else int(selected)
