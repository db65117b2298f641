"""RuleFinding: IF/ELSE rules distilled from a teacher, each with coverage and local fidelity."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from glassbox_jupyter.errors import SelectionError, SelectionIndexError
from glassbox_jupyter.finding.base import Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.rules import tree as trees
from glassbox_jupyter.teacher.spec import python_names

if TYPE_CHECKING:
    from glassbox_jupyter.widgets.rules_view import RulesView

#: A rule's own fidelity rests on the held-out probes it covers; below this many the views flag it (30
#: probes that all agree still leave the exact 95% interval at [88%, 100%]; 5 leave it at [48%, 100%]).
MIN_RULE_SUPPORT = 30


def format_number(value: float) -> str:
    """Short human form of a threshold (``650``, ``0.35``, ``1.2e-05``)."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", "") if abs(value) < 10000 else f"{int(value)}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class Condition:
    """One test on a feature: ``feature op threshold`` (``op`` is ``"<="`` or ``">"``)."""

    feature: str
    unit: str | None
    op: str
    threshold: float

    @property
    def text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.feature} {self.op} {format_number(self.threshold)}{unit}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "unit": self.unit,
            "op": self.op,
            "threshold": self.threshold,
            "text": self.text,
        }


@dataclass(frozen=True)
class Rule:
    """A leaf of the distilled tree as a rule.

    ``id`` is the rule's position in :attr:`RuleFinding.rules` (from 0), the number every view shows.
    ``coverage`` is the share of the held-out probes that meet the conditions and ``n`` their count;
    ``fidelity`` is measured on those ``n`` probes only (agreement with the teacher for classification,
    R² for regression; ``None`` when ``n`` is 0) and ``fidelity_ci`` is its exact (Clopper–Pearson) 95%
    interval for an agreement (``None`` for R² or without probes).
    """

    id: int
    conditions: tuple[Condition, ...]
    prediction: str
    class_index: int | None
    value: float | None
    coverage: float
    n: int
    fidelity: float | None
    fidelity_ci: tuple[float, float] | None = None

    @property
    def small_support(self) -> bool:
        """True when fewer than :data:`MIN_RULE_SUPPORT` held-out probes back the rule's own fidelity."""
        return self.n < MIN_RULE_SUPPORT

    @property
    def condition_text(self) -> str:
        return " AND ".join(c.text for c in self.conditions) or "always"

    @property
    def text(self) -> str:
        return f"IF {self.condition_text} THEN {self.prediction}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conditions": [c.to_dict() for c in self.conditions],
            "prediction": self.prediction,
            "class_index": self.class_index,
            "value": self.value,
            "coverage": self.coverage,
            "n": self.n,
            "fidelity": self.fidelity,
            "fidelity_ci": None if self.fidelity_ci is None else list(self.fidelity_ci),
            "small_support": self.small_support,
            "text": self.text,
        }


class RuleFinding(Finding):
    """IF/ELSE rules that reproduce a teacher's decisions (classification) or output (regression).

    Attributes:
        rules: one :class:`Rule` per leaf (ids 0, 1, …), the rules :meth:`text` lists first and those it
            folds into its ELSE branch last. The leaves partition the inputs: every input meets exactly
            one rule's conditions, so the rules themselves need no default.
        default: the prediction of the ELSE branch in :meth:`text` (the leaves that predict it).
        fidelity: agreement (classification) or R² (regression) with the teacher on held-out probes.
        selected_rule: the rule last clicked in the RulesView (``None`` before).
    """

    kind: ClassVar[str] = "rules"

    def __init__(
        self,
        teacher: Any,
        root: trees.Node,
        task: str,
        classes: list[str] | None,
        output_name: str,
        rules: list[Rule],
        default: str,
        fidelity: Fidelity,
        provenance: Provenance,
        settings: dict[str, Any],
    ):
        self.teacher = teacher
        self.root = root
        self.task = task
        self.classes = classes
        self.output_name = output_name
        self.rules = rules
        self.default = default
        self.fidelity = fidelity
        self.provenance = provenance
        self.settings = settings
        self._selected: int | None = None

    @property
    def n_leaves(self) -> int:
        return len(trees.leaves(self.root))

    @property
    def selected_rule(self) -> Rule | None:
        """The rule last clicked in the RulesView (or picked with :meth:`select`), or None."""
        return None if self._selected is None else self.rules[self._selected]

    @property
    def selection(self) -> int | None:
        """The selected rule's id, or None."""
        return self._selected

    def _apply_selection(self, rule: Any) -> Rule | None:
        """Select a rule by id or object (None clears); returns it."""
        last = len(self.rules) - 1
        if rule is None:
            self._selected = None
            return None
        if isinstance(rule, Rule) and rule in self.rules:
            rule = rule.id
        if not isinstance(rule, (int, np.integer)) or isinstance(rule, bool):
            raise SelectionError(f"select a rule by its id (0–{last}) or pass None, not {rule!r}")
        if not 0 <= int(rule) <= last:
            raise SelectionIndexError(f"rule {rule} is out of range: there are {last + 1} rules (ids 0–{last})")
        self._selected = int(rule)
        return self.rules[self._selected]

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classification) or values (regression) the rules give for ``X``."""
        X = self.teacher.spec.check(X)
        values = [leaf.value for leaf in trees.leaves(self.root)]
        idx = trees.leaf_index(self.root, X)
        if self.task == "classification":
            return np.array([int(np.argmax(values[i])) for i in idx])
        return np.array([float(values[i][0]) for i in idx])

    def listed_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.prediction != self.default or len(self.rules) == 1]

    def text(self) -> str:
        """The rules as an IF / ELIF / ELSE decision list."""
        listed = self.listed_rules()
        if len(listed) == len(self.rules):
            listed = listed[:-1]
        lines = []
        for k, rule in enumerate(listed):
            lines.append(
                f"{'IF' if k == 0 else 'ELIF'} {rule.condition_text}:\n    {self.output_name} = {rule.prediction}"
            )
        lines.append(
            f"ELSE:\n    {self.output_name} = {self.default}" if lines else f"{self.output_name} = {self.default}"
        )
        return "\n".join(lines)

    def to_python(self, function_name: str = "decide") -> str:
        """Source of a plain Python function implementing the rules (scalar inputs)."""
        if not function_name.isidentifier():
            raise ValueError(f"function_name must be a Python identifier, got {function_name!r}")
        spec = self.teacher.spec
        idents = dict(zip(spec.names, python_names(tuple(spec.names))))
        used = sorted({c.feature for r in self.rules for c in r.conditions}, key=spec.index)
        listed = self.listed_rules()
        if len(listed) == len(self.rules):
            listed = listed[:-1]
        body = []
        for k, rule in enumerate(listed):
            test = " and ".join(f"{idents[c.feature]} {c.op} {c.threshold!r}" for c in rule.conditions) or "True"
            body.append(f"    {'if' if k == 0 else 'elif'} {test}:\n        return {self._literal(rule)!r}")
        default = next(r for r in reversed(self.rules) if r.prediction == self.default)
        body.append(f"    return {self._literal(default)!r}")
        doc = f"Rules distilled by GlassBox for {self.output_name}; fidelity {self.fidelity.describe()}."
        return (
            f"def {function_name}({', '.join(idents[n] for n in used) or '*_'}):\n    {doc!r}\n"
            + "\n".join(body)
            + "\n"
        )

    def _literal(self, rule: Rule) -> Any:
        if self.task == "classification" and self.classes is not None and rule.class_index is not None:
            return self.classes[rule.class_index]
        return rule.value

    # ------------------------------------------------------------------ Finding protocol
    def summary(self) -> str:
        return (
            f"{len(self.rules)} rules ({self.n_leaves} leaves) reproduce {self.teacher.name}'s "
            f"{'decisions' if self.task == 'classification' else self.output_name}"
        )

    def artifact_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "output": self.output_name,
            "classes": self.classes,
            "rules": [r.to_dict() for r in self.rules],
            "default": self.default,
            "text": self.text(),
            "leaves": self.n_leaves,
            "settings": self.settings,
        }

    def evidence(self) -> list[EvidenceItem]:
        fid = self.fidelity.describe()
        return [
            EvidenceItem(
                section="2(b)",
                title=f"Decision logic of {self.teacher.name} as rules",
                body=f"{self.summary()} with {fid}:\n{self.text()}",
                data={"rules": [r.to_dict() for r in self.rules]},
            ),
            EvidenceItem(
                section="2(e)",
                title="Interpretation tool: IF/ELSE rules",
                body=(
                    f"A decision tree with at most {self.settings.get('max_leaves')} leaves, pruned by cost "
                    "complexity and with thresholds rounded while agreement holds, gives reviewers rules with "
                    "their coverage and local fidelity."
                ),
            ),
            EvidenceItem(
                section="2(g)",
                title="Fidelity of the rules",
                body=f"Measured on {self.fidelity.n} held-out probes on {self.provenance.created}: {fid}.",
                data={"fidelity": self.fidelity.to_dict()},
            ),
        ]

    def view_data(self) -> dict[str, Any]:
        return {
            "title": f"{self.teacher.name}: rules for {self.output_name}",
            "task": self.task,
            "output_name": self.output_name,
            "classes": self.classes,
            "rules": [r.to_dict() for r in self.rules],
            "fidelity": self.fidelity.view(),
            "min_support": MIN_RULE_SUPPORT,
            "caption": self.caption(),
        }

    def caption(self) -> str:
        """What the rules table is: one rule per leaf, every input meeting exactly one of them (no default)."""
        count = len(self.rules)
        if count == 1:
            return "1 rule: the tree has one leaf, so it decides the same for every input"
        return (
            f"{count} rules, one per leaf: every input meets exactly one rule's conditions, so none falls "
            "to a default; a rule's fidelity is measured on the held-out probes it covers"
        )

    def widget(self) -> RulesView:
        from glassbox_jupyter.widgets.rules_view import RulesView

        return RulesView(self)

    def to_svg(self) -> str:
        import altair as alt
        import pandas as pd

        from glassbox_jupyter.widgets.svg import chart_to_svg

        frame = pd.DataFrame(
            {
                "rule": [f"#{r.id}: {_clip(r.condition_text, 70)} → {r.prediction}" for r in self.rules],
                "coverage": [r.coverage for r in self.rules],
                "prediction": [r.prediction.split(" (")[0] for r in self.rules],
                "fidelity": [r.fidelity if r.fidelity is not None else math.nan for r in self.rules],
            }
        )
        bars = (
            alt.Chart(frame)
            .mark_bar()
            .encode(
                y=alt.Y("rule:N", sort=None, title=None, axis=alt.Axis(labelLimit=520)),
                x=alt.X("coverage:Q", axis=alt.Axis(format="%"), title="share of probes covered"),
                color=alt.Color("prediction:N", title=self.output_name),
                tooltip=["rule", "coverage", "fidelity"],
            )
        )
        return chart_to_svg(bars.properties(width=260, title=self.summary()).configure(aria=False))


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
