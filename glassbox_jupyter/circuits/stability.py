"""How much to trust a circuit: attribution stability under re-drawn corruptions and bootstrap CIs (whether two
models implement the task with the same heads: :mod:`~glassbox_jupyter.circuits.alignment`).

- :func:`attribution_stability` re-draws the corrupted prompts ``n_corruptions`` times, recomputes the
  per-head attributions each time and reports per-head mean, std, sign consistency and rank stability,
  with the pairwise Kendall τ-b between the runs' head rankings.
- :func:`bootstrap_metrics` gives percentile (or BCa) bootstrap CIs via ``scipy.stats.bootstrap``.

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
    >>> from glassbox_jupyter.circuits.stability import attribution_stability
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
from typing import TYPE_CHECKING, Any

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
Head = tuple[int, int]


# ------------------------------------------------------------------ shared helpers
def as_prompt_set(model: Any, prompts: PromptSet | Sequence[Sequence[Any]]) -> PromptSet:
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


def ranking_values(values: np.ndarray, rank_by: str) -> np.ndarray:
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {RANK_BY}, got {rank_by!r}")
    return np.abs(values) if rank_by == "abs" else values


def head_ranks(values: np.ndarray, rank_by: str = "value") -> np.ndarray:
    """Rank of every head (1 = largest effect; ties share the best rank), same shape as ``values``."""
    from scipy.stats import rankdata

    v = ranking_values(np.asarray(values, dtype=float), rank_by)
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
    v = ranking_values(np.asarray(values, dtype=float), rank_by)
    order = np.argsort(-v, axis=None, kind="stable")[:k]
    layer_ids, head_ids = np.unravel_index(order, v.shape)
    return [(int(layer), int(head)) for layer, head in zip(layer_ids, head_ids)]


def check_circuit(name: str, circuit: Sequence[Any], shape: tuple[int, int]) -> list[Head]:
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
    ranking_values(np.zeros(1), rank_by)
    if int(n_corruptions) < 1:
        raise ValueError(f"n_corruptions must be at least 1, got {n_corruptions}")
    prompt_set = as_prompt_set(model, prompts)
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
        kendall=pairwise_kendall(ranking_values(scores, rank_by)),
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

    prompt_set = as_prompt_set(model, prompts)
    cfg = model.cfg
    heads = check_circuit("circuit", circuit, (cfg.n_layers, cfg.n_heads))
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
