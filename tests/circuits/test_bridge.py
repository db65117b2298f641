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


def test_edges_on_a_bridge_equal_the_hooked_transformers(twins) -> None:
    """EAP, EAP-IG and exact edge patching give the same score to every edge on both objects, with the
    key/value receivers per query head on the bridge too (it forks them per key/value head itself)."""
    hooked, bridge, prompts = twins
    tokens = bridge.to_tokens(prompts[0][0])
    with torch.no_grad():
        logits_before = bridge(tokens)
    projections = [(b.attn.k.original_component.weight, b.attn.v.original_component.weight) for b in bridge.blocks]
    results = {}
    for name, model in (("hooked", hooked), ("bridge", bridge)):
        analyzer = glassbox.CircuitAnalyzer(model)
        eap = analyzer.edge_attribution_patching(prompts)
        edges = [(u, v) for u, v, _ in eap.edges]
        results[name] = {
            "eap": eap.scores(),
            "eap_ig": analyzer.edge_attribution_patching(prompts, method="eap_ig", n_steps=4).scores(),
            "exact": analyzer.exact_edge_patching(prompts, edges),
        }
    ours, theirs = results["hooked"], results["bridge"]
    assert len(ours["eap"]) == 110  # embed, 8 heads, 2 MLPs into 4×3 q/k/v receivers, 2 MLPs and the logits
    for key in ("eap", "eap_ig", "exact"):
        assert theirs[key].keys() == ours[key].keys(), key
        edges = list(ours[key])
        expected = np.array([ours[key][e] for e in edges])
        scale = np.abs(expected).max()
        assert scale > 1e-3, key  # a real signal to compare, not zeros
        got = np.array([theirs[key][e] for e in edges])
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4 * scale, err_msg=key)
    # query heads 0 and 1 share a key/value head, yet each has its own key and value input
    for kind in "kv":
        a, b = theirs["exact"][("embed", f"L0H0.{kind}")], theirs["exact"][("embed", f"L0H1.{kind}")]
        assert abs(a - b) > 1e-2 * max(abs(a), abs(b))
    # the bridge is as it was: hook switches off, one key/value projection per key/value head, same logits
    assert not (bridge.cfg.use_split_qkv_input or bridge.cfg.use_attn_result or bridge.cfg.use_hook_mlp_in)
    assert [(b.attn.k.original_component.weight, b.attn.v.original_component.weight) for b in bridge.blocks] == (
        projections
    )
    assert all(b.attn.config.n_key_value_heads == 2 for b in bridge.blocks)
    with torch.no_grad():
        torch.testing.assert_close(bridge(tokens), logits_before, rtol=0, atol=0)


def test_edges_on_a_bridge_refuse_bad_input(twins, monkeypatch: pytest.MonkeyPatch) -> None:
    _, bridge, prompts = twins
    analyzer = glassbox.CircuitAnalyzer(bridge)
    with pytest.raises(PromptError, match="is a receiver: drop the"):
        analyzer.exact_edge_patching(prompts[:2], [("L0H1.q", "logits")])
    with pytest.raises(PromptError, match="sender must be upstream"):
        analyzer.exact_edge_patching(prompts[:2], [("L1H0", "L0H2.k")])
    # attention whose keys and values cannot be split per query head is refused with the way out, and the
    # layers already split are put back
    weight = bridge.blocks[0].attn.k.original_component.weight
    monkeypatch.setattr(bridge.blocks[1].attn.original_component, "num_key_value_groups", None)
    with pytest.raises(PromptError, match="one key/value input per query head.*load_hooked_transformer"):
        analyzer.edge_attribution_patching(prompts[:2])
    assert bridge.blocks[0].attn.k.original_component.weight is weight
    assert bridge.blocks[0].attn.config.n_key_value_heads == 2 and not bridge.cfg.use_split_qkv_input
