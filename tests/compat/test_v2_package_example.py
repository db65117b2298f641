"""The quick start in Glassbox 2.0's package docstring, run as written apart from the model line and the two
SAE lines (GlassBox is offline, so the SAE is passed in; the demo has 2 layers, not GPT-2's 12)."""

from __future__ import annotations

import glassbox


def test_package_quick_start_runs(capsys):
    from glassbox import GlassboxV2

    model = glassbox.demos.load("ioi")  # was: HookedTransformer.from_pretrained("gpt2")
    gb = GlassboxV2(model)

    result = gb.analyze(
        prompt="When Mary and John went to the store, John gave a drink to",
        correct=" Mary",
        incorrect=" John",
    )
    print(result["faithfulness"])

    # Token-level saliency map
    tokens = model.to_tokens("When Mary and John went to the store, John gave a drink to")
    tok_attr = gb.token_attribution(tokens, model.to_single_token(" Mary"), model.to_single_token(" John"))
    print(tok_attr["top_tokens"])

    # SAE feature attribution
    from glassbox import SAEFeatureAttributor

    sfa = SAEFeatureAttributor(model, sae=glassbox.demos.load_sae("ioi"))  # was: SAEFeatureAttributor(model)
    feats = sfa.attribute(tokens, " Mary", " John", layers=[0])  # was: layers=[9, 10, 11]
    print(feats["top_features"][:5])

    # Head composition scores (Elhage et al. 2021)
    from glassbox import HeadCompositionAnalyzer

    comp = HeadCompositionAnalyzer(model)
    scores = comp.all_composition_scores(result["circuit"])
    print(scores["combined_edges"][:5])

    out = capsys.readouterr().out
    assert "'suff_is_approx': False" in out and "'category':" in out
    assert len(tok_attr["top_tokens"]) > 0 and len(feats["top_features"]) > 0
    edges = scores["combined_edges"]  # labels as in Glassbox 2.0: "L00H00"
    assert edges and all(int(e["sender"][1:3]) < int(e["receiver"][1:3]) for e in edges)
