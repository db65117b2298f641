"""Logic mode: IF/ELSE rules distilled from a teacher with a pruned decision tree."""

from glassbox_jupyter.rules.finding import Condition, Rule, RuleFinding

__all__ = ["Condition", "Rule", "RuleFinding"]
