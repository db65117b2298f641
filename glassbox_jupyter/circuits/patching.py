"""Exact activation patching and gradient attributions over attention heads and MLPs.

Convention: an *effect* is how much the logit difference drops when a component is ablated in the
clean run, ``M(clean) − M(clean with component ablated)``; positive means the component pushes
toward the correct answer. Exact effects come from real ablated forward passes; attribution
patching estimates them from gradients (Taylor: one forward and one backward pass; integrated
gradients: a few more, interpolating the input embeddings from corrupted to clean).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.prompts import (
    Bucket,
    PromptSet,
    answer_logit_diff,
    final_logit_diff,
    logit_diff,
    sliceable,
)

if TYPE_CHECKING:
    import torch

ABLATIONS = ("corrupted", "zero", "mean", "resample")
Head = tuple[int, int]


def z_name(layer: int) -> str:
    return f"blocks.{layer}.attn.hook_z"


def mlp_name(layer: int) -> str:
    return f"blocks.{layer}.hook_mlp_out"


def cached_activations(model: Any, tokens: Any, names: Iterable[str]) -> dict[str, Any]:
    """The activations ``names`` of a no-grad run on ``tokens``, running only the blocks they need."""
    import torch

    wanted = set(names)
    last = _last_block(wanted) if sliceable(model) else None
    stop = {} if last is None else {"stop_at_layer": last + 1}
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in wanted, **stop)
    return {n: cache[n] for n in wanted}


def _last_block(names: Iterable[str]) -> int | None:
    """The last block a forward pass must run to record ``names`` (-1: the embeddings alone), or
    None when one of them is after the blocks (the final norm, the logits): then it runs whole."""
    last = -1
    for name in names:
        if name in ("hook_embed", "hook_pos_embed", "hook_tokens"):
            continue
        parts = name.split(".")
        if parts[0] != "blocks" or not parts[1].isdigit():
            return None
        last = max(last, int(parts[1]))
    return last


def ablation_values(model: Any, bucket: Bucket, names: list[str], ablation: str, seed: int = 0) -> dict[str, Any]:
    """What each hooked activation is replaced by when its component is ablated."""
    import torch

    if ablation not in ABLATIONS:
        raise ValueError(f"ablation must be one of {ABLATIONS}, got {ablation!r}")
    if ablation == "corrupted":
        return cached_activations(model, bucket.corrupted, names)
    clean = cached_activations(model, bucket.clean, names)
    if ablation == "zero":
        return {n: torch.zeros_like(v) for n, v in clean.items()}
    if ablation == "mean":  # mean over the reference prompts (the corrupted set), per position
        reference = cached_activations(model, bucket.corrupted, names)
        return {n: v.mean(dim=0, keepdim=True).expand_as(v) for n, v in reference.items()}
    order = np.random.default_rng(seed).permutation(len(bucket.rows))  # resample: another prompt's value
    if len(order) > 1:
        order = np.roll(np.arange(len(order)), 1)[order]
    return {n: v[torch.as_tensor(order)] for n, v in clean.items()}


def run_ablated(
    model: Any,
    bucket: Bucket,
    heads: Iterable[Head] = (),
    mlps: Iterable[int] = (),
    values: dict[str, Any] | None = None,
    tokens: Any = None,
) -> torch.Tensor:
    """Per-prompt logit difference of the clean run (or of ``tokens``) with ``heads`` and ``mlps``
    replaced by ``values``."""
    import torch

    replacement = {} if values is None else values  # without values nothing can be ablated
    by_layer: dict[int, list[int]] = {}
    for layer, head in heads:
        by_layer.setdefault(layer, []).append(head)
    hooks: list[tuple[str, Callable[..., Any]]] = []
    for layer, hs in by_layer.items():

        def patch_z(z: Any, hook: Any, hs: list[int] = hs) -> Any:
            z[:, :, hs, :] = replacement[hook.name][:, :, hs, :]
            return z

        hooks.append((z_name(layer), patch_z))
    for layer in mlps:
        hooks.append((mlp_name(layer), lambda out, hook: replacement[hook.name]))
    with torch.no_grad():
        return final_logit_diff(
            model, bucket.clean if tokens is None else tokens, bucket.correct, bucket.incorrect, hooks
        )


def clean_and_corrupted(model: Any, prompts: PromptSet) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt logit differences of the clean and the corrupted runs."""
    import torch

    clean, corrupted = np.zeros(len(prompts)), np.zeros(len(prompts))
    with torch.no_grad():
        for b in prompts.buckets:
            clean[b.rows] = final_logit_diff(model, b.clean, b.correct, b.incorrect).numpy()
            corrupted[b.rows] = final_logit_diff(model, b.corrupted, b.correct, b.incorrect).numpy()
    return clean, corrupted


def activation_patching(
    model: Any, prompts: PromptSet, ablation: str = "corrupted", seed: int = 0, direction: str = "noising"
) -> dict[str, np.ndarray]:
    """Exact per-head ``[layer head]`` and per-MLP ``[layer]`` effects, averaged over prompts.

    ``direction="noising"`` (default): M(clean) − M(clean with the component ablated as ``ablation``
    says), how much the behaviour *needs* the component. ``"denoising"``: M(corrupted with the
    component's clean value) − M(corrupted), how much of the behaviour the component alone *restores*
    (the patching of the IOI literature; ``ablation`` must be ``"corrupted"``). The two differ when
    components are redundant (noising misses a head another head backs up) or interact.
    """
    if direction not in ("noising", "denoising"):
        raise ValueError(f"direction must be 'noising' or 'denoising', got {direction!r}")
    if direction == "denoising" and ablation != "corrupted":
        raise ValueError("denoising patches clean values into the corrupted run; use ablation='corrupted'")
    cfg = model.cfg
    heads = np.zeros((cfg.n_layers, cfg.n_heads))
    mlps = np.zeros(cfg.n_layers)
    names = [z_name(layer) for layer in range(cfg.n_layers)]
    if not cfg.attn_only:
        names += [mlp_name(layer) for layer in range(cfg.n_layers)]
    from glassbox_jupyter.circuits.fast_patching import BatchedPatcher, WholePassPatcher

    total = 0
    for b in prompts.buckets:
        if direction == "noising":
            values = ablation_values(model, b, names, ablation, seed)
            tokens, sign = b.clean, 1.0
        else:
            values, tokens, sign = cached_activations(model, b.clean, names), b.corrupted, -1.0
        # one patched run per component, batched and started at its layer (fast_patching.py): exact
        patcher = (BatchedPatcher if sliceable(model) else WholePassPatcher)(
            model, tokens, values, b.correct, b.incorrect
        )
        for layer in range(cfg.n_layers):
            heads[layer] += sign * patcher.head_effects(layer)
            if not cfg.attn_only:
                mlps[layer] += sign * patcher.mlp_effect(layer)
        total += len(b.rows)
    return {"heads": heads / total, "mlps": mlps / total}


def _gradients(model: Any, tokens: Any, bucket: Bucket, names: list[str], embed: Any = None) -> tuple[dict, dict]:
    """Forward activations and gradients of the summed logit difference at ``names``."""
    import torch

    acts, grads = {}, {}

    def keep(t: Any, hook: Any) -> None:
        acts[hook.name] = t.detach()

    def keep_grad(g: Any, hook: Any) -> None:
        grads[hook.name] = g.detach()

    def start_graph(t: Any, hook: Any) -> Any:  # gradients flow from the embeddings, not the weights
        return (t if embed is None else embed).detach().requires_grad_(True)

    model.reset_hooks()
    trainable = [p for p in model.parameters() if p.requires_grad]
    try:
        for p in trainable:  # no weight gradients: W_E's alone is [vocab d_model] per backward pass
            p.requires_grad_(False)
        for n in names:
            model.add_hook(n, keep, dir="fwd")
            model.add_hook(n, keep_grad, dir="bwd")
        model.add_hook("hook_embed", start_graph, dir="fwd")
        with torch.enable_grad():
            if sliceable(model):
                resid = model(tokens, stop_at_layer=model.cfg.n_layers)
                metric = answer_logit_diff(model, resid, bucket.correct, bucket.incorrect)
            else:
                metric = logit_diff(model(tokens), bucket.correct, bucket.incorrect)
            metric.sum().backward()
    finally:
        model.reset_hooks()
        for p in trainable:
            p.requires_grad_(True)
        model.zero_grad(set_to_none=True)
    return acts, grads


def attribution_patching(
    model: Any, prompts: PromptSet, method: str = "taylor", n_steps: int = 8
) -> dict[str, np.ndarray]:
    """Gradient estimates of the per-head and per-MLP effects (same convention as exact patching).

    ``taylor``: ``(z_clean − z_corrupted) · ∂M/∂z`` at the clean run. ``integrated_gradients``: the
    gradient averaged over ``n_steps`` runs whose token embeddings move from the corrupted prompt
    to the clean one (EAP-IG style), times the same activation difference.
    """
    import torch

    if method not in ("taylor", "integrated_gradients"):
        raise ValueError(f"method must be 'taylor' or 'integrated_gradients', got {method!r}")
    cfg = model.cfg
    names = [z_name(layer) for layer in range(cfg.n_layers)]
    if not cfg.attn_only:
        names += [mlp_name(layer) for layer in range(cfg.n_layers)]
    heads = np.zeros((cfg.n_layers, cfg.n_heads))
    mlps = np.zeros(cfg.n_layers)
    total = 0
    for b in prompts.buckets:
        corrupt = cached_activations(model, b.corrupted, names)
        if method == "taylor":
            clean, grads = _gradients(model, b.clean, b, names)
        else:
            embeds = (
                cached_activations(model, b.clean, ["hook_embed"])["hook_embed"],
                cached_activations(model, b.corrupted, ["hook_embed"])["hook_embed"],
            )
            grads = {n: 0.0 for n in names}
            for alpha in (np.arange(n_steps) + 0.5) / n_steps:
                mix = embeds[1] + float(alpha) * (embeds[0] - embeds[1])
                _, g = _gradients(model, b.clean, b, names, embed=mix)
                grads = {n: grads[n] + g[n] / n_steps for n in names}
            clean = cached_activations(model, b.clean, names)
        with torch.no_grad():
            for layer in range(cfg.n_layers):
                delta = clean[z_name(layer)] - corrupt[z_name(layer)]  # [batch pos head d_head]
                heads[layer] += (delta * grads[z_name(layer)]).sum(dim=(0, 1, 3)).numpy()
                if not cfg.attn_only:
                    d = clean[mlp_name(layer)] - corrupt[mlp_name(layer)]
                    mlps[layer] += float((d * grads[mlp_name(layer)]).sum())
        total += len(b.rows)
    return {"heads": heads / total, "mlps": mlps / total}
