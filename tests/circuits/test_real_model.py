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
