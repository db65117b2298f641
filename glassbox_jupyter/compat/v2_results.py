"""Glassbox 2.0 result shapes built from GlassBox's numbers: the faithfulness category, ranked heads, the
token-tensor prompt sets the tensor signatures take.

Example:
    >>> faithfulness_category(0.95, 0.2)
    'backup_mechanisms'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassbox_jupyter.circuits.prompts import Bucket, PromptError, PromptSet, require_hooked_transformer

#: Glassbox 2.0's category thresholds, kept as it published them (documented there as chosen, not derived).
#: Checked in this order; the first rule that holds names the category.
CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    ("backup_mechanisms", "sufficiency > 0.9 and comprehensiveness < 0.4"),
    ("faithful", "sufficiency > 0.7 and comprehensiveness > 0.5"),
    ("incomplete", "sufficiency < 0.5"),
    ("weak", "sufficiency < 0.6 and comprehensiveness < 0.5"),
    ("moderate", "otherwise"),
)


def faithfulness_category(sufficiency: float, comprehensiveness: float) -> str:
    """Glassbox 2.0's category of a circuit from its exact sufficiency and comprehensiveness.

    - ``backup_mechanisms``: the circuit alone restores the behaviour (sufficiency > 0.9) but removing it
      leaves most of it (comprehensiveness < 0.4): other heads back it up.
    - ``faithful``: sufficiency > 0.7 and comprehensiveness > 0.5.
    - ``incomplete``: sufficiency < 0.5, the circuit alone restores under half of the behaviour.
    - ``weak``: sufficiency < 0.6 and comprehensiveness < 0.5.
    - ``moderate``: anything else.
    - ``undefined``: a number is NaN (the clean and corrupted runs give the same logit difference).

    >>> faithfulness_category(0.8, 0.9), faithfulness_category(0.3, 0.9), faithfulness_category(0.55, 0.1)
    ('faithful', 'incomplete', 'weak')
    """
    s, c = float(sufficiency), float(comprehensiveness)
    if math.isnan(s) or math.isnan(c):
        return "undefined"
    if s > 0.9 and c < 0.4:
        return "backup_mechanisms"
    if s > 0.7 and c > 0.5:
        return "faithful"
    if s < 0.5:
        return "incomplete"
    if s < 0.6 and c < 0.5:
        return "weak"
    return "moderate"


def f1_score(sufficiency: float, comprehensiveness: float) -> float:
    """The harmonic mean GlassBox reports as F1 (each number clipped to [0, 1] first)."""
    s, c = float(np.clip(sufficiency, 0, 1)), float(np.clip(comprehensiveness, 0, 1))
    return 0.0 if s + c == 0 else 2 * s * c / (s + c)


def head_dict(values: np.ndarray) -> dict[tuple[int, int], float]:
    """``{(layer, head): value}`` from a ``[layer head]`` array."""
    return {(int(layer), int(head)): float(values[layer, head]) for layer, head in np.ndindex(*values.shape)}


def top_heads(attributions: dict[tuple[int, int], float], n_layers: int, top_k: int = 10) -> list[dict[str, Any]]:
    """Glassbox 2.0's ``get_top_heads``: the ``top_k`` heads by attribution (largest first), each
    ``{"layer", "head", "attr", "rel_depth"}`` with ``rel_depth = layer / (n_layers - 1)``."""
    ranked = sorted(attributions.items(), key=lambda item: (-item[1], item[0]))[:top_k]
    return [
        {"layer": layer, "head": head, "attr": attr, "rel_depth": layer / max(n_layers - 1, 1)}
        for (layer, head), attr in ranked
    ]


def _token_id(model: Any, token: Any, role: str) -> int:
    if isinstance(token, str):
        ids = model.to_tokens(token, prepend_bos=False)[0].tolist()
        if len(ids) != 1:
            raise PromptError(f"the {role} token {token!r} is {len(ids)} tokens; give one token (e.g. ' Mary')")
        return int(ids[0])
    if isinstance(token, bool) or not isinstance(token, (int, np.integer)):
        raise PromptError(f"the {role} token must be a token id (int) or a one-token string, got {token!r}")
    if not 0 <= int(token) < model.cfg.d_vocab:
        raise PromptError(f"the {role} token id {token} is outside the vocabulary (0..{model.cfg.d_vocab - 1})")
    return int(token)


def token_prompt_set(model: Any, clean: Any, corrupted: Any, target: Any, distractor: Any) -> PromptSet:
    """A one-prompt :class:`PromptSet` from Glassbox 2.0's arguments: token tensors ``[1 pos]`` (or
    ``[pos]``) for the clean and corrupted prompts, and the target/distractor as ids or one-token strings."""
    import torch

    require_hooked_transformer(model)
    tensors = []
    for name, tokens in (("clean", clean), ("corrupted", corrupted)):
        if not isinstance(tokens, torch.Tensor) or tokens.dtype not in (torch.int64, torch.int32):
            raise PromptError(f"the {name} tokens must be an integer tensor from model.to_tokens(text)")
        tokens = tokens[None] if tokens.ndim == 1 else tokens
        if tokens.ndim != 2 or tokens.shape[0] != 1:
            raise PromptError(f"the {name} tokens must have shape [1, pos] (one prompt), got {list(tokens.shape)}")
        tensors.append(tokens.long())
    if tensors[0].shape != tensors[1].shape:
        raise PromptError(
            f"the clean prompt is {tensors[0].shape[1]} tokens and the corrupted one {tensors[1].shape[1]}; "
            "patching needs equal lengths (change names, not sentence length)"
        )
    ids = _token_id(model, target, "target"), _token_id(model, distractor, "distractor")
    texts = [model.to_string(t[0]) for t in tensors]
    answers = [model.to_string([i]) for i in ids]
    bucket = Bucket(tensors[0], tensors[1], torch.tensor([ids[0]]), torch.tensor([ids[1]]), rows=[0])
    return PromptSet(texts=[(texts[0], answers[0], answers[1], texts[1])], buckets=[bucket])
