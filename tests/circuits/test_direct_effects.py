"""Direct effects: the logit lens' reading of each head and MLP, checked against exact path patching."""

import numpy as np
import pytest
import torch

from glassbox_jupyter.circuits import lens
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, logit_diff
from glassbox_jupyter.teacher.transformer import TransformerAdapter
from glassbox_jupyter.testing import check_measured

from .conftest import MANY


@pytest.fixture(scope="module")
def mlp_prompts(mlp_model):
    return PromptSet.build(mlp_model, MANY)


def _patched_in_final_stream(model, prompts, layer, head=None):
    """The drop in logit difference when the component's last-position output is swapped for its corrupted
    value in the last block's output only, by a real hooked forward pass (independent of the lens' read-out)."""
    final = f"blocks.{model.cfg.n_layers - 1}.hook_resid_post"
    name = f"blocks.{layer}.attn.hook_z" if head is not None else f"blocks.{layer}.hook_mlp_out"

    def written(tokens):
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == name)
        if head is None:
            return cache[name][:, -1]
        return cache[name][:, -1, head] @ model.W_O[layer, head]

    drop = 0.0
    with torch.no_grad():
        for b in prompts.buckets:
            delta = written(b.corrupted) - written(b.clean)

            def swap(resid, hook, delta=delta):
                resid[:, -1] += delta
                return resid

            clean = logit_diff(model(b.clean), b.correct, b.incorrect)
            patched = logit_diff(model.run_with_hooks(b.clean, fwd_hooks=[(final, swap)]), b.correct, b.incorrect)
            drop += float((clean - patched).sum())
    return drop / len(prompts)


def test_lens_direct_effects_are_path_patching_with_the_scale_frozen(mlp_model, mlp_prompts):
    measured = lens.logit_lens(mlp_model, mlp_prompts)
    exact = lens.path_patched_direct_effects(mlp_model, mlp_prompts, ablation="zero", freeze_scale=True)
    np.testing.assert_allclose(exact["heads"], measured["direct_effects"], atol=1e-5)
    np.testing.assert_allclose(exact["mlps"], measured["mlp_direct_effects"], atol=1e-5)
    assert np.abs(measured["mlp_direct_effects"]).min() > 1e-3  # MLPs do write to the answer direction here


def test_recomputing_the_norm_moves_the_direct_effects_a_measured_amount(mlp_model, mlp_prompts):
    # measured on this toy (d_model 32, random weights): the largest head gap 0.006 of a largest effect 0.13
    # (Pearson 0.999), the largest MLP gap 0.042 of 0.079; the norm's scale is not linear in any one component
    measured = lens.logit_lens(mlp_model, mlp_prompts)
    exact = lens.path_patched_direct_effects(mlp_model, mlp_prompts, ablation="zero")
    heads, lensed = exact["heads"].ravel(), measured["direct_effects"].ravel()
    assert np.abs(heads - lensed).max() < 0.1 * np.abs(lensed).max()
    assert np.corrcoef(heads, lensed)[0, 1] > 0.99
    assert np.abs(exact["mlps"] - measured["mlp_direct_effects"]).max() < 0.6 * np.abs(exact["mlps"]).max()
    assert not np.allclose(heads, lensed, atol=1e-4)  # not the linear reading under another name


@pytest.mark.parametrize("component", [(0, 1), (1, 2), (0, None), (1, None)])
def test_path_patching_is_a_real_patched_forward_pass(mlp_model, mlp_prompts, component):
    layer, head = component
    exact = lens.path_patched_direct_effects(mlp_model, mlp_prompts)
    value = exact["mlps"][layer] if head is None else exact["heads"][layer, head]
    assert value == pytest.approx(_patched_in_final_stream(mlp_model, mlp_prompts, layer, head), abs=1e-5)


def test_only_the_working_head_has_a_direct_effect(single_head_model):
    prompts = PromptSet.build(single_head_model, MANY)
    exact = lens.path_patched_direct_effects(single_head_model, prompts)
    assert exact["mlps"] is None
    others = np.delete(exact["heads"].ravel(), 1 * 4 + 2)
    assert np.abs(others).max() == 0.0 and abs(exact["heads"][1, 2]) > 1e-3


def test_measured_logit_lens_says_how_it_was_measured(mlp_model, mlp_prompts, tmp_path):
    result = lens.measure_logit_lens(mlp_model, mlp_prompts)
    check_measured(result, TransformerAdapter(mlp_model).describe()["sha256"], len(MANY))
    plain = lens.logit_lens(mlp_model, mlp_prompts)
    np.testing.assert_array_equal(result.as_dict()["direct_effects"], plain["direct_effects"])
    exported = result.to_dict()
    assert exported["provenance"]["method"]["name"] == "logit_lens"
    assert len(exported["result"]["mlp_direct_effects"]) == mlp_model.cfg.n_layers


def test_bad_ablation_is_explained(mlp_model, mlp_prompts):
    with pytest.raises(PromptError, match="'corrupted' or 'zero'"):
        lens.path_patched_direct_effects(mlp_model, mlp_prompts, ablation="mean")
