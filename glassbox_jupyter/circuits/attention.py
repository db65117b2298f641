"""Attention patterns of chosen heads, their entropy and most attended tokens, and head typing.

:func:`attention_patterns` reads each head's full attention matrix ``[query key]`` on real prompts, and
its row at the last position (where the answer is predicted) in detail; with ``heads="auto"`` it picks the
most interesting heads itself (see :func:`pick_heads`). :func:`head_type_scores` and :func:`head_types`
type every head from its attention on random token sequences repeated twice (previous-token, induction,
duplicate-token, BOS/sink, local, uniform); ``glassbox_jupyter.circuits.lens`` re-exports them. On IOI-shaped prompts
:func:`attention_patterns` reports a head's IOI role first (name mover, S-inhibition, …, measured on the
prompts by :mod:`glassbox_jupyter.circuits.roles`).

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.attention import attention_patterns
    >>> from glassbox_jupyter.circuits.prompts import PromptSet
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(8))  # doctest: +SKIP
    >>> patterns = attention_patterns(model, prompts, heads=[(1, 0), (0, 0)])  # doctest: +SKIP
    >>> patterns[(1, 0)].top_tokens, patterns.to_frame()  # doctest: +SKIP
    >>> patterns.chart((1, 0))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, require_hooked_transformer
from glassbox_jupyter.finding.provenance import Provenance

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

#: The types a detector looks for (each the largest score/threshold among those reaching it), then "focused":
#: sharp attention (most of each query's weight on one key) that none of the others explains, the type
#: Glassbox 2.0 calls "focused" — a fallback, given only to a head no other detector types.
DETECTORS = ("previous-token", "induction", "duplicate-token", "BOS/sink", "local", "uniform")
HEAD_TYPES = (*DETECTORS, "focused")

#: A head gets a type when its score reaches the threshold; among several, the largest score/threshold.
#: Every detector is checked on hand-built heads (tests/circuits/test_attention.py): each built head
#: scores about 1 on its own detector and under half its threshold on the others, except that a
#: previous-token head is also local by definition (its window holds i−1) — it scores 1 on both and the
#: ratio (1/0.5 against 1/0.8) types it previous-token.
THRESHOLDS = {
    "previous-token": 0.5,
    "induction": 0.4,
    "duplicate-token": 0.4,
    "BOS/sink": 0.6,
    "local": 0.8,
    "uniform": 0.9,
    "focused": 0.7,
}
Head = tuple[int, int]


# ------------------------------------------------------------------ head typing
def _random_tokens(model: Any, half: int, batch: int, seed: int) -> tuple[Any, int]:
    """``[batch 1+2*half]``: BOS, then ``half`` random tokens twice. The random tokens avoid BOS and, where
    the vocabulary allows, repeat nowhere within a half — a repeat inside the first half would give the
    duplicate-token and induction detectors two right answers for one query and split their score."""
    import torch

    cfg = model.cfg
    tokenizer = model.tokenizer
    bos = tokenizer.bos_token_id if tokenizer is not None and tokenizer.bos_token_id is not None else 0
    pool = torch.tensor([t for t in range(cfg.d_vocab) if t != bos or cfg.d_vocab <= 2])
    generator = torch.Generator().manual_seed(seed)
    if len(pool) >= half:
        picks = torch.stack([torch.randperm(len(pool), generator=generator)[:half] for _ in range(batch)])
    else:
        picks = torch.randint(0, len(pool), (batch, half), generator=generator)
    random = pool[picks]
    return torch.cat([torch.full((batch, 1), bos), random, random], dim=1), half


def head_type_scores(model: Any, seed: int = 0, length: int | None = None, batch: int = 8) -> dict[str, np.ndarray]:
    """Scores ``[layer head]`` per head type, measured on random token sequences repeated twice.

    previous-token: attention to i−1; duplicate-token: to the earlier copy of the same token;
    induction: to the token after the earlier copy; BOS/sink: to position 0; local: within 3
    positions back (i−3..i); uniform: attention entropy / maximal entropy; focused: the largest weight a
    query gives one key. Each score is a mean over queries (the second copy's for duplicate-token and
    induction, positions ≥ 4 for local, uniform and focused).
    """
    import torch

    cfg = model.cfg
    half = length or max(4, min(20, (cfg.n_ctx - 1) // 2))
    tokens, half = _random_tokens(model, half, batch, seed)
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    length_total = tokens.shape[1]
    second = torch.arange(1 + half, length_total)
    q = torch.arange(1, length_total)
    window = torch.zeros(length_total, length_total, dtype=torch.bool)
    for k in range(0, 4):
        idx = torch.arange(k, length_total)
        window[idx, idx - k] = True
    max_entropy = torch.log(torch.arange(1, length_total + 1, dtype=torch.float32))
    scores = {t: np.zeros((cfg.n_layers, cfg.n_heads)) for t in HEAD_TYPES}
    for layer in range(cfg.n_layers):
        p = cache[f"blocks.{layer}.attn.hook_pattern"].float().cpu()  # [batch head query key]
        scores["previous-token"][layer] = p[:, :, q, q - 1].mean(dim=(0, 2)).numpy()
        scores["duplicate-token"][layer] = p[:, :, second, second - half].mean(dim=(0, 2)).numpy()
        scores["induction"][layer] = p[:, :, second, second - half + 1].mean(dim=(0, 2)).numpy()
        scores["BOS/sink"][layer] = p[:, :, 1:, 0].mean(dim=(0, 2)).numpy()
        scores["local"][layer] = (p * window).sum(-1)[:, :, 4:].mean(dim=(0, 2)).numpy()
        entropy = -(p * torch.log(p.clamp_min(1e-12))).sum(-1)  # [batch head query]
        scores["uniform"][layer] = (entropy[:, :, 4:] / max_entropy[4:]).mean(dim=(0, 2)).numpy()
        scores["focused"][layer] = p[:, :, 4:].amax(-1).mean(dim=(0, 2)).numpy()
    return scores


def types_from_scores(scores: dict[str, np.ndarray]) -> list[list[str | None]]:
    """The clearest type of each head (or ``None``): the largest score/threshold among the detectors reaching
    it, else ``"focused"`` when its attention is sharp (:data:`DETECTORS`)."""
    n_layers, n_heads = scores[HEAD_TYPES[0]].shape
    out: list[list[str | None]] = []
    for layer in range(n_layers):
        row: list[str | None] = []
        for head in range(n_heads):
            passing = [
                (scores[t][layer, head] / THRESHOLDS[t], t)
                for t in DETECTORS
                if scores[t][layer, head] >= THRESHOLDS[t]
            ]
            focused = "focused" in scores and scores["focused"][layer, head] >= THRESHOLDS["focused"]
            row.append(max(passing)[1] if passing else ("focused" if focused else None))
        out.append(row)
    return out


def head_types(model: Any, seed: int = 0) -> list[list[str | None]]:
    """The clearest type of each head (or ``None``), by the detector furthest above its threshold."""
    return types_from_scores(head_type_scores(model, seed))


# ------------------------------------------------------------------ attention patterns
@dataclass
class HeadAttention:
    """One head's attention from the last position.

    ``pattern``: over the first prompt's tokens. ``mean_pattern``: the mean over the prompts of the first
    prompt's length (its bucket). ``patterns``: every prompt's own pattern (prompts may differ in length),
    in prompt order; ``bucket_means`` maps each prompt length to the mean pattern of the prompts of that
    length. ``entropy``/``normalized_entropy``: per prompt, in nats and divided by ``log(number of attended
    positions)`` (1 = uniform; NaN for a one-token prompt). ``top_tokens``: the first prompt's ``top_k``
    most attended ``(position, token, weight)``. ``head_type``: the head's IOI role on these prompts when they are
    IOI-shaped (:mod:`~glassbox_jupyter.circuits.roles`), else its type on repeated random tokens;
    ``type_scores``: the random-token detectors' scores (:func:`head_type_scores`). ``matrices``: every
    prompt's full attention matrix ``[query key]`` (row ``-1`` is its entry in ``patterns``), in prompt order.
    """

    layer: int
    head: int
    pattern: np.ndarray
    mean_pattern: np.ndarray
    patterns: list[np.ndarray]
    bucket_means: dict[int, np.ndarray]
    entropy: np.ndarray
    normalized_entropy: np.ndarray
    top_tokens: list[tuple[int, str, float]]
    head_type: str | None
    type_scores: dict[str, float]
    matrices: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def name(self) -> str:
        return f"L{self.layer}H{self.head}"

    @property
    def matrix(self) -> np.ndarray:
        """The first prompt's full attention matrix ``[query key]``."""
        return self.matrices[0]


@dataclass
class AttentionPatterns(MeasuredResult):
    """Attention of chosen heads: ``heads``, the first prompt's ``tokens`` and one :class:`HeadAttention`
    per head in ``records`` (also reachable as ``patterns[(layer, head)]``). ``selection`` says how the heads
    were chosen (``"given"``, ``"all"`` or the :func:`pick_heads` criterion); ``provenance`` how it was measured."""

    heads: list[Head]
    tokens: list[str]
    records: list[HeadAttention]
    top_k: int
    selection: str = "given"
    provenance: Provenance | None = field(default=None, repr=False)
    kind = "attention_patterns"

    def result_dict(self) -> dict[str, Any]:
        """Per head: type, entropies, top tokens, the last-position rows and the full matrices, per prompt."""
        return {
            "selection": self.selection,
            "tokens": self.tokens,
            "heads": [
                {
                    "layer": r.layer,
                    "head": r.head,
                    "head_type": r.head_type,
                    "type_scores": r.type_scores,
                    "entropy": r.entropy,
                    "normalized_entropy": r.normalized_entropy,
                    "top_tokens": r.top_tokens,
                    "last_position": r.patterns,
                    "matrices": r.matrices,
                }
                for r in self.records
            ],
        }

    def __getitem__(self, head: Head) -> HeadAttention:
        key = _as_head(head)
        for record in self.records:
            if (record.layer, record.head) == key:
                return record
        raise PromptError(f"head L{key[0]}H{key[1]} was not analysed; pick one of {self._names()}")

    def __len__(self) -> int:
        return len(self.records)

    def _names(self) -> list[str]:
        return [r.name for r in self.records]

    def to_frame(self) -> pd.DataFrame:
        """One row per head: type, mean entropy (nats and normalised) and the first prompt's top tokens."""
        import pandas as pd

        rows = [
            {
                "layer": r.layer,
                "head": r.head,
                "head_type": r.head_type,
                "entropy": float(np.nanmean(r.entropy)),
                "normalized_entropy": float(np.nanmean(r.normalized_entropy))
                if np.isfinite(r.normalized_entropy).any()
                else float("nan"),
                "top_tokens": ", ".join(f"{p}:{t!r} {w:.2f}" for p, t, w in r.top_tokens),
                "max_weight": float(r.pattern.max()),
            }
            for r in self.records
        ]
        columns = ["layer", "head", "head_type", "entropy", "normalized_entropy", "top_tokens", "max_weight"]
        return pd.DataFrame(rows, columns=columns)

    def pattern_frame(self) -> pd.DataFrame:
        """Long table of the patterns over the first prompt's tokens: ``layer``, ``head``, ``position``,
        ``token``, ``weight`` (first prompt) and ``mean_weight`` (mean over prompts of that length)."""
        import pandas as pd

        rows = [
            {
                "layer": r.layer,
                "head": r.head,
                "position": p,
                "token": tok,
                "weight": float(r.pattern[p]),
                "mean_weight": float(r.mean_pattern[p]),
            }
            for r in self.records
            for p, tok in enumerate(self.tokens)
        ]
        return pd.DataFrame(rows, columns=["layer", "head", "position", "token", "weight", "mean_weight"])

    def chart(self, head: Head) -> alt.LayerChart:
        """Altair bar chart of ``head``'s attention from the last position over the first prompt's tokens
        (bars: the first prompt; ticks: the mean over prompts of the same length)."""
        import altair as alt

        from glassbox_jupyter.circuits.charts import fitted_title
        from glassbox_jupyter.widgets.svg import offline_chart

        record = self[head]
        frame = self.pattern_frame()
        frame = frame[(frame["layer"] == record.layer) & (frame["head"] == record.head)].copy()
        frame["label"] = [f"{p}:{t}" for p, t in zip(frame["position"], frame["token"], strict=True)]
        x = alt.X("label:N", sort=None, title="attended token")
        bars = (
            alt.Chart(frame)
            .mark_bar()
            .encode(
                x=x,
                y=alt.Y("weight:Q", title="attention from the last token", scale=alt.Scale(domain=[0, 1])),
                tooltip=["position:Q", "token:N", "weight:Q", "mean_weight:Q"],
            )
        )
        ticks = alt.Chart(frame).mark_tick(color="black", thickness=2).encode(x=x, y="mean_weight:Q")
        kind = f" ({record.head_type})" if record.head_type else ""
        same_length = sum(len(p) == len(record.pattern) for p in record.patterns)
        width = max(300, 24 * len(frame))
        title = fitted_title(
            f"{record.name}{kind}: attention from {self.tokens[-1]!r}",
            width,
            f"bars: the first prompt; ticks: the mean over the {same_length} prompts of its length",
        )
        return offline_chart((bars + ticks).properties(width=width, height=260, title=title))


def _as_head(head: Any) -> Head:
    try:
        layer, index = head
    except (TypeError, ValueError):
        raise PromptError(f"a head is a (layer, head) pair of integers, got {head!r}") from None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (layer, index)):
        raise PromptError(f"a head is a (layer, head) pair of integers, got {head!r}")
    return int(layer), int(index)


def _check_heads(model: Any, heads: Sequence[Head] | None) -> list[Head]:
    cfg = model.cfg
    if heads is None:
        return [(layer, h) for layer in range(cfg.n_layers) for h in range(cfg.n_heads)]
    if isinstance(heads, tuple) and len(heads) == 2 and all(isinstance(v, (int, np.integer)) for v in heads):
        raise PromptError(f"heads is a list of (layer, head) pairs; pass heads=[{heads!r}]")
    out: list[Head] = []
    for head in heads:
        layer, index = _as_head(head)
        if not (0 <= layer < cfg.n_layers and 0 <= index < cfg.n_heads):
            raise PromptError(
                f"head L{layer}H{index} is out of range: the model has {cfg.n_layers} layers of {cfg.n_heads} "
                f"heads; pick layer 0..{cfg.n_layers - 1} and head 0..{cfg.n_heads - 1}"
            )
        if (layer, index) not in out:
            out.append((layer, index))
    if not out:
        raise PromptError("heads is empty; pass heads=None for every head or a list of (layer, head) pairs")
    return out


def pick_heads(records: Sequence[HeadAttention], n: int, effects: np.ndarray | None = None) -> tuple[list[Head], str]:
    """The ``n`` most interesting heads among ``records`` and the criterion used.

    With ``effects`` (``[layer head]``, e.g. exact activation-patching effects) the heads with the largest
    ``|effect|`` — the heads that matter for the task. Without, the most focused heads: the lowest mean
    normalised entropy of the last position's attention over the prompts (a head that looks at one token
    is easier to read than one that averages). Ties go to the earlier head.
    """
    if effects is not None:
        size = np.abs(np.asarray(effects, dtype=float))
        ranked = sorted(records, key=lambda r: (-size[r.layer, r.head], r.layer, r.head))
        criterion = "largest |effect|"
    else:
        ranked = sorted(records, key=lambda r: (_mean_or_inf(r.normalized_entropy), r.layer, r.head))
        criterion = "lowest normalized entropy"
    return [(r.layer, r.head) for r in ranked[:n]], criterion


def _mean_or_inf(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("inf")


def attention_patterns(
    model: Any,
    prompts: PromptSet | Sequence[Sequence[Any]],
    heads: Sequence[Head] | str | None = None,
    top_k: int = 3,
    seed: int = 0,
    *,
    n_auto: int = 6,
    effects: np.ndarray | None = None,
) -> AttentionPatterns:
    """Full attention matrices and the last position's attention for each head in ``heads``.

    Args:
        model: a TransformerLens ``HookedTransformer`` with a tokenizer.
        prompts: a :class:`PromptSet` (or the ``[(prompt, correct, incorrect[, corrupted]), ...]`` list).
        heads: ``[(layer, head), ...]``; ``None`` for every head; ``"auto"`` for the ``n_auto`` most interesting
            heads (:func:`pick_heads`: largest ``|effects|`` when ``effects`` is given, else the most focused).
        top_k: how many of the first prompt's most attended tokens to list per head.
        seed: seed of the random sequences the head types are measured on.
        n_auto: how many heads ``heads="auto"`` picks.
        effects: ``[layer head]`` per-head effects ``heads="auto"`` ranks by (e.g. ``head_effects(model, prompts)``).

    Example:
        >>> picked = attention_patterns(model, prompts, heads="auto", n_auto=3)  # doctest: +SKIP
        >>> picked.selection, picked.heads, picked.records[0].matrix.shape  # doctest: +SKIP
    """
    import torch

    require_hooked_transformer(model)
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise PromptError(f"top_k must be a positive integer (e.g. 3), got {top_k!r}")
    auto = isinstance(heads, str)
    if auto and heads != "auto":
        raise PromptError(f"heads is a list of (layer, head) pairs, None (every head) or 'auto', got {heads!r}")
    if auto and (isinstance(n_auto, bool) or not isinstance(n_auto, (int, np.integer)) or n_auto < 1):
        raise PromptError(f"n_auto must be a positive integer (how many heads to pick), got {n_auto!r}")
    cfg = model.cfg
    if effects is not None and np.shape(effects) != (cfg.n_layers, cfg.n_heads):
        raise PromptError(
            f"effects must be a [layer head] array of shape {(cfg.n_layers, cfg.n_heads)}, got {np.shape(effects)}"
        )
    chosen = _check_heads(model, None if isinstance(heads, str) else heads)
    prompt_set = prompts if isinstance(prompts, PromptSet) else PromptSet.build(model, prompts)
    layers = sorted({layer for layer, _ in chosen})
    wanted = {f"blocks.{layer}.attn.hook_pattern" for layer in layers}
    n = len(prompt_set)
    per_prompt: dict[Head, list[np.ndarray]] = {h: [np.zeros(0)] * n for h in chosen}
    full: dict[Head, list[np.ndarray]] = {h: [np.zeros((0, 0))] * n for h in chosen}
    means: dict[Head, dict[int, np.ndarray]] = {h: {} for h in chosen}
    first_tokens: list[str] = []
    with torch.no_grad():
        for b in prompt_set.buckets:
            _, cache = model.run_with_cache(b.clean, names_filter=lambda name: name in wanted)
            if 0 in b.rows:
                first_tokens = [str(t) for t in model.to_str_tokens(b.clean[b.rows.index(0)])]
            for layer, index in chosen:
                matrices = cache[f"blocks.{layer}.attn.hook_pattern"][:, index].double().cpu().numpy()
                last = matrices[:, -1, :]
                for j, row in enumerate(b.rows):
                    per_prompt[(layer, index)][row] = last[j]
                    full[(layer, index)][row] = matrices[j]
                means[(layer, index)][b.clean.shape[1]] = last.mean(0).astype(np.float64)
    type_scores = head_type_scores(model, seed)
    from glassbox_jupyter.circuits.roles import combined_head_types, ioi_head_roles

    # on IOI-shaped prompts a head's role at the last token (name mover, S-inhibition, …) comes first
    types = combined_head_types(types_from_scores(type_scores), ioi_head_roles(model, prompt_set))
    records = []
    k = min(int(top_k), len(first_tokens))
    for layer, index in chosen:
        patterns = per_prompt[(layer, index)]
        entropy = np.array([float(-(p * np.log(np.clip(p, 1e-12, None))).sum()) for p in patterns])
        attended = np.array([len(p) for p in patterns], dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            normalized = np.where(attended > 1, entropy / np.log(attended), np.nan)
        first = patterns[0]
        order = np.argsort(-first, kind="stable")[:k]
        records.append(
            HeadAttention(
                layer=layer,
                head=index,
                pattern=first,
                mean_pattern=means[(layer, index)][len(first)],
                patterns=patterns,
                bucket_means=means[(layer, index)],
                entropy=entropy,
                normalized_entropy=normalized,
                top_tokens=[(int(p), first_tokens[p], float(first[p])) for p in order],
                head_type=types[layer][index],
                type_scores={t: float(type_scores[t][layer, index]) for t in HEAD_TYPES},
                matrices=full[(layer, index)],
            )
        )
    selection = "given" if heads is not None else "all"
    if auto:
        chosen, selection = pick_heads(records, int(n_auto), effects)
        records = [next(r for r in records if (r.layer, r.head) == h) for h in chosen]
    settings: dict[str, Any] = {"heads": heads if heads is None or auto else chosen, "top_k": int(top_k)}
    if auto:
        settings |= {"n_auto": int(n_auto), "effects": None if effects is None else np.asarray(effects).tolist()}
    return AttentionPatterns(
        heads=chosen,
        tokens=first_tokens,
        records=records,
        top_k=k,
        selection=selection,
        provenance=capture(model, prompt_set, {"name": "attention_patterns", **settings}, seed),
    )
