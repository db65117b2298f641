import itertools
import warnings

import numpy as np
import pytest
from scipy import stats

import glassbox
from glassbox_jupyter.circuits.edges import EdgeAttribution, edge_attribution_patching, exact_edge_patching
from glassbox_jupyter.circuits.patching import activation_patching, attribution_patching, clean_and_corrupted
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet

from .conftest import WORDS, make_tokenizer

NAMES = ["Mary", "John", "Tom", "Anna"]
PAIRS = [
    (
        f"When {io} and {s} went to the store, {s} gave a drink to",
        f" {io}",
        f" {s}",
        f"When {c} and {s} went to the store, {s} gave a drink to",
    )
    for io, s, c in itertools.permutations(NAMES, 3)
][:6]
FLAGS = ("use_split_qkv_input", "use_attn_result", "use_hook_mlp_in")


def _scores_and_exact(model, prompts, result):
    exact = exact_edge_patching(model, prompts, [(u, v) for u, v, _ in result.edges])
    return np.array([s for _, _, s in result.edges]), np.array([exact[(u, v)] for u, v, _ in result.edges])


@pytest.fixture(scope="module")
def toy_prompts(toy_model):
    return PromptSet.build(toy_model, PAIRS)


@pytest.fixture(scope="module")
def no_ln_model():
    """An MLP model without layer norms: the logits are linear in the final residual."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    cfg = HookedTransformerConfig(
        n_layers=2,
        d_model=32,
        n_heads=4,
        d_head=8,
        d_mlp=64,
        n_ctx=24,
        d_vocab=len(WORDS),
        act_fn="gelu",
        normalization_type=None,
        seed=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HookedTransformer(cfg, tokenizer=make_tokenizer(), move_to_device=False)
    return model.eval()


def test_a_single_working_head_is_the_only_head_with_edges(single_head_model):
    """Only L1H2 writes to the residual stream, so every other head's outgoing edges are exactly 0."""
    prompts = PromptSet.build(single_head_model, PAIRS)
    result = edge_attribution_patching(single_head_model, prompts)
    head_out = [(u, v, s) for u, v, s in result.edges if u.startswith("L")]
    assert {u for u, _, s in head_out if s != 0.0} == {"L1H2"}
    assert ("L1H2", "logits") in [(u, v) for u, v, _ in result.top(3)]
    silent = [(u, v) for u, v, _ in head_out if u != "L1H2"]
    assert silent and all(x == 0.0 for x in exact_edge_patching(single_head_model, prompts, silent).values())


def test_edges_into_the_logits_are_exact_when_the_logits_are_linear(no_ln_model):
    """Without a final layer norm, M is linear in the final residual: EAP = exact patching there."""
    prompts = PromptSet.build(no_ln_model, PAIRS)
    result = edge_attribution_patching(no_ln_model, prompts)
    into_logits = [(u, v) for u, v, _ in result.edges if v == "logits"]
    assert len(into_logits) == 1 + 2 * (4 + 1)  # embed, 8 heads, 2 MLPs
    exact = exact_edge_patching(no_ln_model, prompts, into_logits)
    scores = result.scores()
    scale = max(abs(x) for x in exact.values())
    assert scale > 1e-3
    for edge in into_logits:
        assert scores[edge] == pytest.approx(exact[edge], abs=1e-5 * scale)
    # and patching every sender into the logits turns the clean final residual into the corrupted one
    clean, corrupted = clean_and_corrupted(no_ln_model, prompts)
    assert sum(exact.values()) == pytest.approx(clean.mean() - corrupted.mean(), abs=1e-5)


def test_exact_edge_patching_of_a_last_layer_head_is_activation_patching(toy_model, toy_prompts):
    """A last-layer head of an attention-only model feeds only the logits, so its one edge is the head."""
    heads = activation_patching(toy_model, toy_prompts)["heads"]
    exact = exact_edge_patching(toy_model, toy_prompts, [(f"L1H{h}", "logits") for h in range(4)])
    for h in range(4):
        assert exact[(f"L1H{h}", "logits")] == pytest.approx(heads[1, h], abs=1e-5)


def test_eap_tracks_exact_edge_patching_on_every_edge(toy_model, toy_prompts):
    result = edge_attribution_patching(toy_model, toy_prompts)
    assert len(result) == 4 * 3 * 1 + 4 * 3 * 5 + 9  # layer-0 q/k/v ← embed, layer-1 q/k/v ← 5, logits ← 9
    eap, exact = _scores_and_exact(toy_model, toy_prompts, result)
    assert np.abs(exact).max() > 1e-2
    assert stats.pearsonr(eap, exact)[0] > 0.8
    assert stats.spearmanr(eap, exact)[0] > 0.8


def test_head_scores_sum_to_head_attribution_patching(mlp_model):
    """A head's outgoing edge scores add up to its head-level attribution (taylor / integrated gradients)."""
    prompts = PromptSet.build(mlp_model, PAIRS[:3])
    eap = edge_attribution_patching(mlp_model, prompts)
    ig = edge_attribution_patching(mlp_model, prompts, method="eap_ig", n_steps=4)
    taylor = attribution_patching(mlp_model, prompts)["heads"]
    integrated = attribution_patching(mlp_model, prompts, method="integrated_gradients", n_steps=4)["heads"]
    assert np.abs(taylor).max() > 1e-2
    np.testing.assert_allclose(eap.head_scores(), taylor, atol=1e-5)
    np.testing.assert_allclose(ig.head_scores(), integrated, atol=1e-5)


def test_mlp_edges_follow_the_layer_order(mlp_model):
    prompts = PromptSet.build(mlp_model, PAIRS[:2])
    pairs = {(u, v) for u, v, _ in edge_attribution_patching(mlp_model, prompts).edges}
    assert {("L0H1", "MLP0"), ("MLP0", "MLP1"), ("MLP0", "L1H3.k"), ("L1H2", "MLP1"), ("MLP1", "logits")} <= pairs
    assert not {("L1H0", "MLP0"), ("MLP0", "L0H1.q"), ("MLP1", "L1H0.v"), ("MLP1", "MLP1")} & pairs
    assert len(pairs) == 12 + (4 + 1) + 12 * 6 + (1 + 4 + 1 + 4) + 11


def test_integrated_gradients_is_closer_to_exact_than_eap(mlp_model):
    """With an MLP nonlinearity, EAP-IG's averaged gradients track exact edge patching better than EAP."""
    prompts = PromptSet.build(mlp_model, PAIRS)
    result = edge_attribution_patching(mlp_model, prompts)
    eap, exact = _scores_and_exact(mlp_model, prompts, result)
    ig_scores = edge_attribution_patching(mlp_model, prompts, method="eap_ig", n_steps=8).scores()
    ig = np.array([ig_scores[(u, v)] for u, v, _ in result.edges])
    assert np.abs(ig - eap).max() > 1e-3  # they differ on this model
    assert np.abs(ig - exact).mean() <= np.abs(eap - exact).mean()


def test_top_k_and_views(toy_model, toy_prompts):
    full = edge_attribution_patching(toy_model, toy_prompts)
    magnitudes = [abs(s) for _, _, s in full.edges]
    assert magnitudes == sorted(magnitudes, reverse=True)
    cut = edge_attribution_patching(toy_model, toy_prompts, top_k=5)
    assert isinstance(cut, EdgeAttribution) and cut.method == "eap" and cut.n_prompts == len(PAIRS)
    assert len(cut) == 5
    assert [(u, v) for u, v, _ in cut.edges] == [(u, v) for u, v, _ in full.top(5)]
    frame = cut.to_frame()
    assert list(frame.columns) == ["sender", "receiver", "score"] and len(frame) == 5
    graph = cut.graph()
    u, v, s = cut.edges[0]
    assert graph.number_of_edges() == 5 and graph.edges[u, v]["score"] == s
    assert cut.head_scores().shape == (2, 4)
    with pytest.raises(PromptError, match="k must be at least 1"):
        cut.top(0)


def test_hook_settings_are_restored(toy_model, toy_prompts, mlp_model):
    toy_model.set_use_attn_result(True)
    try:
        edge_attribution_patching(toy_model, toy_prompts, top_k=1)
        exact_edge_patching(toy_model, toy_prompts, [("L0H0", "L1H1.k")])
        assert (toy_model.cfg.use_split_qkv_input, toy_model.cfg.use_attn_result) == (False, True)
    finally:
        toy_model.set_use_attn_result(False)
    # also when the run fails: prompts tokenised for a bigger vocabulary break the embedding lookup
    foreign = PromptSet.build(glassbox.demos.load("ioi"), glassbox.demos.ioi_prompts(2, seed=0))
    for call in (
        lambda: edge_attribution_patching(mlp_model, foreign),
        lambda: exact_edge_patching(mlp_model, foreign, [("MLP0", "logits")]),
    ):
        with pytest.raises((IndexError, RuntimeError)):
            call()
        assert [getattr(mlp_model.cfg, f) for f in FLAGS] == [False, False, False]


def test_bad_input_names_the_fix(toy_model, toy_prompts):
    with pytest.raises(PromptError, match="method must be one of"):
        edge_attribution_patching(toy_model, toy_prompts, method="taylor")
    with pytest.raises(PromptError, match="top_k must be a positive"):
        edge_attribution_patching(toy_model, toy_prompts, top_k=0)
    with pytest.raises(PromptError, match="n_steps must be at least 1"):
        edge_attribution_patching(toy_model, toy_prompts, method="eap_ig", n_steps=0)
    bad = {
        ("L5H0", "logits"): "unknown sender 'L5H0'",
        ("L0H1.q", "logits"): "is a receiver: drop the",
        ("MLP0", "logits"): "unknown sender 'MLP0'.*no MLPs",  # attention-only model
        ("L0H1", "L1H2.z"): "unknown receiver 'L1H2.z'",
        ("L1H0", "L0H2.q"): "sender must be upstream",
        ("L0H0", "L0H1.v"): "sender must be upstream",
        ("L0H0",): "pair of names",
    }
    for edge, message in bad.items():
        with pytest.raises(PromptError, match=message):
            exact_edge_patching(toy_model, toy_prompts, [edge])
    assert isinstance(PromptError("x"), ValueError)


def test_demo_model_name_movers_write_the_top_edges():
    """On the shipped IOI model, the name-mover heads L1H* → logits are among the strongest edges (with the
    embedding → L0H0 subject-reader edges), and EAP-IG tracks exact edge patching over all edges, far better
    than EAP, which misses the saturated embed → L0H0.v edge."""
    model = glassbox.demos.load("ioi")
    prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(8, seed=0))
    movers = {(f"L1H{h}", "logits") for h in range(4)}
    eap = edge_attribution_patching(model, prompts)
    ig = edge_attribution_patching(model, prompts, method="eap_ig", n_steps=4)
    for result in (eap, ig):
        assert movers <= {(u, v) for u, v, _ in result.top(10)}
        assert len(movers & {(u, v) for u, v, _ in result.top(5)}) >= 2
        assert set([(u, v) for u, v, _ in result.edges if v == "logits"][:4]) == movers
    eap_scores, exact = _scores_and_exact(model, prompts, eap)
    ig_scores = np.array([ig.scores()[(u, v)] for u, v, _ in eap.edges])
    assert all(exact[i] > 0.5 for i, (u, v, _) in enumerate(eap.edges) if (u, v) in movers)
    assert stats.pearsonr(ig_scores, exact)[0] > 0.9
    assert stats.pearsonr(ig_scores, exact)[0] > stats.pearsonr(eap_scores, exact)[0]


def test_edge_attribution_says_how_it_was_measured(toy_model, toy_prompts, tmp_path):
    from glassbox_jupyter.teacher.transformer import TransformerAdapter
    from glassbox_jupyter.testing import check_measured

    result = edge_attribution_patching(toy_model, toy_prompts, "eap_ig", n_steps=3, top_k=5)
    check_measured(result, TransformerAdapter(toy_model).describe()["sha256"], len(PAIRS))
    assert result.provenance.method == {
        "name": "edge_attribution_patching",
        "method": "eap_ig",
        "top_k": 5,
        "n_steps": 3,
    }
    exported = result.to_dict()["result"]
    assert exported["edges"] == [list(e) for e in result.edges] and len(exported["edges"]) == 5
    assert edge_attribution_patching(toy_model, toy_prompts, "eap").provenance.method == {
        "name": "edge_attribution_patching",
        "method": "eap",
        "top_k": None,
    }
