"""Glassbox 2.0's ``glassbox.compliance``: ``AnnexIVReport(model_name=..., system_purpose=..., provider_name=...,
provider_address=..., deployment_context=DeploymentContext...)`` with ``add_analysis(result, use_case=...)``,
``to_json()``, ``save_json(path)`` and ``to_pdf(path)``, on GlassBox's own Annex IV report.

The report *is* a :class:`glassbox_jupyter.report.AnnexIVReport` (same nine sections, fields marked automatic,
human or missing, JSON schema, HTML, PDF through Chromium); this class only adds Glassbox 2.0's constructor
arguments and :meth:`AnnexIVReport.add_analysis`, which takes:

- a GlassBox Finding (a ``CircuitFinding``, an ``AuditFinding``, …) or its ``to_dict()``: filed as
  ``report.add(finding)`` files it, with full provenance;
- a Glassbox 2.0 result dict (from ``GlassboxV2.analyze`` or the black-box ``BlackBoxAuditor.audit``): its
  ``"glassbox_finding"`` (a Finding or its ``to_dict()``, as the compatibility layer's results carry) is filed
  as above, and its own numbers become evidence for the use case: ``faithfulness`` (``sufficiency``,
  ``comprehensiveness``, ``f1``, ``category``, ``suff_is_approx``) under 2(g) validation, and ``circuit`` (heads
  ``(layer, head)`` or, for a black-box audit, variables) with ``method`` under 2(b) logic. A dict needs at
  least ``faithfulness`` or ``circuit``.

Differences from Glassbox 2.0: no letter grade, compliance status or model card (GlassBox marks each field
automatic, human or missing instead and lists what a person still has to write with :meth:`missing`); the JSON is
GlassBox's schema (``glassbox-annex-iv/1``), not Glassbox 2.0's layout.

Example:
    >>> report = AnnexIVReport(model_name="CreditScorer", system_purpose="Credit risk assessment",
    ...                        provider_name="Acme Bank NV", provider_address="1 Fintech Street, Amsterdam",
    ...                        deployment_context=DeploymentContext.FINANCIAL_SERVICES)
    >>> report = report.add_analysis({"circuit": [(9, 9)], "faithfulness": {"sufficiency": 1.0,
    ...     "comprehensiveness": 0.543, "f1": 0.704, "category": "faithful"}}, use_case="Loan denial")
    >>> report.field("2(g).validation").status
    'automatic'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.report.annex import AnnexIVReport as NativeReport
from glassbox_jupyter.report.annex import FiledEvidence, HumanText

__all__ = ["AnnexIVReport", "DeploymentContext", "RiskClassification"]


class DeploymentContext(str, Enum):
    """The Annex III area the system is deployed in (Glassbox 2.0's values)."""

    FINANCIAL_SERVICES = "financial_services"
    HEALTHCARE = "healthcare"
    HR_EMPLOYMENT = "hr_employment"
    LEGAL = "legal"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    EDUCATION = "education"
    LAW_ENFORCEMENT = "law_enforcement"
    OTHER_HIGH_RISK = "other_high_risk"
    GENERAL_PURPOSE = "general_purpose"


class RiskClassification(str, Enum):
    """The assessed risk level under the AI Act (Glassbox 2.0's values)."""

    UNACCEPTABLE = "unacceptable"
    HIGH_RISK = "high_risk"
    LIMITED_RISK = "limited_risk"
    MINIMAL_RISK = "minimal_risk"


def _member(enum: type[Enum], value: Any, what: str) -> Any:
    try:
        return enum(value.value if isinstance(value, Enum) else value)
    except ValueError:
        known = ", ".join(f"{enum.__name__}.{m.name}" for m in enum)
        raise ValueError(f"unknown {what} {value!r}; use one of {known}") from None


def _number(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


class AnnexIVReport(NativeReport):
    """GlassBox's Annex IV report with Glassbox 2.0's constructor and ``add_analysis`` (see the module docstring).

    Args:
        model_name: the AI system's name.
        system_purpose: its intended purpose.
        provider_name, provider_address: the provider.
        deployment_context: a :class:`DeploymentContext` (or its value).
        risk_classification: a :class:`RiskClassification` (or its value).
        provider_eu_rep, authorised_rep: the EU representative / authorised representative, when there is one.
    """

    def __init__(
        self,
        model_name: str,
        system_purpose: str,
        provider_name: str,
        provider_address: str,
        deployment_context: DeploymentContext | str = DeploymentContext.OTHER_HIGH_RISK,
        risk_classification: RiskClassification | str = RiskClassification.HIGH_RISK,
        provider_eu_rep: str = "",
        authorised_rep: str = "",
    ):
        context = _member(DeploymentContext, deployment_context, "deployment_context")
        risk = _member(RiskClassification, risk_classification, "risk_classification")
        super().__init__(
            model_name=model_name,
            system_purpose=system_purpose,
            provider_name=provider_name,
            provider_address=provider_address,
            deployment_context=context.value,
        )
        self.deployment_context = context  # a str enum: JSON holds its value, as GlassBox's report did
        self.risk_classification = risk
        self.provider_eu_rep = provider_eu_rep
        self.authorised_rep = authorised_rep
        lines = [f"Risk classification: {risk.value}", f"Annex III deployment context: {context.value}"]
        lines += [f"EU representative: {provider_eu_rep}"] if provider_eu_rep else []
        lines += [f"Authorised representative: {authorised_rep}"] if authorised_rep else []
        self.fields["1.purpose"].texts.append(HumanText("\n\n".join(lines), origin="AnnexIVReport(...)"))
        self.use_cases: list[str] = []

    # ------------------------------------------------------------------ Glassbox 2.0 API
    def add_analysis(
        self, result: Any, use_case: str = "General use case analysis", evidence_tier: Any = None
    ) -> AnnexIVReport:
        """File one analysis (a Finding, its ``to_dict()``, or a Glassbox 2.0 result dict) for ``use_case``.

        ``evidence_tier`` (or ``result["evidence_tier"]``): a dict (or an object with ``to_dict()``) with a
        ``"tier"`` and optionally a ``"disclosure"``; it is recorded with the use case's validation evidence.
        Returns the report, so calls chain.
        """
        if not isinstance(use_case, str) or not use_case.strip():
            raise ValueError(f"use_case must be a non-empty description of the decision, got {use_case!r}")
        origin = f"add_analysis: {use_case}"
        if hasattr(result, "to_dict") and hasattr(result, "evidence"):
            self.add(result, origin=origin)
        elif isinstance(result, Mapping) and result.get("schema") == "glassbox-finding/1":
            self.add(dict(result), origin=origin)
        elif isinstance(result, Mapping) and ("faithfulness" in result or "circuit" in result):
            native = result.get("glassbox_finding")
            if native is not None:
                self.add(native, origin=origin)
            self._file_numbers(result, use_case, self._tier(evidence_tier, result))
        else:
            raise TypeError(
                "add_analysis() takes a GlassboxV2.analyze() or BlackBoxAuditor.audit() result dict (with "
                f"'faithfulness' or 'circuit'), a GlassBox Finding or its to_dict(); got {type(result).__name__}"
                + (f" with keys {sorted(result)[:8]}" if isinstance(result, Mapping) else "")
            )
        self.use_cases.append(use_case)
        return self

    def add_batch_analysis(self, results: Iterable[Any], use_cases: Iterable[str] | None = None) -> AnnexIVReport:
        """:meth:`add_analysis` for each result (use cases default to ``"Use case k"``)."""
        results = list(results)
        names = list(use_cases) if use_cases is not None else [f"Use case {k + 1}" for k in range(len(results))]
        if len(names) != len(results):
            raise ValueError(f"{len(results)} results but {len(names)} use cases")
        for result, name in zip(results, names):
            self.add_analysis(result, use_case=name)
        return self

    def to_json(self, path: str | Path | int | None = None, indent: int = 2) -> str:
        """The JSON text (Glassbox 2.0 called ``to_json(indent)``; GlassBox's ``to_json(path)`` also works)."""
        if isinstance(path, (str, Path)) or path is None:
            return super().to_json(path, indent=indent)
        return super().to_json(None, indent=int(path))

    def save_json(self, path: str | Path) -> Path:
        """Write the JSON report to ``path`` and return it."""
        out = Path(path)
        self.to_json(out)
        return out

    # ------------------------------------------------------------------ filing a result dict's numbers
    @staticmethod
    def _tier(evidence_tier: Any, result: Mapping[str, Any]) -> dict[str, Any] | None:
        tier = evidence_tier if evidence_tier is not None else result.get("evidence_tier")
        if tier is None:
            return None
        tier = tier.to_dict() if hasattr(tier, "to_dict") else tier
        if not isinstance(tier, Mapping) or "tier" not in tier:
            raise ValueError(f"evidence_tier must be a dict (or have to_dict()) with a 'tier' key, got {tier!r}")
        return dict(tier)

    def _file(self, item: EvidenceItem, field_id: str) -> None:
        self.fields[field_id].evidence.append(FiledEvidence(item))

    def _file_numbers(self, result: Mapping[str, Any], use_case: str, tier: dict[str, Any] | None) -> None:
        black_box = result.get("method") == "black_box_behavioural_probing" or "black_box_faithfulness" in result
        model = (result.get("model_metadata") or {}).get("model_name")
        where = f"{use_case}" + (f" ({model})" if model else "")
        faith = result.get("faithfulness")
        if isinstance(faith, Mapping) and faith:
            keys = ("sufficiency", "comprehensiveness", "f1")
            numbers = ", ".join(f"{k} {_number(faith[k])}" for k in keys if faith.get(k) is not None)
            notes = []
            if faith.get("category"):
                notes.append(f"category {faith['category']}")
            if "suff_is_approx" in faith:
                notes.append(
                    "behavioural proxies of a black box"
                    if black_box
                    else "sufficiency approximate (Taylor estimate)"
                    if faith["suff_is_approx"]
                    else "sufficiency exact"
                )
            if tier is not None:
                notes.append(tier.get("disclosure") or f"evidence tier {tier['tier']}")
            body = f"{where}: {numbers or 'no numbers'}" + (f" ({'; '.join(notes)})" if notes else "")
            data: dict[str, Any] = {"use_case": use_case, "faithfulness": dict(faith), "evidence_tier": tier}
            self._file(EvidenceItem("2(g)", f"Faithfulness: {use_case}", body, data), "2(g).validation")
        circuit = list(result.get("circuit") or [])
        if circuit:
            what = "decision-driving variables" if black_box else "circuit heads (layer, head)"
            shown = ", ".join(str(tuple(c)) if isinstance(c, (list, tuple)) else str(c) for c in circuit[:20])
            more = f" and {len(circuit) - 20} more" if len(circuit) > 20 else ""
            method = f"; method {result['method']}" if result.get("method") else ""
            body = f"{where}: {len(circuit)} {what}: {shown}{more}{method}"
            extra = {k: result[k] for k in ("clean_ld", "attributions", "top_heads") if k in result}
            data = {"use_case": use_case, "circuit": circuit, "method": result.get("method"), **extra}
            self._file(EvidenceItem("2(b)", f"Circuit: {use_case}", body, data), "2(b).logic")
