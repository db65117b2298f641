"""Prompt sets for circuit analysis: tokenised clean/corrupted pairs and answer tokens, validated.

Prompts of different token lengths are grouped into buckets of equal length so every batch can
read the prediction at its last position without padding.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = PromptSet.build(model, [("When Mary and John went to the store, John gave a drink to",
    ...                                     " Mary", " John", None)])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.errors import GlassboxError

if TYPE_CHECKING:
    import torch
    from transformer_lens import HookedTransformer


class PromptError(GlassboxError, ValueError):
    """A prompt, answer or corruption that circuit analysis cannot use (the message says why)."""


def require_hooked_transformer(model: Any) -> HookedTransformer:
    """The one adapter between circuit analysis and TransformerLens: return ``model`` if it is a
    ``HookedTransformer`` or a ``TransformerBridge`` (TransformerLens 3.9+, the class TransformerLens 4
    keeps), else explain how to get one.

    A bridge is put in compatibility mode (``enable_compatibility_mode()``, as TransformerLens advises
    for HookedTransformer-equivalent numerics: folded layer norms, the same hook names), once. Code
    that slices a forward pass (``stop_at_layer``, ``start_at_layer`` with a key-value cache) asks
    :func:`sliceable` first; a bridge runs whole forward passes instead, with the same numbers."""
    try:
        from transformer_lens import HookedTransformer
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ImportError("circuit analysis needs transformer-lens (pip install transformer-lens)") from exc
    bridge = _bridge_class()
    if bridge is not None and isinstance(model, bridge):
        if not getattr(model, "compatibility_mode", False):
            model.enable_compatibility_mode()  # type: ignore[attr-defined]
    elif not isinstance(model, HookedTransformer):
        raise TypeError(
            f"circuit analysis needs a TransformerLens HookedTransformer or TransformerBridge, got "
            f"{type(model).__name__}. Load a local checkpoint folder or GGUF file with "
            "glassbox.load_hooked_transformer(path) (offline), boot a bridge with "
            "TransformerBridge.boot_transformers(folder, hf_model=..., tokenizer=...), build one from a "
            "HookedTransformerConfig, or use glassbox.demos.load('ioi')."
        )
    if model.tokenizer is None:
        raise PromptError("the model has no tokenizer; attach one with model.set_tokenizer(tokenizer)")
    return model


def _bridge_class() -> type | None:
    try:
        from transformer_lens.model_bridge import TransformerBridge
    except ImportError:  # TransformerLens before 3.9
        return None
    return TransformerBridge


def head_weights(model: Any, name: str) -> torch.Tensor:
    """``model``'s ``W_Q``/``W_K``/``W_V``/``W_O`` ``[layer head …]`` with one entry per query head: a
    TransformerBridge of a grouped-query model keeps one ``W_K``/``W_V`` per key/value head, which
    this repeats for the query heads that share it (as a HookedTransformer's weights already are)."""
    weight = getattr(model, name)
    n_heads = model.cfg.n_heads
    if weight.shape[1] != n_heads:
        weight = weight.repeat_interleave(n_heads // weight.shape[1], dim=1)
    return weight


def sliceable(model: Any) -> bool:
    """Whether ``model`` runs part of a forward pass (``stop_at_layer``; ``start_at_layer`` with a frozen
    key-value cache) as a HookedTransformer does; a TransformerBridge runs whole passes."""
    from transformer_lens import HookedTransformer

    return isinstance(model, HookedTransformer)


def _single_token(model: Any, text: str, role: str) -> int:
    ids = model.to_tokens(text, prepend_bos=False)[0].tolist()
    if len(ids) != 1:
        pieces = [model.to_string([i]) for i in ids]
        raise PromptError(
            f"the {role} answer {text!r} is {len(ids)} tokens {pieces}; give a single-token answer "
            "(often with its leading space, e.g. ' Mary')"
        )
    return int(ids[0])


def swap_answers(prompt: str, correct: str, incorrect: str) -> str:
    """Default corruption: exchange the two answer words wherever they occur in the prompt."""
    a, b = correct.strip(), incorrect.strip()
    if not a or not b or (a not in prompt and b not in prompt):
        raise PromptError(
            "no corrupted prompt was given and the answers do not occur in the prompt to swap; pass "
            "prompts=[(prompt, correct, incorrect, corrupted_prompt), ...]"
        )
    marker = "\u0000"
    return prompt.replace(a, marker).replace(b, a).replace(marker, b)


@dataclass
class Bucket:
    """Prompts of one token length: ``clean``/``corrupted`` tokens ``[batch pos]`` and answer ids ``[batch]``."""

    clean: Any
    corrupted: Any
    correct: Any
    incorrect: Any
    rows: list[int]  # positions of these prompts in the original list
    # the values ablated heads take, kept by faithfulness.ablated_logit_diffs (per model and ablation)
    ablation_cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # the clean and corrupted runs, recorded once per model (circuits/recorded.py)
    runs: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class PromptSet:
    """Validated prompts, grouped by length."""

    texts: list[tuple[str, str, str, str]]
    buckets: list[Bucket]

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def build(cls, model: Any, prompts: Sequence[Sequence[Any]]) -> PromptSet:
        import torch

        require_hooked_transformer(model)
        if not prompts:
            raise PromptError("the prompt set is empty; pass at least one (prompt, correct, incorrect[, corrupted])")
        texts = []
        groups: dict[int, list[tuple[int, Any, Any, int, int]]] = {}
        n_ctx = model.cfg.n_ctx
        for row, item in enumerate(prompts):
            if len(item) not in (3, 4):
                raise PromptError(
                    f"prompt {row} must be (prompt, correct, incorrect[, corrupted_prompt]), got {item!r}"
                )
            prompt, correct, incorrect = item[0], item[1], item[2]
            if not isinstance(prompt, str) or not prompt.strip():
                raise PromptError(f"prompt {row} is empty")
            ids = (_single_token(model, correct, "correct"), _single_token(model, incorrect, "incorrect"))
            corrupted = item[3] if len(item) == 4 and item[3] else swap_answers(prompt, correct, incorrect)
            clean_ids = model.to_tokens(prompt, truncate=False)  # truncation would hide a too-long prompt
            corrupt_ids = model.to_tokens(corrupted, truncate=False)
            if clean_ids.shape[1] > n_ctx:
                raise PromptError(
                    f"prompt {row} is {clean_ids.shape[1]} tokens but the model's context is {n_ctx}; shorten it"
                )
            if clean_ids.shape != corrupt_ids.shape:
                raise PromptError(
                    f"prompt {row}: the clean prompt is {clean_ids.shape[1]} tokens and the corrupted one "
                    f"{corrupt_ids.shape[1]}; patching needs equal lengths (change names, not sentence length)"
                )
            texts.append((prompt, correct, incorrect, corrupted))
            groups.setdefault(clean_ids.shape[1], []).append((row, clean_ids[0], corrupt_ids[0], *ids))
        buckets = [
            Bucket(
                clean=torch.stack([g[1] for g in group]),
                corrupted=torch.stack([g[2] for g in group]),
                correct=torch.tensor([g[3] for g in group]),
                incorrect=torch.tensor([g[4] for g in group]),
                rows=[g[0] for g in group],
            )
            for _, group in sorted(groups.items())
        ]
        return cls(texts, buckets)


def logit_diff(logits: torch.Tensor, correct: torch.Tensor, incorrect: torch.Tensor) -> torch.Tensor:
    """Per-prompt logit difference (correct − incorrect) at the last position: ``[batch]``."""
    last = logits[:, -1, :]
    return last.gather(1, correct[:, None])[:, 0] - last.gather(1, incorrect[:, None])[:, 0]


def answer_logit_diff(model: Any, resid: torch.Tensor, correct: torch.Tensor, incorrect: torch.Tensor) -> torch.Tensor:
    """:func:`logit_diff` read off ``resid``, the residual stream after the last block (``[batch pos
    d_model]``): the final norm at the last position and only the two answers' unembedding columns,
    so the ``[batch pos vocab]`` logits are never made (49,152 columns per position on SmolLM2).
    A final logit soft cap (Gemma 2) is applied to each answer's logit, as the full forward pass does."""
    import torch

    last = model.ln_final(resid[:, -1:, :])[:, 0] if model.cfg.normalization_type else resid[:, -1]
    logits = [(last * model.W_U[:, ids].T).sum(-1) + model.b_U[ids] for ids in (correct, incorrect)]
    cap = getattr(model.cfg, "output_logits_soft_cap", -1.0) or -1.0
    if cap > 0:
        logits = [cap * torch.tanh(x / cap) for x in logits]
    return logits[0] - logits[1]


def final_logit_diff(
    model: Any, tokens: Any, correct: torch.Tensor, incorrect: torch.Tensor, hooks: list[Any] | None = None
) -> torch.Tensor:
    """Per-prompt logit difference of a forward pass on ``tokens`` (with ``hooks``, TransformerLens
    ``(name, fn)`` pairs), without the full unembedding (see :func:`answer_logit_diff`) where the
    model can stop after its last block."""
    if not sliceable(model):
        return logit_diff(model.run_with_hooks(tokens, fwd_hooks=hooks or []), correct, incorrect)
    resid = model.run_with_hooks(tokens, fwd_hooks=hooks or [], stop_at_layer=model.cfg.n_layers)
    return answer_logit_diff(model, resid, correct, incorrect)
