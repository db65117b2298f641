"""ParetoPicker: pick an equation on the Pareto front; the choice becomes ``finding.selected``.

Shows complexity against validation loss (log scale), a table of the equations rendered as math, and
the teacher against the picked equation along one input. While a search runs, the front updates live.
The selection is the equation's id on the front.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> finding = glassbox.distill(glassbox.demos.load("square_law"), time_limit=10)  # doctest: +SKIP
    >>> picker = finding.widget()  # doctest: +SKIP
    >>> picker.request_selection(0)  # what a click on the first equation does  # doctest: +SKIP
    >>> finding.selected is finding.pareto_front[0]  # doctest: +SKIP
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset

if TYPE_CHECKING:
    from glassbox_jupyter.symbolic.equation import Equation


class ParetoPicker(GlassboxWidget):
    """Complexity-vs-loss front, equation table and teacher overlay; click to select an equation."""

    _esm = static_asset("pareto_picker.js")
    _css = static_asset("pareto_picker.css", optional=True)

    _overlay_feature = traitlets.Int(0).tag(sync=True)  # view-only: the input of the side plot
    height = traitlets.Int(320).tag(sync=True)

    @traitlets.validate("_overlay_feature")
    def _check_feature(self, proposal: dict[str, Any]) -> int:
        index = int(proposal["value"])
        if not 0 <= index < max(1, len(self._data.get("features", []))):
            raise traitlets.TraitError(f"_overlay_feature {index} is out of range")
        return index

    @property
    def selected(self) -> Equation | None:
        """The picked :class:`~glassbox_jupyter.symbolic.equation.Equation` (read-only), None before the first."""
        finding: Any = self.finding  # a SymbolicFinding (this view is only made for one)
        equation: Equation | None = finding.selected if finding.ready else None
        return equation
