"""CircuitHeatmap: layer × head attributions; click a head to add it to the circuit or take it out.

The selection is the circuit, a sorted list of ``[layer, head]``; a click asks the finding for the
circuit with that head toggled, the finding re-measures faithfulness by exact ablation and every view
shows the new numbers (the selection's details).

Example:
    >>> view = finding.widget()                       # doctest: +SKIP
    >>> view.request_selection([[0, 1], [1, 2]])     # what clicks in the browser do  # doctest: +SKIP
    >>> finding.circuit                               # doctest: +SKIP
    [(0, 1), (1, 2)]
    >>> view.pinned_head = (1, 0)                     # show L1H0's attention in the side panel  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class CircuitHeatmap(GlassboxWidget):
    """Head attributions as a heatmap; the circuit is outlined and editable by clicking.

    ``pinned_head`` is the head whose attention pattern the side panel shows, ``(layer, head)`` or None: a
    shift-click (Shift+Enter, or the panel's list) in the browser sets it, and setting it here pins that
    head in every browser showing this view. It is view-only and leaves the circuit alone.
    """

    _esm = static_asset("circuit_heatmap.js")
    _css = static_asset("circuit_heatmap.css", optional=True)

    # view-only: the head whose attention pattern is pinned in the side panel (not ipywidgets' focus())
    pinned_head: traitlets.Tuple = traitlets.Tuple(
        traitlets.Int(), traitlets.Int(), default_value=None, allow_none=True
    ).tag(sync=True)

    @traitlets.validate("pinned_head")
    def _valid_pinned_head(self, proposal: dict[str, Any]) -> Any:
        value = proposal["value"]
        layers, heads = int(self._data.get("n_layers", 0)), int(self._data.get("n_heads", 0))
        if value is not None and not (0 <= int(value[0]) < layers and 0 <= int(value[1]) < heads):
            raise traitlets.TraitError(f"{value!r} is not a head: the model has {layers} layers × {heads} heads")
        return None if value is None else (int(value[0]), int(value[1]))

    @property
    def selected_heads(self) -> tuple[tuple[int, int], ...]:
        """The heads in the circuit (read-only here; click a head, or call ``finding.select(heads)``)."""
        finding: Any = self.finding
        return tuple(finding.circuit)
