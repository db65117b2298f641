"""How much to trust a circuit: attribution stability under re-drawn corruptions, bootstrap CIs, and
whether two models implement the task with the same heads.

- :func:`attribution_stability` re-draws the corrupted prompts ``n_corruptions`` times, recomputes the
  per-head attributions each time and reports per-head mean, std, sign consistency and rank stability,
  with the pairwise Kendall τ-b between the runs' head rankings.
- :func:`bootstrap_metrics` gives percentile (or BCa) bootstrap CIs via ``scipy.stats.bootstrap``.
- :func:`functional_circuit_alignment` correlates two models' per-head effect maps and tests the
  correlation against a head-label permutation null (optionally after matching heads within layers
  by their attention patterns with ``scipy.optimize.linear_sum_assignment``); between models of
  different sizes (``by="depth_function"``) it aligns their circuits by relative depth and head function
  (:func:`align_circuits`) and tests the score against random circuits of the same sizes.

How corruptions are re-drawn: for each prompt, the token positions where its clean and its given
corrupted prompt differ are the positions to vary (e.g. the name that IOI's "abc" corruption
replaces). Each distinct corrupted token at those positions is mapped to a new token drawn at random
from a pool — by default every token observed at differing positions across the prompt set (clean and
corrupted sides), or ``pool=[" Tom", " Anna", ...]`` — so a name repeated in the corruption stays
repeated and the token length never changes. A replacement is never the prompt's correct or incorrect
answer (that would flip the task rather than remove its information) nor the clean token at that
position (which would leave the position uncorrupted).

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.stability import attribution_stability, functional_circuit_alignment
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = glassbox.demos.ioi_prompts(16, seed=0)  # doctest: +SKIP
    >>> result = attribution_stability(model, prompts, n_corruptions=10)  # doctest: +SKIP
    >>> result.to_frame().head(), result.kendall_mean  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from glassbox_jupyter.circuits import patching
from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import Bucket, PromptError, PromptSet, require_hooked_transformer
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.finding.stats import Method, bootstrap_ci

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("taylor", "integrated_gradients", "exact")
RANK_BY = ("value", "abs")


# ------------------------------------------------------------------ shared helpers
def _prompt_set(model: Any, prompts: PromptSet | Sequence[Sequence[Any]]) -> PromptSet:
    require_hooked_transformer(model)
    if isinstance(prompts, PromptSet):
        if len(prompts) == 0:
            raise PromptError("the prompt set is empty; pass at least one (prompt, correct, incorrect[, corrupted])")
        return prompts
    return PromptSet.build(model, list(prompts))


def head_effects(model: Any, prompts: PromptSet, method: str = "exact", n_steps: int = 8, seed: int = 0) -> np.ndarray:
    """Per-head effects ``[layer head]``: exact activation patching (corrupted ablation) or attribution patching."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "exact":
        return patching.activation_patching(model, prompts, "corrupted", seed)["heads"]
    return patching.attribution_patching(model, prompts, method, n_steps)["heads"]


def _ranking_values(values: np.ndarray, rank_by: str) -> np.ndarray:
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {RANK_BY}, got {rank_by!r}")
    return np.abs(values) if rank_by == "abs" else values


def head_ranks(values: np.ndarray, rank_by: str = "value") -> np.ndarray:
    """Rank of every head (1 = largest effect; ties share the best rank), same shape as ``values``."""
    from scipy.stats import rankdata

    v = _ranking_values(np.asarray(values, dtype=float), rank_by)
    return rankdata(-v.reshape(v.shape[0], -1) if v.ndim == 3 else -v.ravel(), method="min", axis=-1).reshape(v.shape)


def pairwise_kendall(runs: np.ndarray) -> np.ndarray:
    """Kendall τ-b (``scipy.stats.kendalltau(variant="b")``) between every pair of runs ``[run ...]``:
    a ``[run run]`` matrix with 1 on the diagonal; NaN where a run is constant (τ-b undefined)."""
    from scipy.stats import kendalltau

    flat = np.asarray(runs, dtype=float).reshape(len(runs), -1)
    out = np.eye(len(flat))
    for i, j in itertools.combinations(range(len(flat)), 2):
        if np.ptp(flat[i]) == 0 or np.ptp(flat[j]) == 0:
            tau = float("nan")
        else:
            tau = float(kendalltau(flat[i], flat[j], variant="b").statistic)
        out[i, j] = out[j, i] = tau
    return out


def top_heads(values: np.ndarray, k: int, rank_by: str = "value") -> list[tuple[int, int]]:
    """The ``k`` heads with the largest effect (ties broken by head order)."""
    v = _ranking_values(np.asarray(values, dtype=float), rank_by)
    order = np.argsort(-v, axis=None, kind="stable")[:k]
    layer_ids, head_ids = np.unravel_index(order, v.shape)
    return [(int(layer), int(head)) for layer, head in zip(layer_ids, head_ids)]


# ------------------------------------------------------------------ re-drawn corruptions
def _pool_ids(model: Any, prompts: PromptSet, pool: Sequence[str] | None) -> np.ndarray:
    if pool is not None:
        ids = []
        for text in pool:
            tokens = model.to_tokens(text, prepend_bos=False)[0].tolist()
            if len(tokens) != 1:
                raise PromptError(
                    f"pool entry {text!r} is {len(tokens)} tokens; a re-drawn corruption must keep the token "
                    "length, so give single-token strings (often with a leading space, e.g. ' Tom')"
                )
            ids.append(tokens[0])
        return np.unique(ids)
    seen: set[int] = set()
    for b in prompts.buckets:
        differ = (b.clean != b.corrupted).numpy()
        seen.update(b.clean.numpy()[differ].tolist())
        seen.update(b.corrupted.numpy()[differ].tolist())
    return np.array(sorted(seen), dtype=int)


def redraw_corruptions(
    model: Any, prompts: PromptSet, rng: np.random.Generator, pool: Sequence[str] | None = None
) -> PromptSet:
    """A copy of ``prompts`` whose corrupted tokens are re-drawn (see the module docstring for the rule)."""
    import torch

    candidates_all = _pool_ids(model, prompts, pool)
    texts = list(prompts.texts)
    buckets = []
    for b in prompts.buckets:
        clean, corrupted = b.clean.numpy(), b.corrupted.numpy().copy()
        for i, row in enumerate(b.rows):
            positions = np.flatnonzero(clean[i] != corrupted[i])
            if len(positions) == 0:
                raise PromptError(
                    f"prompt {row}: the corrupted prompt equals the clean one, so there is no token to re-draw; "
                    "give a corrupted prompt that differs at the tokens that carry the answer (e.g. a name)"
                )
            answers = {int(b.correct[i]), int(b.incorrect[i])}
            used: set[int] = set()
            originals = np.unique(corrupted[i, positions])
            for original in rng.permutation(originals):
                at = positions[corrupted[i, positions] == original]
                banned = answers | used | set(clean[i, at].tolist())
                choices = [int(t) for t in candidates_all if int(t) not in banned]
                if not choices:
                    raise PromptError(
                        f"prompt {row}: no token is left to re-draw position(s) {at.tolist()} from (the pool minus "
                        "the answers and the clean tokens there is empty); pass pool=[...] with more single-token "
                        "alternatives, or more prompts"
                    )
                new = choices[int(rng.integers(len(choices)))]
                used.add(new)
                corrupted[i, at] = new
            text = "".join(model.tokenizer.decode([t], skip_special_tokens=True) for t in corrupted[i].tolist())
            texts[row] = (*texts[row][:3], text)
        buckets.append(
            Bucket(
                clean=b.clean,
                corrupted=torch.as_tensor(corrupted, dtype=b.corrupted.dtype),
                correct=b.correct,
                incorrect=b.incorrect,
                rows=list(b.rows),
            )
        )
    return PromptSet(texts, buckets)


@dataclass
class StabilityResult(MeasuredResult):
    """Per-head attributions over ``n`` re-drawn corruptions and how stable they are.

    ``scores`` is ``[run layer head]``; ``ranks`` the same shape (1 = largest effect). Per head:
    ``mean``, ``std`` (ddof=1), ``sign_consistency`` (share of runs whose sign equals the most common
    sign; values within ``1e-6 × max|score|`` of zero count as zero), ``rank_mean``/``rank_std``/
    ``rank_min``/``rank_max`` and ``top_k_frequency`` (share of runs in the top ``top_k``).
    ``kendall`` is the ``[run run]`` τ-b matrix; ``kendall_mean``/``kendall_min`` summarise its
    off-diagonal (None with fewer than two runs or when every pair is undefined). ``provenance``: the model,
    the prompts and every setting (:func:`~glassbox_jupyter.circuits.measured.capture`).
    """

    method: str
    rank_by: str
    top_k: int
    seed: int
    scores: np.ndarray
    ranks: np.ndarray
    kendall: np.ndarray
    corrupted_prompts: list[list[str]] = field(repr=False)
    provenance: Provenance | None = field(default=None, repr=False)
    kind = "attribution_stability"

    def result_dict(self) -> dict[str, Any]:
        """The summary, every run's per-head scores and ranks, the per-head statistics and the Kendall matrix."""
        return {
            **self.summary(),
            "scores": self.scores,
            "ranks": self.ranks,
            "mean": self.mean,
            "std": self.std,
            "sign_consistency": self.sign_consistency,
            "top_k_frequency": self.top_k_frequency,
            "kendall": self.kendall,
            "corrupted_prompts": self.corrupted_prompts,
        }

    @property
    def n_corruptions(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> np.ndarray:
        return self.scores.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        return self.scores.std(axis=0, ddof=1) if len(self.scores) > 1 else np.zeros(self.scores.shape[1:])

    @property
    def sign_consistency(self) -> np.ndarray:
        scale = float(np.abs(self.scores).max()) if self.scores.size else 0.0
        signs = np.where(np.abs(self.scores) <= 1e-6 * scale, 0, np.sign(self.scores))
        shares = np.stack([(signs == s).mean(axis=0) for s in (-1, 0, 1)])
        return shares.max(axis=0)

    @property
    def rank_mean(self) -> np.ndarray:
        return self.ranks.mean(axis=0)

    @property
    def rank_std(self) -> np.ndarray:
        return self.ranks.std(axis=0, ddof=1) if len(self.ranks) > 1 else np.zeros(self.ranks.shape[1:])

    @property
    def rank_min(self) -> np.ndarray:
        return self.ranks.min(axis=0)

    @property
    def rank_max(self) -> np.ndarray:
        return self.ranks.max(axis=0)

    @property
    def top_k_frequency(self) -> np.ndarray:
        return (self.ranks <= self.top_k).mean(axis=0)

    def _off_diagonal(self) -> np.ndarray:
        values = self.kendall[np.triu_indices(len(self.kendall), k=1)]
        return values[np.isfinite(values)]

    @property
    def kendall_mean(self) -> float | None:
        values = self._off_diagonal()
        return float(values.mean()) if len(values) else None

    @property
    def kendall_min(self) -> float | None:
        values = self._off_diagonal()
        return float(values.min()) if len(values) else None

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "n_corruptions": self.n_corruptions,
            "kendall_tau_b_mean": self.kendall_mean,
            "kendall_tau_b_min": self.kendall_min,
            "rank_by": self.rank_by,
            "top_k": self.top_k,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per head (layer, head, mean, std, sign_consistency, ranks, top_k_frequency), by mean rank."""
        import pandas as pd

        n_layers, n_heads = self.scores.shape[1:]
        layer, head = np.divmod(np.arange(n_layers * n_heads), n_heads)
        columns = {
            "layer": layer,
            "head": head,
            "mean": self.mean.ravel(),
            "std": self.std.ravel(),
            "sign_consistency": self.sign_consistency.ravel(),
            "rank_mean": self.rank_mean.ravel(),
            "rank_std": self.rank_std.ravel(),
            "rank_min": self.rank_min.ravel(),
            "rank_max": self.rank_max.ravel(),
            f"top{self.top_k}_frequency": self.top_k_frequency.ravel(),
        }
        frame = pd.DataFrame(columns, index=[f"L{a}H{b}" for a, b in zip(layer, head, strict=True)])
        return frame.sort_values(["rank_mean", "layer", "head"], kind="stable")


def attribution_stability(
    model: Any,
    prompts: PromptSet | Sequence[Sequence[Any]],
    n_corruptions: int = 10,
    method: str = "taylor",
    seed: int = 0,
    *,
    pool: Sequence[str] | None = None,
    rank_by: str = "value",
    top_k: int = 3,
    n_steps: int = 8,
) -> StabilityResult:
    """Recompute head attributions on ``n_corruptions`` re-drawn corruptions and measure their stability.

    Args:
        model: a HookedTransformer with a tokenizer.
        prompts: a :class:`PromptSet` or ``[(prompt, correct, incorrect, corrupted_or_None), ...]``; the
            given corruptions say *which* positions to vary (see the module docstring).
        n_corruptions: how many re-drawn corruptions (runs).
        method: ``"taylor"``, ``"integrated_gradients"`` (attribution patching) or ``"exact"``
            (activation patching with the corrupted activations).
        seed: seed of the re-drawing (``numpy.random.default_rng``).
        pool: single-token strings to draw replacements from (default: tokens seen at the varied positions).
        rank_by: rank heads by signed effect (``"value"``, as :class:`CircuitAnalyzer` does) or ``"abs"``.
        top_k: the "top heads" size for ``top_k_frequency``.
        n_steps: integrated-gradients steps.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    _ranking_values(np.zeros(1), rank_by)
    if int(n_corruptions) < 1:
        raise ValueError(f"n_corruptions must be at least 1, got {n_corruptions}")
    prompt_set = _prompt_set(model, prompts)
    rng = np.random.default_rng(seed)
    runs, texts = [], []
    for _ in range(int(n_corruptions)):
        redrawn = redraw_corruptions(model, prompt_set, rng, pool)
        runs.append(head_effects(model, redrawn, method, n_steps, seed))
        texts.append([t[3] for t in redrawn.texts])
    scores = np.stack(runs)
    cfg = model.cfg
    settings = {"n_corruptions": int(n_corruptions), "method": method, "rank_by": rank_by, "top_k": int(top_k)}
    settings |= {"n_steps": int(n_steps), "pool": None if pool is None else list(pool)}
    return StabilityResult(
        method=method,
        rank_by=rank_by,
        top_k=max(1, min(int(top_k), cfg.n_layers * cfg.n_heads)),
        seed=seed,
        scores=scores,
        ranks=head_ranks(scores, rank_by),
        kendall=pairwise_kendall(_ranking_values(scores, rank_by)),
        corrupted_prompts=texts,
        provenance=capture(model, prompt_set, {"name": "attribution_stability", **settings}, seed),
    )


# ------------------------------------------------------------------ bootstrap
def per_prompt_faithfulness(
    model: Any, prompts: PromptSet | Sequence[Sequence[Any]], circuit: Sequence[Head], ablation: str = "corrupted"
) -> dict[str, np.ndarray]:
    """Each prompt's own exact sufficiency, comprehensiveness and F1 of ``circuit`` (the formulas of
    :mod:`~glassbox_jupyter.circuits.faithfulness` on that prompt alone; NaN where its clean and corrupted
    logit differences are equal)."""
    from glassbox_jupyter.circuits.faithfulness import METRICS, _scores, ablated_logit_diffs_many

    prompt_set = _prompt_set(model, prompts)
    cfg = model.cfg
    heads = _check_circuit("circuit", circuit, (cfg.n_layers, cfg.n_heads))
    outside = [
        (layer, head) for layer in range(cfg.n_layers) for head in range(cfg.n_heads) if (layer, head) not in heads
    ]
    clean, corrupted = patching.clean_and_corrupted(model, prompt_set)
    keep_only, without = ablated_logit_diffs_many(model, prompt_set, [outside, heads], ablation, 0)
    scores = _scores(*(run[:, None] for run in (clean, corrupted, keep_only, without)))  # [prompt metric]
    return {name: scores[:, k] for k, name in enumerate(METRICS)}


def bootstrap_metrics(
    values: Mapping[str, Any] | Any = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    statistic: Callable[..., Any] = np.mean,
    method: Method = "percentile",
    *,
    model: Any = None,
    prompts: PromptSet | Sequence[Sequence[Any]] | None = None,
    circuit: Sequence[Head] | None = None,
    ablation: str = "corrupted",
) -> dict[str, dict[str, Any]]:
    """Bootstrap confidence intervals of ``statistic`` for each named array of per-prompt values.

    Give the values, or ``model``, ``prompts`` and ``circuit``: then the values are each prompt's exact
    sufficiency, comprehensiveness and F1 of the circuit (:func:`per_prompt_faithfulness`), so the default
    statistic is the mean of per-prompt ratios (a circuit Finding's faithfulness is the ratio of means).

    Example:
        >>> bootstrap_metrics(model=model, prompts=rows, circuit=[(1, 0), (0, 3)], n_boot=500)  # doctest: +SKIP

    Uses GlassBox's one bootstrap (:func:`~glassbox_jupyter.finding.stats.bootstrap_ci`, prompts resampled
    with replacement) with the **percentile** interval by default (``method="BCa"`` or ``"basic"`` also work).
    Returns ``{name: {"value", "ci": [lo, hi], "n", "method"}}``; a bare array is named ``"value"``. With a
    single value there is no spread to resample: ``ci`` is None and ``"reason"`` says why; all-equal values
    give the degenerate interval ``[v, v]``.
    """
    if prompts is not None or model is not None or circuit is not None:
        if values is not None or model is None or prompts is None or circuit is None:
            raise ValueError(
                "pass either the per-prompt values, or model=, prompts= and circuit= (the heads whose "
                "per-prompt sufficiency, comprehensiveness and F1 to bootstrap), not both"
            )
        values = per_prompt_faithfulness(model, prompts, circuit, ablation)
    elif values is None:
        raise ValueError("pass the per-prompt values, or model=, prompts= and circuit=")
    per_resample = _per_resample(statistic)
    named = dict(values) if isinstance(values, Mapping) else {"value": values}
    if not named:
        raise PromptError("the prompt set is empty: no metric values to bootstrap; pass {name: per-prompt values}")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be a confidence level between 0 and 1 (e.g. 0.95), got {ci}")
    if method not in ("percentile", "BCa", "basic"):
        raise ValueError(f"method must be 'percentile', 'BCa' or 'basic', got {method!r}")
    out: dict[str, dict[str, Any]] = {}
    for name, raw in named.items():
        x = np.asarray(raw, dtype=float).ravel()
        if len(x) == 0:
            raise PromptError(
                f"the prompt set is empty: metric {name!r} has no values to bootstrap; pass at least one "
                "per-prompt value (analyze at least one prompt)"
            )
        if not np.all(np.isfinite(x)):
            bad = np.flatnonzero(~np.isfinite(x)).tolist()[:10]
            raise PromptError(f"metric {name!r} has NaN or infinite values at rows {bad}; drop or fix those prompts")
        entry: dict[str, Any] = {"value": float(statistic(x)), "n": len(x), "method": method}
        if len(x) < 2 or n_boot < 1:
            entry["ci"] = None
            entry["reason"] = "one value: a bootstrap CI needs at least 2" if len(x) < 2 else "n_boot < 1: no resamples"
        elif np.ptp(x) == 0:
            entry["ci"] = [float(x[0]), float(x[0])]  # every resample is the same; scipy would warn and give NaN
        else:
            interval = bootstrap_ci(per_resample, x, n_boot=int(n_boot), confidence=ci, seed=seed, method=method)
            entry["ci"] = None if interval is None else list(interval)
        out[str(name)] = entry
    return out


def _per_resample(statistic: Callable[..., Any]) -> Callable[[np.ndarray], np.ndarray]:
    """``statistic`` of each row of a ``(resamples, n)`` array (vectorised when it takes ``axis``)."""
    try:
        vectorised = "axis" in inspect.signature(statistic).parameters
    except (TypeError, ValueError):  # builtins without a signature
        vectorised = False
    if vectorised:
        return lambda rows: np.asarray(statistic(rows, axis=-1), dtype=float)
    return lambda rows: np.apply_along_axis(statistic, -1, rows).astype(float)


# ------------------------------------------------------------------ two models
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


Head = tuple[int, int]
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


def _check_circuit(name: str, circuit: Sequence[Any], shape: tuple[int, int]) -> list[Head]:
    out: list[Head] = []
    for head in circuit:
        try:
            layer, index = (int(v) for v in head)
        except (TypeError, ValueError):
            raise ValueError(f"{name} holds (layer, head) pairs of integers, got {head!r}") from None
        if not (0 <= layer < shape[0] and 0 <= index < shape[1]):
            raise ValueError(
                f"{name}: head L{layer}H{index} is outside its model ({shape[0]} layers of {shape[1]} heads)"
            )
        if (layer, index) in out:
            raise ValueError(f"{name} lists head L{layer}H{index} twice; a circuit is a set of heads")
        out.append((layer, index))
    if not out:
        raise ValueError(f"{name} is empty; a circuit needs at least one (layer, head)")
    return out


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
    heads_a = _check_circuit("circuit_a", circuit_a, shape_a)
    heads_b = _check_circuit("circuit_b", circuit_b, shape_b)
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
    _ranking_values(np.zeros(1), rank_by)
    set_a = _prompt_set(model_a, prompts_a)
    if prompts_b is None:
        prompts_b = [tuple(t) for t in set_a.texts]
    set_b = _prompt_set(model_b, prompts_b)
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
    _ranking_values(np.zeros(1), rank_by)
    if isinstance(top_k, bool) or int(top_k) < 1:
        raise ValueError(f"top_k must be at least 1 head per circuit, got {top_k}")
    set_a = _prompt_set(model_a, prompts_a)
    set_b = _prompt_set(model_b, [tuple(t) for t in set_a.texts] if prompts_b is None else prompts_b)
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
