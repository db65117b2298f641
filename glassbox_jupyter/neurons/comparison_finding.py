"""NeuronGraphComparison: per-topic neuron graphs over the same neurons and their stable differences.

Example:
    >>> cmp = glassbox.compare_neuron_graphs(topics, model=model, layer=3)  # doctest: +SKIP
    >>> cmp.differences  # doctest: +SKIP
    >>> cmp.graphs["cooking"].hubs  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from glassbox_jupyter.finding.base import Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.neurons.activations import NeuronActivations
from glassbox_jupyter.neurons.finding import (
    VIEW_THRESHOLD,
    NeuronGraphFinding,
    NeuronSelection,
    edge_dicts,
    neighbour_predictions,
    node_dicts,
    pooled_r2_fidelity,
)

if TYPE_CHECKING:
    from glassbox_jupyter.widgets.neuron_graph_view import NeuronGraphView

__all__ = ["ComparisonParts", "NeuronGraphComparison"]

Edge = tuple[int, int]


@dataclass
class ComparisonParts:
    """What :func:`~glassbox_jupyter.neurons.topics.compare_neuron_graphs` computed."""

    graphs: dict[str, NeuronGraphFinding]
    resamples: dict[str, list[dict[Edge, float] | None]]
    activations: NeuronActivations  # the chosen neurons, every sample of every topic
    sample_topics: list[str]
    settings: dict[str, Any]
    selection: str
    provenance: Provenance


class NeuronGraphComparison(NeuronSelection, Finding):
    """Neuron graphs of one layer for several topics, and the edges whose partial correlation differs stably.

    Attributes:
        topics: the topic names, in the order given.
        graphs: ``{topic: NeuronGraphFinding}``; their edges carry ``stability`` (share of bootstrap resamples
            that select the edge).
        difference: networkx Graph of the edges that differ stably; edge attributes ``weights`` ({topic: ρ}),
            ``higher`` / ``lower`` (topics), ``delta`` (ρ_higher − ρ_lower), ``stability`` (share of resamples
            where the ordering holds), ``weight`` (ρ of the first topic − ρ of the second with two topics,
            else ``delta``).
        differences: the same as a DataFrame, largest difference first.
        graph: the average graph (mean ρ over topics) that gives the nodes their communities and hubs.
        alphas: the α of every topic (chosen by CV once per topic, kept for its resamples).
        selected_neuron: the neuron chosen in the view (or by :meth:`select_neuron`).
        fidelity: held-out R² of each topic graph's neighbour regression, pooled over topics.
    """

    kind: ClassVar[str] = "neuron_graph_comparison"

    def __init__(self, parts: ComparisonParts):
        self._parts = parts
        self.topics = list(parts.graphs)
        self.graphs = dict(parts.graphs)
        self.activations = parts.activations
        self.layer = parts.activations.layer
        self.pooling = parts.activations.pooling
        self.neuron_ids = [int(n) for n in parts.activations.neuron_ids]
        self.alphas = {t: g.alpha for t, g in self.graphs.items()}
        self.settings = parts.settings
        self.stability_threshold = float(parts.settings["stability_threshold"])
        self.n_bootstrap = int(parts.settings["n_bootstrap"])
        self.selected_neuron: int | None = None
        self._sample_topics = list(parts.sample_topics)
        self.actions = [f"{t}: {a}" for t, g in self.graphs.items() for a in g.actions]
        self.valid_resamples = self._edge_stability()
        self.ids = sorted({int(n) for g in self.graphs.values() for n in g.graph.nodes})
        self.graph = self._average_graph()
        self.difference = self._difference_graph()
        self.differences = self._difference_table()
        self.fidelity = pooled_r2_fidelity(
            [neighbour_predictions(g.result, g.activations.values[g._parts.held]) for g in self.graphs.values()],
            seed=int(parts.settings["seed"]),
        )
        self.provenance = parts.provenance

    # ------------------------------------------------------------------ construction
    def _edge_stability(self) -> dict[str, int]:
        valid_counts = {}
        for topic, graph in self.graphs.items():
            valid = [r for r in self._parts.resamples[topic] if r is not None]
            valid_counts[topic] = len(valid)
            failed = len(self._parts.resamples[topic]) - len(valid)
            if failed:
                self.actions.append(f"{topic}: {failed} bootstrap resample(s) could not be fitted and were left out")
            for u, v, d in graph.graph.edges(data=True):
                key = (min(u, v), max(u, v))
                d["stability"] = float(np.mean([key in r for r in valid])) if valid else None
            graph.invalidate_static_view()
        return valid_counts

    def _rho(self, topic: str, u: int, v: int) -> float:
        G = self.graphs[topic].graph
        return float(G.edges[u, v]["weight"]) if G.has_edge(u, v) else 0.0

    def _average_graph(self) -> Any:
        from glassbox_jupyter.neurons.graph import build_graph

        position = {n: i for i, n in enumerate(self.ids)}
        mean = np.eye(len(self.ids))
        for graph in self.graphs.values():
            for u, v, d in graph.graph.edges(data=True):
                i, j = position[u], position[v]
                mean[i, j] += d["weight"] / len(self.graphs)
                mean[j, i] = mean[i, j]
        columns = {n: i for i, n in enumerate(self.neuron_ids)}
        variance = self.activations.values[:, [columns[n] for n in self.ids]].var(axis=0)
        members: dict[int, list[int]] = {}
        for graph in self.graphs.values():
            for n, d in graph.graph.nodes(data=True):
                members.setdefault(int(n), list(d["members"]))
        groups = [members[n] for n in self.ids]
        return build_graph(mean, self.ids, variance=variance, groups=groups, seed=int(self.settings["seed"]))

    def _difference_graph(self) -> Any:
        import networkx as nx

        G = nx.Graph()
        for n, d in self.graph.nodes(data=True):
            G.add_node(n, **d)
        pairs = sorted({(min(u, v), max(u, v)) for g in self.graphs.values() for u, v in g.graph.edges})
        paired = [
            b for b in range(self.n_bootstrap) if all(self._parts.resamples[t][b] is not None for t in self.topics)
        ]
        minimum = float(self.settings["min_difference"])
        for u, v in pairs:
            weights = {t: self._rho(t, u, v) for t in self.topics}
            higher = max(self.topics, key=lambda t: weights[t])
            lower = min(self.topics, key=lambda t: weights[t])
            delta = weights[higher] - weights[lower]
            if delta < minimum or not paired:
                continue
            hi = self._parts.resamples[higher]
            lo = self._parts.resamples[lower]
            holds = []
            for b in paired:
                high_b, low_b = hi[b], lo[b]
                if high_b is None or low_b is None:  # never: paired resamples exist for every topic
                    continue
                holds.append(high_b.get((u, v), 0.0) - low_b.get((u, v), 0.0) > 0)
            stability = float(np.mean(holds))
            if stability < self.stability_threshold:
                continue
            signed = weights[self.topics[0]] - weights[self.topics[1]] if len(self.topics) == 2 else delta
            G.add_edge(
                u,
                v,
                weights=weights,
                higher=higher,
                lower=lower,
                delta=float(delta),
                stability=stability,
                weight=float(signed),
                abs_weight=abs(float(signed)),
            )
        return G

    def _difference_table(self) -> Any:
        import pandas as pd

        rows = []
        for u, v, d in self.difference.edges(data=True):
            row = {"source": u, "target": v, "higher": d["higher"], "lower": d["lower"], "delta": d["delta"]}
            row["stability"] = d["stability"]
            row.update({f"rho[{t}]": w for t, w in d["weights"].items()})
            rows.append(row)
        columns = ["source", "target", "higher", "lower", "delta", "stability"] + [f"rho[{t}]" for t in self.topics]
        table = pd.DataFrame(rows, columns=columns)
        return table.sort_values(["delta", "source", "target"], ascending=[False, True, True]).reset_index(drop=True)

    # ------------------------------------------------------------------ exports
    def to_graphml(self, path: Any) -> None:
        """Write the difference graph as GraphML (per-topic weights as ``weights_<topic>`` attributes)."""
        import networkx as nx

        from glassbox_jupyter.neurons.graph import graphml_ready

        nx.write_graphml(graphml_ready(self.difference), str(path))

    # ------------------------------------------------------------------ Finding protocol
    def summary(self) -> str:
        per_topic = ", ".join(f"{t} {g.graph.number_of_edges()}" for t, g in self.graphs.items())
        return (
            f"neuron graphs of {self.layer} for {len(self.topics)} topics: {self.difference.number_of_edges()} edges "
            f"differ stably (ordering holds in ≥ {self.stability_threshold:.0%} of {self.n_bootstrap} bootstrap "
            f"resamples, |Δρ| ≥ {self.settings['min_difference']:g}); edges per topic: {per_topic}"
        )

    def _difference_edges(self) -> list[dict[str, Any]]:
        """The difference edges in the view's format, each with the topics it compares and their ρ."""
        edges = edge_dicts(self.difference)
        for edge, (_, _, d) in zip(edges, self.difference.edges(data=True), strict=True):
            edge.update(higher=d["higher"], lower=d["lower"], weights={t: float(w) for t, w in d["weights"].items()})
        return edges

    def pair_name(self, a: str, b: str) -> str:
        """The view's name of the signed difference between topics ``a`` and ``b``: ``"a − b"``."""
        return f"{a} − {b}"

    def pair_difference_edges(self, a: str, b: str) -> list[dict[str, Any]]:
        """The edges whose partial correlation differs stably between topics ``a`` and ``b``, signed.

        Weight ρ_a − ρ_b (blue: higher for ``a``), kept as the difference graph keeps its edges: |ρ_a − ρ_b| ≥
        ``min_difference`` and the sign holds in at least ``stability_threshold`` of the paired resamples. With
        two topics this is the difference graph itself; with more, one such set per pair of topics tells which
        topic is higher where the difference graph only gives the largest gap.
        """
        paired = [
            r for r in range(self.n_bootstrap) if all(self._parts.resamples[t][r] is not None for t in self.topics)
        ]
        minimum = float(self.settings["min_difference"])
        pairs = sorted({(min(u, v), max(u, v)) for t in (a, b) for u, v in self.graphs[t].graph.edges})
        edges = []
        for u, v in pairs:
            rho_a, rho_b = self._rho(a, u, v), self._rho(b, u, v)
            delta = rho_a - rho_b
            if abs(delta) < minimum or not paired:
                continue
            holds = []
            for r in paired:
                sample_a, sample_b = self._parts.resamples[a][r], self._parts.resamples[b][r]
                if sample_a is None or sample_b is None:  # never: paired resamples exist for every topic
                    continue
                holds.append((sample_a.get((u, v), 0.0) - sample_b.get((u, v), 0.0)) * delta > 0)
            stability = float(np.mean(holds))
            if stability < self.stability_threshold:
                continue
            higher, lower = (a, b) if delta > 0 else (b, a)
            edges.append(
                {
                    "source": f"n{u}",
                    "target": f"n{v}",
                    "weight": float(delta),
                    "stability": stability,
                    "higher": higher,
                    "lower": lower,
                    "weights": {a: rho_a, b: rho_b},
                }
            )
        return edges

    @staticmethod
    def _signed_meaning(a: str, b: str) -> dict[str, str | None]:
        return {
            "weight": f"ρ({a}) − ρ({b})",
            "positive": f"partial correlation higher for {a} than for {b}",
            "negative": f"partial correlation higher for {b} than for {a}",
        }

    def difference_meaning(self) -> dict[str, str | None]:
        """What a difference edge's weight is and what its sign says: ``{"weight", "positive", "negative"}``.

        With two topics A and B the weight is ρ_A − ρ_B: positive where the two neurons' partial correlation
        is higher for A than for B (not "stronger": −0.1 is higher than −0.4). With more topics it is the gap
        between the topic where ρ is highest and the one where it is lowest, never negative.
        """
        if len(self.topics) == 2:
            return self._signed_meaning(*self.topics)
        return {
            "weight": "gap in partial correlation (highest topic − lowest topic)",
            "positive": "the partial correlation differs between topics (hover an edge: which topic is higher)",
            "negative": None,
        }

    def view_data(self) -> dict[str, Any]:
        sets = {t: edge_dicts(g.graph) for t, g in self.graphs.items()}
        sets["difference"] = self._difference_edges()
        info: dict[str, dict[str, str | None]] = {
            t: {
                "weight": f"partial correlation for {t}",
                "positive": f"positive partial correlation for {t}",
                "negative": f"negative partial correlation for {t}",
            }
            for t in self.topics
        }
        info["difference"] = self.difference_meaning()
        if len(self.topics) == 2:
            a, b = self.topics
            sign = f"blue where the partial correlation is higher for {a} than for {b}, red where it is higher for {b}"
        else:
            sign = (
                "width: the gap between the topics with the highest and the lowest partial correlation; "
                "the sets “A − B” are signed, blue where it is higher for A"
            )
            for i, a in enumerate(self.topics):
                for b in self.topics[i + 1 :]:
                    sets[self.pair_name(a, b)] = self.pair_difference_edges(a, b)
                    info[self.pair_name(a, b)] = self._signed_meaning(a, b)
        return {
            "title": f"neuron graphs by topic: {self.layer}",
            "caption": (
                f"{len(self.ids)} neurons, topics {', '.join(self.topics)}; difference edges ({sign}) hold in "
                f"≥ {self.stability_threshold:.0%} of {self.n_bootstrap} bootstrap resamples"
            ),
            "nodes": node_dicts(self.graph),
            "edges": sets["difference"],
            "edge_sets": sets,
            "edge_set": "difference",
            "edge_set_info": info,
            "threshold": VIEW_THRESHOLD,
            "actions": list(self.actions),
        }

    def artifact_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "pooling": self.pooling,
            "topics": self.topics,
            "selection": self._parts.selection,
            "neurons": self.neuron_ids,
            "alphas": self.alphas,
            "n_bootstrap": self.n_bootstrap,
            "valid_resamples": self.valid_resamples,
            "stability_threshold": self.stability_threshold,
            "min_difference": float(self.settings["min_difference"]),
            "differences": [
                {
                    "source": int(u),
                    "target": int(v),
                    "higher": d["higher"],
                    "lower": d["lower"],
                    "delta": d["delta"],
                    "stability": d["stability"],
                    "partial_correlations": d["weights"],
                }
                for u, v, d in self.difference.edges(data=True)
            ],
            "graphs": {
                t: {
                    "alpha": g.alpha,
                    "edges": [
                        {
                            "source": int(u),
                            "target": int(v),
                            "partial_correlation": float(d["weight"]),
                            "stability": d.get("stability"),
                        }
                        for u, v, d in g.graph.edges(data=True)
                    ],
                    "communities": [sorted(int(n) for n in c) for c in g.communities],
                    "hubs": [int(n) for n in g.hubs["neuron"]],
                }
                for t, g in self.graphs.items()
            },
            "actions": self.actions,
            "selected_neuron": self.selected_neuron,
        }

    def evidence(self) -> list[EvidenceItem]:
        top = self.differences.head(10)
        lines = "; ".join(
            f"#{r.source}–#{r.target} partial correlation higher for {r.higher} than for {r.lower} by {r.delta:.2f} "
            f"(stability {r.stability:.2f})"
            for r in top.itertuples(index=False)
        )
        return [
            EvidenceItem(
                section="2(b)",
                title="Neuron graphs by topic: where the layer's neurons interact differently",
                body=f"{self.summary()}. Largest stable differences: {lines or 'none'}.",
                data={"differences": self.artifact_dict()["differences"]},
            ),
            EvidenceItem(
                section="2(e)",
                title="Interpretation tool: neuron graph view with per-topic edge sets",
                body="Reviewers can switch between each topic's graph and the difference graph, read edge "
                "stability, and click a neuron to see the inputs (with their topic) that activate it most.",
            ),
            EvidenceItem(
                section="2(g)",
                title="Fidelity and stability of the topic graphs",
                body=(
                    f"Held-out R² of each topic graph's neighbour regression, pooled over topics: "
                    f"{self.fidelity.describe()}. Differences are reported only when their sign holds in at least "
                    f"{self.stability_threshold:.0%} of {self.n_bootstrap} bootstrap resamples per topic (texts "
                    "drawn with replacement, α fixed per topic)."
                ),
                data={"fidelity": self.fidelity.to_dict(), "alphas": self.alphas, "actions": self.actions},
            ),
        ]

    def widget(self) -> NeuronGraphView:
        from glassbox_jupyter.widgets.neuron_graph_view import NeuronGraphView

        return NeuronGraphView(self)

    def to_svg(self) -> str:
        from glassbox_jupyter.neurons.view import network_svg

        meaning = self.difference_meaning()
        signs = (str(meaning["positive"]), meaning["negative"])
        return network_svg(self.view_data(), signs=signs, selected=self.selected_neuron, top_inputs=self._top_inputs())
