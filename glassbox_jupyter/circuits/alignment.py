"""Whether two models implement a task with the same heads: functional circuit alignment.

- :func:`functional_circuit_alignment` correlates two models' per-head effect maps and tests the
  correlation against a head-label permutation null (optionally after matching heads within layers
  by their attention patterns with ``scipy.optimize.linear_sum_assignment``); between models of
  different sizes (``by="depth_function"``) it aligns their circuits by relative depth and head function
  (:func:`align_circuits`) and tests the score against random circuits of the same sizes.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.alignment import functional_circuit_alignment
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = glassbox.demos.ioi_prompts(16, seed=0)  # doctest: +SKIP
    >>> functional_circuit_alignment(model, model, prompts).p_value  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet
from glassbox_jupyter.circuits.stability import (
    Head,
    as_prompt_set,
    check_circuit,
    head_effects,
    ranking_values,
    top_heads,
)
from glassbox_jupyter.finding.provenance import Provenance

if TYPE_CHECKING:
    import pandas as pd


def _weights_hash(model: Any) -> str:
    from glassbox_jupyter.teacher.transformer import TransformerAdapter

    return str(TransformerAdapter(model).describe()["sha256"])


@dataclass
class AlignmentResult(MeasuredResult):
    """How similarly two models use their heads on the same task.

    ``alignment`` is the Pearson correlation (or cosine) between the effect maps (``effects_b`` after
    head matching when ``matching`` is set); ``null`` holds the same statistic with model B's head labels
    permuted (within each layer, or globally), ``z = (alignment − mean(null)) / std(null)`` and
    ``p_value = (1 + #{null ≥ alignment}) / (1 + n_null)`` (one-sided). ``jaccard`` compares the two
    top-``top_k`` head sets. ``matching[layer][h]`` is the head of B matched to head ``h`` of A.
    ``provenance`` names model A and A's prompts; its method settings name model B's weights hash and prompts.
    """

    metric: str
    method: str
    null_kind: str
    alignment: float
    alignment_unmatched: float
    null: np.ndarray = field(repr=False)
    z: float | None
    p_value: float
    effects_a: np.ndarray = field(repr=False)
    effects_b: np.ndarray = field(repr=False)
    top_a: list[tuple[int, int]]
    top_b: list[tuple[int, int]]
    jaccard: float
    matching: list[list[int]] | None = None
    provenance: Provenance | None = field(default=None, repr=False)
    kind = "functional_circuit_alignment"

    def result_dict(self) -> dict[str, Any]:
        """The summary, both effect maps, the top heads, the head matching and the null samples."""
        return {
            **self.summary(),
            "effects_a": self.effects_a,
            "effects_b": self.effects_b,
            "top_a": self.top_a,
            "top_b": self.top_b,
            "matching": self.matching,
            "null": self.null,
        }

    @property
    def null_mean(self) -> float:
        return float(self.null.mean())

    @property
    def null_std(self) -> float:
        return float(self.null.std(ddof=1)) if len(self.null) > 1 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "alignment": self.alignment,
            "alignment_unmatched": self.alignment_unmatched,
            "metric": self.metric,
            "z": self.z,
            "p_value": self.p_value,
            "null_mean": self.null_mean,
            "null_std": self.null_std,
            "jaccard_top": self.jaccard,
            "top_k": len(self.top_a),
            "matched": self.matching is not None,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per head of model A: its effect, the compared effect of B, and B's matched head."""
        import pandas as pd

        n_layers, n_heads = self.effects_a.shape
        layer, head = np.divmod(np.arange(n_layers * n_heads), n_heads)
        matched = [self.matching[a][b] if self.matching else b for a, b in zip(layer, head, strict=True)]
        return pd.DataFrame(
            {
                "layer": layer,
                "head": head,
                "effect_a": self.effects_a.ravel(),
                "effect_b": self.effects_b.ravel(),
                "head_b": matched,
            },
            index=[f"L{a}H{b}" for a, b in zip(layer, head, strict=True)],
        )


def _similarity(a: np.ndarray, b: np.ndarray, metric: str) -> float:
    a, b = a.ravel(), b.ravel()
    if metric == "pearson":
        a, b = a - a.mean(), b - b.mean()
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / denominator) if denominator > 0 else float("nan")


def _pattern_signatures(model: Any, prompts: PromptSet) -> np.ndarray:
    """Each head's attention patterns on the clean prompts, flattened: ``[layer head features]``."""
    import torch

    per_bucket = []
    with torch.no_grad():
        for b in prompts.buckets:
            _, cache = model.run_with_cache(b.clean, names_filter=lambda n: n.endswith("hook_pattern"))
            stacked = torch.stack(
                [cache[f"blocks.{layer}.attn.hook_pattern"] for layer in range(model.cfg.n_layers)]
            )  # [layer batch head q k]
            per_bucket.append(stacked.permute(0, 2, 1, 3, 4).flatten(2).numpy())
    return np.concatenate(per_bucket, axis=2)


def match_heads_by_patterns(model_a: Any, model_b: Any, prompts_a: PromptSet, prompts_b: PromptSet) -> list[list[int]]:
    """Per layer, the one-to-one head matching (``linear_sum_assignment``) that maximises the summed
    correlation of the heads' attention patterns on the same prompts. ``result[layer][h]`` is B's head."""
    from scipy.optimize import linear_sum_assignment

    shapes_a = [tuple(b.clean.shape) for b in prompts_a.buckets]
    shapes_b = [tuple(b.clean.shape) for b in prompts_b.buckets]
    same_tokens = shapes_a == shapes_b and all(
        bool((x.clean == y.clean).all()) for x, y in zip(prompts_a.buckets, prompts_b.buckets, strict=True)
    )
    if not same_tokens:
        raise PromptError(
            "match_heads=True compares attention patterns on the same tokens, but the two models tokenize the "
            "prompts differently; use models that share a tokenizer, or match_heads=False"
        )
    sig_a, sig_b = _pattern_signatures(model_a, prompts_a), _pattern_signatures(model_b, prompts_b)
    matching = []
    for layer in range(sig_a.shape[0]):
        a = sig_a[layer] - sig_a[layer].mean(axis=1, keepdims=True)
        b = sig_b[layer] - sig_b[layer].mean(axis=1, keepdims=True)
        norms = np.linalg.norm(a, axis=1)[:, None] * np.linalg.norm(b, axis=1)[None, :]
        similarity = np.divide(a @ b.T, norms, out=np.zeros_like(norms), where=norms > 0)
        rows, cols = linear_sum_assignment(-similarity)
        matching.append([int(c) for _, c in sorted(zip(rows, cols, strict=True))])
    return matching


#: ``[layer][head]`` function label of every head (``None``: no type fits), e.g. from :func:`head_functions`
FunctionGrid = Sequence[Sequence[str | None]]


def relative_depth(layer: int, n_layers: int) -> float:
    """``layer / (n_layers − 1)`` in [0, 1] (0 for a one-layer model): comparable across model sizes."""
    return layer / (n_layers - 1) if n_layers > 1 else 0.0


def head_functions(model: Any, prompts: PromptSet, seed: int = 0) -> list[list[str | None]]:
    """Each head's function label: its IOI role on IOI-shaped ``prompts``, else its type on repeated random
    tokens (the labels :func:`~glassbox_jupyter.circuits.attention.attention_patterns` reports)."""
    from glassbox_jupyter.circuits.attention import head_types
    from glassbox_jupyter.circuits.roles import combined_head_types, ioi_head_roles

    return combined_head_types(head_types(model, seed), ioi_head_roles(model, prompts))


@dataclass
class CircuitAlignment(MeasuredResult):
    """How well two circuits (possibly of models of different sizes) line up by relative depth and function.

    Each head of the smaller circuit is matched one-to-one to a head of the other
    (``scipy.optimize.linear_sum_assignment``, maximising the summed pair similarity). A pair's similarity is
    ``depth_weight × (1 − |depth_a − depth_b|) + (1 − depth_weight) × [same function]``, with
    ``depth = layer / (n_layers − 1)``; two heads share a function when both have the same label (an untyped
    head shares none). ``score`` is the mean similarity of the matched pairs, in [0, 1]. ``null`` holds the
    score of ``n_null`` pairs of random circuits of the same sizes (heads drawn uniformly without replacement
    from each model); ``p_value = (1 + #{null ≥ score}) / (1 + n_null)`` (one-sided) and
    ``z = (score − mean(null)) / std(null)``. ``pairs`` lists every matched pair, by the rank of A's head.

    Read ``p_value``, not the score alone: in small models random circuits often line up well (a two-layer
    model has only two depths, so the shipped IOI demo's circuit aligned with itself scores 1 with p ≈ 0.2).
    """

    score: float
    null: np.ndarray = field(repr=False)
    p_value: float
    z: float | None
    pairs: list[dict[str, Any]]
    circuit_a: list[Head]
    circuit_b: list[Head]
    shape_a: tuple[int, int]
    shape_b: tuple[int, int]
    depth_weight: float
    functions_a: list[list[str | None]] | None = field(default=None, repr=False)
    functions_b: list[list[str | None]] | None = field(default=None, repr=False)
    effects_a: np.ndarray | None = field(default=None, repr=False)
    effects_b: np.ndarray | None = field(default=None, repr=False)
    provenance: Provenance | None = field(default=None, repr=False)
    kind = "circuit_alignment"

    @property
    def null_mean(self) -> float:
        return float(self.null.mean())

    @property
    def null_std(self) -> float:
        return float(self.null.std(ddof=1)) if len(self.null) > 1 else 0.0

    @property
    def matched_by(self) -> str:
        return "relative depth and function" if self.depth_weight < 1 else "relative depth"

    def summary(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "matched_by": self.matched_by,
            "depth_weight": self.depth_weight,
            "z": self.z,
            "p_value": self.p_value,
            "null_mean": self.null_mean,
            "null_std": self.null_std,
            "n_null": len(self.null),
            "shape_a": list(self.shape_a),
            "shape_b": list(self.shape_b),
        }

    def result_dict(self) -> dict[str, Any]:
        """The summary, both circuits, the matched pairs, the null samples and, when measured, both effect maps."""
        return {
            **self.summary(),
            "circuit_a": self.circuit_a,
            "circuit_b": self.circuit_b,
            "pairs": self.pairs,
            "null": self.null,
            "effects_a": self.effects_a,
            "effects_b": self.effects_b,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per matched pair: both heads, their depths and functions, and the pair's similarity."""
        import pandas as pd

        return pd.DataFrame(self.pairs)


def _check_functions(
    name: str, functions: FunctionGrid | None, shape: tuple[int, int]
) -> list[list[str | None]] | None:
    if functions is None:
        return None
    grid = [list(row) for row in functions]
    if len(grid) != shape[0] or any(len(row) != shape[1] for row in grid):
        raise ValueError(f"{name} must give a label for every head: {shape[0]} rows of {shape[1]} labels")
    return grid


def _pair_similarity(
    circuit_a: Sequence[Head],
    circuit_b: Sequence[Head],
    layers: tuple[int, int],
    functions: tuple[list[list[str | None]] | None, list[list[str | None]] | None],
    depth_weight: float,
) -> np.ndarray:
    """``[head_a head_b]`` similarity (see :class:`CircuitAlignment`)."""
    depth_a = np.array([relative_depth(layer, layers[0]) for layer, _ in circuit_a])
    depth_b = np.array([relative_depth(layer, layers[1]) for layer, _ in circuit_b])
    similarity = depth_weight * (1 - np.abs(depth_a[:, None] - depth_b[None, :]))
    grid_a, grid_b = functions
    if grid_a is not None and grid_b is not None and depth_weight < 1:
        fa = [grid_a[layer][head] for layer, head in circuit_a]
        fb = [grid_b[layer][head] for layer, head in circuit_b]
        same = np.array([[x is not None and x == y for y in fb] for x in fa], dtype=float)
        similarity = similarity + (1 - depth_weight) * same
    return similarity


def _best_matching(similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(similarity, maximize=True)
    return rows, cols, float(similarity[rows, cols].mean())


def align_circuits(
    circuit_a: Sequence[Head],
    circuit_b: Sequence[Head],
    shape_a: tuple[int, int],
    shape_b: tuple[int, int],
    functions_a: FunctionGrid | None = None,
    functions_b: FunctionGrid | None = None,
    *,
    n_null: int = 1000,
    seed: int = 0,
    depth_weight: float = 0.5,
) -> CircuitAlignment:
    """Align two circuits of models of any sizes by relative depth and function, against random circuits.

    ``shape_*``: each model's ``(n_layers, n_heads)``; ``functions_*``: each head's function label
    (``[layer][head]``, e.g. :func:`head_functions`). Without both, heads are aligned by depth alone
    (``depth_weight`` is then 1). See :class:`CircuitAlignment` for the score and its null.

    Example:
        >>> result = align_circuits([(0, 1), (1, 3)], [(0, 0), (3, 1)], (2, 4), (4, 2), n_null=200)
        >>> result.score, result.matched_by
        (1.0, 'relative depth')
    """
    shape_a = (int(shape_a[0]), int(shape_a[1]))
    shape_b = (int(shape_b[0]), int(shape_b[1]))
    heads_a = check_circuit("circuit_a", circuit_a, shape_a)
    heads_b = check_circuit("circuit_b", circuit_b, shape_b)
    grids = (
        _check_functions("functions_a", functions_a, shape_a),
        _check_functions("functions_b", functions_b, shape_b),
    )
    if not 0 <= float(depth_weight) <= 1:
        raise ValueError(f"depth_weight must be between 0 and 1, got {depth_weight}")
    if isinstance(n_null, bool) or int(n_null) < 1:
        raise ValueError(f"n_null must be at least 1 random circuit pair, got {n_null}")
    weight = 1.0 if grids[0] is None or grids[1] is None else float(depth_weight)
    layers = (shape_a[0], shape_b[0])
    similarity = _pair_similarity(heads_a, heads_b, layers, grids, weight)
    rows, cols, score = _best_matching(similarity)
    rng = np.random.default_rng(seed)
    grid_a = [(layer, head) for layer in range(shape_a[0]) for head in range(shape_a[1])]
    grid_b = [(layer, head) for layer in range(shape_b[0]) for head in range(shape_b[1])]
    null = np.empty(int(n_null))
    for i in range(int(n_null)):
        random_a = [grid_a[j] for j in rng.choice(len(grid_a), size=len(heads_a), replace=False)]
        random_b = [grid_b[j] for j in rng.choice(len(grid_b), size=len(heads_b), replace=False)]
        null[i] = _best_matching(_pair_similarity(random_a, random_b, layers, grids, weight))[2]
    spread = float(null.std(ddof=1)) if len(null) > 1 else 0.0
    pairs = []
    for row, col in sorted(zip(rows, cols, strict=True)):
        (la, ha), (lb, hb) = heads_a[row], heads_b[col]
        pairs.append(
            {
                "rank_a": int(row) + 1,
                "head_a": f"L{la}H{ha}",
                "head_b": f"L{lb}H{hb}",
                "depth_a": relative_depth(la, shape_a[0]),
                "depth_b": relative_depth(lb, shape_b[0]),
                "function_a": None if grids[0] is None else grids[0][la][ha],
                "function_b": None if grids[1] is None else grids[1][lb][hb],
                "similarity": float(similarity[row, col]),
            }
        )
    return CircuitAlignment(
        score=score,
        null=null,
        p_value=float((1 + np.sum(null >= score - 1e-12)) / (1 + len(null))),
        z=(score - float(null.mean())) / spread if spread > 0 else None,
        pairs=pairs,
        circuit_a=heads_a,
        circuit_b=heads_b,
        shape_a=shape_a,
        shape_b=shape_b,
        depth_weight=weight,
        functions_a=grids[0],
        functions_b=grids[1],
    )


@overload
def functional_circuit_alignment(
    model_a: Any,
    model_b: Any,
    prompts_a: PromptSet | Sequence[Sequence[Any]],
    prompts_b: PromptSet | Sequence[Sequence[Any]] | None = None,
    method: str = "exact",
    n_null: int = 1000,
    seed: int = 0,
    *,
    by: Literal["heads"] = "heads",
    metric: str = "pearson",
    null: str = "global",
    match_heads: bool = False,
    top_k: int = 3,
    rank_by: str = "value",
    n_steps: int = 8,
    depth_weight: float = 0.5,
) -> AlignmentResult: ...


@overload
def functional_circuit_alignment(
    model_a: Any,
    model_b: Any,
    prompts_a: PromptSet | Sequence[Sequence[Any]],
    prompts_b: PromptSet | Sequence[Sequence[Any]] | None = None,
    method: str = "exact",
    n_null: int = 1000,
    seed: int = 0,
    *,
    by: Literal["depth_function"],
    metric: str = "pearson",
    null: str = "global",
    match_heads: bool = False,
    top_k: int = 3,
    rank_by: str = "value",
    n_steps: int = 8,
    depth_weight: float = 0.5,
) -> CircuitAlignment: ...


def functional_circuit_alignment(
    model_a: Any,
    model_b: Any,
    prompts_a: PromptSet | Sequence[Sequence[Any]],
    prompts_b: PromptSet | Sequence[Sequence[Any]] | None = None,
    method: str = "exact",
    n_null: int = 1000,
    seed: int = 0,
    *,
    by: str = "heads",
    metric: str = "pearson",
    null: str = "global",
    match_heads: bool = False,
    top_k: int = 3,
    rank_by: str = "value",
    n_steps: int = 8,
    depth_weight: float = 0.5,
) -> AlignmentResult | CircuitAlignment:
    """Do two models use the same heads for the same task? Correlate their per-head effect maps
    (``by="heads"``), or, for models of different sizes, align their circuits by depth and function.

    ``by="depth_function"``: each model's circuit is its ``top_k`` heads by effect (``method``); the two are
    aligned by relative depth (``layer / (n_layers − 1)``) and function (:func:`head_functions`: the IOI
    role on IOI-shaped prompts, else the random-token head type), weighted by ``depth_weight``, and the
    score is compared with ``n_null`` pairs of random circuits of the same sizes (:func:`align_circuits`,
    returns a :class:`CircuitAlignment`). ``metric``, ``null`` and ``match_heads`` are ``by="heads"`` options.

    With ``by="heads"`` both models must have the same ``[layers heads]`` shape: the comparison is
    head-by-head and its null permutes head labels, which needs one label set. The null permutes
    model B's head labels across all heads (``null="global"``, the default) or within each layer
    (``"within_layer"``, stricter: it keeps each layer's effects, so a shared "later layers matter
    more" profile alone does not count as alignment).

    Reading ``z``: for Pearson under the global null the permutation distribution has mean 0 and
    variance ``1/(N−1)`` (``N`` heads), so even identical maps reach only ``z ≈ √(N−1)`` (2.6 for a
    2×4 model, 3.9 for 4×4); effect maps dominated by one or two heads make the null heavy-tailed.
    ``p_value`` is the exact permutation test and the better-calibrated of the two.

    Heads have no canonical order — permuting a layer's heads (with their Q/K/V/O weights) gives the
    same model — so ``match_heads=True`` first matches B's heads to A's within each layer by their
    attention patterns on the prompts (``scipy.optimize.linear_sum_assignment``), independent of the
    effects being compared; ``alignment_unmatched`` keeps the raw value.

    Args:
        prompts_a: prompts for model A; ``prompts_b`` the same task for B (default: A's prompt texts).
        method: ``"exact"`` (activation patching), ``"taylor"`` or ``"integrated_gradients"``.
        n_null: number of label permutations for the null distribution.
        metric: ``"pearson"`` or ``"cosine"``.
    """
    if by not in ("heads", "depth_function"):
        raise ValueError(f"by must be 'heads' (same-shape models) or 'depth_function' (any sizes), got {by!r}")
    if by == "depth_function":
        return _depth_function_alignment(
            model_a, model_b, prompts_a, prompts_b, method, n_null, seed, top_k, rank_by, n_steps, depth_weight
        )
    if metric not in ("pearson", "cosine"):
        raise ValueError(f"metric must be 'pearson' or 'cosine', got {metric!r}")
    if null not in ("within_layer", "global"):
        raise ValueError(f"null must be 'within_layer' or 'global', got {null!r}")
    if int(n_null) < 2:
        raise ValueError(f"n_null must be at least 2 permutations, got {n_null}")
    ranking_values(np.zeros(1), rank_by)
    set_a = as_prompt_set(model_a, prompts_a)
    if prompts_b is None:
        prompts_b = [tuple(t) for t in set_a.texts]
    set_b = as_prompt_set(model_b, prompts_b)
    shape_a = (model_a.cfg.n_layers, model_a.cfg.n_heads)
    shape_b = (model_b.cfg.n_layers, model_b.cfg.n_heads)
    if shape_a != shape_b:
        raise ValueError(
            f"model_a has {shape_a[0]} layers × {shape_a[1]} heads and model_b {shape_b[0]} × {shape_b[1]}; "
            "head-by-head alignment needs the same shape. For models of different sizes pass "
            "by='depth_function' (circuits aligned by relative depth and head function)"
        )
    matching = match_heads_by_patterns(model_a, model_b, set_a, set_b) if match_heads else None
    effects_a = head_effects(model_a, set_a, method, n_steps, seed)
    same_run = model_b is model_a and set_b.texts == set_a.texts
    raw_b = effects_a.copy() if same_run else head_effects(model_b, set_b, method, n_steps, seed)
    unmatched = _similarity(effects_a, raw_b, metric)
    effects_b = raw_b
    if matching is not None:
        effects_b = np.stack([raw_b[layer, order] for layer, order in enumerate(matching)])
    observed = _similarity(effects_a, effects_b, metric)
    rng = np.random.default_rng(seed)
    samples = np.empty(int(n_null))
    for i in range(int(n_null)):
        if null == "within_layer":
            permuted = np.stack([row[rng.permutation(len(row))] for row in effects_b])
        else:
            permuted = rng.permutation(effects_b.ravel()).reshape(effects_b.shape)
        samples[i] = _similarity(effects_a, permuted, metric)
    finite = samples[np.isfinite(samples)]
    spread = float(finite.std(ddof=1)) if len(finite) > 1 else 0.0
    z = (observed - float(finite.mean())) / spread if spread > 0 and np.isfinite(observed) else None
    p_value = float((1 + np.sum(finite >= observed - 1e-12)) / (1 + len(finite)))
    k = max(1, min(int(top_k), effects_a.size))
    top_a, top_b = top_heads(effects_a, k, rank_by), top_heads(effects_b, k, rank_by)
    jaccard = len(set(top_a) & set(top_b)) / len(set(top_a) | set(top_b))
    settings = {"method": method, "n_null": int(n_null), "metric": metric, "null": null, "match_heads": match_heads}
    settings |= {"top_k": int(top_k), "rank_by": rank_by, "n_steps": int(n_steps)}
    settings |= {"model_b_sha256": _weights_hash(model_b), "prompts_b": [list(t) for t in set_b.texts]}
    return AlignmentResult(
        metric=metric,
        method=method,
        null_kind=null,
        alignment=observed,
        alignment_unmatched=unmatched,
        null=samples,
        z=None if z is None else float(z),
        p_value=p_value,
        effects_a=effects_a,
        effects_b=effects_b,
        top_a=top_a,
        top_b=top_b,
        jaccard=float(jaccard),
        matching=matching,
        provenance=capture(model_a, set_a, {"name": "functional_circuit_alignment", **settings}, seed),
    )


def _depth_function_alignment(
    model_a: Any,
    model_b: Any,
    prompts_a: PromptSet | Sequence[Sequence[Any]],
    prompts_b: PromptSet | Sequence[Sequence[Any]] | None,
    method: str,
    n_null: int,
    seed: int,
    top_k: int,
    rank_by: str,
    n_steps: int,
    depth_weight: float,
) -> CircuitAlignment:
    """``functional_circuit_alignment(..., by="depth_function")``: top-``top_k`` circuits of both models,
    aligned by :func:`align_circuits` with :func:`head_functions` as each head's function."""
    ranking_values(np.zeros(1), rank_by)
    if isinstance(top_k, bool) or int(top_k) < 1:
        raise ValueError(f"top_k must be at least 1 head per circuit, got {top_k}")
    set_a = as_prompt_set(model_a, prompts_a)
    set_b = as_prompt_set(model_b, [tuple(t) for t in set_a.texts] if prompts_b is None else prompts_b)
    effects_a = head_effects(model_a, set_a, method, n_steps, seed)
    same_run = model_b is model_a and set_b.texts == set_a.texts
    effects_b = effects_a.copy() if same_run else head_effects(model_b, set_b, method, n_steps, seed)
    result = align_circuits(
        top_heads(effects_a, min(int(top_k), effects_a.size), rank_by),
        top_heads(effects_b, min(int(top_k), effects_b.size), rank_by),
        (model_a.cfg.n_layers, model_a.cfg.n_heads),
        (model_b.cfg.n_layers, model_b.cfg.n_heads),
        head_functions(model_a, set_a, seed),
        head_functions(model_b, set_b, seed),
        n_null=n_null,
        seed=seed,
        depth_weight=depth_weight,
    )
    result.effects_a, result.effects_b = effects_a, effects_b
    settings = {"by": "depth_function", "method": method, "n_null": int(n_null), "top_k": int(top_k)}
    settings |= {"rank_by": rank_by, "n_steps": int(n_steps), "depth_weight": float(depth_weight)}
    settings |= {"model_b_sha256": _weights_hash(model_b), "prompts_b": [list(t) for t in set_b.texts]}
    result.provenance = capture(model_a, set_a, {"name": "functional_circuit_alignment", **settings}, seed)
    return result
