"""Exact activation patching, batched: the same numbers as one ablated forward pass per component, for
a fraction of the work.

Patching one component (head ``h`` or the MLP of layer ``l``) changes nothing before layer ``l`` and
nothing at the positions where the patched value equals the base run's. So each patched run:

1. starts at layer ``l`` from the base run's cached residual stream (``blocks.l.hook_resid_pre``),
   instead of running layers ``0 … l-1`` again;
2. computes only the positions from ``p0`` on, the first position where any patch value differs from
   the base run's (with the "corrupted" ablation of an ABC prompt set, the repeated subject near the
   end): the earlier positions' keys and values come from the base run's cache, frozen, so the later
   positions attend to them exactly as in a full pass (TransformerLens's key-value cache, rotary
   positions offset by the prefix);
3. patches many components at once, one copy of the batch per component, along the batch dimension:
   the components of several consecutive layers share a run that starts at the first of them (a copy
   whose component comes later runs the layers before it unpatched, which is the base run), so a CPU
   gets a few large matrix products instead of many small ones.

The logit difference is read at the last position, which every run computes, through the final
norm and only the two answers' unembedding columns. The result equals the
one-pass-per-component loop up to float rounding (``tests/circuits/test_fast_patching.py`` checks
both on the demo transformer and on SmolLM2).

Example:
    >>> first_difference([[1, 2, 3]], [[1, 2, 4]])
    2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.circuits import suffix_forward
from glassbox_jupyter.circuits.prompts import answer_logit_diff, final_logit_diff
from glassbox_jupyter.circuits.recorded import cached_activations

#: Patched copies run at once are capped at about this many query positions (copies × batch × positions).
TOKENS_PER_RUN = 2048
#: A run spans ``(layers left) // SPAN_SHARE`` whole layers (at least one): the work the shared start repeats
#: stays a few percent of the run's.
SPAN_SHARE = 10
#: A component: ``(layer, head)``, or ``(layer, None)`` for the layer's MLP.
Component = tuple[int, int | None]


def first_difference(a: Any, b: Any) -> int:
    """The first position where the token (or value) arrays ``a`` and ``b`` ``[batch pos …]`` differ in
    any row; their length when they never do."""
    import torch

    a, b = torch.as_tensor(a), torch.as_tensor(b)
    differs = (a != b).reshape(a.shape[0], a.shape[1], -1).any(dim=2).any(dim=0)
    where = torch.nonzero(differs)
    return int(where[0, 0]) if len(where) else int(a.shape[1])


def frozen_prefix(model: Any, keys_values: Any, p0: int, start: int = 0, copies: int = 1) -> list[Any] | None:
    """TransformerLens key-value cache entries that hold the first ``p0`` positions of a run, frozen, for the
    layers from ``start`` (None before it), each repeated ``copies`` times along the batch: a pass over the
    later positions attends to them exactly as a whole pass would. ``keys_values`` maps
    ``blocks.l.attn.hook_k`` / ``hook_v`` to the run's ``[batch pos kv_head d_head]`` values; None when
    ``p0`` is 0 (nothing to hold)."""
    if p0 == 0:
        return None
    from transformer_lens.cache.key_value_cache_entry import TransformerLensKeyValueCacheEntry

    entries: list[Any] = [None] * model.cfg.n_layers
    for layer in range(start, model.cfg.n_layers):
        keys = keys_values[f"blocks.{layer}.attn.hook_k"][:, :p0]
        values = keys_values[f"blocks.{layer}.attn.hook_v"][:, :p0]
        entries[layer] = TransformerLensKeyValueCacheEntry(
            keys.repeat(copies, 1, 1, 1), values.repeat(copies, 1, 1, 1), frozen=True
        )
    return entries


def key_value_names(model: Any) -> list[str]:
    """The hooks :func:`frozen_prefix` reads: every layer's keys and values."""
    return [f"blocks.{layer}.attn.hook_{kv}" for layer in range(model.cfg.n_layers) for kv in "kv"]


class BatchedPatcher:
    """Runs the base tokens of one bucket with components patched to ``values``, as described above.

    Args:
        model: a HookedTransformer.
        tokens: the base run's tokens ``[batch pos]`` (the clean prompts for noising, the corrupted
            ones for denoising).
        values: patch values by hook name (``blocks.l.attn.hook_z``, ``blocks.l.hook_mlp_out``), each
            ``[batch pos …]`` like the base run's activation.
        correct, incorrect: answer token ids per prompt.
        run: the base run's activations already recorded (:func:`~glassbox_jupyter.circuits.recorded.recorded_run`):
            every layer's ``hook_resid_pre``, keys and values, the patched hooks and the last block's
            ``hook_resid_post``; recorded here when None (or when one is missing). ``p0`` is where a patch
            value first differs from this run's activation, compared exactly: take the values and the run
            from one record (:func:`~glassbox_jupyter.circuits.recorded.recorded_run`), as
            ``activation_patching`` does, or passes of other batch shapes may differ in the last bit
            everywhere and the patched runs start at position 0 (same numbers, more work).
    """

    def __init__(self, model: Any, tokens: Any, values: dict[str, Any], correct: Any, incorrect: Any, run: Any = None):
        import torch

        self.model, self.tokens, self.values = model, tokens, values
        self.correct, self.incorrect = correct, incorrect
        cfg = model.cfg
        final = f"blocks.{cfg.n_layers - 1}.hook_resid_post"
        names = set(values) | {final}
        names |= {f"blocks.{layer}.hook_resid_pre" for layer in range(cfg.n_layers)}
        names |= set(key_value_names(model))
        if run is None or not names <= set(run):
            run = cached_activations(model, tokens, names)
        with torch.no_grad():
            self.base = answer_logit_diff(model, run[final], correct, incorrect)
        self.cache = run
        starts = [first_difference(v, run[n]) for n, v in values.items()]
        self.p0 = min(starts) if starts else int(tokens.shape[1])
        # the query positions after p0 are computed; keep at least the last one (its logits are read)
        self.p0 = min(self.p0, int(tokens.shape[1]) - 1)
        self.positions = int(tokens.shape[1]) - self.p0
        self.unchanged = bool(starts) and min(starts) >= int(tokens.shape[1])  # nothing to patch anywhere
        # the lean suffix pass where it computes what the model's blocks compute; TransformerLens's otherwise
        self.lean = suffix_forward.supported(model)
        self.frozen = suffix_forward.FrozenPrefix(model, run, self.p0)

    def _kv_cache(self, start: int, copies: int) -> list[Any] | None:
        """Frozen key-value entries of the base run's first ``p0`` positions, for layers from ``start``."""
        return frozen_prefix(self.model, self.cache, self.p0, start, copies)

    def group_size(self) -> int:
        return max(1, TOKENS_PER_RUN // max(1, self.tokens.shape[0] * self.positions))

    def patched(self, items: Sequence[Component]) -> Any:
        """Logit differences ``[len(items) batch]``: in copy ``j``, component ``items[j]`` patched (head
        ``head`` of ``blocks.layer.attn.hook_z``, or the layer's ``hook_mlp_out`` when ``head`` is None).
        The run starts at the earliest component's layer; a copy whose component is later runs its earlier
        layers unpatched, which is the base run."""
        import torch

        copies = len(items)
        if self.unchanged:
            return self.base.repeat(copies, 1)
        n_heads = self.model.cfg.n_heads
        head_masks: dict[int, Any] = {}
        mlp_masks: dict[int, Any] = {}
        for j, (layer, head) in enumerate(items):
            if head is None:
                mlp_masks.setdefault(layer, torch.zeros(copies, dtype=torch.bool))[j] = True
            else:
                head_masks.setdefault(layer, torch.zeros(copies, n_heads, dtype=torch.bool))[j, head] = True
        return self._run(copies, head_masks, mlp_masks)

    def patched_sets(self, head_sets: Sequence[Sequence[tuple[int, int]]]) -> Any:
        """Logit differences ``[len(head_sets) batch]``: in copy ``j``, every head of ``head_sets[j]``
        patched at once (a circuit's complement, for sufficiency), in runs of :meth:`group_size` copies."""
        import torch

        if self.unchanged or not any(head_sets):
            return self.base.repeat(len(head_sets), 1)
        out = []
        size = self.group_size()
        for first in range(0, len(head_sets), size):
            chunk = head_sets[first : first + size]
            masks: dict[int, Any] = {}
            for j, heads in enumerate(chunk):
                for layer, head in heads:
                    masks.setdefault(layer, torch.zeros(len(chunk), self.model.cfg.n_heads, dtype=torch.bool))[
                        j, head
                    ] = True
            out.append(self._run(len(chunk), masks, {}) if masks else self.base.repeat(len(chunk), 1))
        return torch.cat(out)

    def _run(self, copies: int, head_masks: dict[int, Any], mlp_masks: dict[int, Any]) -> Any:
        """One batched run of ``copies`` copies from the earliest patched layer: in copy ``j``, the heads
        ``head_masks[layer][j]`` and the MLPs with ``mlp_masks[layer][j]`` set take their patch values."""
        import torch

        batch, p0, n_heads = self.tokens.shape[0], self.p0, self.model.cfg.n_heads
        start = min([*head_masks, *mlp_masks])

        def patch_value(layer: int, act: Any) -> Any:
            """``act`` (``hook_z`` or ``hook_mlp_out`` of the copies, the suffix's last positions) with each
            copy's patched components taking their patch values."""
            is_z = act.dim() == 4
            masks = head_masks if is_z else mlp_masks
            if layer not in masks:
                return act
            name = f"blocks.{layer}.attn.hook_z" if is_z else f"blocks.{layer}.hook_mlp_out"
            value = self.values[name][:, self.tokens.shape[1] - act.shape[1] :].unsqueeze(0)
            stacked = act.view(copies, batch, *act.shape[1:])
            if is_z:
                mask = head_masks[layer].view(copies, 1, 1, n_heads, 1)
            else:
                mask = mlp_masks[layer].view(copies, *([1] * (stacked.dim() - 1)))
            return torch.where(mask, value, stacked).view_as(act)

        resid = self.cache[f"blocks.{start}.hook_resid_pre"][:, p0:].repeat(copies, 1, 1)
        model = self.model
        if self.lean:
            with torch.no_grad():
                resid = suffix_forward.run_suffix(model, resid, start, self.frozen, patch_value)
                diffs = answer_logit_diff(model, resid, self.correct.repeat(copies), self.incorrect.repeat(copies))
            return diffs.reshape(copies, batch)

        def patch(act: Any, hook: Any) -> Any:
            return patch_value(int(hook.name.split(".")[1]), act)

        hooks = [(f"blocks.{layer}.attn.hook_z", patch) for layer in head_masks]
        hooks += [(f"blocks.{layer}.hook_mlp_out", patch) for layer in mlp_masks]
        with torch.no_grad(), model.hooks(fwd_hooks=hooks):
            resid = model(
                resid,
                start_at_layer=start,
                stop_at_layer=model.cfg.n_layers,  # the residual stream after the last block
                past_kv_cache=self._kv_cache(start, copies),
            )
            # only the last position's logit difference is read: unembed just the two answers' columns
            diffs = answer_logit_diff(model, resid, self.correct.repeat(copies), self.incorrect.repeat(copies))
        return diffs.reshape(copies, batch)

    def effects(self, mlps: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """``base − patched``, summed over prompts: ``[layer head]`` for every head and ``[layer]`` for every
        MLP (zeros when ``mlps`` is False). The components of one layer (its heads and its MLP) share a
        batched run, and so do those of a few consecutive early layers (:data:`SPAN_SHARE`): fewer, larger
        matrix products, which a CPU computes faster, for a little repeated work (a later layer's copies
        run the run's first layers unpatched). Runs hold at most :meth:`group_size` copies."""
        cfg = self.model.cfg
        per_layer = cfg.n_heads + (1 if mlps else 0)
        heads, mlp = np.zeros((cfg.n_layers, cfg.n_heads)), np.zeros(cfg.n_layers)
        size = self.group_size()
        layer = 0
        while layer < cfg.n_layers:
            # whole layers per run, as many as fit and cost at most ~1/SPAN_SHARE extra work (the later layers'
            # copies run the run's first layers unpatched): several early layers share a run, late ones run alone
            span = max(1, min((cfg.n_layers - layer) // SPAN_SHARE, size // per_layer))
            items: list[Component] = []
            for run_layer in range(layer, min(layer + span, cfg.n_layers)):
                items += [(run_layer, h) for h in range(cfg.n_heads)] + ([(run_layer, None)] if mlps else [])
            layer += span
            for first in range(0, len(items), size):
                self._record(items[first : first + size], heads, mlp)
        return heads, mlp

    def _record(self, run: list[Component], heads: np.ndarray, mlp: np.ndarray) -> None:
        """Patch the components of ``run`` (one batched run) and write their summed drops."""
        if run:
            drops = (self.base[None] - self.patched(run)).sum(dim=1).numpy()
            for (layer, head), drop in zip(run, drops):
                if head is None:
                    mlp[layer] = drop
                else:
                    heads[layer, head] = drop


class WholePassPatcher:
    """The same numbers as :class:`BatchedPatcher` from one whole patched forward pass per component,
    for models that cannot start a pass at a layer (a TransformerLens ``TransformerBridge``)."""

    def __init__(self, model: Any, tokens: Any, values: dict[str, Any], correct: Any, incorrect: Any):
        import torch

        self.model, self.tokens, self.values = model, tokens, values
        self.correct, self.incorrect = correct, incorrect
        with torch.no_grad():
            self.base = final_logit_diff(model, tokens, correct, incorrect)

    def _patched(self, name: str, head: int | None) -> Any:
        import torch

        value = self.values[name]

        def patch(act: Any, hook: Any) -> Any:
            if head is None:
                return value
            act = act.clone()
            act[:, :, head] = value[:, :, head]
            return act

        with torch.no_grad():
            return final_logit_diff(self.model, self.tokens, self.correct, self.incorrect, [(name, patch)])

    def head_effects(self, layer: int) -> np.ndarray:
        name = f"blocks.{layer}.attn.hook_z"
        heads = range(self.model.cfg.n_heads)
        return np.array([float((self.base - self._patched(name, h)).sum()) for h in heads])

    def mlp_effect(self, layer: int) -> float:
        return float((self.base - self._patched(f"blocks.{layer}.hook_mlp_out", None)).sum())

    def effects(self, mlps: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Same as :meth:`BatchedPatcher.effects`, one whole pass per component."""
        cfg = self.model.cfg
        heads = np.stack([self.head_effects(layer) for layer in range(cfg.n_layers)])
        mlp = np.array([self.mlp_effect(layer) if mlps else 0.0 for layer in range(cfg.n_layers)])
        return heads, mlp
