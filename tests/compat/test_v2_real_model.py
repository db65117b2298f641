"""Glassbox 2.0's README quickstart on a real pretrained model (SmolLM2-135M-Instruct, the shipped GGUF),
unchanged but for the model-loading line, gives GlassBox's native numbers."""

from __future__ import annotations

import json

from glassbox_jupyter.circuits import CircuitAnalyzer
from glassbox_jupyter.compat.v2 import TARGET_SUFF
from glassbox_jupyter.compat.v2_results import faithfulness_category


def test_readme_quickstart_on_smollm2(smollm2):
    from glassbox import GlassboxV2

    model = smollm2  # was: HookedTransformer.from_pretrained("gpt2")
    gb = GlassboxV2(model)

    result = gb.analyze(
        prompt="When Mary and John went to the store, John gave a drink to",
        correct=" Mary",
        incorrect=" John",
    )

    print(result["circuit"])  # [(9, 9), (9, 6), ...]  <- (layer, head)
    print(result["faithfulness"])  # {'sufficiency': 1.0, 'comprehensiveness': 0.543, 'f1': 0.704, ...}

    native = CircuitAnalyzer(model, method="taylor", target=TARGET_SUFF).analyze(
        "When Mary and John went to the store, John gave a drink to", " Mary", " John"
    )
    faith = result["faithfulness"]
    for key in ("sufficiency", "comprehensiveness", "f1"):
        assert faith[key] == native.faithfulness[key]["value"]
    assert faith["sufficiency"] >= TARGET_SUFF  # the exact search reached Glassbox 2.0's target
    assert faith["suff_is_approx"] is False
    assert faith["category"] == faithfulness_category(faith["sufficiency"], faith["comprehensiveness"])
    assert set(result["circuit"]) == set(native.circuit) and result["n_heads"] == len(native.circuit)
    assert result["clean_ld"] == native.logit_diff["clean"] > 0  # SmolLM2 prefers " Mary"
    layer, head = result["circuit"][0]
    assert 0 <= layer < 30 and 0 <= head < 9
    assert len(result["mlp_attributions"]) == 30  # a model with MLPs reports every layer's
    json.dumps(result)
