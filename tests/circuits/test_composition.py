"""Composition scores: a hand-built K-composition, TransformerLens's conventions, the random baseline, bad input,
and what the shipped ioi demo's weights say about L0H0 → layer-1 queries."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassbox_jupyter.circuits.composition import HeadCompositionAnalyzer
from glassbox_jupyter.circuits.prompts import PromptError

from .conftest import make_model


def _subspaces(d: int, sizes: list[int], seed: int = 0) -> list[torch.Tensor]:
    """Orthonormal bases of mutually orthogonal subspaces, all orthogonal to the all-ones vector
    (so the layer norm's centring, folded in, keeps them orthogonal)."""
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(d, d, generator=g)
    m = m - m.mean(dim=0, keepdim=True)  # columns ⟂ ones
    q, _ = torch.linalg.qr(m)
    q = q[:, : d - 1]
    out, start = [], 0
    for n in sizes:
        out.append(q[:, start : start + n])
        start += n
    return out


@pytest.fixture(scope="module")
def k_composed():
    """2 layers × 4 heads (d_model 32, d_head 8): L0H1 writes only into subspace S1 and L1H0's W_K reads only
    S1; the other layer-0 heads write into S2, which nobody reads; the other layer-1 heads read S3/S4, which
    nobody writes. L1H0's W_Q and W_V are random (so its Q/V composition with L0H1 is chance level)."""
    model = make_model(seed=3)
    g = torch.Generator().manual_seed(1)
    s1, s2, s3, s4 = _subspaces(32, [8, 8, 8, 7])

    def orth(n: int) -> torch.Tensor:
        return torch.linalg.qr(torch.randn(n, n, generator=g))[0]

    with torch.no_grad():
        for h in range(4):
            a0 = model.blocks[0].attn
            a0.W_O[h] = orth(8) @ (s1 if h == 1 else s2).T  # [d_head d_model]
            a1 = model.blocks[1].attn
            if h == 0:
                a1.W_K[h] = s1 @ orth(8)
                a1.W_Q[h] = torch.randn(32, 8, generator=g)
                a1.W_V[h] = torch.randn(32, 8, generator=g)
            else:
                for w in (a1.W_Q, a1.W_K, a1.W_V):
                    w[h] = torch.cat([s3, s4], dim=1) @ torch.randn(15, 8, generator=g)
    return model


def test_k_composition_of_the_wired_pair_is_the_largest_and_above_chance(k_composed):
    comp = HeadCompositionAnalyzer(k_composed)
    k = comp.scores("k")
    defined = k[~np.isnan(k)]
    assert k[0, 1, 1, 0] == defined.max()
    others = np.delete(k[0, :, 1, :].ravel(), 1 * 4 + 0)
    assert np.all(others < 1e-6)  # orthogonal subspaces: nothing composes
    mean, std = comp.baseline("k", 0, 1)
    assert (k[0, 1, 1, 0] - mean) / std > 6


def test_q_and_v_composition_of_the_wired_pair_are_chance_level(k_composed):
    table = HeadCompositionAnalyzer(k_composed).for_circuit([(0, 1), (1, 0)])
    assert list(table["kind"]) == ["q", "k", "v"] and set(table["sender"]) == {"L0H1"}
    z = dict(zip(table["kind"], table["z"]))
    assert z["k"] > 6
    assert abs(z["q"]) < 3 and abs(z["v"]) < 3


def test_scores_follow_transformer_lens_conventions_without_folding(toy_model):
    comp = HeadCompositionAnalyzer(toy_model, fold_ln=False)
    for kind in "qkv":
        ours = np.nan_to_num(comp.scores(kind), nan=0.0)
        theirs = toy_model.all_composition_scores(kind.upper()).detach().numpy()
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_q_and_k_use_the_right_factor_order(toy_model):
    """Q: sender OV feeds the query side, W_OV^A · W_Q W_Kᵀ; K: the key side, W_OV^A · W_K W_Qᵀ (checked against
    dense matrices built by hand from the folded weights)."""
    comp = HeadCompositionAnalyzer(toy_model)
    w = comp._folded()
    ov = w["W_V"][0, 2] @ w["W_O"][0, 2]
    qk = w["W_Q"][1, 3] @ w["W_K"][1, 3].T
    for kind, right in (("q", qk), ("k", qk.T), ("v", w["W_V"][1, 3] @ w["W_O"][1, 3])):
        dense = comp.matrices((0, 2), (1, 3), kind, dense=True)
        torch.testing.assert_close(dense, ov @ right)
        expected = float((ov @ right).norm() / (ov.norm() * right.norm()))
        assert comp.scores(kind)[0, 2, 1, 3] == pytest.approx(expected, rel=1e-9)
    assert comp.scores("q")[0, 2, 1, 3] != pytest.approx(comp.scores("k")[0, 2, 1, 3], rel=1e-3)
    assert comp.matrices((0, 2), (1, 3), "q").norm() == pytest.approx(float((ov @ qk).norm()), rel=1e-9)


def test_layer_zero_receivers_have_no_senders(toy_model):
    comp = HeadCompositionAnalyzer(toy_model)
    s = comp.scores("v")
    assert np.all(np.isnan(s[:, :, 0, :]))  # nothing composes into layer 0
    assert np.all(np.isnan(s[1, :, 1, :]))  # nor within a layer
    assert np.all(np.isfinite(s[0, :, 1, :]))
    assert len(comp.for_circuit([(0, 0), (0, 3)])) == 0  # one layer: no pairs


def test_baseline_is_seeded_and_scale_free(toy_model):
    a, b = HeadCompositionAnalyzer(toy_model, seed=4), HeadCompositionAnalyzer(toy_model, seed=4)
    assert a.baseline("q", 0, 1) == b.baseline("q", 0, 1)
    mean, std = a.baseline("q", 0, 1)
    assert 0.1 < mean < 0.3 and 0 < std < 0.05  # about 1/sqrt(d_model) = 0.18 for d_model 32


def test_bad_input_is_explained(toy_model):
    comp = HeadCompositionAnalyzer(toy_model)
    with pytest.raises(PromptError, match="kind must be one of"):
        comp.scores("o")
    with pytest.raises(PromptError, match="kind must be one of"):
        comp.matrices((0, 0), (1, 0), "qk")
    with pytest.raises(PromptError, match="earlier layer"):
        comp.matrices((1, 0), (1, 1), "q")
    with pytest.raises(PromptError, match="not in the model"):
        comp.matrices((0, 0), (2, 0), "q")
    with pytest.raises(PromptError, match=r"\(layer, head\) pair"):
        comp.for_circuit([(0, 0), "L1H0"])
    with pytest.raises(PromptError, match="empty"):
        comp.for_circuit([])
    with pytest.raises(TypeError, match="HookedTransformer"):
        HeadCompositionAnalyzer(torch.nn.Linear(2, 2))


def test_demo_subject_reader_composes_into_layer_one_queries():
    """The ioi demo's card: L0H0 reads the repeated subject and acts through the name movers' queries. Its
    weights agree: L0H0 → every L1 head's Q-composition is far above random heads (measured z 7.0–8.2) and above
    that of L0H1 and L0H3, which are at chance for Q (|z| ≤ 1.4). Honest caveat: L0H0's K-composition into layer
    1 is as high (z 6.5–8.7), so the weights alone do not say it acts through queries rather than keys; the
    card's activation patching does. L0H1 and L0H3 instead V-compose with every name mover (z 3.7–5.3): the
    card's previous-name heads, which put the names into what the name movers copy."""
    import glassbox

    comp = HeadCompositionAnalyzer(glassbox.demos.load("ioi"))
    table = comp.for_circuit([(0, 0), (0, 1), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3)])
    q = table[table["kind"] == "q"]
    l0h0 = q[q["sender"] == "L0H0"]
    assert len(l0h0) == 4 and (l0h0["z"] > 5).all()
    quiet = q[q["sender"].isin(["L0H1", "L0H3"])]
    assert len(quiet) == 8 and (quiet["z"].abs() < 2).all()
    assert l0h0["score"].min() > quiet["score"].max()
    v = table[(table["kind"] == "v") & table["sender"].isin(["L0H1", "L0H3"])]
    assert len(v) == 8 and (v["z"] > 3).all()


def test_a_circuits_table_scores_only_its_pairs_and_matches_the_full_scores(toy_model):
    """for_circuit on a fresh analyzer scores the circuit's pairs alone (no all-pairs tensor)."""
    fresh = HeadCompositionAnalyzer(toy_model)
    table = fresh.for_circuit([(0, 1), (0, 2), (1, 0), (1, 3)])
    assert fresh._scores == {}  # the all-pairs scores were never computed
    full = {kind: HeadCompositionAnalyzer(toy_model).scores(kind) for kind in "qkv"}
    for row in table.itertuples():
        expected = full[row.kind][row.sender_layer, row.sender_head, row.receiver_layer, row.receiver_head]
        assert row.score == pytest.approx(expected, rel=1e-9)
