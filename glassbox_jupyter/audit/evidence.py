"""Annex IV evidence of an audit: validation metrics (2(g)), behaviour across groups (3), protected-attribute risk (5).

Example:
    >>> [item.section for item in audit_evidence(finding)]  # doctest: +SKIP
    ['2(g)', '3', '5']
"""

from __future__ import annotations

from typing import Any

from glassbox_jupyter.finding.evidence import EvidenceItem


def _ci(value: float, low: float, high: float, percent: bool = True) -> str:
    if value != value:
        return "n/a"
    if percent:
        return f"{value:.1%} [{low:.1%}, {high:.1%}]"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _where(identity: dict[str, Any]) -> str:
    extra = identity.get("base_url") or identity.get("weights_sha256", "")[:12] or identity.get("module") or ""
    return f"{identity.get('kind')}{', ' + str(extra) if extra else ''}"


def audit_evidence(finding: Any) -> list[EvidenceItem]:
    """The three evidence items of an :class:`~glassbox_jupyter.audit.AuditFinding`."""
    conf = f"{finding.settings['confidence']:.0%} CI"
    c = finding.counts
    fr = finding.flip_rate
    created = finding.provenance.created
    lines = [
        f"Black-box audit of {finding.name} ({_where(finding.identity)}) run on {created}: {c['prompts']} distinct "
        f"prompts from {c['base_contexts']} base contexts (of {c['combinations']} combinations), "
        f"{len(finding.variants)} wording(s), expected answers {finding.expected[0]!r} / {finding.expected[1]!r}.",
        f"Decision flip rate under single-variable swaps: {_ci(fr.value, fr.ci_low, fr.ci_high)} ({conf}, "
        f"{fr.n} pairs).",
    ]
    for r in finding.sensitivity.itertuples(index=False):
        dp = "" if r.mean_abs_delta_p != r.mean_abs_delta_p else f"; mean |Δp| {r.mean_abs_delta_p:.3f}"
        lines.append(f"- {r.variable}: flip rate {_ci(r.flip_rate, r.ci_low, r.ci_high)} over {r.n_pairs} pairs{dp}")
    if finding.consistency is not None:
        k = finding.consistency
        lines.append(f"Consistency across paraphrases: {_ci(k.value, k.ci_low, k.ci_high)} of {k.n} contexts.")
    lines.append(f"Repeatability of the black box (the audit's fidelity): {finding.fidelity.describe()}.")
    lines.append(f"Unparsed answers: {c['unparsed']}. Completeness: {finding.completeness()}.")
    items = [
        EvidenceItem(
            section="2(g)",
            title=f"Black-box audit of {finding.name}: counterfactual and paraphrase tests",
            body="\n".join(lines),
            data={
                "created": created,
                "flip_rate": fr.to_dict(),
                "sensitivity": finding.artifact_dict()["sensitivity"],
                "consistency": None if finding.consistency is None else finding.consistency.to_dict(),
                "fidelity": finding.fidelity.to_dict(),
                "counts": dict(c),
            },
        )
    ]

    sensitive = finding.sensitive_variables()
    group_lines = []
    for g in finding.parity_gaps.itertuples(index=False):
        rates = finding.parity[finding.parity.variable == g.variable]
        shown = ", ".join(f"{r.group}: {r.positive_rate:.0%} (n={r.n})" for r in rates.itertuples(index=False))
        group_lines.append(
            f"- {g.variable}: share {finding.expected[0]!r} by group {shown}; demographic parity difference "
            f"{_ci(g.parity_difference, g.ci_low, g.ci_high, percent=False)} ({conf})"
        )
    body = (
        "Positive-decision rate per protected group, every other variable held at the same base contexts:\n"
        + "\n".join(group_lines)
        if group_lines
        else "No protected attribute was named, so rates per group were not measured."
    )
    body += f"\nInputs whose change alone flips decisions (flip-rate CI above 0): {', '.join(sensitive) or 'none'}."
    items.append(
        EvidenceItem(
            section="3",
            title=f"Decisions of {finding.name} across groups and sensitive inputs",
            body=body,
            data={
                "field": "3.groups",
                "parity": finding.artifact_dict()["parity"],
                "sensitive_variables": sensitive,
            },
        )
    )

    if finding.protected:
        risk = []
        for g in finding.parity_gaps.itertuples(index=False):
            flagged = g.flip_ci_low == g.flip_ci_low and g.flip_ci_low > 0
            risk.append(
                f"- {g.variable}: changing it alone flips {_ci(g.flip_rate, g.flip_ci_low, g.flip_ci_high)} of "
                f"decisions; {'RISK: the CI excludes 0' if flagged else 'no effect detected at this sample size'}."
            )
        items.append(
            EvidenceItem(
                section="5",
                title=f"Risk: sensitivity of {finding.name} to protected attributes",
                body="Counterfactual test of protected attributes:\n" + "\n".join(risk),
                data={"parity_gaps": finding.artifact_dict()["parity_gaps"]},
            )
        )
    else:
        items.append(
            EvidenceItem(
                section="5",
                title=f"Risk: sensitivity of {finding.name} to protected attributes",
                body="Not measured: name the protected attributes with audit(..., protected=[...]).",
                status="missing",
            )
        )
    return items
