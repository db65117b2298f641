"""Glassbox 2.0's ``functional_circuit_alignment(heads_a, heads_b, top_k, n_null)`` on the native alignment,
between the shipped IOI demo (2 layers × 4 heads) and a 4-layer toy."""

from __future__ import annotations

import numpy as np
import pytest

import glassbox
from glassbox_jupyter.circuits.alignment import align_circuits
from glassbox_jupyter.compat.v2 import GlassboxV2
from tests.circuits.conftest import CORRUPTED, MANY, PROMPT, make_model

REFERENCE_KEYS = {"fcas", "null_mean", "null_std", "z_score", "pairs"}


@pytest.fixture(scope="module")
def two_sizes():
    """``(gb_a, heads_a, gb_b, heads_b)``: Glassbox 2.0's top heads of the IOI demo and of a 4 × 4 toy."""
    out = []
    for model in (glassbox.demos.load("ioi"), make_model(n_layers=4, seed=0)):
        gb = GlassboxV2(model)
        t_tok, d_tok = model.to_single_token(" Mary"), model.to_single_token(" John")
        attributions, _ = gb.attribution_patching(model.to_tokens(PROMPT), model.to_tokens(CORRUPTED), t_tok, d_tok)
        out += [gb, gb.get_top_heads(attributions, top_k=5)]
    return tuple(out)


def test_alignment_between_two_sizes_has_the_reference_shape_and_the_native_numbers(two_sizes):
    gb_a, heads_a, gb_b, heads_b = two_sizes
    result = gb_a.functional_circuit_alignment(heads_a, heads_b, top_k=3, n_null=400)
    assert REFERENCE_KEYS <= set(result) and result["matched_by"] == "relative depth"
    assert len(result["pairs"]) == 3 and {"rank", "model_a", "model_b", "depth_diff", "aligned"} <= set(
        result["pairs"][0]
    )
    diffs = [pair["depth_diff"] for pair in result["pairs"]]
    assert result["fcas"] == pytest.approx(1 - np.mean(diffs))
    assert all(pair["aligned"] == (pair["depth_diff"] < 0.15) for pair in result["pairs"])
    native = align_circuits(
        [(h["layer"], h["head"]) for h in heads_a[:3]],
        [(h["layer"], h["head"]) for h in heads_b[:3]],
        (2, 4),
        (4, 4),
        n_null=400,
        seed=42,
    )
    assert result["fcas"] == native.score and result["p_value"] == native.p_value and 0 < result["p_value"] <= 1
    assert result["null_mean"] == pytest.approx(native.null_mean)
    assert result["null_std"] == pytest.approx(float(native.null.std()))
    # B's layer count read off its heads' rel_depth equals passing the model itself
    assert gb_a.functional_circuit_alignment(heads_a, heads_b, 3, 400, model_b=gb_b.model)["fcas"] == result["fcas"]


def test_a_circuit_aligned_with_itself_scores_one_and_beats_a_misaligned_one(two_sizes):
    gb_a, heads_a, _, _ = two_sizes
    itself = gb_a.functional_circuit_alignment(heads_a, heads_a, top_k=4, n_null=400)
    assert itself["fcas"] == pytest.approx(1.0) and all(p["depth_diff"] == 0 for p in itself["pairs"])
    assert itself["z_score"] > 0 and itself["fcas"] > itself["null_mean"]
    shallow = [{**h, "layer": 0, "rel_depth": 0.0} for h in heads_a[:1]]
    deep = [{**h, "layer": 1, "rel_depth": 1.0} for h in heads_a[:1]]
    opposite = gb_a.functional_circuit_alignment(shallow, deep, top_k=1, n_null=400)
    assert opposite["fcas"] == 0.0 and opposite["p_value"] == 1.0


def test_function_matching_with_the_second_model(two_sizes):
    gb_a, heads_a, gb_b, heads_b = two_sizes
    result = gb_a.functional_circuit_alignment(heads_a, heads_b, 3, 200, model_b=gb_b.model, prompts=MANY)
    assert result["matched_by"] == "relative depth and function" and 0 < result["p_value"] <= 1
    assert all(0 <= p["similarity"] <= 1 for p in result["pairs"])


def test_bad_heads_are_explained(two_sizes):
    gb_a, heads_a, _, heads_b = two_sizes
    with pytest.raises(ValueError, match="at least one head"):
        gb_a.functional_circuit_alignment([], heads_b)
    with pytest.raises(ValueError, match="get_top_heads"):
        gb_a.functional_circuit_alignment([{"depth": 0.5}], heads_b)
    wrong = [{**heads_a[0], "rel_depth": 0.5}]  # the demo has two layers: depth 0 or 1
    with pytest.raises(ValueError, match="rel_depth 0.5"):
        gb_a.functional_circuit_alignment(wrong, heads_b)
