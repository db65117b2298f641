"""The neuron graph itself: networkx graph from partial correlations, communities, hubs, DOT export.

Example:
    >>> import numpy as np
    >>> rho = np.array([[1, .5, 0], [.5, 1, -.2], [0, -.2, 1]])
    >>> G = build_graph(rho, [7, 8, 9], variance=[1, 1, 1], groups=[[7], [8], [9]], seed=0)
    >>> sorted(G.edges(data="weight"))
    [(7, 8, 0.5), (8, 9, -0.2)]
    >>> G.nodes[8]["hub"], G.nodes[8]["degree"]
    (True, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = ["NEGATIVE", "POSITIVE", "build_graph", "community_colors", "hub_table", "to_dot"]

POSITIVE = "#2166ac"  # edge colours, as in the NeuronGraphView widget (the ends of RdBu)
NEGATIVE = "#b2182b"
NEUTRAL = "#9e9e9e"
CATEGORY = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
HUB_FRACTION = 0.05
MAX_HUBS = 20
EXACT_BETWEENNESS = 400  # nodes; above it betweenness is estimated from this many sources


def build_graph(
    rho: np.ndarray,
    ids: Sequence[int],
    *,
    variance: Sequence[float],
    groups: Sequence[Sequence[int]],
    seed: int = 0,
) -> nx.Graph:
    """Graph of the non-zero partial correlations; nodes carry community, degree, strength, hub, label, variance,
    members (the merged duplicates), betweenness; edges carry ``weight`` (ρ) and ``abs_weight``."""
    import networkx as nx

    G = nx.Graph()
    ids = [int(i) for i in ids]
    for i, neuron in enumerate(ids):
        G.add_node(neuron, label=f"#{neuron}", variance=float(variance[i]), members=[int(m) for m in groups[i]])
    rows, cols = np.nonzero(np.triu(rho, 1))
    for i, j in zip(rows.tolist(), cols.tolist()):
        w = float(rho[i, j])
        G.add_edge(ids[i], ids[j], weight=w, abs_weight=abs(w), distance=1.0 / max(abs(w), 1e-12))
    communities = find_communities(G, seed)
    for index, members in enumerate(communities):
        for neuron in members:
            G.nodes[neuron]["community"] = index
    for neuron in G.nodes:
        G.nodes[neuron]["degree"] = int(G.degree(neuron))
        G.nodes[neuron]["strength"] = float(G.degree(neuron, weight="abs_weight"))
    betweenness = _betweenness(G, seed)
    ranked = sorted((n for n in G.nodes if G.nodes[n]["degree"] > 0), key=lambda n: (-G.nodes[n]["strength"], n))
    hubs = set(ranked[: min(MAX_HUBS, max(1, math.ceil(HUB_FRACTION * G.number_of_nodes())))])
    for neuron in G.nodes:
        G.nodes[neuron]["betweenness"] = float(betweenness.get(neuron, 0.0))
        G.nodes[neuron]["hub"] = neuron in hubs
    G.graph["communities"] = [sorted(c) for c in communities]
    return G


def find_communities(G: Any, seed: int = 0) -> list[set[int]]:
    """Louvain communities on |ρ| (seeded), biggest first (ties by smallest neuron id)."""
    import networkx as nx

    if G.number_of_edges() == 0:
        found = [{n} for n in G.nodes]
    else:
        found = nx.community.louvain_communities(G, weight="abs_weight", seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


def _betweenness(G: Any, seed: int) -> dict[int, float]:
    import networkx as nx

    if G.number_of_edges() == 0:
        return {}
    k = None if G.number_of_nodes() <= EXACT_BETWEENNESS else EXACT_BETWEENNESS
    return nx.betweenness_centrality(G, k=k, weight="distance", seed=seed)


def hub_table(G: nx.Graph) -> pd.DataFrame:
    """The hub neurons (largest weighted degree), as a DataFrame sorted by strength."""
    import pandas as pd

    rows = [
        {
            "neuron": n,
            "community": d["community"],
            "degree": d["degree"],
            "strength": d["strength"],
            "betweenness": d["betweenness"],
        }
        for n, d in G.nodes(data=True)
        if d["hub"]
    ]
    table = pd.DataFrame(rows, columns=["neuron", "community", "degree", "strength", "betweenness"])
    return table.sort_values(["strength", "neuron"], ascending=[False, True]).reset_index(drop=True)


def community_colors(G: Any) -> dict[int, str]:
    """Community index → colour: communities of two or more neurons get categorical colours, singletons grey."""
    sizes: dict[int, int] = {}
    for _, d in G.nodes(data=True):
        sizes[d["community"]] = sizes.get(d["community"], 0) + 1
    multi = sorted((c for c, s in sizes.items() if s >= 2), key=lambda c: (-sizes[c], c))
    colors = {c: CATEGORY[i % len(CATEGORY)] for i, c in enumerate(multi)}
    return {c: colors.get(c, NEUTRAL) for c in sizes}


def to_dot(G: Any, title: str = "neuron graph") -> str:
    """Graphviz DOT text: nodes coloured by community (hubs with a thick border), edges by sign, width ∝ |ρ|."""
    colors = community_colors(G)
    lines = [
        "graph neuron_graph {",
        f'  graph [label="{_dot(title)}", layout=neato, overlap=false, splines=true];',
        '  node [shape=circle, style=filled, fontsize=10, fontcolor="#ffffff"];',
    ]
    for n, d in sorted(G.nodes(data=True)):
        members = ",".join(map(str, d["members"]))
        lines.append(
            f'  n{n} [label="{_dot(d["label"])}", fillcolor="{colors[d["community"]]}", community={d["community"]}, '
            f'degree={d["degree"]}, strength={d["strength"]:.4f}, members="{members}"'
            + (', penwidth=3, color="#222222"' if d["hub"] else ", penwidth=0")
            + "];"
        )
    for u, v, d in sorted(G.edges(data=True)):
        color = POSITIVE if d["weight"] > 0 else NEGATIVE
        width = 0.5 + 4 * d["abs_weight"]
        lines.append(f'  n{u} -- n{v} [weight={d["weight"]:.4f}, color="{color}", penwidth={width:.2f}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def graphml_ready(G: nx.Graph) -> nx.Graph:
    """A copy whose attributes GraphML can store (lists become comma-separated strings)."""
    H = G.copy()
    H.graph.clear()
    for _, d in H.nodes(data=True):
        d["members"] = ",".join(map(str, d["members"]))
    for _, _, d in H.edges(data=True):
        for key, value in list(d.items()):
            if value is None:
                del d[key]
            elif isinstance(value, dict):
                for name, inner in value.items():
                    d[f"{key}_{name}"] = float(inner)
                del d[key]
    return H


def xml_text(value: Any) -> str:
    return escape(str(value), quote=True)
