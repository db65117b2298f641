"""Glassbox 2.0's circuit API (``GlassboxV2``) runs its README example unchanged but for the model, and every
number it returns is GlassBox's native number for the same inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.circuits import CircuitAnalyzer, PromptError
from glassbox_jupyter.compat.v2 import TARGET_SUFF, GlassboxV2
from glassbox_jupyter.compat.v2_results import faithfulness_category
from tests.circuits.conftest import CORRUPTED as TOY_CORRUPTED
from tests.circuits.conftest import PROMPT as TOY_PROMPT
from tests.circuits.conftest import make_model

PROMPT = "When Mary and John went to the store, John gave a drink to"
SWAPPED = "When John and Mary went to the store, Mary gave a drink to"


@pytest.fixture(scope="module")
def model():
    return glassbox.demos.load("ioi")


@pytest.fixture(scope="module")
def native(model):
    """The native finding for the README prompt, with the compat layer's settings."""
    return CircuitAnalyzer(model, method="taylor", target=TARGET_SUFF).analyze(PROMPT, " Mary", " John")


@pytest.fixture(scope="module")
def readme_result(model):
    # Glassbox 2.0's README quickstart, verbatim except the model-loading line
    from glassbox import GlassboxV2

    model = glassbox.demos.load("ioi")  # was: HookedTransformer.from_pretrained("gpt2")
    gb = GlassboxV2(model)

    result = gb.analyze(
        prompt="When Mary and John went to the store, John gave a drink to",
        correct=" Mary",
        incorrect=" John",
    )

    print(result["circuit"])  # [(9, 9), (9, 6), ...]  <- (layer, head)
    print(result["faithfulness"])  # {'sufficiency': 1.0, 'comprehensiveness': 0.543, 'f1': 0.704, ...}
    return result


def test_readme_quickstart_gives_the_native_numbers(readme_result, native):
    assert glassbox.GlassboxV2 is GlassboxV2  # `from glassbox import GlassboxV2` is this layer
    faith = readme_result["faithfulness"]
    for key in ("sufficiency", "comprehensiveness", "f1"):
        assert faith[key] == native.faithfulness[key]["value"]
    assert faith["suff_is_approx"] is False
    assert faith["category"] == faithfulness_category(faith["sufficiency"], faith["comprehensiveness"])
    assert readme_result["clean_ld"] == native.logit_diff["clean"]
    assert readme_result["corrupted_ld"] == native.logit_diff["corrupted"]
    assert readme_result["corr_prompt"] == SWAPPED
    assert readme_result["attributions"] == {str(h): v for h, v in native.attributions.items()}


def test_circuit_is_a_ranked_list_of_layer_head_pairs(readme_result, native):
    circuit = readme_result["circuit"]
    layer, head = circuit[0]  # subscriptable and unpackable, as in Glassbox 2.0
    assert set(circuit) == set(native.circuit) and readme_result["n_heads"] == len(circuit)
    scores = [native.attributions[h] for h in circuit]
    assert scores == sorted(scores, reverse=True) and native.attributions[(layer, head)] == max(scores)
    top = readme_result["top_heads"]
    assert [(t["layer"], t["head"]) for t in top][: len(circuit)] == circuit
    assert all(t["rel_depth"] == t["layer"] / 1 for t in top)  # the demo has 2 layers
    assert readme_result["mlp_attributions"] == {}  # the demo is attention-only
    json.dumps(readme_result)  # plain data, as Glassbox 2.0's results were


def test_logit_lens_and_taylor_sufficiency_on_request(model, native):
    gb = GlassboxV2(model)
    result = gb.analyze(PROMPT, " Mary", " John", include_logit_lens=True, exact_suff=False)
    lens = result["logit_lens"]
    assert lens["logit_diffs"] == [float(v) for v in native.logit_lens["by_layer"]]
    assert lens["head_direct_effects"][1] == [float(v) for v in native.logit_lens["direct_effects"][1]]
    assert lens["logit_shifts"] == pytest.approx(np.diff(native.logit_lens["by_layer"]).tolist())
    b_U = model.b_U.detach()
    bias = float(b_U[model.to_single_token(" Mary")] - b_U[model.to_single_token(" John")])
    assert lens["logit_diffs"][-1] + bias == pytest.approx(result["clean_ld"], rel=1e-5)  # the lens leaves out b_U
    faith = result["faithfulness"]
    span = native.logit_diff["clean"] - native.logit_diff["corrupted"]
    assert faith["suff_is_approx"] is True
    assert faith["sufficiency"] == pytest.approx(sum(native.attributions[h] for h in result["circuit"]) / span)
    assert faith["sufficiency_exact"] == native.faithfulness["sufficiency"]["value"]
    # the category always comes from the exact numbers
    assert faith["category"] == faithfulness_category(faith["sufficiency_exact"], faith["comprehensiveness"])


def test_token_tensor_methods_give_the_native_numbers(model, native):
    gb = GlassboxV2(model)
    tokens_c, tokens_corr = model.to_tokens(PROMPT), model.to_tokens(SWAPPED)
    t_tok, d_tok = model.to_single_token(" Mary"), model.to_single_token(" John")
    pair = [(PROMPT, " Mary", " John", SWAPPED)]
    analyzer = CircuitAnalyzer(model, method="taylor")

    attributions, clean_ld = gb.attribution_patching(tokens_c, tokens_corr, t_tok, d_tok)
    heads = analyzer.attribution_patching(pair, method="taylor")["heads"]
    assert attributions == {(layer, head): float(heads[layer, head]) for layer in range(2) for head in range(4)}
    assert clean_ld == pytest.approx(native.logit_diff["clean"])

    circuit, mfc_attributions, mfc_ld = gb.minimum_faithful_circuit(tokens_c, tokens_corr, t_tok, d_tok)
    assert set(circuit) == set(native.circuit) and mfc_attributions == attributions and mfc_ld == clean_ld

    lens = gb.logit_lens(tokens_c, " Mary", " John")
    assert lens["logit_diffs"] == [float(v) for v in native.logit_lens["by_layer"]]
    assert lens["target_token"] == " Mary" and lens["mlp_direct_effects"] == {}

    saliency = gb.token_attribution(tokens_c, t_tok, d_tok)
    expected = analyzer.token_attribution(pair, method="grad_x_input", baseline="zero").scores[0]
    assert saliency["attributions"] == [float(v) for v in expected]
    assert saliency["token_strs"][2] == " Mary" and len(saliency["top_tokens"]) == 5
    assert saliency["top_tokens"][0]["attribution"] == max(saliency["attributions"], key=abs)


def test_attention_patterns_return_full_matrices(model):
    gb = GlassboxV2(model)
    tokens = model.to_tokens(PROMPT)
    result = gb.attention_patterns(tokens, heads=[(1, 3), (0, 1)])
    native = CircuitAnalyzer(model).attention_patterns([(PROMPT, " Mary", " John")], heads=[(1, 3)])[(1, 3)]
    full = result["patterns"]["L01H03"]
    assert result["heads"] == ["L01H03", "L00H01"] and full.shape == (15, 15)
    np.testing.assert_allclose(full.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(full[-1], native.pattern, atol=1e-6)
    np.testing.assert_allclose(result["last_tok_attn"]["L01H03"], native.pattern)
    assert result["entropy"]["L01H03"] == pytest.approx(float(native.entropy[0]))
    picked = gb.attention_patterns(tokens, top_k=3)  # heads=None: the 3 most focused heads
    assert len(picked["heads"]) == 3 and set(picked["patterns"]) == set(picked["heads"])
    assert sorted(picked["entropy"].values()) != [] and picked["token_strs"][2] == " Mary"


def test_mlp_attribution_and_mlp_direct_effects():
    mlp_model = make_model(attn_only=False)
    gb = GlassboxV2(mlp_model)
    clean, corrupted = mlp_model.to_tokens(TOY_PROMPT), mlp_model.to_tokens(TOY_CORRUPTED)
    scores = gb.mlp_attribution(clean, corrupted, " Mary", " John")
    native = CircuitAnalyzer(mlp_model).mlp_attribution([(TOY_PROMPT, " Mary", " John", TOY_CORRUPTED)], "taylor")
    assert scores == {0: float(native[0]), 1: float(native[1])}
    lens = gb.logit_lens(clean, " Mary", " John")
    # the direct effects of the embeddings, the attention biases, every head and every MLP add up to the
    # output's logit difference (each read through the final norm's scale, the unembedding bias aside)
    with torch.no_grad():
        _, cache = mlp_model.run_with_cache(clean)
        rest = cache["hook_embed"][0, -1] + cache["hook_pos_embed"][0, -1] + mlp_model.b_O.sum(0)
        t, d = mlp_model.to_single_token(" Mary"), mlp_model.to_single_token(" John")
        direction = mlp_model.W_U[:, t] - mlp_model.W_U[:, d]
        rest_effect = float((rest - rest.mean()) / cache["ln_final.hook_scale"][0, -1] @ direction)
    parts = rest_effect + sum(map(sum, lens["head_direct_effects"].values())) + sum(lens["mlp_direct_effects"].values())
    assert parts == pytest.approx(lens["logit_diffs"][-1], rel=1e-4, abs=1e-5)
    assert len(lens["mlp_direct_effects"]) == 2 and all(v != 0 for v in lens["mlp_direct_effects"].values())
    with pytest.raises(PromptError, match="MLP"):
        GlassboxV2(make_model()).mlp_attribution(clean, corrupted, " Mary", " John")


def test_bootstrap_metrics_over_prompts(model):
    prompts = [tuple(p) for p in glassbox.demos.ioi_prompts(3, seed=1)]
    gb = GlassboxV2(model)
    with pytest.warns(UserWarning, match="skipping prompt 3"):
        result = gb.bootstrap_metrics([*prompts, (PROMPT, " Mary Anne", " John")], n_boot=200, alpha=0.1)
    analyzer = CircuitAnalyzer(model, method="taylor", target=TARGET_SUFF, n_boot=0)
    per_prompt = [analyzer.analyze(*p).faithfulness for p in prompts]
    for key in ("sufficiency", "comprehensiveness"):
        values = [f[key]["value"] for f in per_prompt]
        entry = result[key]
        assert entry["mean"] == pytest.approx(np.mean(values)) and entry["n"] == 3
        assert entry["ci_lo"] <= entry["mean"] <= entry["ci_hi"]
    assert result["meta"] == {
        "n_boot": 200,
        "alpha": 0.1,
        "seed": 42,
        "n_prompts_used": 3,
        "exact_suff": True,
        "suff_is_approx": False,
    }


@pytest.mark.parametrize(
    ("sufficiency", "comprehensiveness", "category"),
    [
        (0.95, 0.2, "backup_mechanisms"),
        (1.0, 0.39, "backup_mechanisms"),
        (0.8, 0.9, "faithful"),
        (0.95, 0.6, "faithful"),
        (0.3, 0.9, "incomplete"),
        (0.55, 0.1, "weak"),
        (0.65, 0.45, "moderate"),
        (float("nan"), 0.5, "undefined"),
    ],
)
def test_category_rules(sufficiency, comprehensiveness, category):
    assert faithfulness_category(sufficiency, comprehensiveness) == category


def test_bad_inputs_say_what_is_wrong(model):
    gb = GlassboxV2(model)
    with pytest.raises(PromptError, match=r"the correct answer ' Mary Anne' is 4 tokens"):
        gb.analyze(PROMPT, " Mary Anne", " John")
    with pytest.raises(ValueError, match="must be non-empty"):
        gb.analyze("", " Mary", " John")
    with pytest.raises(PromptError, match="corrupted_prompt="):
        gb.analyze(PROMPT, " Mary", " John", corruption_strategy="antonym")
    with pytest.raises(PromptError, match="equal lengths"):
        gb.attribution_patching(model.to_tokens(PROMPT), model.to_tokens("When Mary left,"), 1, 2)
    with pytest.raises(PromptError, match="integer tensor"):
        gb.token_attribution(PROMPT, " Mary", " John")
    with pytest.raises(TypeError, match="HookedTransformer"):
        GlassboxV2(torch.nn.Linear(2, 2))


def test_mlp_direct_effects_are_the_engines_and_checked_by_path_patching():
    from glassbox_jupyter.circuits import lens as native_lens
    from glassbox_jupyter.circuits.prompts import PromptSet

    mlp_model = make_model(attn_only=False)
    gb = GlassboxV2(mlp_model)
    lens = gb.logit_lens(mlp_model.to_tokens(TOY_PROMPT), " Mary", " John")
    prompts = PromptSet.build(mlp_model, [(TOY_PROMPT, " Mary", " John")])
    engine = native_lens.logit_lens(mlp_model, prompts)
    assert lens["mlp_direct_effects"] == {layer: float(v) for layer, v in enumerate(engine["mlp_direct_effects"])}
    exact = native_lens.path_patched_direct_effects(mlp_model, prompts, ablation="zero", freeze_scale=True)
    assert list(lens["mlp_direct_effects"].values()) == pytest.approx(exact["mlps"].tolist(), abs=1e-5)
    assert lens["head_direct_effects"][1] == pytest.approx(exact["heads"][1].tolist(), abs=1e-5)
