"""ParetoPicker: pick an equation on the Pareto front; the choice becomes ``finding.selected``.

Shows complexity against validation loss (log scale), a table of the equations rendered as
math, and the teacher against the picked equation along one input. While a search runs, the
front updates live.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> finding = glassbox.distill(glassbox.demos.load("square_law"), time_limit=10)  # doctest: +SKIP
    >>> picker = finding.widget()  # doctest: +SKIP
    >>> picker._selected_id = 0    # what a click in the browser does  # doctest: +SKIP
    >>> finding.selected is finding.pareto_front[0]  # doctest: +SKIP
    True
"""

from __future__ import annotations

from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class ParetoPicker(GlassboxWidget):
    """Complexity-vs-loss front, equation table and teacher overlay; click to select an equation."""

    _esm = static_asset("pareto_picker.js")
    _css = static_asset("pareto_picker.css", optional=True)
    _selection_trait: ClassVar[str] = "_selected_id"

    _data = traitlets.Dict().tag(sync=True)
    _selected_id = traitlets.Int(-1).tag(sync=True)
    _overlay_feature = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(320).tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        selected = finding._selected_index if finding.pareto_front else -1
        super().__init__(_data=finding.view_data(), _selected_id=selected, **kwargs)

    def refresh(self) -> None:
        """Push the finding's current front to the browser (called after each search round)."""
        self._finding.invalidate_static_view()
        self._data = self._finding.view_data()
        if self._finding.pareto_front:
            self._selected_id = self._finding._selected_index

    @traitlets.validate("_selected_id")
    def _check_id(self, proposal: dict[str, Any]) -> int:
        index = proposal["value"]
        if not -1 <= index < len(self._finding.pareto_front):
            raise traitlets.TraitError(
                f"_selected_id {index} is out of range: the front has {len(self._finding.pareto_front)} equations"
            )
        return index

    @traitlets.validate("_overlay_feature")
    def _check_feature(self, proposal: dict[str, Any]) -> int:
        index = proposal["value"]
        if not 0 <= index < max(1, len(self._data.get("features", []))):
            raise traitlets.TraitError(f"_overlay_feature {index} is out of range")
        return index

    @traitlets.observe("_selected_id")
    def _sync_selection(self, change: dict[str, Any]) -> None:
        if change["new"] >= 0 and change["new"] != self._finding._selected_index:
            self._finding.select(change["new"])

    @property
    def finding(self) -> Any:
        return self._finding

    @property
    def selected(self) -> Any:
        """The picked :class:`~glassbox_jupyter.symbolic.equation.Equation` (read-only)."""
        return self._finding.selected if self._finding.pareto_front else None

    def __repr__(self) -> str:
        return f"ParetoPicker({len(self._finding.pareto_front)} equations; selected={self.selected})"
