"""Circuit tools on SmolLM2 (a real grouped-query Llama): what a head is, and the errors a real
tokenizer and context produce."""

from __future__ import annotations

import pytest
import torch

from glassbox_jupyter.circuits.prompts import PromptError, PromptSet


def test_a_head_is_a_query_head_and_a_group_shares_its_keys_and_values(smollm2) -> None:
    cfg = smollm2.cfg
    group = cfg.n_heads // cfg.n_key_value_heads  # 3 query heads per key/value head
    W_K, W_V, W_Q, W_O = smollm2.W_K[20], smollm2.W_V[20], smollm2.W_Q[20], smollm2.W_O[20]
    assert W_K.shape[0] == W_Q.shape[0] == cfg.n_heads == 9
    for first in range(0, cfg.n_heads, group):
        for h in range(first + 1, first + group):
            assert torch.equal(W_K[h], W_K[first]) and torch.equal(W_V[h], W_V[first])
            assert not torch.equal(W_Q[h], W_Q[first]) and not torch.equal(W_O[h], W_O[first])


def test_real_tokenizer_errors_name_the_fix(smollm2) -> None:
    prompt = "When Mary and John went to the store, John gave a drink to"
    with pytest.raises(PromptError, match="token"):
        PromptSet.build(smollm2, [(prompt, " Maryanne-Louise", " John")])
    long = "Mary and John. " * (smollm2.cfg.n_ctx // 4 + 10)
    with pytest.raises(PromptError, match=f"the model's context is {smollm2.cfg.n_ctx}; shorten it"):
        PromptSet.build(smollm2, [(long, " Mary", " John")])


def test_smollm2_sae_feature_attribution_is_exact_where_it_claims(smollm2) -> None:
    """The shipped SmolLM2 SAE (layer 15, trained without the BOS sink) spliced into the real model: the model is
    unchanged, the reconstruction explains most of the variance on fresh IOI prompts, and the top features'
    exact effects are real ablations (they add up with what the SAE carries)."""
    import glassbox
    from glassbox_jupyter.circuits.sae import SAEFeatureAttributor
    from glassbox_jupyter.demos.ioi_real import ioi_prompt_set

    sae = glassbox.demos.load_sae("smollm2")
    assert sae.cfg.metadata.hook_name == "blocks.15.hook_resid_post" and sae.cfg.d_sae == 1024
    assert sae.cfg.metadata.metrics["ioi_fve"] > 0.85  # measured on prompts it never saw when it was trained
    prompts = PromptSet.build(smollm2, [tuple(p) for p in ioi_prompt_set(smollm2, 8, seed=7)])
    attributor = SAEFeatureAttributor(smollm2, sae)
    assert attributor.skip == 1  # from the SAE's metadata: exclude_special_tokens
    tokens = prompts.buckets[0].clean
    with torch.no_grad():
        torch.testing.assert_close(attributor.spliced_logits(tokens), smollm2(tokens), rtol=1e-4, atol=1e-3)
    result = attributor.attribute(prompts, top_k=3)
    assert result.fve > 0.85 and result.n_prompts == 8
    assert 0 < result.frequency.max() <= 1 and len(result.feature_ids) == 3
    assert abs(result.exact_effect).max() > 0.01  # zeroing a top feature moves the logit difference
    assert result.fve < 0.99
    # counting the sink (an activation ~150x larger than any other position's) swamps the measure: the variance is
    # then almost all the sink's, and the fraction explained reads ~1 whatever the SAE does elsewhere
    _, cache = smollm2.run_with_cache(tokens, names_filter="blocks.15.hook_resid_post", stop_at_layer=16)
    x = cache["blocks.15.hook_resid_post"].reshape(-1, 576).double()
    with torch.no_grad():
        error = ((x - sae.decode(sae.encode(x.float())).double()) ** 2).sum()
    assert float(1 - error / ((x - x.mean(0)) ** 2).sum()) > 0.999
