"""ResponseView: the live view of a :class:`~glassbox_jupyter.response.ResponseFinding`.

A line (one feature) or heatmap (two features) of the teacher's response with the probe
points overlaid. Clicking a point in the browser writes ``_selected_index``; Python turns it
into ``view.selected_input``, the full input of that probe as a read-only dict.

Example:
    >>> import glassbox
    >>> view = glassbox.response(glassbox.demos.load("friedman_mlp"), features=["x4"], n=200).widget()
    >>> view._selected_index = 3          # what a click in the browser does
    >>> sorted(view.selected_input)[:2]
    ['x1', 'x2']
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class ResponseView(GlassboxWidget):
    """Teacher response over one or two features; click a probe point to select its input."""

    _esm = static_asset("response_view.js")
    _css = static_asset("response_view.css", optional=True)
    _selection_trait: ClassVar[str] = "_selected_index"

    _data = traitlets.Dict().tag(sync=True)
    _selected_index = traitlets.Int(-1).tag(sync=True)
    height = traitlets.Int(360).tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        data = finding.view_data()
        self._rows = data["points"].pop("row")
        super().__init__(_data=data, **kwargs)

    @traitlets.validate("_selected_index")
    def _check_index(self, proposal: dict[str, Any]) -> int:
        index = proposal["value"]
        if not -1 <= index < len(self._rows):
            raise traitlets.TraitError(
                f"_selected_index {index} is out of range: the view shows {len(self._rows)} points"
            )
        return index

    @traitlets.observe("_selected_index")
    def _sync_selection(self, change: dict[str, Any]) -> None:
        index = change["new"]
        self._finding._selected_row = None if index < 0 else int(self._rows[index])

    @property
    def finding(self) -> Any:
        """The ResponseFinding this view shows."""
        return self._finding

    @property
    def selected_input(self) -> MappingProxyType | None:
        """Full input (feature → value) of the clicked probe point, or ``None``. Read-only."""
        return self._finding.selected_input

    @property
    def selected_output(self) -> float | None:
        """The teacher's output at the clicked probe point, or ``None``."""
        row = self._finding._selected_row
        return None if row is None else float(self._finding.probes.y[row, self._finding.output])

    def select(self, index: int) -> None:
        """Select the ``index``-th shown point from Python (``-1`` clears); the browser follows."""
        self._selected_index = index

    def __repr__(self) -> str:
        selected = None if self.selected_input is None else dict(self.selected_input)
        return f"ResponseView({', '.join(self._finding.features)}; selected_input={selected})"
