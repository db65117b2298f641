"""TransformerLens 4 readiness: every circuit method takes a ``TransformerBridge`` (the class TL 4 keeps)
as well as a ``HookedTransformer``, through one adapter (``circuits.prompts.require_hooked_transformer``),
and gets the same numbers on the same weights. The model is a small random Llama with grouped-query
attention (4 query heads sharing 2 key/value heads per layer) and SmolLM2's real tokenizer, saved as a
local checkpoint folder; both objects are built from that folder offline."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.circuits.prompts import PromptError, require_hooked_transformer, sliceable
from glassbox_jupyter.teacher.hf_loading import load_hooked_transformer


@pytest.fixture(scope="module")
def twins(smollm2: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, list[tuple[str, ...]]]:
    from transformer_lens.model_bridge import TransformerBridge
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = smollm2.tokenizer
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
    )
    hf_model = LlamaForCausalLM(config).eval()
    folder = tmp_path_factory.mktemp("tiny_llama")
    hf_model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    hooked = load_hooked_transformer(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bridge = TransformerBridge.boot_transformers(str(Path(folder)), hf_model=hf_model, tokenizer=tokenizer)
    prompts = [
        (p.prompt, p.correct, p.incorrect, p.corrupted_prompt)
        for p in glassbox.demos.ioi_prompt_set(smollm2, 8, seed=0)
    ]
    return hooked, bridge, prompts


def test_the_adapter_puts_a_bridge_in_compatibility_mode(twins) -> None:
    _, bridge, _ = twins
    assert require_hooked_transformer(bridge) is bridge and bridge.compatibility_mode
    assert not sliceable(bridge)  # whole forward passes: no start_at_layer with a frozen cache
    with pytest.raises(TypeError, match="HookedTransformer or TransformerBridge"):
        require_hooked_transformer(torch.nn.Linear(2, 2))


def test_exact_patching_attributions_and_analyze_agree_on_the_same_weights(twins) -> None:
    hooked, bridge, prompts = twins
    results = {}
    for name, model in (("hooked", hooked), ("bridge", bridge)):
        analyzer = glassbox.CircuitAnalyzer(model, method="taylor", n_boot=100)
        finding = analyzer.analyze(prompts=prompts)
        results[name] = {
            "noising": analyzer.activation_patching(prompts)["heads"],
            "denoising": analyzer.activation_patching(prompts, direction="denoising")["heads"],
            "mlps": analyzer.activation_patching(prompts)["mlps"],
            "taylor": analyzer.attribution_patching(prompts)["heads"],
            "circuit": finding.circuit,
            "f1": finding.faithfulness["f1"]["value"],
            "composition": analyzer.composition().for_circuit([(0, 1), (1, 0)])["score"].to_numpy(),
            "entropy": analyzer.attention_patterns(prompts, heads=[(1, 0)]).to_frame()["entropy"].to_numpy(),
        }
    ours, theirs = results["hooked"], results["bridge"]
    assert np.abs(ours["noising"]).max() > 1e-4  # a real signal to compare, not zeros
    for key in ("noising", "denoising", "mlps", "taylor", "composition", "entropy"):
        np.testing.assert_allclose(theirs[key], ours[key], rtol=1e-3, atol=1e-6, err_msg=key)
    assert theirs["circuit"] == ours["circuit"] and theirs["f1"] == pytest.approx(ours["f1"], abs=1e-6)


def test_edges_on_a_bridge_name_the_way_out(twins) -> None:
    _, bridge, prompts = twins
    with pytest.raises(PromptError, match="load_hooked_transformer"):
        glassbox.CircuitAnalyzer(bridge).edge_attribution_patching(prompts[:2])
