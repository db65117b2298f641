"""Attention patterns and head-type detectors, checked on heads built by hand.

``built_model`` is a 2-layer attention-only transformer without layer norm whose residual stream is
split into one-hot subspaces: positions (24 dims), tokens (16 dims) and "previous token" (16 dims,
written by L0H0). Each head's W_Q/W_K are set so that it attends where its type says:

- L0H0 previous-token: query at i matches the key at i − 1 (positional); its OV copies the attended
  token into the previous-token subspace, which L1H0 reads.
- L0H1 BOS/sink: every query matches the key at position 0.
- L0H2 uniform: W_Q = W_K = 0.
- L0H3 local: query at i matches keys i−3..i equally.
- L0H4 duplicate-token: W_Q = W_K on the token one-hots, minus a self-position term so a token does
  not match itself.
- L1H0 induction: the query's token matches the key's previous token (written by L0H0), so position
  i attends to the position after the earlier copy of its token.
- L1H1..L1H4 negative controls: fixed offsets 5..8 back, none of the types.
"""

import warnings

import numpy as np
import pytest
import torch

from glassbox_jupyter.circuits import lens
from glassbox_jupyter.circuits.attention import (
    DETECTORS,
    HEAD_TYPES,
    THRESHOLDS,
    AttentionPatterns,
    attention_patterns,
    head_type_scores,
    head_types,
)
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet

from .conftest import CORRUPTED, PROMPT, WORDS, make_tokenizer

N_CTX, VOCAB = 24, len(WORDS)
POS, TOK, PREV = 0, N_CTX, N_CTX + VOCAB  # offsets of the one-hot subspaces
SHARP = 30.0  # attention logit of a match; a non-match scores 0, so a match takes ~all the weight
EXPECTED = {
    (0, 0): "previous-token",
    (0, 1): "BOS/sink",
    (0, 2): "uniform",
    (0, 3): "local",
    (0, 4): "duplicate-token",
    (1, 0): "induction",
    (1, 1): "focused",  # sharp attention 5..8 positions back: no detector's pattern, so the fallback
    (1, 2): "focused",
    (1, 3): "focused",
    (1, 4): "focused",
}


def build_model():
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    cfg = HookedTransformerConfig(
        n_layers=2,
        d_model=N_CTX + 2 * VOCAB,
        n_heads=5,
        d_head=N_CTX + VOCAB,
        n_ctx=N_CTX,
        d_vocab=VOCAB,
        act_fn="gelu",
        attn_only=True,
        normalization_type=None,
        use_attn_scale=False,
        seed=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HookedTransformer(cfg, tokenizer=make_tokenizer(), move_to_device=False)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.W_E[:, TOK : TOK + VOCAB] = torch.eye(VOCAB)
        model.W_pos[:, POS : POS + N_CTX] = torch.eye(N_CTX)
        l0, l1 = model.blocks[0].attn, model.blocks[1].attn
        for i in range(N_CTX):
            if i >= 1:  # L0H0: query i (slot i) matches key i - 1
                l0.W_Q[0, POS + i, i] = SHARP
                l0.W_K[0, POS + i - 1, i] = 1.0
            l0.W_Q[1, POS + i, 0] = SHARP  # L0H1: every query matches key 0
            l0.W_K[1, POS + 0, 0] = 1.0
            for back in range(4):  # L0H3: query i matches keys i-3..i
                if i - back >= 0:
                    l0.W_Q[3, POS + i, i - back] = SHARP
            l0.W_K[3, POS + i, i] = 1.0
            l0.W_Q[4, POS + i, VOCAB + i] = -SHARP  # L0H4: cancel the match with itself
            l0.W_K[4, POS + i, VOCAB + i] = 1.0
            for head, offset in zip(range(1, 5), range(5, 9), strict=True):  # L1H1..4: i - 5 .. i - 8
                if i >= offset:
                    l1.W_Q[head, POS + i, i] = SHARP
                    l1.W_K[head, POS + i - offset, i] = 1.0
        for t in range(VOCAB):
            l0.W_Q[4, TOK + t, t] = SHARP  # L0H4: same token
            l0.W_K[4, TOK + t, t] = 1.0
            l0.W_V[0, TOK + t, t] = 1.0  # L0H0 copies the attended token ...
            l0.W_O[0, t, PREV + t] = 1.0  # ... into the previous-token subspace
            l1.W_Q[0, TOK + t, t] = SHARP  # L1H0: my token ...
            l1.W_K[0, PREV + t, t] = 1.0  # ... equals the key's previous token
    return model.eval()


@pytest.fixture(scope="module")
def built_model():
    return build_model()


@pytest.fixture(scope="module")
def built_scores(built_model):
    return head_type_scores(built_model)


def test_each_built_head_gets_its_type_and_the_controls_none(built_model):
    types = head_types(built_model)
    assert {(layer, h): types[layer][h] for layer in range(2) for h in range(5)} == EXPECTED
    assert lens.head_types(built_model) == types  # the old import path still works


@pytest.mark.parametrize("kind", DETECTORS)
def test_each_detector_scores_its_built_head_near_one(built_scores, kind):
    (built,) = [h for h, t in EXPECTED.items() if t == kind]
    assert built_scores[kind][built] > 0.95


@pytest.mark.parametrize("kind", DETECTORS)
def test_each_detector_flags_only_its_built_head(built_scores, kind):
    """Above threshold: only the built head — except that a previous-token head is local by definition
    (i−1 lies in the i−3..i window), which head_types resolves by the score/threshold ratio (checked above)."""
    flagged = {(int(a), int(b)) for a, b in zip(*np.nonzero(built_scores[kind] >= THRESHOLDS[kind]), strict=True)}
    (built,) = [h for h, t in EXPECTED.items() if t == kind]
    expected = {built, (0, 0)} if kind == "local" else {built}
    assert flagged == expected
    others = np.delete(built_scores[kind].ravel(), [layer * 5 + h for layer, h in expected])
    # a clear margin, not a near miss; the closest is the local head on "uniform": its entropy over 4 keys,
    # log 4 / log(i + 1) averaged over queries, is 0.56 against 0.9
    assert others.max() < THRESHOLDS[kind] * 0.7


def test_focused_is_the_fallback_for_sharp_heads(built_scores):
    """The previous-token, BOS and fixed-offset heads put each query's attention on one key, so each scores near
    1 as focused, but only those no detector types (L1H1..4, offsets 5..8 back) are typed focused; the uniform
    and local heads spread their attention and score low."""
    assert HEAD_TYPES[-1] == "focused"
    sharp = [h for h, t in EXPECTED.items() if t in ("previous-token", "BOS/sink", "focused")]
    # above 0.8, not 1: an offset head's queries less than its offset from the start have no key to match
    assert all(built_scores["focused"][h] > 0.8 for h in sharp)
    assert built_scores["focused"][0, 2] < THRESHOLDS["focused"] * 0.7  # uniform: spread over every key
    assert built_scores["focused"][0, 3] < THRESHOLDS["focused"]  # local: spread over four keys


def test_induction_needs_the_previous_token_head(built_model):
    """L1H0 is induction only through L0H0's output: with L0H0's W_O zeroed it has nothing to match."""
    model = build_model()
    with torch.no_grad():
        model.blocks[0].attn.W_O[0] = 0.0
    assert head_type_scores(model)["induction"][1, 0] < 0.1
    assert head_types(model)[1][0] != "induction"


def test_random_sequences_have_no_repeats_within_a_half(built_model):
    from glassbox_jupyter.circuits.attention import _random_tokens

    tokens, half = _random_tokens(built_model, 11, 8, seed=3)
    assert tokens.shape == (8, 23) and (tokens[:, 0] == 0).all()
    for row in tokens:
        first = row[1 : 1 + half].tolist()
        assert len(set(first)) == half and 0 not in first and row[1 + half :].tolist() == first


# ------------------------------------------------------------------ attention_patterns
@pytest.fixture(scope="module")
def built_prompts(built_model):
    return PromptSet.build(
        built_model,
        [
            (PROMPT, " Mary", " John", CORRUPTED),
            ("When Mary and John went to the store, John gave a drink to", " Mary", " John", None),
            ("When Anna and Tom went to the store, Tom gave a drink to", " Anna", " Tom", None),
            ("When Mary and John went to the store, John gave to", " Mary", " John", None),  # shorter
        ],
    )


def test_patterns_of_built_heads(built_model, built_prompts):
    result = attention_patterns(built_model, built_prompts, top_k=2)
    assert isinstance(result, AttentionPatterns)
    assert result.heads == list(EXPECTED) and len(result) == 10
    n = len(result.tokens)
    assert result.tokens[0] == "<bos>" and result.tokens[-1] == " to" and n == 15
    prev, bos, uniform, local, dup = (result[(0, h)] for h in range(5))
    assert prev.top_tokens[0][:2] == (n - 2, " drink") and prev.top_tokens[0][2] > 0.99
    assert bos.top_tokens[0][:2] == (0, "<bos>") and bos.pattern[0] > 0.99
    np.testing.assert_allclose(uniform.pattern, np.full(n, 1 / n), atol=1e-6)
    np.testing.assert_allclose(uniform.normalized_entropy, 1.0, atol=1e-5)  # every prompt, any length
    np.testing.assert_allclose(uniform.entropy[:3], np.log(n), atol=1e-5)
    np.testing.assert_allclose(local.pattern[-4:], 0.25, atol=1e-6)
    np.testing.assert_allclose(local.entropy, np.log(4), atol=1e-5)
    np.testing.assert_allclose(local.normalized_entropy[:3], np.log(4) / np.log(n), atol=1e-5)
    # " to" also occurs at position 6 ("went to the store"): the duplicate-token head looks there
    assert dup.top_tokens[0][:2] == (6, " to") and len(dup.top_tokens) == 2
    induction = result[(1, 0)]
    assert induction.top_tokens[0][:2] == (7, " the")  # the token after the earlier " to"
    assert [r.head_type for r in result.records] == list(EXPECTED.values())
    assert prev.type_scores["previous-token"] > 0.95


def test_prompts_of_different_lengths_are_reported_per_prompt(built_model, built_prompts):
    result = attention_patterns(built_model, built_prompts, heads=[(0, 2), (0, 0)])
    uniform = result[(0, 2)]
    assert [len(p) for p in uniform.patterns] == [15, 15, 15, 13]
    assert sorted(uniform.bucket_means) == [13, 15]
    np.testing.assert_allclose(uniform.bucket_means[13], np.full(13, 1 / 13), atol=1e-6)
    np.testing.assert_allclose(uniform.mean_pattern, np.mean(uniform.patterns[:3], axis=0), atol=1e-7)
    np.testing.assert_allclose(uniform.entropy[3], np.log(13), atol=1e-5)
    assert result.heads == [(0, 2), (0, 0)]


def test_mean_pattern_is_the_mean_over_prompts_on_a_trained_model():
    import glassbox

    model = glassbox.demos.load("ioi")
    prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(12, seed=1, split="test"))
    result = attention_patterns(model, prompts, heads=[(1, 0)])
    record = result[(1, 0)]
    with torch.no_grad():
        for length, mean in record.bucket_means.items():
            (bucket,) = [b for b in prompts.buckets if b.clean.shape[1] == length]
            _, cache = model.run_with_cache(bucket.clean)
            expected = cache["blocks.1.attn.hook_pattern"][:, 0, -1, :].mean(0).numpy()
            np.testing.assert_allclose(mean, expected, atol=1e-6)
    for p in record.patterns:
        assert p.sum() == pytest.approx(1.0, abs=1e-5) and (p >= 0).all()
    assert record.head_type == "name mover"  # on IOI prompts a head's IOI role comes first (circuits.roles)


def test_frames_and_chart(built_model, built_prompts):
    result = attention_patterns(built_model, built_prompts, heads=[(0, 0), (0, 2)])
    summary = result.to_frame()
    assert list(summary["head_type"]) == ["previous-token", "uniform"]
    assert summary.loc[1, "normalized_entropy"] == pytest.approx(1.0, abs=1e-5)
    long = result.pattern_frame()
    assert len(long) == 2 * len(result.tokens)
    assert long.groupby(["layer", "head"])["weight"].sum().to_numpy() == pytest.approx([1.0, 1.0], abs=1e-5)
    spec = result.chart((0, 0)).to_dict()
    assert "L0H0 (previous-token)" in spec["title"]["text"] and spec["title"]["anchor"] == "start"
    values = next(iter(spec["datasets"].values()))
    assert len(values) == len(result.tokens) and values[-2]["weight"] > 0.99


def test_bad_input_is_explained(built_model, built_prompts):
    with pytest.raises(PromptError, match="L2H0 is out of range.*layer 0..1"):
        attention_patterns(built_model, built_prompts, heads=[(2, 0)])
    with pytest.raises(PromptError, match="L0H5 is out of range.*head 0..4"):
        attention_patterns(built_model, built_prompts, heads=[(0, 5)])
    with pytest.raises(PromptError, match="L-1H0 is out of range"):
        attention_patterns(built_model, built_prompts, heads=[(-1, 0)])
    with pytest.raises(PromptError, match=r"pass heads=\[\(0, 1\)\]"):
        attention_patterns(built_model, built_prompts, heads=(0, 1))
    with pytest.raises(PromptError, match="pair of integers"):
        attention_patterns(built_model, built_prompts, heads=["L0H1"])
    with pytest.raises(PromptError, match="heads is empty"):
        attention_patterns(built_model, built_prompts, heads=[])
    for k in (0, -1, 1.5):
        with pytest.raises(PromptError, match="top_k must be a positive integer"):
            attention_patterns(built_model, built_prompts, top_k=k)
    result = attention_patterns(built_model, built_prompts, heads=[(0, 1)], top_k=99)
    assert len(result[(0, 1)].top_tokens) == len(result.tokens)  # clipped to the prompt
    with pytest.raises(PromptError, match="L0H0 was not analysed"):
        result[(0, 0)]
    with pytest.raises(TypeError, match="HookedTransformer"):
        attention_patterns(torch.nn.Linear(2, 2), built_prompts)


# ------------------------------------------------------------------ full matrices, picked heads, provenance
def test_full_matrices_per_prompt_hold_the_last_position_rows(built_model, built_prompts):
    result = attention_patterns(built_model, built_prompts, heads=[(0, 0), (0, 3)])
    prev, local = result[(0, 0)], result[(0, 3)]
    assert [m.shape for m in prev.matrices] == [(15, 15)] * 3 + [(13, 13)]
    for record in (prev, local):
        for matrix, row in zip(record.matrices, record.patterns, strict=True):
            np.testing.assert_array_equal(matrix[-1], row)
            np.testing.assert_allclose(matrix.sum(-1), 1.0, atol=1e-5)
            assert np.allclose(np.triu(matrix, k=1), 0.0)  # causal: no query sees a later key
    # every query of the previous-token head looks one back; the local head spreads over i−3..i
    assert np.all(np.diagonal(prev.matrix, offset=-1) > 0.99)
    np.testing.assert_allclose(local.matrix[10, 7:11], 0.25, atol=1e-6)


def test_auto_picks_the_most_focused_heads(built_model, built_prompts):
    every = attention_patterns(built_model, built_prompts)
    picked = attention_patterns(built_model, built_prompts, heads="auto", n_auto=3)
    assert picked.selection == "lowest normalized entropy" and every.selection == "all"
    assert len(picked) == 3 and picked.heads == [(r.layer, r.head) for r in picked.records]
    entropy = {(r.layer, r.head): float(np.nanmean(r.normalized_entropy)) for r in every.records}
    left_out = [entropy[h] for h in entropy if h not in picked.heads]
    assert max(entropy[h] for h in picked.heads) <= min(left_out)
    assert (0, 2) not in picked.heads and (0, 3) not in picked.heads  # the uniform and the local head
    np.testing.assert_array_equal(picked[picked.heads[0]].matrix, every[picked.heads[0]].matrix)


def test_auto_ranks_by_the_effects_when_given(built_model, built_prompts):
    effects = np.zeros((2, 5))
    effects[1, 3], effects[0, 2], effects[0, 4] = 0.5, -2.0, 1.0
    picked = attention_patterns(built_model, built_prompts, heads="auto", n_auto=3, effects=effects)
    assert picked.heads == [(0, 2), (0, 4), (1, 3)] and picked.selection == "largest |effect|"
    with pytest.raises(PromptError, match="effects must be a"):
        attention_patterns(built_model, built_prompts, heads="auto", effects=np.zeros((5, 2)))
    with pytest.raises(PromptError, match="or 'auto'"):
        attention_patterns(built_model, built_prompts, heads="best")
    with pytest.raises(PromptError, match="n_auto must be a positive integer"):
        attention_patterns(built_model, built_prompts, heads="auto", n_auto=0)


def test_attention_patterns_say_how_they_were_measured(built_model, built_prompts):
    from glassbox_jupyter.teacher.transformer import TransformerAdapter
    from glassbox_jupyter.testing import check_measured

    result = attention_patterns(built_model, built_prompts, heads="auto", n_auto=2, seed=3)
    check_measured(result, TransformerAdapter(built_model).describe()["sha256"], n_prompts=len(built_prompts))
    exported = result.to_dict()
    assert exported["provenance"]["method"]["name"] == "attention_patterns"
    assert exported["provenance"]["method"]["n_auto"] == 2 and exported["provenance"]["seed"] == 3
    first = exported["result"]["heads"][0]
    assert (first["layer"], first["head"]) == result.heads[0]
    assert np.allclose(first["matrices"][0], result.records[0].matrix)
