"""A lean forward pass over the positions after a frozen prefix, for the batched exact patcher.

:class:`~glassbox_jupyter.circuits.fast_patching.BatchedPatcher` runs many patched copies of one bucket of
prompts from a layer on, over the positions from ``p0`` on, with the first ``p0`` positions' keys and
values frozen from the base run. TransformerLens's key-value cache does this exactly, but per layer it
repeats the prefix's keys and values for every copy, rotates them again, expands grouped key/value heads
to every query head and transposes them for the products: on SmolLM2 that copying was about a sixth of
a patched run. This module computes the same attention without any of it:

- the prefix's keys are rotated once per layer and shared by every copy: the queries of all copies of
  one prompt meet them in one matrix product per key/value head (grouped query heads included);
- the suffix's own keys and values are computed per copy (they differ between copies);
- one softmax over prefix and suffix scores, as the whole pass computes it;
- in the last block only the last position is computed past its keys and values (only its logits are
  read).

The norms and the MLP are the model's own modules, so only attention is re-implemented, and only for
the architectures :func:`supported` accepts (pre-norm blocks, standard or rotary positions, causal,
plain or grouped-query attention, no soft caps, sinks, QK norms or split inputs); anything else runs
through TransformerLens. ``tests/circuits/test_suffix_forward.py`` checks it against TransformerLens's
cached pass on the demo transformer and on SmolLM2.

Example:
    >>> import torch
    >>> from glassbox_jupyter.circuits.suffix_forward import causal_suffix_mask
    >>> causal_suffix_mask(3, torch.device("cpu")).int().tolist()
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported where it is used: importing the circuits package stays light
    import torch

#: ``patch(layer, value)`` → the value to use: applied to ``hook_z`` ``[copies·batch pos head d_head]``
#: and ``hook_mlp_out`` ``[copies·batch pos d_model]`` values.
Patch = Callable[[int, "torch.Tensor"], "torch.Tensor"]


def supported(model: Any) -> bool:
    """Whether :func:`run_suffix` computes exactly what ``model``'s own blocks compute: a HookedTransformer
    of pre-norm blocks with causal standard or rotary attention and none of the variants it does not
    re-implement."""
    from transformer_lens.components import Attention, GroupedQueryAttention, TransformerBlock
    from transformer_lens.components.transformer_block import POST_NORM_ARCHITECTURES

    cfg = getattr(model, "cfg", None)
    blocks = getattr(model, "blocks", None)
    if cfg is None or blocks is None or not len(blocks):
        return False
    plain = all(
        type(block) is TransformerBlock and type(block.attn) in (Attention, GroupedQueryAttention) for block in blocks
    )
    variants = (
        cfg.positional_embedding_type not in ("standard", "rotary"),
        getattr(cfg, "attention_dir", "causal") != "causal",
        bool(getattr(cfg, "use_attn_in", False) or getattr(cfg, "use_split_qkv_input", False)),
        bool(getattr(cfg, "parallel_attn_mlp", False)),
        bool(getattr(cfg, "use_normalization_before_and_after", False)),
        cfg.original_architecture in POST_NORM_ARCHITECTURES,
        (getattr(cfg, "attn_scores_soft_cap", -1.0) or -1.0) > 0,
        bool(getattr(cfg, "use_attention_sinks", False)),
        bool(getattr(cfg, "use_logn_attn", False)),
        getattr(cfg, "clip_qkv", None) is not None,
        bool(getattr(cfg, "use_qk_norm", False)),
        bool(getattr(cfg, "use_dynamic_ntk_rope", False)),
        bool(getattr(cfg, "load_in_4bit", False)),
        bool(getattr(cfg, "ungroup_grouped_query_attention", False)),
        cfg.original_architecture in ("OlmoeForCausalLM", "Olmo2ForCausalLM", "Olmo3ForCausalLM"),
    )
    return plain and not any(variants)


def causal_suffix_mask(positions: int, device: torch.device) -> torch.Tensor:
    """``[positions positions]``, True where a suffix query may not see a suffix key (a later one)."""
    import torch

    return torch.ones(positions, positions, dtype=torch.bool, device=device).triu(1)


class FrozenPrefix:
    """The base run's first ``p0`` positions' keys (rotated, as attention uses them) and values, per
    layer, made on first use and shared by every copy of every run on the same bucket.

    Args:
        model: the HookedTransformer.
        run: recorded activations with ``blocks.l.attn.hook_k`` / ``hook_v`` ``[batch pos kv_head d_head]``.
        p0: the number of frozen positions (0: nothing frozen).
    """

    def __init__(self, model: Any, run: Any, p0: int):
        self.model, self.run, self.p0 = model, run, p0
        self._layers: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def layer(self, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys ``[batch kv_head d_head p0]`` (rotated, transposed for the product) and values ``[batch
        kv_head p0 d_head]`` of ``layer``."""
        if layer not in self._layers:
            attn = self.model.blocks[layer].attn
            keys = self.run[f"blocks.{layer}.attn.hook_k"][:, : self.p0]
            values = self.run[f"blocks.{layer}.attn.hook_v"][:, : self.p0]
            if self.model.cfg.positional_embedding_type == "rotary":
                keys = attn.apply_rotary(keys, 0)
            self._layers[layer] = (keys.permute(0, 2, 3, 1).contiguous(), values.transpose(1, 2).contiguous())
        return self._layers[layer]


def _project(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``x @ W`` per head: ``[n pos d_model]`` → ``[n pos head d_head]`` (TransformerLens's attention
    projection, whose weight rearrangement is a view for weights GlassBox loaded)."""
    from transformer_lens.utilities.attention import simple_attn_linear

    return simple_attn_linear(x, weight, bias)


def suffix_attention(
    attn: Any, x: torch.Tensor, prefix: tuple[torch.Tensor, torch.Tensor] | None, offset: int, queries: int
) -> torch.Tensor:
    """``hook_z`` ``[n queries head d_head]`` of attention module ``attn`` for the last ``queries`` of the
    suffix positions of ``x`` (``[n pos d_model]``, the block's normalised input at positions ``offset …``;
    ``n`` = copies × batch), attending to the frozen ``prefix`` (:meth:`FrozenPrefix.layer`, shared by the
    copies; None when nothing is frozen) and causally to the suffix."""
    import torch
    import torch.nn.functional as F

    cfg = attn.cfg
    n, pos = x.shape[0], x.shape[1]
    grouped = hasattr(attn, "_W_K")
    keys = _project(x, attn._W_K if grouped else attn.W_K, attn._b_K if grouped else attn.b_K)
    values = _project(x, attn._W_V if grouped else attn.W_V, attn._b_V if grouped else attn.b_V)
    q = _project(x[:, pos - queries :], attn.W_Q, attn.b_Q)
    if cfg.positional_embedding_type == "rotary":
        q = attn.apply_rotary(q, offset + pos - queries)
        keys = attn.apply_rotary(keys, offset)
    kv_heads, d_head = keys.shape[2], keys.shape[3]
    group = q.shape[2] // kv_heads
    # queries [n kv_head (group queries) d_head]: one row per (query head of the group, position)
    q = q.reshape(n, queries, kv_heads, group, d_head).permute(0, 2, 3, 1, 4).reshape(n, kv_heads, -1, d_head)
    own = (q @ keys.permute(0, 2, 3, 1)) / attn.attn_scale  # [n kv_head (group queries) pos]
    own = own.view(n, kv_heads, group, queries, pos)
    own = own.masked_fill(causal_suffix_mask(pos, x.device)[pos - queries :], float("-inf"))
    if prefix is not None:
        prefix_keys, prefix_values = prefix
        batch, p0 = prefix_keys.shape[0], prefix_keys.shape[-1]
        copies = n // batch
        # every copy of prompt b meets prompt b's prefix keys: [batch kv_head (copies group queries) d_head]
        shared = q.view(copies, batch, kv_heads, -1, d_head).permute(1, 2, 0, 3, 4).reshape(batch, kv_heads, -1, d_head)
        early = (shared @ prefix_keys) / attn.attn_scale  # [batch kv_head (copies group queries) p0]
        early = early.view(batch, kv_heads, copies, group, queries, p0).permute(2, 0, 1, 3, 4, 5)
        scores = torch.cat([early.reshape(n, kv_heads, group, queries, p0), own], dim=-1)
    else:
        scores = own
    pattern = F.softmax(scores, dim=-1)
    z = pattern[..., -pos:].reshape(n, kv_heads, -1, pos) @ values.transpose(1, 2)  # [n kv_head (group queries) d_head]
    if prefix is not None:
        early_pattern = pattern[..., :p0].reshape(copies, batch, kv_heads, -1, p0).permute(1, 2, 0, 3, 4)
        early_z = early_pattern.reshape(batch, kv_heads, -1, p0) @ prefix_values
        z = z + early_z.view(batch, kv_heads, copies, -1, d_head).permute(2, 0, 1, 3, 4).reshape(
            n, kv_heads, -1, d_head
        )
    # [n kv_head group queries d_head] → [n queries head d_head], heads in TransformerLens's order
    return (
        z.view(n, kv_heads, group, queries, d_head).permute(0, 3, 1, 2, 4).reshape(n, queries, kv_heads * group, d_head)
    )


def suffix_block(
    block: Any,
    layer: int,
    resid: torch.Tensor,
    prefix: tuple[torch.Tensor, torch.Tensor] | None,
    offset: int,
    patch: Patch | None,
    last_only: bool = False,
) -> torch.Tensor:
    """Block ``layer`` on the suffix residual stream ``resid`` ``[n pos d_model]`` → ``hook_resid_post``
    (only the last position's when ``last_only``), ``patch`` applied to its ``hook_z`` and ``hook_mlp_out``."""
    import torch.nn.functional as F

    attn = block.attn
    queries = 1 if last_only else resid.shape[1]
    z = suffix_attention(attn, block.ln1(resid), prefix, offset, queries)
    if patch is not None:
        z = patch(layer, z)
    w_out = attn.W_O.permute(2, 0, 1).reshape(attn.W_O.shape[2], -1)  # d_model (head d_head): a view when stored so
    resid = resid[:, resid.shape[1] - queries :] + F.linear(z.reshape(z.shape[0], queries, -1), w_out, attn.b_O)
    if block.cfg.attn_only:
        return resid
    mlp_out = block.mlp(block.ln2(resid))
    if patch is not None:
        mlp_out = patch(layer, mlp_out)
    return resid + mlp_out


def run_suffix(model: Any, resid: torch.Tensor, start: int, prefix: FrozenPrefix, patch: Patch | None) -> torch.Tensor:
    """The residual stream after the last block at the suffix's last position ``[n 1 d_model]``, running
    blocks ``start …`` on ``resid`` (``hook_resid_pre`` of block ``start`` at positions ``prefix.p0 …``,
    ``n`` = copies × batch), the first ``prefix.p0`` positions frozen."""
    last = model.cfg.n_layers - 1
    for layer in range(start, model.cfg.n_layers):
        frozen = prefix.layer(layer) if prefix.p0 else None
        resid = suffix_block(model.blocks[layer], layer, resid, frozen, prefix.p0, patch, last_only=layer == last)
    return resid
