"""Logit lens, per-head direct effects and attention from the last position (head typing: attention.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

# Head typing lives in attention.py; these names stay importable from here (analyzer.py uses lens.head_types).
from glassbox_jupyter.circuits.attention import HEAD_TYPES, THRESHOLDS, head_type_scores, head_types
from glassbox_jupyter.circuits.prompts import PromptSet

__all__ = [
    "HEAD_TYPES",
    "THRESHOLDS",
    "attention_from_last",
    "head_type_scores",
    "head_types",
    "logit_lens",
]


def _direction(model: Any, correct: Any, incorrect: Any) -> Any:
    return model.W_U[:, correct] - model.W_U[:, incorrect]  # [d_model batch]


def logit_lens(model: Any, prompts: PromptSet) -> dict[str, Any]:
    """Logit difference read off the residual stream after each layer, and each head's direct effect."""
    import torch

    cfg = model.cfg
    by_layer = np.zeros(cfg.n_layers + 1)
    direct = np.zeros((cfg.n_layers, cfg.n_heads))
    # only what the two readings use (not every hook of the model): the residual stream between blocks,
    # each head's output before W_O, and the final norm's scale
    wanted = {f"blocks.{layer}.hook_resid_pre" for layer in range(cfg.n_layers)}
    wanted |= {f"blocks.{cfg.n_layers - 1}.hook_resid_post", "ln_final.hook_scale"}
    wanted |= {f"blocks.{layer}.attn.hook_z" for layer in range(cfg.n_layers)}
    W_O = model.W_O.detach()  # [layer head d_head d_model]; a HookedTransformer stacks it on every access
    with torch.no_grad():
        for b in prompts.buckets:
            _, cache = model.run_with_cache(b.clean, names_filter=lambda name: name in wanted)
            direction = _direction(model, b.correct, b.incorrect)  # [d_model batch]
            resid = cache.accumulated_resid(
                layer=None, incl_mid=False, apply_ln=True, pos_slice=-1
            )  # [layer+1 batch d]
            by_layer += (resid * direction.T[None]).sum(-1).sum(-1).numpy()
            # each head's output at the last position (z @ W_O), scaled by the final norm as the logits see it;
            # what cache.stack_head_results(pos_slice=-1) gives, without computing every position first
            written = torch.cat(
                [
                    torch.einsum("bhk,hkd->hbd", cache[f"blocks.{layer}.attn.hook_z"][:, -1], W_O[layer])
                    for layer in range(cfg.n_layers)
                ]
            )  # [layer*head batch d]
            heads = cache.apply_ln_to_stack(written, layer=None, pos_slice=-1)
            direct += (heads * direction.T[None]).sum(-1).sum(-1).numpy().reshape(cfg.n_layers, cfg.n_heads)
    n = len(prompts)
    return {
        "by_layer": by_layer / n,
        "labels": ["embed"] + [f"after L{i}" for i in range(cfg.n_layers)],
        "direct_effects": direct / n,
    }


def attention_from_last(model: Any, tokens: Any) -> np.ndarray:
    """Attention weights from the last position ``[layer head pos]`` for one prompt's tokens ``[1 pos]``."""
    import torch

    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    return np.stack(
        [cache[f"blocks.{layer}.attn.hook_pattern"][0, :, -1, :].numpy() for layer in range(model.cfg.n_layers)]
    )
