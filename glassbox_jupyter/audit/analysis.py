"""Turn an audit's answers into its tables and measures (flip rates, sensitivity, consistency, parity, retest).

Unparsed answers count as answers for consistency and test–retest (an answer that cannot be read under one
wording is an inconsistency) but are left out of flip rates and parity, which need a decision on both sides;
their number is reported.

Example:
    >>> from glassbox_jupyter.audit.plan import make_plan
    >>> from glassbox_jupyter.audit.providers import as_provider
    >>> from glassbox_jupyter.audit.runner import run_queries
    >>> plan = make_plan("{a} {b}?", {"a": ["x", "y"], "b": [1, 2]}, paraphrases=[], seed=0)
    >>> run = run_queries(as_provider(lambda p: "yes" if "y" in p else "no"), plan.jobs(), plan.prompts,
    ...                   "yes", "no", progress=False)
    >>> results = analyse(plan, run, ("yes", "no"), n_boot=200, confidence=0.95, seed=0)
    >>> results.sensitivity.set_index("variable")["flip_rate"].to_dict()
    {'a': 1.0, 'b': 0.0}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from glassbox_jupyter.audit.measures import Estimate, estimate, group_rates
from glassbox_jupyter.audit.plan import AuditPlan
from glassbox_jupyter.audit.runner import RunResult
from glassbox_jupyter.finding.fidelity import Fidelity, agreement_fidelity

if TYPE_CHECKING:
    import pandas as pd

DECIDED = ("positive", "negative")
_CODES = {"negative": 0, "positive": 1, "unparsed": 2}


class _Bootstrap(TypedDict):
    """The bootstrap settings every measure of one audit shares."""

    n_boot: int
    confidence: float


@dataclass
class AuditResults:
    """Every table and measure of one audit."""

    probes: pd.DataFrame
    pairs: pd.DataFrame
    flip_rate: Estimate
    sensitivity: pd.DataFrame
    consistency: Estimate | None
    parity: pd.DataFrame
    parity_gaps: pd.DataFrame
    fidelity: Fidelity
    counts: dict[str, int]


def plain(value: Any) -> str | bool | int | float | None:
    """A context value as JSON: numbers, strings, booleans and None as they are, anything else as str."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else str(value)
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return plain(value.item())
    return str(value)


def _probe_table(plan: AuditPlan, run: RunResult, expected: tuple[str, str]) -> pd.DataFrame:
    import pandas as pd

    first = {i: d for (kind, i), d in run.answers.items() if kind == "first"}
    again = {i: d for (kind, i), d in run.answers.items() if kind == "retest"}
    failed = {e["prompt_id"]: e["message"] for e in run.errors if e["query"] == "first"}
    words = {"positive": expected[0], "negative": expected[1], "unparsed": "unparsed"}
    rows = []
    for probe in plan.probes:
        pid = probe["prompt_id"]
        decision = first.get(pid)
        status = "answered" if decision else ("failed" if pid in failed else "not asked")
        rows.append(
            {
                **{k: probe[k] for k in ("probe_id", "prompt_id", "context_id", "kind", "variant", "variable")},
                "value": plain(probe["value"]),
                "context": {k: plain(v) for k, v in probe["context"].items()},
                "prompt": plan.prompts[pid],
                "status": status,
                "decision": words[decision.label] if decision else None,
                "label": decision.label if decision else None,
                "p_positive": float("nan") if decision is None or decision.p_positive is None else decision.p_positive,
                "answer": decision.answer if decision else None,
                "error": failed.get(pid),
                "retest_label": again[pid].label if pid in again else None,
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("variable", "value", "decision", "label", "answer", "error", "retest_label"):
        # object columns keep ints as ints and None as None (pandas would make NaN of them)
        frame[column] = pd.Series([r[column] for r in rows], dtype=object)
    return frame


def _pairs(probes: Any, plan: AuditPlan, words: dict[str, str]) -> Any:
    import pandas as pd

    base = probes[probes.kind == "base"].set_index("context_id")
    rows = []
    for row in probes[probes.kind == "counterfactual"].itertuples(index=False):
        b = base.loc[row.context_id]
        valid = b.label in DECIDED and row.label in DECIDED
        both_p = valid and np.isfinite(b.p_positive) and np.isfinite(row.p_positive)
        rows.append(
            {
                "context_id": row.context_id,
                "variable": row.variable,
                "value_from": plain(plan.contexts[row.context_id][row.variable]),
                "value_to": row.value,
                "decision_from": words.get(b.label),
                "decision_to": words.get(row.label),
                "p_from": b.p_positive if both_p else None,
                "p_to": row.p_positive if both_p else None,
                "valid": bool(valid),
                "flipped": bool(valid and b.label != row.label),
                "abs_delta_p": abs(float(row.p_positive) - float(b.p_positive)) if both_p else None,
                "prompt_from": b.prompt,
                "prompt_to": row.prompt,
                "context": b.context,
            }
        )
    return pd.DataFrame(rows)


def _per_context(frame: Any, column: str, n_contexts: int) -> np.ndarray:
    out = np.zeros(n_contexts)
    if len(frame):
        sums = frame.groupby("context_id")[column].sum()
        out[sums.index.to_numpy(dtype=int)] = sums.to_numpy(dtype=float)
    return out


def analyse(
    plan: AuditPlan, run: RunResult, expected: tuple[str, str], *, n_boot: int, confidence: float, seed: int
) -> AuditResults:
    """All measures of one audit (see :mod:`glassbox_jupyter.audit.auditor` for what each means)."""
    import pandas as pd

    boot: _Bootstrap = {"n_boot": n_boot, "confidence": confidence}
    words = {"positive": expected[0], "negative": expected[1], "unparsed": "unparsed"}
    probes = _probe_table(plan, run, expected)
    pairs = _pairs(probes, plan, words)
    n_ctx = len(plan.contexts)
    pairs["flips"] = pairs["flipped"].astype(float)
    pairs["valid_n"] = pairs["valid"].astype(float)
    pairs["has_p"] = pairs["abs_delta_p"].notna().astype(float)
    pairs["abs_dp"] = pairs["abs_delta_p"].astype(float).fillna(0.0)

    flip_rate = estimate(
        _per_context(pairs, "flips", n_ctx), _per_context(pairs, "valid_n", n_ctx), seed=[seed, 10], **boot
    )
    sensitivity = []
    for k, name in enumerate(plan.variables):
        sub = pairs[pairs.variable == name]
        fr = estimate(
            _per_context(sub, "flips", n_ctx), _per_context(sub, "valid_n", n_ctx), seed=[seed, 11, k], **boot
        )
        dp = estimate(_per_context(sub, "abs_dp", n_ctx), _per_context(sub, "has_p", n_ctx), seed=[seed, 12, k], **boot)
        sensitivity.append(
            {
                "variable": name,
                "protected": name in plan.protected,
                "flip_rate": fr.value,
                "ci_low": fr.ci_low,
                "ci_high": fr.ci_high,
                "n_pairs": fr.n,
                "n_contexts": fr.n_contexts,
                "mean_abs_delta_p": dp.value,
                "delta_p_ci_low": dp.ci_low,
                "delta_p_ci_high": dp.ci_high,
                "sensitive": fr.excludes_zero,
            }
        )
    sensitivity_frame = pd.DataFrame(sensitivity)

    consistency = None
    if len(plan.variants) > 1:
        agree, seen = np.zeros(n_ctx), np.zeros(n_ctx)
        groups = probes[probes.kind.isin(["base", "paraphrase"])].groupby("context_id")["label"]
        for c, labels in groups:
            if labels.notna().all():
                seen[int(c)], agree[int(c)] = 1.0, float(labels.nunique() == 1)
        consistency = estimate(agree, seen, seed=[seed, 13], **boot)

    labels = {  # (context, swapped variable, its value) -> label; (context, None, None) is the base probe
        (int(c), v, val if v else None): label
        for c, v, val, label, variant in zip(
            probes.context_id, probes.variable, probes.value, probes.label, probes.variant
        )
        if variant == "original"
    }
    parity, gaps = [], []
    for k, name in enumerate(plan.protected):
        values = plan.variables[name]
        pos, ans = np.zeros((n_ctx, len(values))), np.zeros((n_ctx, len(values)))
        for g, value in enumerate(values):
            for c, context in enumerate(plan.contexts):
                key = (c, None, None) if context[name] is value else (c, name, plain(value))
                label = labels.get(key)
                ans[c, g] = float(label in DECIDED)
                pos[c, g] = float(label == "positive")
        per_group, gap = group_rates(pos, ans, seed=[seed, 14, k], **boot)
        for value, est in zip(values, per_group):
            parity.append(
                {
                    "variable": name,
                    "group": plain(value),
                    "positive_rate": est.value,
                    "ci_low": est.ci_low,
                    "ci_high": est.ci_high,
                    "n": est.n,
                }
            )
        row = sensitivity_frame.set_index("variable").loc[name]
        gaps.append(
            {
                "variable": name,
                "parity_difference": gap.value,
                "ci_low": gap.ci_low,
                "ci_high": gap.ci_high,
                "n_contexts": gap.n_contexts,
                "flip_rate": row.flip_rate,
                "flip_ci_low": row.ci_low,
                "flip_ci_high": row.ci_high,
            }
        )
    parity_columns = ["variable", "group", "positive_rate", "ci_low", "ci_high", "n"]
    gap_columns = [
        "variable",
        "parity_difference",
        "ci_low",
        "ci_high",
        "n_contexts",
        "flip_rate",
        "flip_ci_low",
        "flip_ci_high",
    ]

    retested = probes.drop_duplicates("prompt_id")
    retested = retested[retested.label.notna() & retested.retest_label.notna()]
    fidelity = agreement_fidelity(
        retested.label.map(_CODES).to_numpy(),
        retested.retest_label.map(_CODES).to_numpy(),
        seed=seed,
        split="test-retest",
        unit="prompts",
        measures="agreement of the black box's decision with its own decision when the same prompt is asked again",
        **boot,
    )
    answered = probes.drop_duplicates("prompt_id")
    counts = {
        "base_contexts": n_ctx,
        "combinations": int(plan.n_combinations),
        "probes": len(probes),
        "prompts": len(plan.prompts),
        "answered": int((answered.status == "answered").sum()),
        "failed": int((answered.status == "failed").sum()),
        "not_asked": int((answered.status == "not asked").sum()),
        "unparsed": int((answered.label == "unparsed").sum()),
        "retested": len(retested),
        "retest_failed": sum(1 for e in run.errors if e["query"] == "retest"),
        "pairs": len(pairs),
        "valid_pairs": int(pairs["valid"].sum()) if len(pairs) else 0,
    }
    pairs = pairs.drop(columns=["flips", "valid_n", "has_p", "abs_dp"])
    return AuditResults(
        probes=probes,
        pairs=pairs,
        flip_rate=flip_rate,
        sensitivity=sensitivity_frame,
        consistency=consistency,
        parity=pd.DataFrame(parity, columns=parity_columns),
        parity_gaps=pd.DataFrame(gaps, columns=gap_columns),
        fidelity=fidelity,
        counts=counts,
    )
