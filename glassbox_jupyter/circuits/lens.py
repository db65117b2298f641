"""Logit lens, per-head and per-MLP direct effects (checked by exact path patching), attention from the last
position (head typing: attention.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Head typing lives in attention.py; these names stay importable from here (analyzer.py uses lens.head_types).
from glassbox_jupyter.circuits.attention import HEAD_TYPES, THRESHOLDS, head_type_scores, head_types
from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import PromptSet
from glassbox_jupyter.circuits.recorded import recorded
from glassbox_jupyter.finding.provenance import Provenance

__all__ = [
    "HEAD_TYPES",
    "THRESHOLDS",
    "LogitLens",
    "attention_from_last",
    "head_type_scores",
    "head_types",
    "logit_lens",
    "measure_logit_lens",
    "path_patched_direct_effects",
]


def _direction(model: Any, correct: Any, incorrect: Any) -> Any:
    return model.W_U[:, correct] - model.W_U[:, incorrect]  # [d_model batch]


def _has_mlps(model: Any) -> bool:
    return not model.cfg.attn_only


def _component_hooks(model: Any) -> set[str]:
    """Each head's output before W_O and each MLP's output: what the components write to the residual stream."""
    cfg = model.cfg
    names = {f"blocks.{layer}.attn.hook_z" for layer in range(cfg.n_layers)}
    if _has_mlps(model):
        names |= {f"blocks.{layer}.hook_mlp_out" for layer in range(cfg.n_layers)}
    return names


def _last_position_outputs(model: Any, cache: Any, W_O: Any) -> Any:
    """``[layer*head (+ layer) batch d_model]``: what each head (``z @ W_O``, no shared ``b_O``) and then each
    MLP writes into the residual stream at the last position; what ``cache.stack_head_results(pos_slice=-1)``
    gives for the heads, without computing every position first."""
    import torch

    n_layers = model.cfg.n_layers
    parts = [
        torch.einsum("bhk,hkd->hbd", cache[f"blocks.{layer}.attn.hook_z"][:, -1], W_O[layer])
        for layer in range(n_layers)
    ]
    if _has_mlps(model):
        parts.append(torch.stack([cache[f"blocks.{layer}.hook_mlp_out"][:, -1] for layer in range(n_layers)]))
    return torch.cat(parts)


def _n_components(model: Any) -> int:
    cfg = model.cfg
    return cfg.n_layers * cfg.n_heads + (cfg.n_layers if _has_mlps(model) else 0)


def _split(model: Any, per_component: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``[layer head]`` head values and ``[layer]`` MLP values (None without MLPs) from one flat array."""
    cfg = model.cfg
    n_heads = cfg.n_layers * cfg.n_heads
    heads = per_component[:n_heads].reshape(cfg.n_layers, cfg.n_heads)
    return heads, (per_component[n_heads:] if _has_mlps(model) else None)


@dataclass
class LogitLens(MeasuredResult):
    """The logit lens with its provenance (made by :func:`measure_logit_lens`).

    ``by_layer``: mean logit difference read off the residual stream after the embeddings and after each
    layer (``[layer+1]``, named by ``labels``); ``direct_effects``: each head's direct effect ``[layer head]``;
    ``mlp_direct_effects``: each MLP's ``[layer]`` (None for an attention-only model). A direct effect is the
    component's output at the last position, centred and divided by the final norm's scale *cached on the
    clean run*, on the answer direction ``W_U[:, correct] − W_U[:, incorrect]``; it equals
    :func:`path_patched_direct_effects` with ``ablation="zero", freeze_scale=True`` (for a final norm without
    learned weights, e.g. folded into ``W_U``) and linearises the norm otherwise.
    """

    by_layer: np.ndarray
    labels: list[str]
    direct_effects: np.ndarray
    mlp_direct_effects: np.ndarray | None
    provenance: Provenance | None = None
    kind = "logit_lens"

    def result_dict(self) -> dict[str, Any]:
        return self.as_dict()

    def as_dict(self) -> dict[str, Any]:
        """The dict :func:`logit_lens` returns (what the charts, the CircuitFinding and the compat layer read)."""
        return {
            "by_layer": self.by_layer,
            "labels": list(self.labels),
            "direct_effects": self.direct_effects,
            "mlp_direct_effects": self.mlp_direct_effects,
        }


def _lens(model: Any, prompts: PromptSet) -> LogitLens:
    import torch
    from transformer_lens import ActivationCache

    cfg = model.cfg
    by_layer = np.zeros(cfg.n_layers + 1)
    direct = np.zeros(_n_components(model))
    # only what the two readings use (not every hook of the model): the residual stream between blocks,
    # each component's output, and the final norm's scale
    wanted = {f"blocks.{layer}.hook_resid_pre" for layer in range(cfg.n_layers)}
    wanted |= {f"blocks.{cfg.n_layers - 1}.hook_resid_post", "ln_final.hook_scale"} | _component_hooks(model)
    W_O = model.W_O.detach()  # [layer head d_head d_model]; a HookedTransformer stacks it on every access
    with torch.no_grad():
        for b in prompts.buckets:
            run = recorded(model, b, "clean", wanted)  # the clean run the other steps read (circuits/recorded.py)
            cache = ActivationCache(run, model)
            direction = _direction(model, b.correct, b.incorrect)  # [d_model batch]
            resid = cache.accumulated_resid(
                layer=None, incl_mid=False, apply_ln=True, pos_slice=-1
            )  # [layer+1 batch d]
            by_layer += (resid * direction.T[None]).sum(-1).sum(-1).double().numpy()
            # each component's output scaled by the final norm as the logits see it
            written = cache.apply_ln_to_stack(_last_position_outputs(model, cache, W_O), layer=None, pos_slice=-1)
            direct += (written * direction.T[None]).sum(-1).sum(-1).double().numpy()
    n = len(prompts)
    heads, mlps = _split(model, direct / n)
    labels = ["embed"] + [f"after L{i}" for i in range(cfg.n_layers)]
    return LogitLens(by_layer / n, labels, heads, mlps)


def logit_lens(model: Any, prompts: PromptSet) -> dict[str, Any]:
    """Logit difference read off the residual stream after each layer, and each head's and MLP's direct effect.

    Returns :meth:`LogitLens.as_dict`: ``by_layer``, ``labels``, ``direct_effects`` ``[layer head]`` and
    ``mlp_direct_effects`` ``[layer]`` (None for an attention-only model). :func:`measure_logit_lens` returns
    the same numbers as a :class:`LogitLens` with provenance and JSON export.

    Example:
        >>> lens = logit_lens(model, PromptSet.build(model, [(prompt, " Mary", " John")]))  # doctest: +SKIP
        >>> lens["direct_effects"].shape  # doctest: +SKIP
        (2, 4)
    """
    return _lens(model, prompts).as_dict()


def measure_logit_lens(model: Any, prompts: PromptSet) -> LogitLens:
    """:func:`logit_lens` as a :class:`LogitLens` that says how it was measured (weights hash, prompts, method).

    Example:
        >>> measure_logit_lens(model, prompts).to_json("lens.json")  # doctest: +SKIP
    """
    result = _lens(model, prompts)
    result.provenance = capture(model, prompts, {"name": "logit_lens", "scale": "cached", "position": -1})
    return result


def path_patched_direct_effects(
    model: Any, prompts: PromptSet, ablation: str = "corrupted", freeze_scale: bool = False
) -> dict[str, np.ndarray | None]:
    """Exact direct effects by path patching: ``{"heads": [layer head], "mlps": [layer] or None}``.

    For each component, the logit difference drops from ``M(clean)`` to ``M`` with that component's output
    at the last position replaced *in the final residual stream only* (no later layer sees the change) by
    its value on the corrupted prompt (``ablation="corrupted"``) or by zero (``"zero"``). The final norm is
    recomputed on the patched stream, so this is exact; ``freeze_scale=True`` keeps the clean run's norm
    scale instead, which makes the ``"zero"`` effects equal the logit lens' direct effects. Averaged over
    prompts; one batched read-out per bucket (no extra forward pass through the blocks).

    Example:
        >>> exact = path_patched_direct_effects(model, prompts)  # doctest: +SKIP
        >>> exact["heads"][1, 2]  # doctest: +SKIP
    """
    import torch

    from glassbox_jupyter.circuits.prompts import PromptError, answer_logit_diff

    if ablation not in ("corrupted", "zero"):
        raise PromptError(f"ablation must be 'corrupted' or 'zero', got {ablation!r}")
    cfg = model.cfg
    final = f"blocks.{cfg.n_layers - 1}.hook_resid_post"
    has_scale = "ln_final.hook_scale" in model.hook_dict
    wanted = _component_hooks(model) | {final} | ({"ln_final.hook_scale"} if has_scale else set())
    W_O = model.W_O.detach()
    total = np.zeros(_n_components(model))
    with torch.no_grad():
        for b in prompts.buckets:
            _, cache = model.run_with_cache(b.clean, names_filter=lambda name: name in wanted)
            clean_out = _last_position_outputs(model, cache, W_O)  # [component batch d]
            if ablation == "corrupted":
                _, corrupt = model.run_with_cache(b.corrupted, names_filter=lambda name: name in wanted)
                patched_out = _last_position_outputs(model, corrupt, W_O)
            else:
                patched_out = torch.zeros_like(clean_out)
            resid = cache[final][:, -1]  # [batch d]
            n_comp, batch = clean_out.shape[:2]
            patched = (resid[None] - clean_out + patched_out).flatten(0, 1)[:, None]  # [component*batch 1 d]
            base = answer_logit_diff(model, resid[:, None], b.correct, b.incorrect)  # [batch]
            hooks = []
            if freeze_scale and has_scale:
                scale = cache["ln_final.hook_scale"][:, -1:].repeat(n_comp, 1, 1)  # [component*batch 1 1]
                hooks = [("ln_final.hook_scale", lambda s, hook, scale=scale: scale.to(s.dtype))]
            with model.hooks(fwd_hooks=hooks):
                ld = answer_logit_diff(model, patched, b.correct.repeat(n_comp), b.incorrect.repeat(n_comp))
            total += (base[None] - ld.view(n_comp, batch)).sum(1).double().cpu().numpy()
    heads, mlps = _split(model, total / len(prompts))
    return {"heads": heads, "mlps": mlps}


def attention_from_last(model: Any, tokens: Any) -> np.ndarray:
    """Attention weights from the last position ``[layer head pos]`` for one prompt's tokens ``[1 pos]``."""
    import torch

    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    return np.stack(
        [cache[f"blocks.{layer}.attn.hook_pattern"][0, :, -1, :].numpy() for layer in range(model.cfg.n_layers)]
    )
