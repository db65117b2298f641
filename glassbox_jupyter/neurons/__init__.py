"""Neuron graphs: the graph of conditional dependencies between a layer's MLP neurons (graphical lasso).

Example:
    >>> import glassbox
    >>> graph = glassbox.neuron_graph(model, texts, layer=3)  # doctest: +SKIP
    >>> topics = glassbox.demos.load_topics()  # doctest: +SKIP
    >>> comparison = glassbox.compare_neuron_graphs(topics, model=model, layer=3)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "NeuronActivations",
    "NeuronGraphComparison",
    "NeuronGraphFinding",
    "PrecisionResult",
    "collect_neuron_activations",
    "compare_neuron_graphs",
    "estimate_precision",
    "neuron_graph",
]

_LAZY = {
    "NeuronActivations": "glassbox_jupyter.neurons.activations",
    "collect_neuron_activations": "glassbox_jupyter.neurons.activations",
    "PrecisionResult": "glassbox_jupyter.neurons.precision",
    "estimate_precision": "glassbox_jupyter.neurons.precision",
    "NeuronGraphFinding": "glassbox_jupyter.neurons.finding",
    "neuron_graph": "glassbox_jupyter.neurons.build",
    "NeuronGraphComparison": "glassbox_jupyter.neurons.comparison_finding",
    "compare_neuron_graphs": "glassbox_jupyter.neurons.topics",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'glassbox_jupyter.neurons' has no attribute {name!r}")
