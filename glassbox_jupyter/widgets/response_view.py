"""ResponseView: partial-dependence line (one feature) or heatmap (two features), with probe points.

Clicking a point in the browser asks the finding to select it (the selection is the point's index in
the view data); ``selected_input`` is then the probe's full input as a read-only mapping, ``selected_output``
the model's output there and ``selected_point`` both (the view lists them under the chart).

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> finding = glassbox.response(glassbox.demos.load("friedman_mlp"), features=["x4"])  # doctest: +SKIP
    >>> view = finding.widget()  # doctest: +SKIP
    >>> view.request_selection(3)  # what a click on the fourth point does  # doctest: +SKIP
    >>> dict(view.selected_input)  # doctest: +SKIP
    >>> view.selected_point["output"]  # the model's output at that input  # doctest: +SKIP
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class ResponseView(GlassboxWidget):
    """Teacher response over one or two features; click a probe point to select its input."""

    _esm = static_asset("response_view.js")
    _css = static_asset("response_view.css", optional=True)

    height = traitlets.Int(360).tag(sync=True)  # view-only: px of the chart; its width fills the container

    @property
    def selected_input(self) -> MappingProxyType[str, float] | None:
        """Full input (feature → value) of the clicked probe point, or ``None``. Read-only."""
        finding: Any = self.finding
        selected: MappingProxyType[str, float] | None = finding.selected_input
        return selected

    @property
    def selected_output(self) -> float | None:
        """The teacher's output at the clicked probe point, or ``None``."""
        finding: Any = self.finding
        output: float | None = finding.selected_output
        return output

    @property
    def selected_point(self) -> MappingProxyType[str, Any] | None:
        """The clicked probe point, ``{"inputs": {feature: value}, "output": …, "partial_dependence": …}``, or None."""
        finding: Any = self.finding
        point: MappingProxyType[str, Any] | None = finding.selected_point
        return point

    def select(self, index: int | None) -> None:
        """Select the ``index``-th shown point from Python (``None`` clears); every view follows."""
        self.finding.select(index)
