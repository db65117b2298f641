"""Glassbox 2.0's black-box result dict, read off a GlassBox :class:`~glassbox_jupyter.audit.AuditFinding`.

What each number means is documented in :mod:`glassbox_jupyter.compat.audit`.

Example:
    >>> faithfulness_category(0.55, 0.3)
    'weak'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

# one definition of the category, shared with the circuit result (re-exported here for compat.audit)
from glassbox_jupyter.compat.v2_results import faithfulness_category

if TYPE_CHECKING:
    from glassbox_jupyter.audit import AuditFinding

__all__ = ["METHOD", "faithfulness_category", "result_dict"]

METHOD = "black_box_behavioural_probing"
_DECIDED = ("positive", "negative")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _sensitivity(finding: AuditFinding, variable: str) -> dict[str, Any] | None:
    """``4·p·(1 − p)`` per context over the variable's values, averaged; the majority decision's direction."""
    probes = finding.probes
    rows = probes[((probes.kind == "base") | (probes.variable == variable)) & probes.label.isin(_DECIDED)]
    rows = rows[(rows.kind == "base") | (rows.kind == "counterfactual")]
    scores = []
    for _, group in rows.groupby("context_id"):
        if len(group) >= 2:
            p = float((group.label == "positive").mean())
            scores.append(min(1.0, 4 * p * (1 - p)))
    if not scores:
        return None
    positive = int((rows.label == "positive").sum())
    return {
        "sensitivity": sum(scores) / len(scores),
        "direction": "positive" if positive > len(rows) - positive else "negative",
        "n_contexts": len(scores),
    }


def _swap(finding: AuditFinding, variable: str, original: Any, counterfactual: Any) -> dict[str, Any]:
    pairs = finding.pairs
    ends = {str(original), str(counterfactual)}
    if len(pairs):
        chosen = pairs[(pairs.variable == variable) & pairs.valid]
        chosen = chosen[[{str(a), str(b)} == ends for a, b in zip(chosen.value_from, chosen.value_to)]]
    else:
        chosen = pairs
    impact = float(chosen.flipped.mean()) if len(chosen) else None
    return {
        "variable": variable,
        "original": str(original),
        "counterfactual": str(counterfactual),
        "output_changed": None if impact is None else impact >= 0.5,
        "causal_impact": impact,
        "n_pairs": len(chosen),
    }


def result_dict(
    finding: AuditFinding,
    tries: dict[str, tuple[list[Any], Any]],
    *,
    skipped: list[str],
    prompt: str,
    calls: int,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """The dict Glassbox 2.0's ``BlackBoxAuditor.audit`` returned, from the native ``finding``."""
    table = finding.sensitivity.set_index("variable")
    attributions = {v: _finite(table.loc[v, "flip_rate"]) or 0.0 for v in tries}
    sensitivity = {}
    for v in tries:
        row = table.loc[v]
        measured = _sensitivity(finding, v) or {"sensitivity": None, "direction": None, "n_contexts": 0}
        sensitivity[v] = {
            **measured,
            "flip_rate": _finite(row.flip_rate),
            "flip_rate_ci": [_finite(row.ci_low), _finite(row.ci_high)],
        }
    measured_values = [s["sensitivity"] for s in sensitivity.values() if s["sensitivity"] is not None]
    suff = sum(measured_values) / len(measured_values) if measured_values else None
    comp = None if finding.consistency is None else _finite(finding.consistency.value)
    f1 = None
    if suff is not None and comp is not None:
        f1 = 2 * suff * comp / (suff + comp) if suff + comp > 0 else 0.0
    category = faithfulness_category(suff, comp) if suff is not None and comp is not None else None
    circuit = sorted(finding.sensitive_variables(), key=lambda v: -attributions.get(v, 0.0))
    ranked = sorted(attributions.items(), key=lambda kv: -kv[1])
    return {
        "circuit": circuit,
        "n_heads": len(circuit),
        "clean_ld": sum(attributions.values()) / len(attributions),
        "corr_prompt": prompt,
        "attributions": attributions,
        "mlp_attributions": {v: s["sensitivity"] for v, s in sensitivity.items()},
        "top_heads": [{"layer": 0, "head": 0, "variable": v, "attr": a, "rel_depth": 0.0} for v, a in ranked[:10]],
        "method": METHOD,
        "faithfulness": {
            "sufficiency": suff,
            "comprehensiveness": comp,
            "f1": f1,
            "category": category,
            "suff_is_approx": True,
        },
        "model_metadata": metadata,
        "black_box_faithfulness": {"sensitivity_score": suff, "consistency_score": comp, "combined_score": f1},
        "counterfactual_probes": [_swap(finding, v, values[0], cf) for v, (values, cf) in tries.items()],
        "sensitivity_by_variable": sensitivity,
        "consistency_score": comp,
        "skipped_variables": list(skipped),
        "total_api_calls": int(calls),
        "audit_timestamp": finding.provenance.created,
        "glassbox_finding": finding.to_dict(),
    }
