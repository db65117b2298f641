"""RulesView: the IF/ELSE rules of a RuleFinding as a table; click a rule to select it.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> view = glassbox.distill(glassbox.demos.load("loan_approval"), mode="logic").widget()  # doctest: +SKIP
    >>> view._selected_rule = 0   # what a click in the browser does  # doctest: +SKIP
    >>> view.selected_rule.text   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class RulesView(GlassboxWidget):
    """Rules with coverage and local fidelity; the clicked rule becomes ``finding.selected_rule``."""

    _esm = static_asset("rules_view.js")
    _css = static_asset("rules_view.css", optional=True)
    _selection_trait: ClassVar[str] = "_selected_rule"

    _data = traitlets.Dict().tag(sync=True)
    _selected_rule = traitlets.Int(-1).tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        super().__init__(_data=finding.view_data(), **kwargs)

    @traitlets.validate("_selected_rule")
    def _check_rule(self, proposal: dict[str, Any]) -> int:
        index = proposal["value"]
        if not -1 <= index < len(self._finding.rules):
            raise traitlets.TraitError(
                f"_selected_rule {index} is out of range: there are {len(self._finding.rules)} rules"
            )
        return index

    @traitlets.observe("_selected_rule")
    def _sync_selection(self, change: dict[str, Any]) -> None:
        self._finding._selected = None if change["new"] < 0 else change["new"]

    @property
    def finding(self) -> Any:
        return self._finding

    @property
    def selected_rule(self) -> Any:
        """The clicked :class:`~glassbox_jupyter.rules.Rule`, or ``None`` (read-only)."""
        return self._finding.selected_rule

    def __repr__(self) -> str:
        return f"RulesView({len(self._finding.rules)} rules; selected={self.selected_rule})"
