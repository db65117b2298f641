"""CircuitHeatmap: layer × head attributions; click a head to add or remove it from the circuit.

Each click writes ``_toggle = [layer, head]``; Python toggles that head in ``finding.circuit``,
re-measures faithfulness by exact ablation and pushes the new numbers back.

Example:
    >>> view = finding.widget()  # doctest: +SKIP
    >>> view._toggle = [1, 2]    # what a click in the browser does  # doctest: +SKIP
    >>> finding.circuit          # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class CircuitHeatmap(GlassboxWidget):
    """Head attributions as a heatmap; the circuit is outlined and editable by clicking."""

    _esm = static_asset("circuit_heatmap.js")
    _css = static_asset("circuit_heatmap.css", optional=True)
    _selection_trait: ClassVar[str] = "_toggle"

    _data = traitlets.Dict().tag(sync=True)
    _toggle = traitlets.List(allow_none=True, default_value=None).tag(sync=True)
    _focus = traitlets.List(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        super().__init__(_data=finding.view_data(), **kwargs)

    def _check_head(self, value: Any) -> None:
        cfg = self._finding.model.cfg
        if value is None:
            return
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not (0 <= int(value[0]) < cfg.n_layers and 0 <= int(value[1]) < cfg.n_heads)
        ):
            raise traitlets.TraitError(
                f"{value!r} is not a head: the model has {cfg.n_layers} layers × {cfg.n_heads} heads"
            )

    @traitlets.validate("_toggle")
    def _valid_toggle(self, proposal: dict[str, Any]) -> Any:
        self._check_head(proposal["value"])
        return proposal["value"]

    @traitlets.validate("_focus")
    def _valid_focus(self, proposal: dict[str, Any]) -> Any:
        self._check_head(proposal["value"])
        return proposal["value"]

    @traitlets.observe("_toggle")
    def _apply_toggle(self, change: dict[str, Any]) -> None:
        if change["new"] is None:
            return
        layer, head = (int(v) for v in change["new"])
        self._data = {**self._data, "busy": True}
        self._finding.toggle(layer, head)  # re-measures exactly and calls refresh()
        self._toggle = None

    def refresh(self) -> None:
        """Push the finding's circuit and faithfulness to the browser."""
        data = dict(self._data)
        data.update(
            circuit=[list(h) for h in self._finding.circuit], faithfulness=self._finding.faithfulness, busy=False
        )
        self._data = data

    @property
    def finding(self) -> Any:
        return self._finding

    @property
    def selected_heads(self) -> tuple[tuple[int, int], ...]:
        """The heads in the circuit (read-only here; click or use ``finding.toggle``)."""
        return tuple(self._finding.circuit)

    def __repr__(self) -> str:
        return f"CircuitHeatmap(circuit={list(self.selected_heads)})"
