"""Logit lens, per-head direct effects, attention patterns and head typing."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassbox_jupyter.circuits.prompts import PromptSet

HEAD_TYPES = ("previous-token", "induction", "duplicate-token", "BOS/sink", "local", "uniform")


def _direction(model: Any, correct: Any, incorrect: Any) -> Any:
    return model.W_U[:, correct] - model.W_U[:, incorrect]  # [d_model batch]


def logit_lens(model: Any, prompts: PromptSet) -> dict[str, Any]:
    """Logit difference read off the residual stream after each layer, and each head's direct effect."""
    import torch

    cfg = model.cfg
    by_layer = np.zeros(cfg.n_layers + 1)
    direct = np.zeros((cfg.n_layers, cfg.n_heads))
    with torch.no_grad():
        for b in prompts.buckets:
            _, cache = model.run_with_cache(b.clean)
            direction = _direction(model, b.correct, b.incorrect)  # [d_model batch]
            resid = cache.accumulated_resid(
                layer=None, incl_mid=False, apply_ln=True, pos_slice=-1
            )  # [layer+1 batch d]
            by_layer += (resid * direction.T[None]).sum(-1).sum(-1).numpy()
            heads = cache.stack_head_results(layer=-1, pos_slice=-1, apply_ln=True)  # [layer*head batch d]
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


def head_type_scores(model: Any, seed: int = 0, length: int | None = None, batch: int = 8) -> dict[str, np.ndarray]:
    """Scores ``[layer head]`` per head type, measured on random token sequences repeated twice.

    previous-token: attention to i−1; duplicate-token: to the earlier copy of the same token;
    induction: to the token after the earlier copy; BOS/sink: to position 0; local: within 3
    positions back; uniform: attention entropy / maximal entropy.
    """
    import torch

    cfg = model.cfg
    half = length or max(4, min(20, (cfg.n_ctx - 1) // 2))
    generator = torch.Generator().manual_seed(seed)
    low = 1 if cfg.d_vocab > 2 else 0
    random = torch.randint(low, cfg.d_vocab, (batch, half), generator=generator)
    bos = torch.full((batch, 1), model.tokenizer.bos_token_id if model.tokenizer.bos_token_id is not None else 0)
    tokens = torch.cat([bos, random, random], dim=1)
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    length_total = tokens.shape[1]
    second = torch.arange(1 + half, length_total)
    scores = {t: np.zeros((cfg.n_layers, cfg.n_heads)) for t in HEAD_TYPES}
    for layer in range(cfg.n_layers):
        p = cache[f"blocks.{layer}.attn.hook_pattern"]  # [batch head query key]
        q = torch.arange(1, length_total)
        scores["previous-token"][layer] = p[:, :, q, q - 1].mean(dim=(0, 2)).numpy()
        scores["duplicate-token"][layer] = p[:, :, second, second - half].mean(dim=(0, 2)).numpy()
        scores["induction"][layer] = p[:, :, second, second - half + 1].mean(dim=(0, 2)).numpy()
        scores["BOS/sink"][layer] = p[:, :, 1:, 0].mean(dim=(0, 2)).numpy()
        window = torch.zeros(length_total, length_total, dtype=torch.bool)
        for k in range(0, 4):
            idx = torch.arange(k, length_total)
            window[idx, idx - k] = True
        scores["local"][layer] = (p * window).sum(-1)[:, :, 4:].mean(dim=(0, 2)).numpy()
        entropy = -(p * torch.log(p.clamp_min(1e-12))).sum(-1)  # [batch head query]
        max_entropy = torch.log(torch.arange(1, length_total + 1, dtype=torch.float32))
        scores["uniform"][layer] = (entropy[:, :, 4:] / max_entropy[4:]).mean(dim=(0, 2)).numpy()
    return scores


THRESHOLDS = {
    "previous-token": 0.5,
    "induction": 0.4,
    "duplicate-token": 0.4,
    "BOS/sink": 0.6,
    "local": 0.8,
    "uniform": 0.9,
}


def head_types(model: Any, seed: int = 0) -> list[list[str | None]]:
    """The clearest type of each head (or ``None``), by the first detector above its threshold."""
    scores = head_type_scores(model, seed)
    out: list[list[str | None]] = []
    for layer in range(model.cfg.n_layers):
        row: list[str | None] = []
        for head in range(model.cfg.n_heads):
            passing = [
                (scores[t][layer, head] / THRESHOLDS[t], t)
                for t in HEAD_TYPES
                if scores[t][layer, head] >= THRESHOLDS[t]
            ]
            row.append(max(passing)[1] if passing else None)
        out.append(row)
    return out
