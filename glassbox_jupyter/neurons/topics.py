"""``compare_neuron_graphs``: one neuron graph per topic, and the edges that differ beyond bootstrap noise.

The neurons are chosen once on the pooled activations of every topic, so every topic's graph is over the
same neurons. Each topic's α is chosen by cross-validation once, on that topic's fit samples, and kept
for all of its bootstrap resamples, so that the resamples are comparable. A resample draws the topic's
texts with replacement (all tokens of a drawn text come along: tokens of one text are not independent);
with fewer than four texts, or for plain input rows, it draws samples.

Edge stability (per topic) is the share of resamples in which the edge is selected. An edge *differs*
between topics when its partial correlation in the topic where it is highest exceeds the one where it is
lowest by at least ``min_difference``, and that ordering holds in at least ``stability_threshold`` of the
resamples; only those are reported. The resample fits are independent tasks fanned out with
:func:`glassbox_jupyter.parallel.run_tasks` (serial by default, ``n_jobs`` local processes, or a Dask
``client``); each task carries its own seed, so the result is the same wherever it runs.

Example:
    >>> topics = glassbox.demos.load_topics()  # doctest: +SKIP
    >>> cmp = glassbox.compare_neuron_graphs(topics, model=minilm_folder, layer=3, neurons=48)  # doctest: +SKIP
    >>> cmp.differences.head()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.neurons.activations import Pooling, collect_neuron_activations
from glassbox_jupyter.neurons.build import MIN_GROUPS_FOR_TEXT_SPLIT, graph_from_activations
from glassbox_jupyter.neurons.comparison_finding import ComparisonParts, NeuronGraphComparison
from glassbox_jupyter.neurons.errors import DegenerateActivationsError, EmptyTextError, TopicsError
from glassbox_jupyter.neurons.selection import describe_selection, select_neurons

__all__ = ["NeuronGraphComparison", "bootstrap_edges", "compare_neuron_graphs"]

Edge = tuple[int, int]


def compare_neuron_graphs(
    topics: Mapping[str, Any],
    model: Any,
    layer: int | str,
    *,
    neurons: int | Sequence[int] | None = None,
    alpha: float | str | None = None,
    pooling: Pooling = "token",
    tokenizer: Any = None,
    max_neurons: int = 256,
    n_bootstrap: int = 50,
    stability_threshold: float = 0.8,
    min_difference: float = 0.1,
    test_size: float = 0.25,
    cv: int = 3,
    client: Any = None,
    n_jobs: int | None = None,
    fallback: str | None = None,
    seed: int = 0,
    batch_size: int = 32,
    max_length: int = 128,
) -> NeuronGraphComparison:
    """Neuron graphs of ``layer`` for each topic (same neurons), and the stable differences between them.

    Args:
        topics: ``{"topic name": [texts...]}`` (or arrays of inputs for a plain ``nn.Module``), two or more.
        model, layer, neurons, alpha, pooling, tokenizer, max_neurons, test_size, cv: as for
            :func:`~glassbox_jupyter.neurons.build.neuron_graph`; ``neurons`` is chosen on the pooled data.
        n_bootstrap: resamples per topic for edge stability.
        stability_threshold: report a difference only when its sign holds in at least this share of resamples.
        min_difference: ignore differences of partial correlation smaller than this.
        client, n_jobs, fallback: where the resample fits run (see :func:`glassbox_jupyter.parallel.run_tasks`).

    Example:
        >>> cmp = compare_neuron_graphs({"a": texts_a, "b": texts_b}, model, layer=1)  # doctest: +SKIP
        >>> cmp.graphs["a"].summary(), cmp.difference.number_of_edges()  # doctest: +SKIP
    """
    names, inputs, sample_topic_of_input = _check_topics(topics)
    if int(n_bootstrap) < 2:
        raise ValueError(f"n_bootstrap must be at least 2 resamples, not {n_bootstrap}")
    if not 0 < float(stability_threshold) <= 1:
        raise ValueError(f"stability_threshold must be in (0, 1], not {stability_threshold}")
    try:
        acts = collect_neuron_activations(
            model, inputs, layer, pooling=pooling, tokenizer=tokenizer, batch_size=batch_size, max_length=max_length
        )
    except EmptyTextError as exc:
        if exc.index is None:
            raise
        topic, local = sample_topic_of_input[exc.index]
        raise EmptyTextError(f"topic {topic!r}, text {local}: {exc}", index=exc.index) from None
    chosen = select_neurons(acts.values, acts.neuron_ids, neurons, max_neurons)
    selection = describe_selection(neurons, chosen, acts.n_neurons) + " (chosen on all topics together)"
    acts = acts.neurons(chosen)
    sample_topics = [sample_topic_of_input[int(i)][0] for i in acts.sample_text_index]
    if acts.texts is not None:  # "text[70] token 'x'" → "finance[5] token 'x'": the index within its topic
        for k, i in enumerate(acts.sample_text_index):
            prefix = f"text[{int(i)}]"
            if acts.sample_labels[k].startswith(prefix):
                topic, local = sample_topic_of_input[int(i)]
                acts.sample_labels[k] = f"{topic}[{local}]" + acts.sample_labels[k][len(prefix) :]

    from glassbox_jupyter.neurons.finding import neuron_provenance

    settings = {
        "alpha": alpha if alpha is None or isinstance(alpha, str) else float(alpha),
        "cv": int(cv),
        "test_size": float(test_size),
        "seed": int(seed),
        "pooling": acts.pooling,
        "layer": acts.layer,
        "topics": names,
        "n_bootstrap": int(n_bootstrap),
        "stability_threshold": float(stability_threshold),
        "min_difference": float(min_difference),
    }
    provenance = neuron_provenance(acts, settings, selection, "compare_neuron_graphs")
    graphs = {}
    for topic in names:
        rows = np.flatnonzero(np.array(sample_topics) == topic)
        graphs[topic] = graph_from_activations(
            acts.rows(rows),
            selection,
            alpha=alpha,
            test_size=test_size,
            seed=seed,
            cv=cv,
            sample_topics=[topic] * len(rows),
            title=f"neuron graph: {acts.layer} — {topic}",
            provenance=provenance,
        )
    tasks = [
        {
            "values": graph.activations.values[graph._parts.train],
            "groups": graph.activations.sample_text_index[graph._parts.train],
            "ids": graph.neuron_ids,
            "alpha": graph.alpha,
            "seed": [int(seed), t, b],
        }
        for t, graph in enumerate(graphs.values())
        for b in range(int(n_bootstrap))
    ]
    from glassbox_jupyter.parallel import run_tasks

    fits = run_tasks(bootstrap_edges, tasks, client=client, n_jobs=n_jobs, fallback=fallback)
    resamples = {topic: fits[t * int(n_bootstrap) : (t + 1) * int(n_bootstrap)] for t, topic in enumerate(names)}
    parts = ComparisonParts(
        graphs=graphs,
        resamples=resamples,
        activations=acts,
        sample_topics=sample_topics,
        settings=settings,
        selection=selection,
        provenance=provenance,
    )
    return NeuronGraphComparison(parts)


def _check_topics(topics: Any) -> tuple[list[str], Any, list[tuple[str, int]]]:
    """(topic names, all inputs concatenated, (topic, index within topic) of every input)."""
    if not isinstance(topics, Mapping):
        raise TopicsError(
            f"topics must be a dict {{topic name: texts}}, not {type(topics).__name__}; e.g. "
            "{'cooking': [...], 'finance': [...]}"
        )
    if len(topics) < 2:
        raise TopicsError(f"comparing needs at least two topics, got {len(topics)}: {list(topics)}")
    names = [str(name) for name in topics]
    if len(set(names)) < len(names):
        raise TopicsError(f"topic names must differ as strings, got {names}")
    where: list[tuple[str, int]] = []
    collected: list[Any] = []
    texts = all(isinstance(v, (list, tuple)) and all(isinstance(t, str) for t in v) for v in topics.values())
    for name, value in zip(names, topics.values()):
        if isinstance(value, str) or len(value) == 0:
            raise TopicsError(f"topic {name!r} has no texts; give each topic a list of texts (one string each)")
        if texts:
            for i, text in enumerate(value):
                if not text.strip():
                    raise EmptyTextError(
                        f"topic {name!r}, text {i} is empty (or only whitespace); remove it", index=len(where)
                    )
                where.append((name, i))
            collected.extend(value)
        else:
            where.extend((name, i) for i in range(len(value)))
            collected.append(value)
    if texts:
        return names, collected, where
    import torch

    if all(isinstance(v, torch.Tensor) for v in collected):
        return names, torch.cat(collected), where
    return names, np.concatenate([np.asarray(v) for v in collected]), where


def bootstrap_edges(task: dict[str, Any]) -> dict[Edge, float] | None:
    """One resample of one topic: the partial correlation of every selected edge (``None`` if the fit is
    impossible on this resample, e.g. every neuron constant). A module-level function, so it can be pickled."""
    from glassbox_jupyter.neurons.precision import estimate_precision

    values, groups = task["values"], np.asarray(task["groups"])
    rng = np.random.default_rng(task["seed"])
    unique = np.unique(groups)
    if MIN_GROUPS_FOR_TEXT_SPLIT <= len(unique) < len(groups):
        members = {g: np.flatnonzero(groups == g) for g in unique}
        rows = np.concatenate([members[g] for g in rng.choice(unique, size=len(unique), replace=True)])
    else:
        rows = rng.integers(0, len(values), size=len(values))
    ids = list(task["ids"])
    try:
        result = estimate_precision(values[rows], float(task["alpha"]), names=ids)
    except DegenerateActivationsError:
        return None
    reps = [ids[c] for c in result.columns]
    rho = result.partial_correlations
    out: dict[Edge, float] = {}
    for i, j in zip(*np.nonzero(np.triu(result.precision, 1))):
        a, b = reps[i], reps[j]
        out[(min(a, b), max(a, b))] = float(rho[i, j])
    return out
