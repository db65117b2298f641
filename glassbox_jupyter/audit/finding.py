"""AuditFinding: what a black-box audit measured, with CIs, partial-result bookkeeping and Annex IV evidence.

A black box has no readable artifact to be faithful to, so this Finding's ``fidelity`` is the
**reproducibility of the measured decisions**: a held-out random subset of prompts is asked a second time and
``fidelity`` is the share of identical decisions (metric ``"agreement"``, split ``"held-out"``, bootstrap CI).
A provider that samples its answers (temperature > 0) shows up here as agreement below 1.

Example:
    >>> finding = BlackBoxAuditor(load_loan_lm()).audit(  # doctest: +SKIP
    ...     DECISION_PROMPT, "approve", "deny", context_variables=VARIABLES, protected=["age"])
    >>> finding.sensitivity[["variable", "flip_rate", "ci_low", "ci_high"]]  # doctest: +SKIP
    >>> finding.select_variable("age")  # the swaps of age that flipped the decision  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from glassbox_jupyter.audit.analysis import AuditResults, analyse, plain
from glassbox_jupyter.audit.errors import UnknownVariableError
from glassbox_jupyter.audit.measures import Estimate
from glassbox_jupyter.audit.plan import AuditPlan
from glassbox_jupyter.audit.runner import RunResult
from glassbox_jupyter.finding.base import Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.teacher.blackbox import Provider

if TYPE_CHECKING:
    import pandas as pd

    from glassbox_jupyter.widgets.audit_view import AuditView

#: Flipped pairs sent to the widget at most (the finding keeps them all).
MAX_VIEW_PAIRS = 100


def _pct(e: Estimate | None) -> str:
    if e is None or e.value != e.value:
        return "n/a"
    return f"{e.value:.0%} [{e.ci_low:.0%}, {e.ci_high:.0%}]"


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


class AuditFinding(Finding):
    """The measured behaviour of a model reached only through its answers.

    Attributes:
        flip_rate: share of single-variable swaps that flip the decision (an :class:`Estimate` with its CI).
        sensitivity: pandas DataFrame, one row per variable: flip rate with CI, pairs, mean |Δp| with CI
            (NaN without probabilities), ``protected``, ``sensitive`` (the flip-rate CI excludes 0).
        consistency: share of base contexts where every paraphrase gets the same answer (``None`` without
            paraphrases).
        parity: DataFrame, one row per protected variable and group: positive rate with CI and ``n``.
        parity_gaps: DataFrame per protected variable: demographic parity difference with CI, and its flip rate.
        probes: DataFrame of every probe: ids, context, kind, variant, prompt, decision, p_positive, status.
        pairs: DataFrame of every counterfactual pair (``flipped`` marks the decisions that changed).
        errors: one dict per failed query (error class and redacted message); ``complete`` is False when any
            probe failed, was not asked, or the audit was interrupted.
        selected_variable: the variable picked in the AuditView (or with :meth:`select_variable`).
    """

    kind: ClassVar[str] = "audit"

    def __init__(
        self,
        identity: dict[str, Any],
        plan: AuditPlan,
        results: AuditResults,
        *,
        expected: tuple[str, str],
        errors: list[dict[str, Any]],
        interrupted: bool,
        stopped: str | None,
        provenance: Provenance,
        settings: dict[str, Any],
    ):
        self.identity = dict(identity)
        self.template = plan.template
        self.variables = {k: list(v) for k, v in plan.variables.items()}
        self.protected = list(plan.protected)
        self.variants = list(plan.variants)
        self.expected = expected
        self.flip_rate = results.flip_rate
        self.sensitivity = results.sensitivity
        self.consistency = results.consistency
        self.parity = results.parity
        self.parity_gaps = results.parity_gaps
        self.probes = results.probes
        self.pairs = results.pairs
        self.counts = results.counts
        self.fidelity = results.fidelity
        self.errors = list(errors)
        self.interrupted = interrupted
        self.stopped = stopped
        self.provenance = provenance
        self.settings = dict(settings)
        self._selected: str | None = None

    @classmethod
    def from_run(
        cls,
        provider: Provider,
        plan: AuditPlan,
        run: RunResult,
        *,
        expected: tuple[str, str],
        settings: dict[str, Any],
        seed: int,
    ) -> AuditFinding:
        """Measure everything from an audit's plan and answers."""
        results = analyse(plan, run, expected, n_boot=settings["n_boot"], confidence=settings["confidence"], seed=seed)
        identity = provider.identity()
        provenance = Provenance.capture(
            provider,
            spec={
                "decision_prompt": plan.template,
                "paraphrases": [{"name": n, "template": t} for n, t in plan.variants[1:]],
                "variables": {k: [plain(v) for v in vs] for k, vs in plan.variables.items()},
                "protected": list(plan.protected),
                "expected": {"positive": expected[0], "negative": expected[1]},
            },
            probe={
                **results.counts,
                "interrupted": run.interrupted,
                "stopped": run.stopped,
            },
            seed=int(seed),
            method={"name": "black_box_audit", "bootstrap": "percentile, resampling base contexts", **settings},
        )
        return cls(
            identity,
            plan,
            results,
            expected=expected,
            errors=run.errors,
            interrupted=run.interrupted,
            stopped=run.stopped,
            provenance=provenance,
            settings=settings,
        )

    # ------------------------------------------------------------------ reading the results
    @property
    def name(self) -> str:
        """The audited model's name (``model`` or ``name`` in the provider identity)."""
        return str(self.identity.get("model") or self.identity.get("name") or self.identity.get("kind"))

    @property
    def complete(self) -> bool:
        c = self.counts
        return not (c["failed"] or c["not_asked"] or self.interrupted or self.stopped or c["retest_failed"])

    def completeness(self) -> str:
        """``"complete: …"`` or what is missing (failed, not asked, interrupted) with the first error."""
        c = self.counts
        if self.complete:
            return f"complete: {c['answered']} of {c['prompts']} prompts answered"
        parts = [f"{c['answered']} of {c['prompts']} prompts answered"]
        if c["failed"]:
            parts.append(f"{c['failed']} failed")
        if c["not_asked"]:
            parts.append(f"{c['not_asked']} not asked")
        if c["retest_failed"]:
            parts.append(f"{c['retest_failed']} retests failed")
        if self.interrupted:
            parts.append("interrupted")
        if self.stopped:
            parts.append(self.stopped)
        elif self.errors:
            parts.append(f"first error: {self.errors[0]['error']}: {self.errors[0]['message']}")
        return "partial: " + "; ".join(parts)

    def sensitive_variables(self) -> list[str]:
        """Variables whose flip-rate CI lies above 0 (changing them alone changes decisions)."""
        return [r.variable for r in self.sensitivity.itertuples(index=False) if r.sensitive]

    def flipped_pairs(self, variable: str) -> pd.DataFrame:
        """The counterfactual pairs of ``variable`` whose decision flipped (a DataFrame)."""
        self._check_variable(variable)
        pairs = self.pairs
        if not len(pairs):
            return pairs
        columns = [
            "context_id",
            "value_from",
            "value_to",
            "decision_from",
            "decision_to",
            "p_from",
            "p_to",
            "prompt_from",
            "prompt_to",
            "context",
        ]
        return pairs.loc[(pairs.variable == variable) & pairs.flipped, columns].reset_index(drop=True)

    @property
    def selected_variable(self) -> str | None:
        """The variable picked in the AuditView (or with :meth:`select`), or None."""
        return self._selected

    @property
    def selection(self) -> str | None:
        """The selected variable's name, or None."""
        return self._selected

    def selection_details(self) -> dict[str, Any]:
        """The selected variable's flipped counterfactual pairs (up to ``MAX_VIEW_PAIRS``), or None."""
        return {"flips": None if self._selected is None else self._flips_view(self._selected)}

    def selection_choices(self) -> dict[str, dict[str, Any]]:
        """Each variable's flipped pairs (and none selected), so a view without Python can list them."""
        from glassbox_jupyter.finding.base import selection_key

        choices = {selection_key(name): {"flips": self._flips_view(name)} for name in self.variables}
        return {selection_key(None): {"flips": None}, **choices}

    def _apply_selection(self, name: Any) -> pd.DataFrame:
        """Pick variable ``name`` and return its flipped pairs; ``None`` (or ``""``) clears."""
        if name is None or name == "":
            self._selected = None
            return self.pairs.iloc[0:0]
        if not isinstance(name, str):
            raise UnknownVariableError(f"select a variable by its name ({', '.join(self.variables)}), not {name!r}")
        self._check_variable(name)
        self._selected = name
        return self.flipped_pairs(name)

    def select_variable(self, name: str | None) -> pd.DataFrame:
        """Same as :meth:`select` (as a click in the AuditView does): returns the flipped pairs; ``None`` clears."""
        return self.select(name)

    def _check_variable(self, name: str) -> None:
        if name not in self.variables:
            raise UnknownVariableError(f"{name!r} is not an audited variable; choose from: {', '.join(self.variables)}")

    # ------------------------------------------------------------------ Finding protocol
    def summary(self) -> str:
        fr = self.flip_rate
        text = (
            f"Black-box audit of {self.name}: single-variable swaps flip {_pct(fr)} of {fr.n} decisions "
            f"over {fr.n_contexts} contexts"
        )
        ranked = self.sensitivity.sort_values("flip_rate", ascending=False, na_position="last")
        if len(ranked) and ranked.iloc[0].flip_rate > 0:
            top = ranked.iloc[0]
            text += f"; most sensitive to {top.variable} ({top.flip_rate:.0%}{', protected' if top.protected else ''})"
        for gap in self.parity_gaps.itertuples(index=False):
            if _num(gap.parity_difference) is not None:
                text += f"; {gap.variable} parity gap {gap.parity_difference:.2f} [{gap.ci_low:.2f}, {gap.ci_high:.2f}]"
        if self.consistency is not None:
            text += f"; paraphrase consistency {_pct(self.consistency)}"
        return text + ("" if self.complete else f" ({self.completeness()})")

    def artifact_dict(self) -> dict[str, Any]:
        def records(frame: Any) -> list[dict[str, Any]]:
            return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]

        examples = {
            name: records(self.flipped_pairs(name).drop(columns=["context"]).head(3)) for name in self.variables
        }
        return {
            "provider": self.identity,
            "decision_prompt": self.template,
            "paraphrases": [{"name": n, "template": t} for n, t in self.variants[1:]],
            "expected": {"positive": self.expected[0], "negative": self.expected[1]},
            "variables": {k: [plain(v) for v in vs] for k, vs in self.variables.items()},
            "protected": self.protected,
            "flip_rate": self.flip_rate.to_dict(),
            "sensitivity": records(self.sensitivity),
            "consistency": None if self.consistency is None else self.consistency.to_dict(),
            "parity": records(self.parity),
            "parity_gaps": records(self.parity_gaps),
            "flipped_examples": examples,
            "counts": dict(self.counts),
            "complete": self.complete,
            "completeness": self.completeness(),
            "errors": self.errors[:20],
            "n_errors": len(self.errors),
            "selected_variable": self._selected,
        }

    def _flips_view(self, variable: str) -> dict[str, Any]:
        frame = self.flipped_pairs(variable)
        rows = [
            {
                "context": {k: plain(v) for k, v in r["context"].items() if k != variable},
                "from": plain(r["value_from"]),
                "to": plain(r["value_to"]),
                "decision_from": r["decision_from"],
                "decision_to": r["decision_to"],
                "p_from": _num(r["p_from"]),
                "p_to": _num(r["p_to"]),
                "prompt_from": r["prompt_from"],
                "prompt_to": r["prompt_to"],
            }
            for r in frame.head(MAX_VIEW_PAIRS).to_dict("records")
        ]
        row = self.sensitivity.set_index("variable").loc[variable]
        return {"variable": variable, "total": len(frame), "pairs": int(row.n_pairs), "rows": rows}

    def evidence(self) -> list[EvidenceItem]:
        from glassbox_jupyter.audit.evidence import audit_evidence

        return audit_evidence(self)

    def view_data(self) -> dict[str, Any]:
        """What the AuditView draws (JSON: no NaN)."""
        return {
            "title": f"Black-box audit of {self.name}",
            "summary": self.summary().removeprefix(f"Black-box audit of {self.name}: "),
            "expected": {"positive": self.expected[0], "negative": self.expected[1]},
            "variables": [
                {
                    "name": r.variable,
                    "flip_rate": _num(r.flip_rate),
                    "ci": [_num(r.ci_low), _num(r.ci_high)],
                    "n_pairs": int(r.n_pairs),
                    "mean_abs_delta_p": _num(r.mean_abs_delta_p),
                    "protected": bool(r.protected),
                    "sensitive": bool(r.sensitive),
                }
                for r in self.sensitivity.itertuples(index=False)
            ],
            "flip_rate": {
                "value": _num(self.flip_rate.value),
                "ci": [_num(self.flip_rate.ci_low), _num(self.flip_rate.ci_high)],
                "n": self.flip_rate.n,
            },
            "consistency": None
            if self.consistency is None
            else {
                "value": _num(self.consistency.value),
                "ci": [_num(self.consistency.ci_low), _num(self.consistency.ci_high)],
                "n": self.consistency.n,
                "variants": [n for n, _ in self.variants],
            },
            "parity": [
                {
                    "variable": g.variable,
                    "gap": _num(g.parity_difference),
                    "gap_ci": [_num(g.ci_low), _num(g.ci_high)],
                    "groups": [
                        {
                            "group": str(r.group),
                            "rate": _num(r.positive_rate),
                            "ci": [_num(r.ci_low), _num(r.ci_high)],
                            "n": int(r.n),
                        }
                        for r in self.parity[self.parity.variable == g.variable].itertuples(index=False)
                    ],
                }
                for g in self.parity_gaps.itertuples(index=False)
            ],
            "fidelity": self.fidelity.view(),
            "counts": dict(self.counts),
            "complete": self.complete,
            "completeness": self.completeness(),
            "errors": [f"{e['error']}: {e['message']}" for e in self.errors[:5]],
            "caption": "CIs by bootstrap over base contexts",
        }

    def widget(self) -> AuditView:
        from glassbox_jupyter.widgets.audit_view import AuditView

        return AuditView(self)

    def to_svg(self) -> str:
        from glassbox_jupyter.audit.charts import audit_svg

        return audit_svg(self)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return _clean(value.item())
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value
