"""Exact activation patching and gradient attributions over attention heads and MLPs.

Convention: an *effect* is how much the logit difference drops when a component is ablated in the
clean run, ``M(clean) − M(clean with component ablated)``; positive means the component pushes
toward the correct answer. Exact effects come from real ablated forward passes; attribution
patching estimates them from gradients (Taylor: one forward and one backward pass; integrated
gradients: a few more, interpolating the input embeddings from corrupted to clean).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.fast_patching import first_difference, frozen_prefix, key_value_names
from glassbox_jupyter.circuits.prompts import (
    Bucket,
    PromptSet,
    answer_logit_diff,
    final_logit_diff,
    logit_diff,
    sliceable,
)
from glassbox_jupyter.circuits.recorded import final_resid_name, recorded, recorded_run

if TYPE_CHECKING:
    import torch

ABLATIONS = ("corrupted", "zero", "mean", "resample")
Head = tuple[int, int]


def z_name(layer: int) -> str:
    return f"blocks.{layer}.attn.hook_z"


def mlp_name(layer: int) -> str:
    return f"blocks.{layer}.hook_mlp_out"


def ablation_values(model: Any, bucket: Bucket, names: list[str], ablation: str, seed: int = 0) -> dict[str, Any]:
    """What each hooked activation is replaced by when its component is ablated."""
    import torch

    if ablation not in ABLATIONS:
        raise ValueError(f"ablation must be one of {ABLATIONS}, got {ablation!r}")
    if ablation == "corrupted":
        return recorded(model, bucket, "corrupted", names)
    clean = recorded(model, bucket, "clean", names)
    if ablation == "zero":
        return {n: torch.zeros_like(v) for n, v in clean.items()}
    if ablation == "mean":  # mean over the reference prompts (the corrupted set), per position
        reference = recorded(model, bucket, "corrupted", names)
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


#: Token positions one batched ablation pass holds (copies × prompts × positions).
ABLATION_TOKENS_PER_PASS = 4096


def run_ablated_many(model: Any, bucket: Bucket, head_sets: list[list[Head]], values: dict[str, Any]) -> torch.Tensor:
    """``[len(head_sets) batch]``: the clean run's per-prompt logit difference with each set of heads replaced
    by ``values``, every set in the same forward pass (one copy of the bucket per set, stacked along the
    batch; several passes when they exceed :data:`ABLATION_TOKENS_PER_PASS`). Same numbers as
    :func:`run_ablated` once per set."""
    import torch

    n, positions = bucket.clean.shape
    per_pass = max(1, ABLATION_TOKENS_PER_PASS // max(1, n * positions))
    out = []
    for start in range(0, len(head_sets), per_pass):
        chunk = head_sets[start : start + per_pass]
        k = len(chunk)
        masks: dict[int, Any] = {}
        for i, heads in enumerate(chunk):
            for layer, head in heads:
                masks.setdefault(layer, torch.zeros(k, model.cfg.n_heads, dtype=torch.bool))[i, head] = True

        def patch_z(z: Any, hook: Any, masks: dict[int, Any] = masks, k: int = k) -> Any:
            mask = masks[int(hook.name.split(".")[1])].view(k, 1, 1, -1, 1)
            stacked = z.view(k, n, *z.shape[1:])
            return torch.where(mask, values[hook.name].unsqueeze(0), stacked).view_as(z)

        hooks = [(z_name(layer), patch_z) for layer in sorted(masks)]
        with torch.no_grad():
            diffs = final_logit_diff(
                model, bucket.clean.repeat(k, 1), bucket.correct.repeat(k), bucket.incorrect.repeat(k), hooks
            )
        out.append(diffs.view(k, n))
    return torch.cat(out)


def clean_and_corrupted(model: Any, prompts: PromptSet, corrupted: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt logit differences of the clean and the corrupted runs (both in one forward pass per bucket;
    ``corrupted=False`` runs the clean prompts alone and leaves the second array at zero)."""
    import torch

    clean, corrupt = np.zeros(len(prompts)), np.zeros(len(prompts))
    with torch.no_grad():
        for b in prompts.buckets:
            n = len(b.rows)
            if sliceable(model):  # read off the recorded runs (circuits/recorded.py), which later steps reuse
                for which, out in (("clean", clean), ("corrupted", corrupt))[: 2 if corrupted else 1]:
                    resid = recorded_run(model, b, which)[final_resid_name(model)]
                    out[b.rows] = answer_logit_diff(model, resid, b.correct, b.incorrect).numpy()
                continue
            if not corrupted:
                clean[b.rows] = final_logit_diff(model, b.clean, b.correct, b.incorrect).numpy()
                continue
            both = final_logit_diff(
                model, torch.cat([b.clean, b.corrupted]), b.correct.repeat(2), b.incorrect.repeat(2)
            ).numpy()
            clean[b.rows], corrupt[b.rows] = both[:n], both[n:]
    return clean, corrupt


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
            base, sign = "clean", 1.0
        else:
            values, base, sign = recorded(model, b, "clean", names), "corrupted", -1.0
        # one patched run per component, batched and started at its layer (fast_patching.py): exact
        tokens = b.clean if base == "clean" else b.corrupted
        if sliceable(model):
            patcher: Any = BatchedPatcher(model, tokens, values, b.correct, b.incorrect, recorded_run(model, b, base))
        else:
            patcher = WholePassPatcher(model, tokens, values, b.correct, b.incorrect)
        head_drops, mlp_drops = patcher.effects(mlps=not cfg.attn_only)
        heads += sign * head_drops
        mlps += sign * mlp_drops
        total += len(b.rows)
    return {"heads": heads / total, "mlps": mlps / total}


#: Gradient precisions attribution patching takes (``"auto"`` picks one, see :func:`gradient_precision`).
PRECISIONS = ("auto", "float32", "bfloat16")
#: Parameters from which ``"auto"`` runs gradient passes in bfloat16 (on smaller models it saves nothing).
BFLOAT16_MIN_PARAMS = 20_000_000


def gradient_precision(model: Any, precision: str = "auto") -> str:
    """The precision gradient attributions run in: ``"float32"`` or ``"bfloat16"`` (matrix products in
    bfloat16 under ``torch.autocast``, sums and norms in float32).

    ``"auto"`` picks bfloat16 for a float32 model of at least :data:`BFLOAT16_MIN_PARAMS` parameters on a
    processor with native bfloat16 arithmetic (AVX-512 BF16 / AMX, or a CUDA GPU that has it), else
    float32. The attributions only rank heads; every number reported about a circuit (exact patching,
    faithfulness, agreement) runs in the model's own precision whatever this says. On SmolLM2 with 24
    IOI prompts, bfloat16 integrated gradients rank the heads as float32 does (Spearman 0.9998, the same
    top 10) in 2.8 s instead of 4.8 s (``benchmarks/results/bench_circuits.txt``).

    Example:
        >>> from glassbox_jupyter.circuits.patching import gradient_precision
        >>> gradient_precision(None, "float32")
        'float32'
    """
    import torch

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision != "auto":
        return precision
    weight = next(iter(model.parameters()), None)
    if weight is None or weight.dtype != torch.float32:
        return "float32"
    if sum(p.numel() for p in model.parameters()) < BFLOAT16_MIN_PARAMS:
        return "float32"
    return "bfloat16" if native_bfloat16(weight.device.type) else "float32"


def native_bfloat16(device: str) -> bool:
    """Whether ``device`` (``"cpu"``, ``"cuda"``) does bfloat16 arithmetic natively (AVX-512 BF16 or AMX on a
    processor), so that bfloat16 matrix products are faster than float32 ones rather than emulated."""
    import torch

    if device == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return device == "cpu" and bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def _autocast(model: Any, precision: str) -> Any:
    """A context in which matrix products run in ``precision`` (a no-op for float32)."""
    import contextlib

    import torch

    if precision != "bfloat16":
        return contextlib.nullcontext()
    device = next(iter(model.parameters())).device.type
    return torch.autocast(device, dtype=torch.bfloat16)


#: Token positions one integrated-gradients pass holds (steps × prompts × positions): bounds the memory the
#: backward pass keeps (SmolLM2: about 0.35 MB of saved activations per position per layer).
IG_TOKENS_PER_PASS = 2048


@dataclass
class GradientInput:
    """Where a gradient pass starts.

    With ``p0 == 0`` the pass runs the tokens whole and ``clean``/``corrupted`` are the token embeddings
    (``hook_embed``). With ``p0 > 0`` (a model that can start a pass at a layer, and prompts whose clean and
    corrupted versions agree before ``p0``) it runs only the positions from ``p0``: ``clean``/``corrupted``
    are the residual stream entering block 0 there, and ``prefix`` the clean run's keys and values of the
    positions before it, frozen. Both give the same gradients at those positions (the prefix's activations
    do not move along the corrupted → clean path), and the prefix adds nothing to an attribution (its
    clean − corrupted difference is zero), so this is the same attribution for a fraction of the work.
    """

    clean: Any
    corrupted: Any
    p0: int = 0
    prefix: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def names(model: Any, bucket: Bucket) -> list[str]:
        """The hooks a clean + corrupted run must record to build it (:meth:`build`)."""
        p0 = gradient_start(model, bucket)
        return ["hook_embed"] if p0 == 0 else ["blocks.0.hook_resid_pre", *key_value_names(model)]

    @classmethod
    def build(cls, model: Any, bucket: Bucket, clean: dict[str, Any], corrupted: dict[str, Any]) -> GradientInput:
        """From :meth:`names` recorded on the bucket's clean and on its corrupted prompts."""
        p0 = gradient_start(model, bucket)
        if p0 == 0:
            return cls(clean["hook_embed"], corrupted["hook_embed"])
        name = "blocks.0.hook_resid_pre"
        prefix = {kv: clean[kv][:, :p0] for kv in key_value_names(model)}
        return cls(clean[name][:, p0:], corrupted[name][:, p0:], p0, prefix)


def gradient_start(model: Any, bucket: Bucket) -> int:
    """The first position a gradient pass over ``bucket`` computes (see :class:`GradientInput`): where its clean
    and corrupted tokens first differ (at most the last position), or 0 for a model that runs whole."""
    if not sliceable(model):
        return 0
    return min(first_difference(bucket.clean, bucket.corrupted), int(bucket.clean.shape[1]) - 1)


def _integrated_gradients(
    model: Any, bucket: Bucket, names: list[str], start: GradientInput, n_steps: int, precision: str = "float32"
) -> dict[str, Any]:
    """Gradients at ``names`` averaged over ``n_steps`` midpoint steps of the input from corrupted to clean
    (``start``); several steps share one forward and backward pass (stacked along the batch), as many as
    :data:`IG_TOKENS_PER_PASS` allows."""
    import torch

    n, positions = start.clean.shape[:2]
    per_pass = max(1, min(n_steps, IG_TOKENS_PER_PASS // max(1, n * positions)))
    alphas = (np.arange(n_steps) + 0.5) / n_steps
    grads: dict[str, Any] = {name: 0.0 for name in names}
    for first in range(0, n_steps, per_pass):
        chunk = torch.as_tensor(alphas[first : first + per_pass], dtype=start.clean.dtype)
        k = len(chunk)
        mix = start.corrupted.unsqueeze(0) + chunk.view(k, 1, 1, 1) * (start.clean - start.corrupted).unsqueeze(0)
        steps = GradientInput(mix.flatten(0, 1), None, start.p0, start.prefix)
        g = _gradients(model, bucket, names, steps, k, precision)
        for name in names:
            grads[name] = grads[name] + g[name].float().view(k, n, *g[name].shape[1:]).sum(dim=0) / n_steps
    return grads


def _gradients(
    model: Any, bucket: Bucket, names: list[str], start: GradientInput, repeat: int = 1, precision: str = "float32"
) -> dict[str, Any]:
    """Gradients of the summed logit difference at ``names``, from a pass whose input is ``start.clean`` (the
    bucket's prompts ``repeat`` times over, stacked along the batch; ``precision`` as
    :func:`gradient_precision` returns it). With ``start.p0 > 0`` they cover the positions from ``p0`` only."""
    import torch

    grads: dict[str, Any] = {}

    def keep_grad(g: Any, hook: Any) -> None:
        grads[hook.name] = g.detach()

    def start_graph(t: Any, hook: Any) -> Any:  # gradients flow from the embeddings, not the weights
        return start.clean.detach().requires_grad_(True)

    model.reset_hooks()
    trainable = [p for p in model.parameters() if p.requires_grad]
    try:
        for p in trainable:  # no weight gradients: W_E's alone is [vocab d_model] per backward pass
            p.requires_grad_(False)
        for n in names:
            model.add_hook(n, keep_grad, dir="bwd")
        with torch.enable_grad(), _autocast(model, precision):
            correct, incorrect = bucket.correct.repeat(repeat), bucket.incorrect.repeat(repeat)
            if start.p0 > 0:  # the positions from p0, the prefix's keys and values frozen
                resid = model(
                    start.clean.detach().requires_grad_(True),
                    start_at_layer=0,
                    stop_at_layer=model.cfg.n_layers,
                    past_kv_cache=frozen_prefix(model, start.prefix, start.p0, 0, repeat),
                )
                metric = answer_logit_diff(model, resid, correct, incorrect)
            else:
                model.add_hook("hook_embed", start_graph, dir="fwd")
                tokens = bucket.clean.repeat(repeat, 1)
                if sliceable(model):
                    resid = model(tokens, stop_at_layer=model.cfg.n_layers)
                    metric = answer_logit_diff(model, resid, correct, incorrect)
                else:
                    metric = logit_diff(model(tokens), correct, incorrect)
            metric.sum().backward()
    finally:
        model.reset_hooks()
        for p in trainable:
            p.requires_grad_(True)
        model.zero_grad(set_to_none=True)
    return grads


def attribution_patching(
    model: Any, prompts: PromptSet, method: str = "taylor", n_steps: int = 8, precision: str = "auto"
) -> dict[str, Any]:
    """Gradient estimates of the per-head and per-MLP effects (same convention as exact patching).

    ``taylor``: ``(z_clean − z_corrupted) · ∂M/∂z`` at the clean run. ``integrated_gradients``: the
    gradient averaged over ``n_steps`` runs whose token embeddings move from the corrupted prompt
    to the clean one (EAP-IG style), times the same activation difference. The gradient passes run in
    ``precision`` (:func:`gradient_precision`); the result says which under ``"precision"``.
    """
    import torch

    if method not in ("taylor", "integrated_gradients"):
        raise ValueError(f"method must be 'taylor' or 'integrated_gradients', got {method!r}")
    precision = gradient_precision(model, precision)
    cfg = model.cfg
    names = [z_name(layer) for layer in range(cfg.n_layers)]
    if not cfg.attn_only:
        names += [mlp_name(layer) for layer in range(cfg.n_layers)]
    heads = np.zeros((cfg.n_layers, cfg.n_heads))
    mlps = np.zeros(cfg.n_layers)
    total = 0
    for b in prompts.buckets:
        # one pass records the activations and where the gradient passes start (GradientInput)
        runs = [recorded(model, b, which, [*names, *GradientInput.names(model, b)]) for which in ("clean", "corrupted")]
        start = GradientInput.build(model, b, *runs)
        clean = {name: runs[0][name][:, start.p0 :] for name in names}  # the prefix's differences are zero
        corrupt = {name: runs[1][name][:, start.p0 :] for name in names}
        if method == "taylor":
            grads = _gradients(model, b, names, start, precision=precision)
            grads = {name: g.float() for name, g in grads.items()}
        else:
            grads = _integrated_gradients(model, b, names, start, n_steps, precision)
        with torch.no_grad():
            for layer in range(cfg.n_layers):
                delta = clean[z_name(layer)] - corrupt[z_name(layer)]  # [batch pos head d_head]
                heads[layer] += (delta * grads[z_name(layer)]).sum(dim=(0, 1, 3)).numpy()
                if not cfg.attn_only:
                    d = clean[mlp_name(layer)] - corrupt[mlp_name(layer)]
                    mlps[layer] += float((d * grads[mlp_name(layer)]).sum())
        total += len(b.rows)
    return {"heads": heads / total, "mlps": mlps / total, "precision": precision}
