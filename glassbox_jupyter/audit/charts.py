"""Static SVG of an audit: flip rate per variable with CI whiskers, and the positive rate per protected group.

Example:
    >>> svg = audit_svg(finding)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any

SELECTED = "#c2410c"
PROTECTED = "#CC79A7"
OTHER = "#0072B2"


def _finite(*values: Any) -> bool:
    return all(v is not None and math.isfinite(float(v)) for v in values)


def audit_svg(finding: Any) -> str:
    """Sensitivity bars (flip rate, CI) beside parity bars (positive rate per protected group, CI)."""
    import altair as alt
    import pandas as pd

    from glassbox_jupyter.widgets.svg import chart_to_svg

    selected = finding.selected_variable
    rows = []
    for r in finding.sensitivity.itertuples(index=False):
        if not _finite(r.flip_rate):
            continue
        low, high = (r.ci_low, r.ci_high) if _finite(r.ci_low, r.ci_high) else (r.flip_rate, r.flip_rate)
        role = "selected" if r.variable == selected else ("protected" if r.protected else "variable")
        rows.append(
            {
                "variable": r.variable,
                "flip rate": r.flip_rate,
                "low": low,
                "high": high,
                "role": role,
                "pairs": r.n_pairs,
            }
        )
    frame = pd.DataFrame(rows, columns=["variable", "flip rate", "low", "high", "role", "pairs"])
    colour = alt.Color(
        "role:N",
        scale=alt.Scale(domain=["variable", "protected", "selected"], range=[OTHER, PROTECTED, SELECTED]),
        legend=alt.Legend(title=None, orient="bottom"),
    )
    y = alt.Y("variable:N", sort=None, title=None)
    top = max([0.1, *frame["high"].tolist()])
    x = alt.X(
        "flip rate:Q",
        axis=alt.Axis(format="%"),
        title="decision flip rate (95% CI)",
        scale=alt.Scale(domain=[0, min(1.0, top * 1.1)]),
    )
    base = alt.Chart(frame)
    sensitivity = (
        base.mark_bar(opacity=0.85).encode(y=y, x=x, color=colour, tooltip=["variable", "flip rate", "pairs"])
        + base.mark_rule(color="#1f2328").encode(y=y, x="low:Q", x2="high:Q")
        + base.mark_tick(color="#1f2328", thickness=1.5).encode(y=y, x="low:Q")
        + base.mark_tick(color="#1f2328", thickness=1.5).encode(y=y, x="high:Q")
    ).properties(width=240, title="Sensitivity per variable")

    parity_rows = []
    for r in finding.parity.itertuples(index=False):
        if not _finite(r.positive_rate):
            continue
        low, high = (r.ci_low, r.ci_high) if _finite(r.ci_low, r.ci_high) else (r.positive_rate, r.positive_rate)
        parity_rows.append(
            {
                "group": f"{r.variable} = {r.group}",
                "positive rate": r.positive_rate,
                "low": low,
                "high": high,
                "variable": r.variable,
                "n": r.n,
            }
        )
    if not parity_rows:
        return chart_to_svg(sensitivity.properties(title=_title(finding)).configure(aria=False))
    parity = pd.DataFrame(parity_rows)
    py = alt.Y("group:N", sort=None, title=None)
    pbase = alt.Chart(parity)
    parity_chart = (
        pbase.mark_bar(opacity=0.85, color=PROTECTED).encode(
            y=py,
            x=alt.X(
                "positive rate:Q",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
                title=f"share '{finding.expected[0]}' (95% CI)",
            ),
            tooltip=["group", "positive rate", "n"],
        )
        + pbase.mark_rule(color="#1f2328").encode(y=py, x="low:Q", x2="high:Q")
        + pbase.mark_tick(color="#1f2328", thickness=1.5).encode(y=py, x="low:Q")
        + pbase.mark_tick(color="#1f2328", thickness=1.5).encode(y=py, x="high:Q")
    ).properties(width=200, title="Parity across protected groups")
    chart = alt.hconcat(sensitivity, parity_chart).properties(title=_title(finding))
    return chart_to_svg(chart.configure(aria=False))


def _title(finding: Any) -> Any:
    import altair as alt

    fr = finding.flip_rate
    line = f"single-variable swaps flip {fr.value:.0%} of {fr.n} decisions" if fr.value == fr.value else ""
    if not finding.complete:
        line += f" · {_clip(finding.completeness(), 80)}"
    return alt.TitleParams(f"Black-box audit of {finding.name}", subtitle=line, anchor="start")


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
