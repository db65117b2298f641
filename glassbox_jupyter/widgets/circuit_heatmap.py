"""CircuitHeatmap: layer × head attributions; click a head to add it to the circuit or take it out.

The selection is the circuit, a sorted list of ``[layer, head]``; a click asks the finding for the
circuit with that head toggled, the finding re-measures faithfulness by exact ablation and every view
shows the new numbers (the selection's details).

Example:
    >>> view = finding.widget()                       # doctest: +SKIP
    >>> view.request_selection([[0, 1], [1, 2]])     # what clicks in the browser do  # doctest: +SKIP
    >>> finding.circuit                               # doctest: +SKIP
    [(0, 1), (1, 2)]
"""

from __future__ import annotations

from typing import Any

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class CircuitHeatmap(GlassboxWidget):
    """Head attributions as a heatmap; the circuit is outlined and editable by clicking."""

    _esm = static_asset("circuit_heatmap.js")
    _css = static_asset("circuit_heatmap.css", optional=True)

    # view-only: the head whose attention pattern is pinned in the side panel
    _focus: traitlets.List[Any] = traitlets.List(allow_none=True, default_value=None).tag(sync=True)

    @traitlets.validate("_focus")
    def _valid_focus(self, proposal: dict[str, Any]) -> Any:
        value = proposal["value"]
        layers, heads = int(self._data.get("n_layers", 0)), int(self._data.get("n_heads", 0))
        if value is not None and (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not (0 <= int(value[0]) < layers and 0 <= int(value[1]) < heads)
        ):
            raise traitlets.TraitError(f"{value!r} is not a head: the model has {layers} layers × {heads} heads")
        return value

    @property
    def selected_heads(self) -> tuple[tuple[int, int], ...]:
        """The heads in the circuit (read-only here; click a head, or call ``finding.select(heads)``)."""
        finding: Any = self.finding
        return tuple(finding.circuit)
