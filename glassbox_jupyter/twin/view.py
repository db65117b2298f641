"""Static SVG of a readable twin's flow graph (altair + vl-convert; no browser, no network).

Example:
    >>> svg = flow_graph_svg(twin.view_data())  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any


def layout(data: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Node id → (column index, position in its column 0..1), nodes ordered by support within a column."""
    by_column: dict[int, list[dict[str, Any]]] = {}
    for node in data["nodes"]:
        by_column.setdefault(node["column_index"], []).append(node)
    out: dict[str, tuple[float, float]] = {}
    for index, nodes in by_column.items():
        nodes.sort(key=lambda n: (-n["support"], n["id"]))
        step = 1.0 / max(1, len(nodes) - 1)
        for rank, node in enumerate(nodes):
            out[node["id"]] = (float(index), 0.5 if len(nodes) == 1 else rank * step)
    return out


def flow_graph_svg(
    data: dict[str, Any],
    selected_path: Sequence[str] = (),
    coefficient: str | None = None,
    threshold: float | None = None,
) -> str:
    """The flow graph as SVG: columns left to right, node area ∝ support, edge width ∝ ``coefficient``
    (edges below ``threshold`` hidden), the best path of each class and ``selected_path`` drawn on top."""
    import altair as alt
    import pandas as pd

    from glassbox_jupyter.widgets.svg import chart_to_svg

    coefficient = coefficient or data.get("coefficient", "confidence")
    threshold = data.get("threshold", 0.05) if threshold is None else threshold
    pos = layout(data)
    best = {(u, v) for p in data.get("best_paths", []) for u, v in zip(p["nodes"], p["nodes"][1:])}
    chosen = list(selected_path)
    picked = set(itertools.pairwise(chosen))
    rows = []
    for e in data["edges"]:
        weight = float(e[coefficient])
        if weight < threshold and (e["source"], e["target"]) not in best | picked:
            continue
        (x, y), (x2, y2) = pos[e["source"]], pos[e["target"]]
        kind = (
            "selected path"
            if (e["source"], e["target"]) in picked
            else ("best path of a class" if (e["source"], e["target"]) in best else "edge")
        )
        rows.append({"x": x, "y": y, "x2": x2, "y2": y2, "weight": weight, "kind": kind})
    edges = pd.DataFrame(rows or [{"x": 0.0, "y": 0.0, "x2": 0.0, "y2": 0.0, "weight": 0.0, "kind": "edge"}])
    nodes = pd.DataFrame(
        [
            {"x": pos[n["id"]][0], "y": pos[n["id"]][1], "support": n["support"], "label": n["label"],
             "selected": n["id"] in chosen}
            for n in data["nodes"]
        ]
    )  # fmt: skip
    columns = data["columns"]
    x_scale = alt.Scale(domain=[-0.5, len(columns) - 0.5])
    y_scale = alt.Scale(domain=[1.08, -0.08])
    x_axis = alt.Axis(values=list(range(len(columns))), labelExpr=_label_expr(columns), title=None, grid=False)
    colours = alt.Scale(
        domain=["edge", "best path of a class", "selected path"], range=["#9aa5b1", "#d62728", "#1f77b4"]
    )
    lines = (
        alt.Chart(edges)
        .mark_rule()
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis),
            y=alt.Y("y:Q", scale=y_scale, axis=None),
            x2="x2:Q",
            y2="y2:Q",
            color=alt.Color("kind:N", scale=colours, title=None, legend=alt.Legend(orient="bottom")),
            strokeWidth=alt.StrokeWidth("weight:Q", scale=alt.Scale(domain=[0, 1], range=[0.3, 6]), legend=None),
            opacity=alt.value(0.7),
            order=alt.Order("kind:N"),
        )
    )
    dots = (
        alt.Chart(nodes)
        .mark_circle(stroke="black", strokeWidth=0.6, opacity=1)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis),
            y=alt.Y("y:Q", scale=y_scale, axis=None),
            size=alt.Size("support:Q", scale=alt.Scale(range=[30, 500]), legend=None),
            color=alt.condition("datum.selected", alt.value("#1f77b4"), alt.value("#f4f1ea")),
        )
    )
    labels = dots.mark_text(dx=9, align="left", fontSize=9).encode(
        text="label:N",
        size=alt.value(9),
        color=alt.condition("datum.selected", alt.value("#1f77b4"), alt.value("#333333")),
    )
    height = max(220, 22 * max(sum(1 for n in data["nodes"] if n["column_index"] == i) for i in range(len(columns))))
    chart = (lines + dots + labels).properties(
        width=max(360, 150 * len(columns)),
        height=height,
        title=f"{data.get('title', 'readable twin')} (edges: {coefficient} ≥ {threshold:g})",
    )
    return chart_to_svg(chart.configure_view(stroke=None).configure(aria=False))


def _label_expr(columns: list[str]) -> str:
    quoted = ", ".join("'" + c.replace("'", "") + "'" for c in columns)
    return f"[{quoted}][datum.value]"
