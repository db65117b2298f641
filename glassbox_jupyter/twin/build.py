"""``glassbox.readable_twin``: cluster each chosen layer, build the flow graph, mine its confident paths.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> teacher = glassbox.demos.load("digits_cnn")  # doctest: +SKIP
    >>> X, y = glassbox.demos.load_digits_split("all")  # doctest: +SKIP
    >>> twin = glassbox.readable_twin(teacher, X, layers=["conv1", "conv2", "fc1"], n_clusters=10)  # doctest: +SKIP
    >>> twin.fidelity, twin.paths["7"][0].nodes  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.errors import GlassboxError
from glassbox_jupyter.twin.finding import TwinFinding, TwinParts

if TYPE_CHECKING:
    from glassbox_jupyter.teacher.layers import ConvMode
    from glassbox_jupyter.twin.clustering import Method
    from glassbox_jupyter.twin.paths import SearchMethod


class TwinInputError(GlassboxError, ValueError):
    """Inputs ``readable_twin`` cannot use (the message says how to fix them)."""


def _check_shape(model: Any, X: np.ndarray) -> np.ndarray:
    """Reshape flat rows to a Teacher's declared per-sample shape; refuse rows of another size."""
    from glassbox_jupyter.teacher.teacher import Teacher

    spec = model.spec if isinstance(model, Teacher) else None
    if spec is None or spec.shape is None:
        return X
    shape = tuple(int(s) for s in spec.shape)
    if X.shape[1:] == shape:
        return X
    if X.ndim == 2 and X.shape[1] == int(np.prod(shape)):
        return X.reshape((len(X), *shape))
    raise TwinInputError(
        f"X has rows of shape {X.shape[1:]} but {model.name} takes {shape} (or flat rows of {int(np.prod(shape))})"
    )


def _as_module(model: Any) -> tuple[Any, list[str] | None, str]:
    """The torch module inside ``model`` (a Teacher or an ``nn.Module``), its class names and a name."""
    import torch

    from glassbox_jupyter.teacher.teacher import Teacher

    if isinstance(model, Teacher):
        module = model.model
        if not isinstance(module, torch.nn.Module):
            raise TwinInputError(
                f"the teacher wraps a {type(model.model).__name__}; readable_twin reads a PyTorch model's layers "
                "(pass an nn.Module or a Teacher around one)"
            )
        names = list(model.output_names) if model.spec is not None else None
        return module, names, model.name
    if isinstance(model, torch.nn.Module):
        return model, None, type(model).__name__
    raise TwinInputError(
        f"readable_twin needs a PyTorch nn.Module (or a glassbox.Teacher around one), got {type(model).__name__}"
    )


def _as_array(X: Any) -> np.ndarray:
    try:
        import torch

        if isinstance(X, torch.Tensor):
            return X.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    array = np.asarray(X)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TwinInputError(f"X must be numeric (a numpy array or torch tensor), got dtype {array.dtype}")
    return array


def readable_twin(
    model: Any,
    X: Any,
    layers: Sequence[str] | str,
    n_clusters: int | Mapping[str, int] = 10,
    *,
    y: Any = None,
    class_names: Sequence[str] | None = None,
    method: Method = "ward",
    k_range: Sequence[int] | None = None,
    conv: ConvMode = "pooled",
    tnorm: str = "einstein",
    top_k: int = 3,
    path_search: SearchMethod = "auto",
    held_out: float = 0.25,
    max_fit_samples: int = 5000,
    batch_size: int = 1024,
    seed: int = 0,
) -> TwinFinding:
    """Build the readable twin of a PyTorch classifier (HuReTEx, Pancerz et al. 2025).

    Args:
        model: an ``nn.Module`` returning class scores, or a :class:`glassbox.Teacher` around one.
        X: inputs (numpy array or torch tensor), shaped as the model expects.
        layers: layer names from ``model.named_modules()`` (a list or ``"conv1,conv2,fc1"``), in the
            order the information system should follow.
        n_clusters: clusters per layer (per filter with ``conv="per_filter"``), or ``{layer: k}`` for each
            chosen layer (e.g. few per filter of a conv layer, more in a dense one).
        y: true labels (optional): kept as the information system's ``"true"`` column, not in the graph.
        method: ``"ward"`` (default), ``"birch"`` or ``"kmeans"``; ``k_range`` picks k by silhouette.
        conv: ``"pooled"`` (convolutional maps averaged over space) or ``"per_filter"`` (each filter
            clustered, the node being the tuple of filter clusters, as in the paper).
        tnorm: path fitness t-norm: einstein, minimum, product, lukasiewicz, nilpotent_minimum, drastic.
        top_k: paths kept per class.
        path_search: ``"auto"`` (exact k-best search unless the graph is huge, then the evolutionary
            algorithm, checked against the exact optimum when both are feasible), ``"exhaustive"`` or ``"evolve"``.
        held_out: share of ``X`` kept out of the twin to measure its agreement with the model.
        max_fit_samples: clustering fits at most this many rows (the rest by nearest centroid).
    """
    from glassbox_jupyter.finding.fidelity import agreement_fidelity
    from glassbox_jupyter.teacher.layers import forward_with_activations, resolve_layers
    from glassbox_jupyter.twin.clustering import FilterClusterer, LayerClusterer
    from glassbox_jupyter.twin.flowgraph import flow_graph, information_system
    from glassbox_jupyter.twin.paths import best_paths

    module, teacher_names, name = _as_module(model)
    if isinstance(layers, str):
        layers = [part.strip() for part in layers.split(",") if part.strip()]
    chosen = [layer for layer, _ in resolve_layers(module, layers)]
    if conv not in ("pooled", "per_filter"):
        raise TwinInputError(f"conv must be 'pooled' or 'per_filter', got {conv!r}")
    if not 0 <= held_out < 1:
        raise TwinInputError(f"held_out must be in [0, 1), got {held_out}")
    X = _check_shape(model, _as_array(X))
    n = len(X)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_held = round(n * held_out) if n >= 20 else 0
    held, fit = np.sort(order[:n_held]), np.sort(order[n_held:])
    if isinstance(n_clusters, Mapping):
        missing = [layer for layer in chosen if layer not in n_clusters]
        if missing:
            raise TwinInputError(f"n_clusters gives no number for {missing}; give one per chosen layer or a single int")
        per_layer = {layer: int(n_clusters[layer]) for layer in chosen}
    else:
        per_layer = dict.fromkeys(chosen, int(n_clusters))
    if len(fit) < max(per_layer.values()):
        raise TwinInputError(
            f"{len(fit)} samples to build the twin from but {max(per_layer.values())} clusters were asked for; "
            "pass more samples or fewer clusters"
        )
    acts, outputs = forward_with_activations(module, X, chosen, batch_size=batch_size, conv=conv)
    outputs = np.asarray(outputs)
    if outputs.ndim != 2 or outputs.shape[1] < 2:
        raise TwinInputError(
            f"the model's output has shape {outputs.shape}; readable_twin needs class scores [n, classes >= 2]"
        )
    predicted = outputs.argmax(axis=1)
    names = list(class_names) if class_names is not None else teacher_names
    if names is None or len(names) != outputs.shape[1]:
        names = [str(i) for i in range(outputs.shape[1])]
    truth = None
    if y is not None:
        truth = _as_array(y).astype(int).ravel()
        if len(truth) != n:
            raise TwinInputError(f"y has {len(truth)} labels but X has {n} rows")

    clusterers: dict[str, Any] = {}
    labels: dict[str, np.ndarray] = {}
    node_labels: dict[str, dict[int, Any]] = {}
    for layer in chosen:
        A = acts[layer]
        kind = FilterClusterer if A.ndim == 3 else LayerClusterer
        clusterer = kind(per_layer[layer], method, k_range, max_fit_samples, seed, name=layer)
        labels[layer] = clusterer.fit(A[fit])
        clusterers[layer] = clusterer
        if isinstance(clusterer, FilterClusterer):
            node_labels[layer] = {i: tuple(int(v) for v in combo) for i, combo in enumerate(clusterer.combos_)}
    sis = information_system(labels, predicted[fit], None if truth is None else truth[fit], class_names=names)
    graph = flow_graph(sis, node_labels=node_labels or None)
    search = best_paths(graph, tnorm, top_k, method=path_search, seed=seed)

    parts = TwinParts(
        module=module,
        name=name,
        layers=chosen,
        conv=conv,
        class_names=names,
        clusterers=clusterers,
        sis=sis,
        graph=graph,
        search=search,
        fit_rows=fit,
        held_rows=held,
        X_fit=X[fit],
        activations={layer: acts[layer][fit] for layer in chosen},
        settings={
            "n_clusters": per_layer,
            "method": method,
            "k_range": None if k_range is None else list(k_range),
            "conv": conv,
            "tnorm": tnorm,
            "top_k": top_k,
            "path_search": search.method,
            "held_out": held_out,
            "max_fit_samples": max_fit_samples,
            "seed": seed,
        },
    )
    twin = TwinFinding(parts)
    if len(held) >= 2:
        guess = twin.predict_ids(X[held])
        twin.fidelity = agreement_fidelity(predicted[held], guess, seed=seed)
    else:
        guess = twin.predict_ids(X[fit])
        fid = agreement_fidelity(predicted[fit], guess, seed=seed)
        from glassbox_jupyter.finding.fidelity import Fidelity

        twin.fidelity = Fidelity(fid.metric, fid.value, fid.ci_low, fid.ci_high, n=fid.n, split="in-sample")
    return twin
