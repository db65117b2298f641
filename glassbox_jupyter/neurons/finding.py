"""NeuronGraphFinding: the conditional-independence graph of a layer's MLP neurons (graphical lasso).

Example:
    >>> graph = glassbox.neuron_graph(model, texts, layer=3)  # doctest: +SKIP
    >>> graph.hubs.head(); graph.communities[0]; graph.top_inputs(graph.hubs.neuron[0])  # doctest: +SKIP
    >>> graph.to_dot("layer3.dot"); graph.heatmap()  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from glassbox_jupyter.finding.base import Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.finding.stats import bootstrap_ci
from glassbox_jupyter.neurons.activations import NeuronActivations
from glassbox_jupyter.neurons.errors import NeuronSelectionError
from glassbox_jupyter.neurons.precision import PrecisionResult

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

    from glassbox_jupyter.widgets.neuron_graph_view import NeuronGraphView

__all__ = [
    "NeuronGraphFinding",
    "NeuronGraphParts",
    "neighbour_predictions",
    "neighbour_regression_fidelity",
    "pooled_r2_fidelity",
]

VIEW_THRESHOLD = 0.05
NEIGHBOUR_MEASURES = "R² of each standardised neuron predicted from its graph neighbours, pooled over neurons"
N_BOOT = 1000


@dataclass
class NeuronGraphParts:
    """What :func:`~glassbox_jupyter.neurons.build.neuron_graph` computed, handed to the finding."""

    activations: NeuronActivations  # the selected neurons, every sample
    result: PrecisionResult  # fitted on the ``train`` rows
    train: np.ndarray
    held: np.ndarray
    settings: dict[str, Any]
    selection: str
    sample_topics: list[str] | None = None
    provenance: Provenance | None = None
    title: str | None = None
    extra_actions: list[str] = field(default_factory=list)


def neighbour_predictions(result: PrecisionResult, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(standardised truth, prediction) of every representative neuron from its graph neighbours:
    x_i ≈ −Σ_j Θ_ij / Θ_ii x_j (the regression the precision matrix implies)."""
    truth = result.standardise(values)
    theta = result.precision
    weights = -theta / np.diag(theta)[None, :]
    np.fill_diagonal(weights, 0.0)
    return truth, truth @ weights


def pooled_r2_fidelity(pairs: list[tuple[np.ndarray, np.ndarray]], seed: int = 0) -> Fidelity:
    """R² pooled over every value of every (truth, prediction) pair of ``[n_i, k_i]`` matrices, with a
    bootstrap CI that resamples samples (rows: the neurons of one sample are not independent)."""
    residual = np.concatenate([((t - g) ** 2).sum(axis=1) for t, g in pairs])
    first = np.concatenate([t.sum(axis=1) for t, _ in pairs])
    second = np.concatenate([(t**2).sum(axis=1) for t, _ in pairs])
    count = np.concatenate([np.full(len(t), t.shape[1], dtype=float) for t, _ in pairs])

    def pooled(res: Any, s1: Any, s2: Any, c: Any) -> Any:
        total = s2 - s1**2 / c
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, 1 - res / total, np.nan)

    n = len(residual)
    value = float(pooled(residual.sum(), first.sum(), second.sum(), count.sum()))
    if not np.isfinite(value):
        raise ValueError("every held-out neuron is constant, so R² is undefined; hold out more or other samples")
    ci = bootstrap_ci(
        lambda *rows: pooled(*(r.sum(1) for r in rows)), residual, first, second, count, seed=seed, n_boot=N_BOOT
    )
    low, high = ci if ci is not None else (None, None)
    return Fidelity("r2", value, low, high, n=n, n_boot=N_BOOT, unit="samples", measures=NEIGHBOUR_MEASURES)


def neighbour_regression_fidelity(result: PrecisionResult, values: np.ndarray, seed: int = 0) -> Fidelity:
    """Held-out R² of predicting each standardised neuron from its graph neighbours, pooled over neurons."""
    return pooled_r2_fidelity([neighbour_predictions(result, values)], seed)


MAX_STORED_CHOICES = 512  # neurons whose top inputs a stored live view carries


class NeuronSelection:
    """Choosing a neuron and reading the inputs that activate it most (shared by the graph and the comparison).

    Needs ``activations`` (NeuronActivations), ``neuron_ids``, ``_sample_topics`` and ``selected_neuron``.
    """

    activations: NeuronActivations
    neuron_ids: list[int]
    selected_neuron: int | None
    _sample_topics: list[str] | None

    def top_inputs(self, neuron: int, k: int = 10) -> pd.DataFrame:
        """The ``k`` samples that activate ``neuron`` most (DataFrame: label, activation, text_index, topic)."""
        import pandas as pd

        column = self._column(neuron)
        values = self.activations.values[:, column]
        order = np.lexsort((np.arange(len(values)), -values))[: int(k)]
        topics = self._sample_topics
        return pd.DataFrame(
            {
                "label": [self.activations.sample_labels[i] for i in order],
                "activation": values[order],
                "text_index": self.activations.sample_text_index[order],
                "topic": [topics[i] if topics is not None else None for i in order],
            }
        )

    @property
    def selection(self) -> int | None:
        """The selected neuron's id, or None."""
        return self.selected_neuron

    def selection_details(self) -> dict[str, Any]:
        """The inputs that activate the selected neuron most (``[]`` when none is selected)."""
        return {"top_inputs": self._top_inputs()}

    def _top_inputs(self) -> list[dict[str, Any]]:
        return [] if self.selected_neuron is None else self._top_input_dicts(self.selected_neuron)

    def selection_choices(self) -> dict[str, dict[str, Any]]:
        """Each neuron's top inputs (and none selected), so a view without Python can list them; {} for
        a graph of more than ``MAX_STORED_CHOICES`` neurons."""
        from glassbox_jupyter.finding.base import selection_key

        if len(self.neuron_ids) > MAX_STORED_CHOICES:
            return {}
        choices = {selection_key(n): {"top_inputs": self._top_input_dicts(n)} for n in self.neuron_ids}
        return {selection_key(None): {"top_inputs": []}, **choices}

    def _apply_selection(self, neuron: Any) -> list[dict[str, Any]]:
        """Choose ``neuron`` by id (None clears); returns its top inputs."""
        if neuron is None:
            self.selected_neuron = None
            return []
        self._column(neuron)  # raises NeuronSelectionError (a SelectionError) for unknown neurons
        self.selected_neuron = int(neuron)
        return self._top_input_dicts(int(neuron))

    def select_neuron(self, neuron: int | None) -> list[dict[str, Any]]:
        """Same as :meth:`select` (as a click in the view does): sets ``selected_neuron`` and returns its top inputs."""
        inputs: list[dict[str, Any]] = self.select(neuron)  # type: ignore[attr-defined]  # from Finding
        return inputs

    def _top_input_dicts(self, neuron: int, k: int = 10) -> list[dict[str, Any]]:
        # the activations never change, so each neuron's list is sorted once, however many views ask for it
        cache: dict[tuple[int, int], list[dict[str, Any]]] = self.__dict__.setdefault("_top_input_cache", {})
        if (neuron, k) not in cache:
            cache[(neuron, k)] = [
                {"label": str(r.label), "activation": float(r.activation), "topic": r.topic}
                for r in self.top_inputs(neuron, k).itertuples(index=False)
            ]
        return [dict(row) for row in cache[(neuron, k)]]

    def _column(self, neuron: Any) -> int:
        if isinstance(neuron, bool) or not isinstance(neuron, (int, np.integer)):
            raise NeuronSelectionError(f"a neuron is chosen by its integer id, not {neuron!r}")
        try:
            return self.neuron_ids.index(int(neuron))
        except ValueError:
            ids = self.neuron_ids
            raise NeuronSelectionError(
                f"neuron {neuron} is not in this graph; it has {len(ids)} neurons with ids {min(ids)}–{max(ids)} "
                f"(e.g. {', '.join(map(str, ids[:5]))})"
            ) from None


def node_dicts(G: Any) -> list[dict[str, Any]]:
    """The nodes of a neuron graph in the view's format."""
    return [
        {
            "id": f"n{n}",
            "neuron": int(n),
            "label": d["label"],
            "community": int(d["community"]),
            "degree": int(d["degree"]),
            "strength": float(d["strength"]),
            "hub": bool(d["hub"]),
            "variance": float(d["variance"]),
            "members": [int(m) for m in d["members"]],
        }
        for n, d in sorted(G.nodes(data=True))
    ]


def edge_dicts(G: Any, weight: str = "weight") -> list[dict[str, Any]]:
    """The edges of a graph in the view's format (``stability`` when the edges carry one)."""
    return [
        {"source": f"n{u}", "target": f"n{v}", "weight": float(d[weight]), "stability": d.get("stability")}
        for u, v, d in G.edges(data=True)
    ]


class NeuronGraphFinding(NeuronSelection, Finding):
    """The graph of a layer's MLP neurons: edges are non-zero partial correlations of a sparse precision matrix.

    Attributes:
        precision: Θ (pandas DataFrame indexed by neuron id; one row per representative neuron).
        partial_correlations: ρ_ij = −Θ_ij / √(Θ_ii Θ_jj) (DataFrame).
        graph: networkx Graph; nodes are neuron ids with ``community``, ``degree``, ``strength``, ``hub``,
            ``label``, ``variance``, ``members``, ``betweenness``; edges have ``weight`` (ρ) and ``abs_weight``.
        communities: list of sets of neuron ids (Louvain on |ρ|, seeded), biggest first.
        hubs: DataFrame of the hub neurons (largest weighted degree), with degree, strength and betweenness.
        alpha: the graphical-lasso penalty (chosen by cross-validation unless given).
        actions: what was done to make the estimate possible (dropped / merged neurons, solver recovery).
        selected_neuron: the neuron chosen in the view (or by :meth:`select_neuron`), ``None`` until then.
        fidelity: held-out R² of predicting each neuron from its graph neighbours (see
            :func:`neighbour_regression_fidelity`).
    """

    kind: ClassVar[str] = "neuron_graph"

    def __init__(self, parts: NeuronGraphParts):
        import pandas as pd

        from glassbox_jupyter.neurons.graph import build_graph, hub_table

        self._parts = parts
        acts = parts.activations
        result = parts.result
        self.activations = acts
        self.result = result
        self.layer = acts.layer
        self.source = acts.source
        self.pooling = acts.pooling
        self.neuron_ids = [int(n) for n in acts.neuron_ids]
        self.alpha = float(result.alpha)
        ids = [self.neuron_ids[c] for c in result.columns]
        self.node_ids = ids
        self.precision = pd.DataFrame(result.precision, index=ids, columns=ids)
        self.partial_correlations = pd.DataFrame(result.partial_correlations, index=ids, columns=ids)
        variance = acts.values[:, result.columns].var(axis=0)
        groups = [[self.neuron_ids[c] for c in group] for group in result.groups]
        self.graph = build_graph(
            result.partial_correlations, ids, variance=variance, groups=groups, seed=int(parts.settings["seed"])
        )
        self.communities = [set(c) for c in self.graph.graph["communities"]]
        self.hubs = hub_table(self.graph)
        self.dropped = [self.neuron_ids[c] for c in result.dropped]
        self.merged = [g for g in groups if len(g) > 1]
        self.actions = list(parts.extra_actions) + list(result.actions)
        self.selected_neuron: int | None = None
        self._sample_topics = parts.sample_topics
        self.fidelity = neighbour_regression_fidelity(result, acts.values[parts.held], seed=int(parts.settings["seed"]))
        self.provenance = parts.provenance or _provenance(acts, parts)

    # ------------------------------------------------------------------ reading the graph
    def neighbours(self, neuron: int) -> pd.DataFrame:
        """The neurons linked to ``neuron``, strongest partial correlation first (DataFrame)."""
        import pandas as pd

        node = self._node_of(neuron)
        rows = [
            {"neuron": other, "partial_correlation": d["weight"], "community": self.graph.nodes[other]["community"]}
            for other, d in self.graph[node].items()
        ]
        frame = pd.DataFrame(rows, columns=["neuron", "partial_correlation", "community"])
        return frame.reindex(frame["partial_correlation"].abs().sort_values(ascending=False).index).reset_index(
            drop=True
        )

    def _node_of(self, neuron: int) -> int:
        self._column(neuron)
        for node, d in self.graph.nodes(data=True):
            if int(neuron) in d["members"]:
                return node
        raise NeuronSelectionError(f"neuron {neuron} was dropped as constant, so it has no place in the graph")

    # ------------------------------------------------------------------ exports
    def to_dot(self, path: str | Path | None = None) -> str:
        """Graphviz DOT text of the graph (also written to ``path`` when given)."""
        from glassbox_jupyter.neurons.graph import to_dot

        text = to_dot(self.graph, self._title())
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_graphml(self, path: str | Path) -> None:
        """Write the graph as GraphML (members of merged duplicates as a comma-separated string)."""
        import networkx as nx

        from glassbox_jupyter.neurons.graph import graphml_ready

        nx.write_graphml(graphml_ready(self.graph), str(path))

    def heatmap(self) -> alt.Chart:
        """Altair heatmap of the partial correlations, neurons grouped by community (shown as offline SVG)."""
        from glassbox_jupyter.neurons.view import heatmap_chart
        from glassbox_jupyter.widgets.svg import offline_chart

        order = [n for community in self.graph.graph["communities"] for n in community]
        return offline_chart(heatmap_chart(self.partial_correlations, order, f"partial correlations: {self.layer}"))

    # ------------------------------------------------------------------ Finding protocol
    def _title(self) -> str:
        return self._parts.title or f"neuron graph: {self.layer}"

    def _alpha_text(self) -> str:
        folds = self.result.settings.get("cv")
        how = {"cv": f"{folds}-fold CV", "cv-1se": f"{folds}-fold CV, one-standard-error rule"}.get(
            self.result.method, "given"
        )
        return f"α = {self.alpha:.3g} ({how})"

    def summary(self) -> str:
        G = self.graph
        multi = sum(1 for c in self.communities if len(c) > 1)
        hubs = ", ".join(f"#{n}" for n in self.hubs["neuron"][:3])
        return (
            f"neuron graph of {self.layer}: {G.number_of_nodes()} neurons, {G.number_of_edges()} edges "
            f"({self._alpha_text()}), {multi} communities of 2+ neurons" + (f"; hubs {hubs}" if hubs else "")
        )

    def _edges(self) -> list[dict[str, Any]]:
        return edge_dicts(self.graph)

    def _nodes(self) -> list[dict[str, Any]]:
        return node_dicts(self.graph)

    def view_data(self) -> dict[str, Any]:
        return {
            "title": self._title(),
            "caption": (
                f"{self.graph.number_of_nodes()} neurons from {self.activations.n_samples} samples "
                f"({self.pooling} pooling), {self._alpha_text()}; click a neuron to see the inputs that activate "
                "it most"
            ),
            "nodes": self._nodes(),
            "edges": self._edges(),
            "edge_sets": None,
            "edge_set": None,
            "threshold": VIEW_THRESHOLD,
            "actions": list(self.actions),
        }

    def artifact_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "layer": self.layer,
            "source": self.source,
            "pooling": self.pooling,
            "selection": self._parts.selection,
            "neurons": self.neuron_ids,
            "alpha": self.alpha,
            "alpha_method": r.method,
            "cv": None
            if r.cv_alphas is None or r.cv_scores is None  # both set by cross-validation, or neither
            else {
                "alphas": r.cv_alphas.tolist(),
                "mean_held_out_log_likelihood": [float(v) if np.isfinite(v) else None for v in r.cv_scores],
            },
            "nodes": self._nodes(),
            "edges": [
                {"source": int(u), "target": int(v), "partial_correlation": float(d["weight"])}
                for u, v, d in self.graph.edges(data=True)
            ],
            "communities": [sorted(int(n) for n in c) for c in self.communities],
            "hubs": [int(n) for n in self.hubs["neuron"]],
            "dropped_constant": self.dropped,
            "merged_duplicates": self.merged,
            "actions": self.actions,
            "samples": {"fit": len(self._parts.train), "held_out": len(self._parts.held)},
            "selected_neuron": self.selected_neuron,
        }

    def evidence(self) -> list[EvidenceItem]:
        strongest = sorted(self.graph.edges(data=True), key=lambda e: -e[2]["abs_weight"])[:10]
        lines = "; ".join(f"#{u}–#{v} ρ = {d['weight']:+.2f}" for u, v, d in strongest)
        items = [
            EvidenceItem(
                section="2(b)",
                title="Neuron graph: conditional dependencies between MLP neurons",
                body=f"{self.summary()}. Neurons chosen: {self._parts.selection}. Strongest edges: {lines or 'none'}.",
                data={
                    "edges": self.artifact_dict()["edges"],
                    "communities": [sorted(c) for c in self.communities],
                },
            ),
            EvidenceItem(
                section="2(e)",
                title="Interpretation tool: neuron graph view",
                body="Reviewers can browse the neuron graph (communities, hubs, edge threshold), click a neuron to "
                "read the inputs that activate it most, and export the graph as DOT or GraphML.",
            ),
            EvidenceItem(
                section="2(g)",
                title="Fidelity of the neuron graph",
                body=(
                    "Held-out R² of predicting each neuron from its graph neighbours (the precision-matrix "
                    f"regression), fitted on {len(self._parts.train)} samples: {self.fidelity.describe()}."
                    + (f" Data handling: {' '.join(a.rstrip('.') + '.' for a in self.actions)}" if self.actions else "")
                ),
                data={"fidelity": self.fidelity.to_dict(), "actions": self.actions},
            ),
        ]
        return items

    def widget(self) -> NeuronGraphView:
        from glassbox_jupyter.widgets.neuron_graph_view import NeuronGraphView

        return NeuronGraphView(self)

    def to_svg(self) -> str:
        from glassbox_jupyter.neurons.view import network_svg

        return network_svg(self.view_data(), selected=self.selected_neuron, top_inputs=self._top_inputs())


def neuron_provenance(
    acts: NeuronActivations, settings: dict[str, Any], selection: str, name: str, **probe: Any
) -> Provenance:
    """Provenance of a neuron-graph result: the model's weights hash, the samples and the settings."""
    from glassbox_jupyter.teacher.transformer import module_adapter

    return Provenance.capture(
        module_adapter(acts.model, name=acts.source),
        probe={
            "samples": int(acts.n_samples),
            "texts": None if acts.texts is None else len(acts.texts),
            "pooling": acts.pooling,
            "layer": acts.layer,
            **probe,
        },
        seed=int(settings["seed"]),
        method={"name": name, "selection": selection, **settings},
    )


def _provenance(acts: NeuronActivations, parts: NeuronGraphParts) -> Provenance:
    return neuron_provenance(
        acts, parts.settings, parts.selection, "neuron_graph", fit_samples=len(parts.train), held_out=len(parts.held)
    )
