"""AuditView: a black-box audit's flip rate per variable and parity per group; click a variable to list its flips.

The selection is the variable's name; its details are the counterfactual pairs whose decision flipped,
which the browser lists.

Example:
    >>> view = finding.widget()          # doctest: +SKIP
    >>> view.request_selection("age")    # what a click on the "age" row does  # doctest: +SKIP
    >>> view.selected_variable, finding.selected_variable  # doctest: +SKIP
    ('age', 'age')
"""

from __future__ import annotations

from typing import Any

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class AuditView(GlassboxWidget):
    """Sensitivity bars with CIs, a parity panel, and the flipped pairs of the clicked variable."""

    _esm = static_asset("audit_view.js")
    _css = static_asset("audit_view.css", optional=True)

    @property
    def selected_variable(self) -> str | None:
        """The clicked variable, or ``None`` (read-only)."""
        finding: Any = self.finding
        selected: str | None = finding.selected_variable
        return selected
