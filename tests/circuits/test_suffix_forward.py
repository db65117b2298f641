"""The lean suffix pass computes what TransformerLens's blocks compute, and is used only where it does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.circuits import patching, suffix_forward
from glassbox_jupyter.circuits.fast_patching import BatchedPatcher
from glassbox_jupyter.circuits.prompts import PromptSet
from glassbox_jupyter.circuits.recorded import cached_activations
from tests.circuits.conftest import MANY, make_model


def final_resid(model, tokens) -> torch.Tensor:
    """TransformerLens's own pass: the residual stream after the last block, last position."""
    with torch.no_grad():
        return model(tokens, stop_at_layer=model.cfg.n_layers)[:, -1]


def suffix_pass(model, tokens, start: int, p0: int, copies: int = 1, patch=None) -> torch.Tensor:
    """The lean pass from block ``start`` over positions ``p0 …``, ``copies`` copies of the batch."""
    names = [f"blocks.{start}.hook_resid_pre"] + [
        f"blocks.{l}.attn.hook_{kv}" for l in range(model.cfg.n_layers) for kv in "kv"
    ]
    run = cached_activations(model, tokens, names)
    resid = run[f"blocks.{start}.hook_resid_pre"][:, p0:].repeat(copies, 1, 1)
    with torch.no_grad():
        out = suffix_forward.run_suffix(model, resid, start, suffix_forward.FrozenPrefix(model, run, p0), patch)
    assert out.shape[1] == 1  # the last block computes only the last position
    return out[:, -1]


@pytest.mark.parametrize(("start", "p0"), [(0, 0), (0, 5), (1, 9), (1, 13)])
@pytest.mark.parametrize("which", ["demo (attention only)", "toy with MLPs"])
def test_the_suffix_pass_equals_the_whole_pass_on_small_models(which: str, start: int, p0: int) -> None:
    if which.startswith("demo"):
        model = glassbox.demos.load("ioi")
        tokens = PromptSet.build(model, glassbox.demos.ioi_prompts(6, seed=2)).buckets[0].clean
    else:
        model = make_model(attn_only=False)
        tokens = PromptSet.build(model, MANY[:5]).buckets[0].clean
    assert suffix_forward.supported(model)
    assert 0 < tokens.shape[1] - p0
    whole = final_resid(model, tokens)
    torch.testing.assert_close(
        suffix_pass(model, tokens, start, p0, copies=3), whole.repeat(3, 1), atol=1e-4, rtol=1e-4
    )


@pytest.mark.parametrize(("start", "p0"), [(0, 0), (0, 7), (17, 10)])
def test_the_suffix_pass_equals_the_whole_pass_on_a_grouped_query_rotary_model(smollm2, start: int, p0: int) -> None:
    assert suffix_forward.supported(smollm2)  # 9 query heads sharing 3 key/value heads, rotary positions
    prompts = PromptSet.build(smollm2, glassbox.demos.ioi_prompt_set(smollm2, 4, seed=5))
    tokens = prompts.buckets[0].clean
    whole = final_resid(smollm2, tokens)
    assert whole.abs().max() > 1  # not a comparison of zeros
    torch.testing.assert_close(
        suffix_pass(smollm2, tokens, start, p0, copies=2), whole.repeat(2, 1), atol=2e-4, rtol=1e-4
    )


def test_a_patched_head_in_the_suffix_pass_equals_the_hooked_whole_pass(smollm2) -> None:
    prompts = PromptSet.build(smollm2, glassbox.demos.ioi_prompt_set(smollm2, 4, seed=5))
    bucket = prompts.buckets[0]
    layer, head = 20, 4
    corrupted = cached_activations(smollm2, bucket.corrupted, [patching.z_name(layer)])[patching.z_name(layer)]

    def hooked(z, hook):
        z[:, :, head] = corrupted[:, :, head]
        return z

    with torch.no_grad():
        whole = smollm2.run_with_hooks(bucket.clean, fwd_hooks=[(patching.z_name(layer), hooked)], stop_at_layer=30)[
            :, -1
        ]
    p0 = 8

    def patch(at: int, value: torch.Tensor) -> torch.Tensor:
        if at != layer or value.dim() != 4:
            return value
        value = value.clone()
        value[:, :, head] = corrupted[:, corrupted.shape[1] - value.shape[1] :, head]
        return value

    patched = suffix_pass(smollm2, bucket.clean, 15, p0, patch=patch)
    torch.testing.assert_close(patched, whole, atol=2e-4, rtol=1e-4)
    assert (patched - final_resid(smollm2, bucket.clean)).abs().max() > 1e-2  # the patch changed something


def test_variants_it_does_not_implement_run_through_transformer_lens_with_the_same_numbers() -> None:
    model = make_model(attn_only=False)
    assert suffix_forward.supported(model)
    model.cfg.attn_scores_soft_cap = 5.0  # a soft cap: attention computed by TransformerLens only
    assert not suffix_forward.supported(model)
    assert not suffix_forward.supported(object())  # not a HookedTransformer at all (e.g. a bridge's wrapper)
    prompts = PromptSet.build(model, MANY[:6])
    bucket = prompts.buckets[0]
    names = [patching.z_name(layer) for layer in range(2)] + [patching.mlp_name(layer) for layer in range(2)]
    values = patching.ablation_values(model, bucket, names, "corrupted")
    patcher = BatchedPatcher(model, bucket.clean, values, bucket.correct, bucket.incorrect)
    assert not patcher.lean
    heads, _ = patcher.effects()
    base = patching.run_ablated(model, bucket, values=values)
    slow = [
        [float((base - patching.run_ablated(model, bucket, [(l, h)], values=values)).sum()) for h in range(4)]
        for l in range(2)
    ]
    np.testing.assert_allclose(heads, slow, atol=1e-5)
    assert np.abs(slow).max() > 1e-3
