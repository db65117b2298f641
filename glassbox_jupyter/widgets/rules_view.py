"""RulesView: the IF/ELSE rules of a RuleFinding as a table; click a rule to select it.

The selection is the rule's id (``None`` when no rule is selected).

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> view = glassbox.distill(glassbox.demos.load("loan_approval"), mode="logic").widget()  # doctest: +SKIP
    >>> view.request_selection(0)  # what a click on the first rule does  # doctest: +SKIP
    >>> view.selected_rule.text    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset

if TYPE_CHECKING:
    from glassbox_jupyter.rules.finding import Rule


class RulesView(GlassboxWidget):
    """Rules with coverage and local fidelity; the clicked rule becomes ``finding.selected_rule``."""

    _esm = static_asset("rules_view.js")
    _css = static_asset("rules_view.css", optional=True)

    @property
    def selected_rule(self) -> Rule | None:
        """The clicked :class:`~glassbox_jupyter.rules.Rule`, or ``None`` (read-only)."""
        finding: Any = self.finding  # a RuleFinding (this view is only made for one)
        rule: Rule | None = finding.selected_rule
        return rule
