"""AuditView: a black-box audit's flip rate per variable and parity per group; click a variable to list its flips.

Each click writes the variable's name to ``_select``; Python calls ``finding.select_variable(name)`` and sends
the counterfactual pairs whose decision flipped back in ``_data["flips"]``, which the browser lists.

Example:
    >>> view = finding.widget()   # doctest: +SKIP
    >>> view._select = "age"      # what a click in the browser does  # doctest: +SKIP
    >>> view.selected_variable, finding.selected_variable  # doctest: +SKIP
    ('age', 'age')
"""

from __future__ import annotations

from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class AuditView(GlassboxWidget):
    """Sensitivity bars with CIs, a parity panel, and the flipped pairs of the clicked variable."""

    _esm = static_asset("audit_view.js")
    _css = static_asset("audit_view.css", optional=True)
    _selection_trait: ClassVar[str] = "_select"

    _data = traitlets.Dict().tag(sync=True)
    _select = traitlets.Unicode("").tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        self._quiet = False
        super().__init__(_data=finding.view_data(), _select=finding.selected_variable or "", **kwargs)

    @traitlets.validate("_select")
    def _check_variable(self, proposal: dict[str, Any]) -> str:
        name = proposal["value"]
        if name and name not in self._finding.variables:
            raise traitlets.TraitError(
                f"_select {name!r} is not an audited variable; choose from: {', '.join(self._finding.variables)}"
            )
        return name

    @traitlets.observe("_select")
    def _apply_selection(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self._quiet = True  # select_variable calls refresh(), which must not write _select again
        try:
            self._finding.select_variable(change["new"] or None)
        finally:
            self._quiet = False

    def refresh(self) -> None:
        """Send the finding's numbers and its selected variable's flipped pairs to the browser."""
        self._data = self._finding.view_data()
        selected = self._finding.selected_variable or ""
        if self._select != selected:
            self._write_quietly("_select", selected)

    @property
    def finding(self) -> Any:
        return self._finding

    @property
    def selected_variable(self) -> str | None:
        """The clicked variable, or ``None`` (read-only; the browser owns the selection)."""
        return self._finding.selected_variable

    def __repr__(self) -> str:
        return f"AuditView({len(self._finding.variables)} variables; selected={self.selected_variable!r})"
