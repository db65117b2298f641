"""A bucket's clean and corrupted forward passes, recorded once per model and read by every step after.

One ``CircuitAnalyzer.analyze`` reads the same two runs many times: the logit differences, the values an
ablated head takes, the cached prefix a batched patching run starts from, the gradient passes' inputs, the
logit lens and the IOI head roles. Each used to run its own pass (on SmolLM2 with 24 prompts, about 0.3 s
each); :func:`recorded_run` runs each once, with every hook those steps read, and keeps it on the bucket.
The clean and corrupted runs of a bucket are recorded together, in one pass of both stacked along the
batch, when both fit.

A run whose recorded activations would exceed :data:`RECORD_BYTES` (long prompts, many of them, a large
model) is recorded for the call that asks and not kept: the next step records it again rather than hold
gigabytes. A different model object starts a new record; a model whose weights are changed in place
between calls should be given a freshly built ``PromptSet``.

Example:
    >>> import glassbox
    >>> from glassbox_jupyter.circuits.prompts import PromptSet
    >>> model = glassbox.demos.load("ioi")
    >>> bucket = PromptSet.build(model, glassbox.demos.ioi_prompts(4, seed=0)).buckets[0]
    >>> run = recorded_run(model, bucket, "clean")
    >>> tuple(run["blocks.0.attn.hook_z"].shape[:2]) == tuple(bucket.clean.shape)
    True
    >>> recorded_run(model, bucket, "clean") is run  # kept on the bucket
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from glassbox_jupyter.circuits.prompts import Bucket, sliceable

#: Recorded runs larger than this (bytes) are not kept on the bucket.
RECORD_BYTES = 1 << 30
RUNS = ("clean", "corrupted")


def final_resid_name(model: Any) -> str:
    """The residual stream after the last block."""
    return f"blocks.{model.cfg.n_layers - 1}.hook_resid_post"


def recorded_names(model: Any) -> list[str]:
    """What :func:`recorded_run` records: the embeddings, every layer's residual stream in, keys, values,
    attention pattern, head outputs (``hook_z``) and MLP output, the residual stream after the last block
    and the final norm's scale."""
    cfg = model.cfg
    names = ["hook_embed", final_resid_name(model)]
    for layer in range(cfg.n_layers):
        block = f"blocks.{layer}"
        names += [f"{block}.hook_resid_pre", f"{block}.attn.hook_z", f"{block}.attn.hook_pattern"]
        names += [f"{block}.attn.hook_k", f"{block}.attn.hook_v"]
        if not cfg.attn_only:
            names.append(f"{block}.hook_mlp_out")
    if cfg.normalization_type:
        names.append("ln_final.hook_scale")
    return names


def record_bytes(model: Any, bucket: Bucket) -> int:
    """About how many bytes one recorded run of ``bucket`` holds (float32)."""
    cfg = model.cfg
    batch, positions = (int(n) for n in bucket.clean.shape)
    kv_heads = getattr(cfg, "n_key_value_heads", None) or cfg.n_heads
    per_layer = 2 * cfg.d_model + cfg.n_heads * cfg.d_head + 2 * kv_heads * cfg.d_head + cfg.n_heads * positions
    return 4 * batch * positions * (cfg.n_layers * per_layer + 2 * cfg.d_model)


def recorded_run(model: Any, bucket: Bucket, which: str) -> dict[str, Any]:
    """The ``which`` (``"clean"`` or ``"corrupted"``) run of ``bucket``: :func:`recorded_names` by hook name,
    each ``[batch pos …]``. Recorded on the first call for ``model`` and kept (see the module docstring)."""
    if which not in RUNS:
        raise ValueError(f"which must be one of {RUNS}, got {which!r}")
    memo = bucket.runs
    if memo.get("model") is not model:
        memo.clear()
        memo["model"] = model
    if which in memo:
        run: dict[str, Any] = memo[which]
        return run
    other = RUNS[1 - RUNS.index(which)]
    twins = bucket.clean.shape == bucket.corrupted.shape and other not in memo
    if twins and 2 * record_bytes(model, bucket) <= RECORD_BYTES:
        # both runs in one pass, stacked along the batch: each weight is read once for the two
        import torch

        both = _record(model, torch.cat([bucket.clean, bucket.corrupted]))
        n = int(bucket.clean.shape[0])
        memo["clean"] = {name: value[:n] for name, value in both.items()}
        memo["corrupted"] = {name: value[n:] for name, value in both.items()}
        kept: dict[str, Any] = memo[which]
        return kept
    run = _record(model, bucket.clean if which == "clean" else bucket.corrupted)
    if record_bytes(model, bucket) <= RECORD_BYTES:
        memo[which] = run
    return run


def recorded(model: Any, bucket: Bucket, which: str, names: Iterable[str]) -> dict[str, Any]:
    """``names`` of the ``which`` run; names :func:`recorded_names` does not hold come from a pass of their own."""
    names = list(names)
    held = set(recorded_names(model))
    out = {}
    if any(n in held for n in names):
        run = recorded_run(model, bucket, which)
        out = {n: run[n] for n in names if n in run}
    missing = [n for n in names if n not in out]
    if missing:
        out.update(cached_activations(model, bucket.clean if which == "clean" else bucket.corrupted, missing))
    return out


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


def _record(model: Any, tokens: Any) -> dict[str, Any]:
    import torch

    names = set(recorded_names(model))
    with torch.no_grad():
        if not sliceable(model):  # a whole pass records the final norm's scale itself
            _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in names)
            return _held(cache, names)
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in names, stop_at_layer=model.cfg.n_layers)
        run = _held(cache, names - {"ln_final.hook_scale"})
        if "ln_final.hook_scale" in names:  # the final norm alone, on the last residual stream: not the logits
            scale: dict[str, Any] = {}
            hook = ("ln_final.hook_scale", lambda t, hook: scale.setdefault("v", t.detach()))
            with model.hooks(fwd_hooks=[hook]):
                model.ln_final(run[final_resid_name(model)])
            run["ln_final.hook_scale"] = scale["v"]
    return run


def _held(cache: Any, names: Iterable[str]) -> dict[str, Any]:
    """The activations of ``names`` that ``cache`` holds (a model may lack a hook, e.g. an MLP's output)."""
    out = {}
    for name in names:
        try:
            out[name] = cache[name]
        except KeyError:
            continue
    return out
