"""``neuron_graph``: collect a layer's MLP neuron activations, choose neurons, estimate the sparse graph.

The samples are split into a fit part and a held-out part by text (all tokens of a text land on the same
side, so the held-out fidelity is not inflated by tokens of texts seen in the fit); with fewer than four
texts (or for plain input rows) the split is by sample.

Example:
    >>> import glassbox
    >>> texts = glassbox.demos.load_topics()["astronomy"]  # doctest: +SKIP
    >>> graph = glassbox.neuron_graph(minilm_folder, texts, layer=3, neurons=64)  # doctest: +SKIP
    >>> graph.summary()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.neurons.activations import NeuronActivations, Pooling, collect_neuron_activations
from glassbox_jupyter.neurons.finding import NeuronGraphFinding, NeuronGraphParts
from glassbox_jupyter.neurons.precision import estimate_precision
from glassbox_jupyter.neurons.selection import describe_selection, select_neurons

__all__ = ["graph_from_activations", "neuron_graph", "split_samples"]

MIN_GROUPS_FOR_TEXT_SPLIT = 4


def neuron_graph(
    model: Any,
    texts_or_inputs: Any,
    layer: int | str,
    *,
    neurons: int | Sequence[int] | None = None,
    alpha: float | str | None = None,
    pooling: Pooling = "token",
    tokenizer: Any = None,
    max_neurons: int = 256,
    test_size: float = 0.25,
    seed: int = 0,
    cv: int = 3,
    batch_size: int = 32,
    max_length: int = 128,
) -> NeuronGraphFinding:
    """The graph of conditional dependencies between the MLP neurons of ``layer``.

    Args:
        model: a ``HookedTransformer``, a Hugging Face model (with ``tokenizer=``) or its local folder path, or
            any ``nn.Module`` or a Teacher around one (then ``texts_or_inputs`` is a tensor / array and ``layer``
            a module name).
        texts_or_inputs: a list of texts, or a batch of inputs.
        layer: block number or hook / module name (see :func:`collect_neuron_activations`).
        neurons: ``None`` (all, at most ``max_neurons`` by variance), an int k (the k most variable) or ids.
        alpha: graphical-lasso penalty on z-scored activations; ``None`` chooses it by ``cv``-fold CV, ``"1se"`` by
            CV with the one-standard-error rule (the sparsest graph scoring within one standard error of the best).
        pooling: ``"token"`` (one sample per token), ``"sequence"`` (mean per text) or ``"max"``.
        test_size: share of texts (or samples) held out to measure fidelity.
        seed: fixes the split, the CV folds and the community detection.

    Example:
        >>> graph = neuron_graph(model, texts, layer=1, neurons=32)  # doctest: +SKIP
        >>> graph.hubs  # doctest: +SKIP
    """
    acts = collect_neuron_activations(
        model, texts_or_inputs, layer, pooling=pooling, tokenizer=tokenizer, batch_size=batch_size,
        max_length=max_length,
    )  # fmt: skip
    chosen = select_neurons(acts.values, acts.neuron_ids, neurons, max_neurons)
    selection = describe_selection(neurons, chosen, acts.n_neurons)
    return graph_from_activations(acts.neurons(chosen), selection, alpha=alpha, test_size=test_size, seed=seed, cv=cv)


def graph_from_activations(
    acts: NeuronActivations,
    selection: str,
    *,
    alpha: float | str | None = None,
    test_size: float = 0.25,
    seed: int = 0,
    cv: int = 3,
    sample_topics: list[str] | None = None,
    title: str | None = None,
    provenance: Any = None,
) -> NeuronGraphFinding:
    """A :class:`NeuronGraphFinding` from activations already collected and selected."""
    train, held = split_samples(acts.sample_text_index, test_size, seed)
    result = estimate_precision(
        acts.values[train], alpha, cv=cv, seed=seed, names=acts.neuron_ids, groups=acts.sample_text_index[train]
    )
    settings = {
        "alpha": alpha if alpha is None or isinstance(alpha, str) else float(alpha),
        "cv": int(cv),
        "test_size": float(test_size),
        "seed": int(seed),
        "pooling": acts.pooling,
        "layer": acts.layer,
    }
    parts = NeuronGraphParts(
        activations=acts,
        result=result,
        train=train,
        held=held,
        settings=settings,
        selection=selection,
        sample_topics=sample_topics,
        provenance=provenance,
        title=title,
    )
    return NeuronGraphFinding(parts)


def split_samples(groups: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, held-out rows): whole texts held out when there are enough of them, else single samples."""
    if not 0 < float(test_size) < 1:
        raise ValueError(f"test_size must be between 0 and 1 (a share of the texts), not {test_size}")
    groups = np.asarray(groups)
    rng = np.random.default_rng(seed)
    unique = np.unique(groups)
    if len(unique) >= MIN_GROUPS_FOR_TEXT_SPLIT and len(unique) < len(groups):
        shuffled = rng.permutation(unique)
        held_groups = shuffled[: max(1, round(test_size * len(unique)))]
        held_mask = np.isin(groups, held_groups)
    else:
        n_held = max(2, round(test_size * len(groups)))
        held_mask = np.zeros(len(groups), dtype=bool)
        held_mask[rng.permutation(len(groups))[:n_held]] = True
    train, held = np.flatnonzero(~held_mask), np.flatnonzero(held_mask)
    if len(held) < 2 or len(train) < 2:
        from glassbox_jupyter.neurons.errors import DegenerateActivationsError

        raise DegenerateActivationsError(
            f"{len(groups)} samples are too few to hold some out for fidelity; pass more texts or inputs"
        )
    return train, held
