"""Batched exact patching (fast_patching.py) gives the numbers of one ablated forward pass per
component: on the demo transformer for every ablation and both directions, and on SmolLM2 (a real
grouped-query Llama) with its key-value prefix cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.circuits import fast_patching, patching
from glassbox_jupyter.circuits.fast_patching import BatchedPatcher, first_difference
from glassbox_jupyter.circuits.prompts import PromptSet
from glassbox_jupyter.circuits.recorded import cached_activations, recorded_run


def one_pass_per_component(model, prompts: PromptSet, ablation: str, direction: str) -> dict[str, np.ndarray]:
    """The reference: a full forward pass per head and per MLP (what activation_patching did before)."""
    cfg = model.cfg
    heads, mlps, total = np.zeros((cfg.n_layers, cfg.n_heads)), np.zeros(cfg.n_layers), 0
    names = [patching.z_name(layer) for layer in range(cfg.n_layers)]
    names += [] if cfg.attn_only else [patching.mlp_name(layer) for layer in range(cfg.n_layers)]
    for b in prompts.buckets:
        if direction == "noising":
            values, tokens, sign = patching.ablation_values(model, b, names, ablation, 0), None, 1.0
        else:
            values, tokens, sign = cached_activations(model, b.clean, names), b.corrupted, -1.0
        base = patching.run_ablated(model, b, values=values, tokens=tokens)
        for layer in range(cfg.n_layers):
            for head in range(cfg.n_heads):
                patched = patching.run_ablated(model, b, [(layer, head)], values=values, tokens=tokens)
                heads[layer, head] += sign * float((base - patched).sum())
            if not cfg.attn_only:
                patched = patching.run_ablated(model, b, mlps=[layer], values=values, tokens=tokens)
                mlps[layer] += sign * float((base - patched).sum())
        total += len(b.rows)
    return {"heads": heads / total, "mlps": mlps / total}


@pytest.mark.parametrize(
    ("ablation", "direction"),
    [("corrupted", "noising"), ("zero", "noising"), ("mean", "noising"), ("resample", "noising"),
     ("corrupted", "denoising")],
)  # fmt: skip
def test_batched_patching_equals_one_pass_per_head_on_the_demo(ablation: str, direction: str) -> None:
    model = glassbox.demos.load("ioi")
    prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(16, seed=1))
    fast = patching.activation_patching(model, prompts, ablation, 0, direction)
    slow = one_pass_per_component(model, prompts, ablation, direction)
    np.testing.assert_allclose(fast["heads"], slow["heads"], atol=1e-4)
    assert np.abs(slow["heads"]).max() > 0.1  # the comparison is not between zeros


def test_batched_patching_on_a_real_grouped_query_model_uses_the_prefix_and_matches(smollm2, monkeypatch) -> None:
    prompts = PromptSet.build(smollm2, glassbox.demos.ioi_prompt_set(smollm2, 6, seed=3))
    bucket = prompts.buckets[0]
    names = [patching.z_name(layer) for layer in range(smollm2.cfg.n_layers)]
    names += [patching.mlp_name(layer) for layer in range(smollm2.cfg.n_layers)]
    values = patching.ablation_values(smollm2, bucket, names, "corrupted")
    # the base run from the same record as the values (as activation_patching passes it): the prefix's
    # activations are then bit-identical, which is how the patcher finds p0
    run = recorded_run(smollm2, bucket, "clean")
    patcher = BatchedPatcher(smollm2, bucket.clean, values, bucket.correct, bucket.incorrect, run=run)
    # ABC corruption changes the repeated subject: everything before it comes from the frozen cache
    assert patcher.p0 == first_difference(bucket.clean, bucket.corrupted) > 0
    assert patcher.lean  # the lean suffix pass (suffix_forward), checked here against whole TransformerLens passes
    base = patching.run_ablated(smollm2, bucket, values=values)
    # every component, the early layers two to a run (25 copies fit: 2 layers of 9 heads + 1 MLP)
    monkeypatch.setattr(fast_patching, "TOKENS_PER_RUN", 25 * bucket.clean.shape[0] * patcher.positions)
    assert patcher.group_size() == 25
    heads, mlps = patcher.effects()
    for layer in (0, 14, 29):
        slow = [
            float((base - patching.run_ablated(smollm2, bucket, [(layer, h)], values=values)).sum()) for h in range(9)
        ]
        np.testing.assert_allclose(heads[layer], slow, atol=2e-3)
        mlp = float((base - patching.run_ablated(smollm2, bucket, mlps=[layer], values=values)).sum())
        assert mlps[layer] == pytest.approx(mlp, abs=2e-3)
    # sets of heads at once (sufficiency: everything outside a circuit ablated), against whole ablated passes
    outside = [(layer, h) for layer in range(30) for h in range(9) if (layer, h) not in {(23, 3), (29, 1)}]
    sets = [outside, [(23, 3), (29, 1)], []]
    slow_sets = [patching.run_ablated(smollm2, bucket, heads, values=values) for heads in sets]
    np.testing.assert_allclose(patcher.patched_sets(sets), torch.stack(slow_sets), atol=2e-3)


def test_first_difference() -> None:
    assert first_difference([[1, 2, 3], [1, 5, 3]], [[1, 2, 3], [1, 2, 3]]) == 1
    assert first_difference([[1, 2]], [[1, 2]]) == 2


@pytest.mark.parametrize("method", ["taylor", "integrated_gradients"])
def test_gradient_attributions_from_the_first_changed_position_equal_whole_passes(smollm2, monkeypatch, method) -> None:
    """Taylor and integrated gradients run only the positions from where clean and corrupted differ (the
    prefix's keys and values frozen): the same attributions as whole passes over every position."""
    prompts = PromptSet.build(smollm2, glassbox.demos.ioi_prompt_set(smollm2, 6, seed=3))
    assert all(patching.gradient_start(smollm2, b) > 0 for b in prompts.buckets)  # the suffix path runs
    suffix = patching.attribution_patching(smollm2, prompts, method, 4, "float32")
    monkeypatch.setattr(patching, "gradient_start", lambda model, bucket: 0)  # every position, from the tokens
    whole = patching.attribution_patching(smollm2, prompts, method, 4, "float32")
    assert np.abs(whole["heads"]).max() > 0.1  # the comparison is not between zeros
    np.testing.assert_allclose(suffix["heads"], whole["heads"], atol=1e-4)
    np.testing.assert_allclose(suffix["mlps"], whole["mlps"], atol=1e-4)


def test_gradient_start_is_the_first_position_where_clean_and_corrupted_differ() -> None:
    model = glassbox.demos.load("ioi")
    prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(4, seed=1))
    bucket = prompts.buckets[0]
    assert patching.gradient_start(model, bucket) == min(
        first_difference(bucket.clean, bucket.corrupted), bucket.clean.shape[1] - 1
    )


@pytest.mark.parametrize("method", ["eap", "eap_ig"])
def test_edge_attributions_from_the_first_changed_position_equal_whole_passes(smollm2, monkeypatch, method) -> None:
    """EAP and EAP-IG on a grouped-query model: from the first changed position, prefix frozen, the same
    edge scores as whole passes."""
    from glassbox_jupyter.circuits import edges

    prompts = PromptSet.build(smollm2, glassbox.demos.ioi_prompt_set(smollm2, 4, seed=5))
    starts = []
    real_build = patching.GradientInput.build

    def build(*args):
        start = real_build(*args)
        starts.append(start.p0)
        return start

    monkeypatch.setattr(patching.GradientInput, "build", build)
    suffix = {(s, r): v for s, r, v in edges.edge_attribution_patching(smollm2, prompts, method, 3).edges}
    assert starts and min(starts) > 0  # the suffix path ran
    monkeypatch.setattr(patching, "gradient_start", lambda model, bucket: 0)
    whole = {(s, r): v for s, r, v in edges.edge_attribution_patching(smollm2, prompts, method, 3).edges}
    keys = sorted(whole)
    a, b = np.array([suffix[k] for k in keys]), np.array([whole[k] for k in keys])
    assert np.abs(b).max() > 0.1
    np.testing.assert_allclose(a, b, atol=1e-4)
