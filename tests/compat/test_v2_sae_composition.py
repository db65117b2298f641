"""Glassbox 2.0's ``SAEFeatureAttributor`` and ``HeadCompositionAnalyzer`` (``glassbox.sae_attribution``,
``glassbox.composition``): 2.0's arguments and dicts, every number the native call's on the ioi demo transformer
and its shipped SAE, and clear errors for what GlassBox cannot do (no hub download, a layer without an SAE)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import glassbox
import glassbox_jupyter
from glassbox_jupyter.circuits import lens
from glassbox_jupyter.circuits.composition import HeadCompositionAnalyzer as NativeComposition
from glassbox_jupyter.circuits.prompts import PromptError
from glassbox_jupyter.circuits.sae import SAEFeatureAttributor as NativeAttributor
from glassbox_jupyter.compat.v2_results import token_prompt_set

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.fixture(scope="module")
def model():
    return glassbox.demos.load("ioi")


@pytest.fixture(scope="module")
def sae():
    return glassbox.demos.load_sae("ioi")  # blocks.0.hook_resid_post


@pytest.fixture(scope="module")
def tokens(model):
    return model.to_tokens(PROMPT)


@pytest.fixture(scope="module")
def prompts(model, tokens):
    return token_prompt_set(model, tokens, tokens, " Mary", " John")


@pytest.fixture(scope="module")
def native_sae(model, sae):
    return NativeAttributor(model, sae)


@pytest.fixture(scope="module")
def sfa(model, sae):
    from glassbox.sae_attribution import SAEFeatureAttributor

    return SAEFeatureAttributor(model, sae=sae)


def _check_records(records, native, n):
    """``records`` are the first ``n`` features of the native result that fire in the prompt, with its numbers."""
    active = [j for j in range(len(native.feature_ids)) if native.frequency[j] > 0][:n]
    assert [r["feature_id"] for r in records] == [int(native.feature_ids[j]) for j in active]
    for r, j in zip(records, active, strict=True):
        assert r["ld_contribution"] == pytest.approx(native.attribution[j], rel=1e-9, abs=1e-12)
        assert r["exact_effect"] == pytest.approx(native.exact_effect[j], rel=1e-9, abs=1e-12)
        assert r["activation"] == pytest.approx(native.mean_activation[j], rel=1e-9)
        assert r["frequency"] == native.frequency[j]
        expected = (
            "target" if r["ld_contribution"] > 0.01 else "distractor" if r["ld_contribution"] < -0.01 else "neutral"
        )
        assert r["direction"] == expected


# ---------------------------------------------------------------------------------------------- SAE attribution
def test_attribute_gives_the_native_attribution_in_2_0s_dict(sfa, native_sae, model, sae, tokens, prompts):
    result = sfa.attribute(tokens, " Mary", " John", layers=[0], top_k_per_layer=5, top_k_global=8)
    native = native_sae.attribute(prompts, top_k=8)
    _check_records(result["layer_features"][0], native, 5)
    _check_records(result["top_features"], native, 8)  # one layer: the global ranking is that layer's
    assert all(r["layer"] == 0 for r in result["top_features"])
    assert result["layer_logit_diffs"] == {0: float(lens.logit_lens(model, prompts)["by_layer"][1])}
    with torch.no_grad():  # active features counted independently: the SAE's encoding of the hook, any position
        _, cache = model.run_with_cache(tokens, names_filter=sae.cfg.metadata.hook_name)
        acts = sae.encode(cache[sae.cfg.metadata.hook_name])
    assert result["n_active_per_layer"] == {0: int((acts > 0).flatten(0, 1).any(dim=0).sum())}
    assert result["layers_analysed"] == [0] and result["sae_release"] is None
    assert (result["target_token"], result["distractor_token"]) == (" Mary", " John")
    assert result["saes"][0] == {"hook_name": "blocks.0.hook_resid_post", "d_in": 64, "d_sae": sae.cfg.d_sae}
    assert result["provenance"][0]["method"]["name"] == "sae_feature_attribution"
    json.dumps(result)  # plain data


def test_attribute_defaults_to_the_layers_given_an_sae(sfa, tokens):
    result = sfa.attribute(tokens, " Mary", " John", top_k_per_layer=3, top_k_global=3)
    assert result["layers_analysed"] == [0] and len(result["layer_features"][0]) == 3


def test_attribute_circuit_heads_is_the_native_circuit_scoped_attribution_per_head(sfa, native_sae, tokens, prompts):
    circuit = [(1, 0), (1, 2)]
    result = sfa.attribute_circuit_heads(circuit, tokens, " Mary", " John", top_k_per_head=4)
    assert list(result["head_features"]) == ["(1, 0)", "(1, 2)"]  # 2.0's str((layer, head)) keys
    everything = []
    for layer, head in circuit:
        records = result["head_features"][str((layer, head))]
        _check_records(records, native_sae.circuit_scoped(prompts, [(layer, head)], top_k=4), 4)
        assert all((r["layer"], r["head"], r["sae_layer"]) == (layer, head, 0) for r in records)
        everything += records
    ranked = sorted(everything, key=lambda r: abs(r["ld_contribution"]), reverse=True)
    assert result["top_features"] == ranked
    assert result["sae_release"] is None and "flows through that head" in result["note"]
    json.dumps(result)


def test_sae_errors_say_what_to_pass(model, sae, sfa, tokens):
    from glassbox.sae_attribution import SAEFeatureAttributor

    for kwargs in ({}, {"sae_release": "gpt2-small-res-jb"}, {"sae_path": "sae.pt", "sae": sae}):
        with pytest.raises(PromptError, match=r"load_sae\('ioi'\)"):
            SAEFeatureAttributor(model, **kwargs)
    with pytest.raises(PromptError, match=r"no SAE was given for layer 1.*load_sae"):
        sfa.attribute(tokens, " Mary", " John", layers=[1])
    with pytest.raises(PromptError, match=r"L0H1 reads no residual stream.*load_sae"):
        sfa.attribute_circuit_heads([(0, 1)], tokens, " Mary", " John")
    with pytest.raises(PromptError, match="not in the model"):
        sfa.attribute_circuit_heads([(1, 7)], tokens, " Mary", " John")
    with pytest.raises(PromptError, match="non-empty list"):
        sfa.attribute_circuit_heads([], tokens, " Mary", " John")
    with pytest.raises(PromptError, match="a hook of layer 0"):
        SAEFeatureAttributor(model, sae={1: sae})
    with pytest.raises(TypeError, match="sae-lens SAE"):
        SAEFeatureAttributor(model, sae={0: "sae.pt"})
    with pytest.raises(PromptError, match="one token"):
        sfa.attribute(tokens, " Mary Mary", " John")


# ---------------------------------------------------------------------------------------------- composition
@pytest.fixture(scope="module")
def comp(model):
    from glassbox.composition import HeadCompositionAnalyzer

    return HeadCompositionAnalyzer(model)


@pytest.fixture(scope="module")
def native_comp(model):
    return NativeComposition(model)


SCORERS = {"q": "q_composition_score", "k": "k_composition_score", "v": "v_composition_score"}


@pytest.mark.parametrize("fold_ln", [True, False])
def test_pair_scores_are_the_native_scores(model, fold_ln):
    from glassbox.composition import HeadCompositionAnalyzer

    comp, native = HeadCompositionAnalyzer(model, fold_ln=fold_ln), NativeComposition(model, fold_ln=fold_ln)
    for kind, method in SCORERS.items():
        scores = native.scores(kind)
        for ls, hs, lr, hr in np.ndindex(*scores.shape):
            got = getattr(comp, method)(ls, hs, lr, hr)
            assert got == (float(scores[ls, hs, lr, hr]) if lr > ls else 0.0)  # 2.0: 0.0 unless later


def test_composition_matrix(comp, native_comp):
    senders, receivers = [(0, 0), (0, 3), (1, 1)], [(1, 2), (1, 0), (0, 1)]
    result = comp.composition_matrix(senders, receivers, kind="K")
    scores = native_comp.scores("k")
    assert result["matrix"].shape == (3, 3) and result["kind"] == "k"
    for i, r in enumerate(receivers):
        for j, s in enumerate(senders):
            assert result["matrix"][i, j] == (scores[s + r] if r[0] > s[0] else 0.0)
    assert result["senders"] == ["L00H00", "L00H03", "L01H01"]
    assert result["receivers"] == ["L01H02", "L01H00", "L00H01"]
    expected = sorted((scores[s + r] for s in senders for r in receivers if r[0] > s[0]), reverse=True)
    assert [p["score"] for p in result["top_pairs"]] == expected  # earlier → later pairs only
    for pair in result["top_pairs"]:
        s, r = (
            (int(pair["sender"][1:3]), int(pair["sender"][4:])),
            (int(pair["receiver"][1:3]), int(pair["receiver"][4:])),
        )
        assert pair["score"] == scores[s + r] and pair["kind"] == "k"


def test_full_circuit_and_all_scores_match_the_native_table(comp, native_comp):
    circuit = [(0, 0), (0, 1), (1, 0), (1, 2)]
    table = native_comp.for_circuit(circuit)  # the native tidy table: score, baseline and z of every pair
    combined = comp.all_composition_scores(circuit, min_score=0.15)
    for kind in ("q", "k", "v"):
        full = comp.full_circuit_composition(circuit, kind=kind, min_score=0.15)
        assert combined[kind]["significant_edges"] == full["significant_edges"]
        np.testing.assert_array_equal(combined[kind]["matrix"], full["matrix"])
        rows = table[(table.kind == kind) & (table.score >= 0.15)].sort_values("score", ascending=False)
        edges = full["significant_edges"]
        assert [(e["sender"], e["receiver"]) for e in edges] == [
            (f"L{a:02d}H{b:02d}", f"L{c:02d}H{d:02d}")
            for a, b, c, d in zip(
                rows.sender_layer, rows.sender_head, rows.receiver_layer, rows.receiver_head, strict=True
            )
        ]
        assert [e["score"] for e in edges] == pytest.approx(list(rows.score), rel=1e-12)
        assert [e["z"] for e in edges] == pytest.approx(list(rows.z), rel=1e-12)
        assert full["head_labels"] == ["L00H00", "L00H01", "L01H00", "L01H02"]
        assert full["mean_score"] == pytest.approx(full["matrix"].mean())  # 2.0: zeros included
        assert full["max_score"] == full["matrix"].max()
        assert full["max_score"] == pytest.approx(table[table.kind == kind].score.max(), rel=1e-12)
    pairs = {(e["sender"], e["receiver"]) for kind in "qkv" for e in combined[kind]["significant_edges"]}
    assert {(e["sender"], e["receiver"]) for e in combined["combined_edges"]} == pairs
    native_scores = {(row.sender, row.receiver, row.kind): row.score for row in table.itertuples()}
    for edge in combined["combined_edges"]:  # every kind's exact score, significant or not
        s, r = (f"L{int(edge[k][1:3])}H{int(edge[k][4:])}" for k in ("sender", "receiver"))  # L00H01 -> L0H1
        for kind in "qkv":
            assert edge[kind] == pytest.approx(native_scores[(s, r, kind)], rel=1e-12)
    totals = [e["q"] + e["k"] + e["v"] for e in combined["combined_edges"]]
    assert totals == sorted(totals, reverse=True) and combined["head_labels"] == combined["q"]["head_labels"]


def test_composition_errors(comp):
    with pytest.raises(PromptError, match="kind must be 'q', 'k' or 'v'"):
        comp.composition_matrix([(0, 0)], [(1, 0)], kind="o")
    with pytest.raises(PromptError, match=r"receiver L2H0 is not in the model \(2 layers × 4 heads\)"):
        comp.q_composition_score(0, 0, 2, 0)
    with pytest.raises(PromptError, match="sender L0H4 is not in the model"):
        comp.v_composition_score(0, 4, 1, 0)
    with pytest.raises(PromptError, match="whole numbers"):
        comp.k_composition_score(0, 0.5, 1, 0)
    with pytest.raises(PromptError, match="non-empty list"):
        comp.full_circuit_composition([])
    with pytest.raises(PromptError, match=r"\(layer, head\) pair"):
        comp.all_composition_scores([(0, 0, 1)])


def test_glassbox_modules_offer_2_0s_classes_and_keep_the_native_names():
    import glassbox.composition
    import glassbox.sae_attribution
    from glassbox_jupyter.compat import v2_composition, v2_sae

    assert glassbox.composition.HeadCompositionAnalyzer is v2_composition.HeadCompositionAnalyzer
    assert glassbox.sae_attribution.SAEFeatureAttributor is v2_sae.SAEFeatureAttributor
    # the top-level names are the classes that take both APIs (2.0's README imports them from glassbox)
    assert (
        glassbox.HeadCompositionAnalyzer
        is glassbox_jupyter.HeadCompositionAnalyzer
        is v2_composition.HeadCompositionAnalyzer
    )
    assert glassbox.SAEFeatureAttributor is v2_sae.SAEFeatureAttributor
    assert glassbox.composition.KINDS == ("q", "k", "v")
    assert glassbox.sae_attribution.FeatureAttribution is glassbox_jupyter.circuits.sae.FeatureAttribution


def test_the_top_level_classes_also_take_the_native_calls(model, sae):
    """``glassbox.SAEFeatureAttributor(model, sae).attribute(prompts)`` and ``glassbox.HeadCompositionAnalyzer(model)
    .scores(kind)`` give the native classes' numbers, so native code is unaffected by the 2.0 names."""
    from glassbox_jupyter.circuits.prompts import PromptSet

    prompts = PromptSet.build(model, [tuple(p) for p in glassbox.demos.ioi_prompts(4, seed=0)])
    both = glassbox.SAEFeatureAttributor(model, sae)
    native = NativeAttributor(model, sae)
    got, want = both.attribute(prompts, top_k=5), native.attribute(prompts, top_k=5)
    np.testing.assert_array_equal(got.feature_ids, want.feature_ids)
    np.testing.assert_allclose(got.exact_effect, want.exact_effect)
    assert both.hook_name == native.hook_name
    comp = glassbox.HeadCompositionAnalyzer(model)
    np.testing.assert_allclose(comp.scores("q"), NativeComposition(model).scores("q"))
    assert list(comp.for_circuit([(0, 0), (1, 0)]).columns) == list(
        NativeComposition(model).for_circuit([(0, 0), (1, 0)]).columns
    )
