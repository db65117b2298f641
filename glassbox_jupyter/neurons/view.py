"""Static views of a neuron graph: the network drawing (SVG, hand-written) and the heatmap (altair).

The network is drawn on a circle with the neurons of a community next to each other (biggest community
first), node area ∝ strength, hubs ringed, edges blue (positive) / red (negative) with width ∝ |weight|.
As in the live view, only the strongest edges are drawn (:func:`default_threshold`: the data's threshold,
raised to keep :func:`edge_budget` edges), and the caption says how many are left out.

Example:
    >>> svg = network_svg(finding.view_data())  # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.neurons.graph import CATEGORY, NEGATIVE, NEUTRAL, POSITIVE, xml_text

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

__all__ = ["default_threshold", "edge_budget", "heatmap_chart", "network_svg"]

WIDTH, HEIGHT = 640, 560
PANEL_WIDTH = 380  # the selected neuron's top inputs, right of the drawing


def edge_budget(n_nodes: int) -> int:
    """How many edges a drawing of ``n_nodes`` neurons shows at first: 2.5 per neuron, 40–300.

    The live view (``js/src/widgets/neuron/layout.ts``, ``edgeBudget``) uses the same rule: hundreds of
    weak edges would hide the communities the strongest ones show.
    """
    return max(40, min(300, round(2.5 * n_nodes)))


def default_threshold(weights: list[float], n_nodes: int, floor: float = 0.0) -> float:
    """The |weight| below which edges are hidden at first: ``floor``, raised so that only the
    :func:`edge_budget` strongest edges (ties included) are shown.

    Example:
        >>> default_threshold([0.9, -0.5, 0.2, 0.1], n_nodes=2, floor=0.05)
        0.05
        >>> default_threshold([0.01 * k for k in range(100)], n_nodes=4)
        0.6
    """
    budget = edge_budget(n_nodes)
    strengths = sorted((abs(w) for w in weights), reverse=True)
    strongest = strengths[budget - 1] if len(strengths) > budget else 0.0
    return max(float(floor), float(strongest))


def _colors(nodes: list[dict[str, Any]]) -> dict[Any, str]:
    sizes: dict[Any, int] = {}
    for node in nodes:
        sizes[node["community"]] = sizes.get(node["community"], 0) + 1
    multi = sorted((c for c, s in sizes.items() if s >= 2), key=lambda c: (-sizes[c], c))
    colors = {c: CATEGORY[i % len(CATEGORY)] for i, c in enumerate(multi)}
    return {c: colors.get(c, NEUTRAL) for c in sizes}


def circle_layout(nodes: list[dict[str, Any]], cx: float, cy: float, radius: float) -> dict[str, tuple[float, float]]:
    """Node id → (x, y): communities as consecutive arcs of a circle, biggest first."""
    sizes: dict[Any, int] = {}
    for node in nodes:
        sizes[node["community"]] = sizes.get(node["community"], 0) + 1
    order = sorted(nodes, key=lambda n: (-sizes[n["community"]], n["community"], n["neuron"]))
    out = {}
    for k, node in enumerate(order):
        angle = 2 * math.pi * k / max(1, len(order)) - math.pi / 2
        out[node["id"]] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    return out


def network_svg(
    data: dict[str, Any],
    edges: list[dict[str, Any]] | None = None,
    signs: tuple[str, str | None] = ("positive partial correlation", "negative partial correlation"),
    selected: int | None = None,
    top_inputs: list[dict[str, Any]] | None = None,
) -> str:
    """The graph of ``view_data()`` as a standalone SVG (edges: ``data["edges"]`` unless given; ``signs`` says
    what blue and red edges mean in the legend, red left out when ``None``); the ``selected`` neuron and its
    ``top_inputs`` in a side panel."""
    nodes = data["nodes"]
    edges = data["edges"] if edges is None else edges
    threshold = default_threshold([e["weight"] for e in edges], len(nodes), float(data.get("threshold") or 0.0))
    # the circle between the caption (y ≈ 40) and the legend (the last 60 px)
    cx, cy = WIDTH / 2, (HEIGHT - 12) / 2
    radius = (HEIGHT - 110) / 2 - 24
    pos = circle_layout(nodes, cx, cy, radius)
    colors = _colors(nodes)
    shown = sorted((e for e in edges if abs(e["weight"]) >= threshold), key=lambda e: -abs(e["weight"]))
    hidden = len(edges) - len(shown)
    top = max((abs(e["weight"]) for e in shown), default=1.0) or 1.0
    strongest = max((n["strength"] for n in nodes), default=1.0) or 1.0
    node_r = max(2.0, min(9.0, 900 / max(1, len(nodes))))
    width = WIDTH + (PANEL_WIDTH if selected is not None else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="12" y="20" font-size="14" font-weight="bold">{xml_text(data.get("title", "neuron graph"))}</text>',
        f'<text x="12" y="38" fill="#555555">{xml_text(_caption(data, len(shown), hidden, threshold))}</text>',
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="none" stroke="#eeeeee"/>',
    ]
    for e in reversed(shown):  # strongest drawn last, on top
        (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
        color = POSITIVE if e["weight"] > 0 else NEGATIVE
        width = 0.4 + 3.2 * abs(e["weight"]) / top
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
            f'stroke-width="{width:.2f}" stroke-opacity="0.7"/>'
        )
    for node in nodes:
        x, y = pos[node["id"]]
        r = node_r * (0.6 + 0.8 * math.sqrt(node["strength"] / strongest))
        ring = ' stroke="#222222" stroke-width="2"' if node["hub"] else ' stroke="#ffffff" stroke-width="0.5"'
        if selected is not None and (node["neuron"] == selected or selected in node.get("members", [])):
            ring = ' stroke="#000000" stroke-width="3"'
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colors[node["community"]]}"{ring}>'
            f"<title>{xml_text(node['label'])}: community {node['community']}, degree {node['degree']}</title></circle>"
        )
        if node["hub"] or (selected is not None and node["neuron"] == selected):
            dx, dy = x - cx, y - cy
            norm = math.hypot(dx, dy) or 1.0
            lx, ly = x + 14 * dx / norm, y + 14 * dy / norm
            anchor = "start" if dx > 1 else "end" if dx < -1 else "middle"
            parts.append(
                f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" font-weight="bold">'
                f"{xml_text(node['label'])}</text>"
            )
    # the legend: one line per edge colour (their meaning can be long: "higher for A than for B"), then the nodes
    entries = [(POSITIVE, f"blue: {signs[0]}")] + ([(NEGATIVE, f"red: {signs[1]}")] if signs[1] else [])
    legend_y = HEIGHT - 14 - 16 * len(entries)
    for k, (color, text) in enumerate(entries):
        y = legend_y + 16 * k
        parts += [
            f'<line x1="12" y1="{y - 4}" x2="36" y2="{y - 4}" stroke="{color}" stroke-width="3"/>',
            f'<text x="40" y="{y}">{xml_text(text)} (width ∝ |weight|)</text>',
        ]
    y = HEIGHT - 14
    parts += [
        f'<circle cx="18" cy="{y - 4}" r="5" fill="{NEUTRAL}" stroke="#222222" stroke-width="2"/>',
        f'<text x="28" y="{y}">hub · colour = community · area ∝ strength</text>',
    ]
    if selected is not None:
        parts += selection_panel(selected, top_inputs or [], WIDTH)
    parts.append("</svg>")
    return "\n".join(parts)


def selection_panel(neuron: int, inputs: list[dict[str, Any]], x0: float) -> list[str]:
    """SVG lines of the side panel: the selected neuron and the inputs that activate it most, as bars."""
    lines = [
        f'<line x1="{x0}" y1="52" x2="{x0}" y2="{HEIGHT - 30}" stroke="#dddddd"/>',
        f'<text x="{x0 + 14}" y="70" font-size="13" font-weight="bold">selected: #{int(neuron)}</text>',
        f'<text x="{x0 + 14}" y="88" fill="#555555">inputs that activate it most</text>',
    ]
    top = max((abs(float(i["activation"])) for i in inputs), default=1.0) or 1.0
    for k, item in enumerate(inputs[:12]):
        y = 108 + 34 * k
        label = str(item["label"])
        label = label if len(label) <= 58 else label[:57] + "…"
        bar = 120 * abs(float(item["activation"])) / top
        topic = f" · {item['topic']}" if item.get("topic") else ""
        lines += [
            f'<text x="{x0 + 14}" y="{y}">{xml_text(label)}</text>',
            f'<rect x="{x0 + 14}" y="{y + 5}" width="{bar:.1f}" height="7" fill="{POSITIVE}" fill-opacity="0.7"/>',
            f'<text x="{x0 + 140}" y="{y + 12}" fill="#555555">{float(item["activation"]):.3g}{xml_text(topic)}</text>',
        ]
    if not inputs:
        lines.append(f'<text x="{x0 + 14}" y="110" fill="#555555">no inputs recorded</text>')
    return lines


def _caption(data: dict[str, Any], shown: int, hidden: int, threshold: float) -> str:
    text = f"{len(data['nodes'])} neurons, {shown} edges shown"
    if hidden:
        text += f" (the strongest; {hidden} with |weight| < {threshold:.3g} hidden)"
    return text


def heatmap_chart(rho: pd.DataFrame, order: list[int], title: str) -> alt.Chart:
    """Altair heatmap of the partial correlations (a DataFrame indexed by neuron id), rows and columns in
    ``order`` (neurons grouped by community); zero entries are left blank. Displays as offline SVG."""
    import altair as alt
    import numpy as np
    import pandas as pd

    from glassbox_jupyter.widgets.svg import offline_chart

    matrix = rho.loc[order, order].to_numpy()
    rows, cols = np.nonzero((matrix != 0) & ~np.eye(len(order), dtype=bool))
    frame = pd.DataFrame(
        {
            "row": [f"#{order[i]}" for i in rows],
            "column": [f"#{order[j]}" for j in cols],
            "partial correlation": matrix[rows, cols],
        }
    )
    labels = [f"#{n}" for n in order]
    limit = float(np.abs(frame["partial correlation"]).max()) if len(frame) else 1.0
    axis = alt.Axis(labels=len(order) <= 60, ticks=False)
    return offline_chart(
        alt.Chart(frame, title=title)
        .mark_rect()
        .encode(
            x=alt.X("column:N", sort=labels, axis=axis, title="neuron"),
            y=alt.Y("row:N", sort=labels, axis=axis, title="neuron"),
            color=alt.Color(
                "partial correlation:Q",
                scale=alt.Scale(scheme="redblue", domain=[-limit, limit], reverse=False),
                # two short lines: a browser's wider font must not push the title past the SVG's edge
                legend=alt.Legend(title=["partial", "correlation"]),
            ),
            tooltip=["row", "column", alt.Tooltip("partial correlation:Q", format=".3f")],
        )
        .properties(
            width=min(560, max(180, 8 * len(order) + 40)),
            height=min(560, max(180, 8 * len(order) + 40)),
            title=alt.TitleParams(title, anchor="start"),
            padding={"left": 5, "top": 5, "right": 30, "bottom": 5},  # room for a browser's wider font
        )
    )
