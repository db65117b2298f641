"""Attribution stability under re-drawn corruptions, bootstrap CIs, and two-model circuit alignment."""

import copy
import itertools

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from glassbox_jupyter.circuits.alignment import align_circuits, functional_circuit_alignment, relative_depth
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet
from glassbox_jupyter.circuits.stability import (
    attribution_stability,
    bootstrap_metrics,
    pairwise_kendall,
    redraw_corruptions,
)

from .conftest import CORRUPTED, MANY, PROMPT, make_model


def permute_heads(model, perms):
    """A copy whose heads are reordered within each layer (new head h = old head perms[layer][h]), with
    W_Q/W_K/W_V/W_O and b_Q/b_K/b_V moved together: the same function, heads relabelled."""
    out = copy.deepcopy(model)
    with torch.no_grad():
        for layer, order in enumerate(perms):
            attn = out.blocks[layer].attn
            for name in ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V"):
                param = getattr(attn, name)
                param[:] = param[list(order)].clone()
    return out


@pytest.fixture(scope="module")
def four_layers():
    return make_model(n_layers=4, seed=0)


# ------------------------------------------------------------------ Kendall τ-b
def test_kendall_tau_b_on_a_known_case_with_ties():
    """x = [1,1,2,3], y = [1,2,2,3]: 4 concordant, 0 discordant pairs, one tie in each → τ-b = 4/√(5·5) = 0.8
    (τ-a would be 4/6)."""
    x, y = [1, 1, 2, 3], [1, 2, 2, 3]
    tau = pairwise_kendall(np.array([x, y]))
    assert tau[0, 1] == tau[1, 0] == pytest.approx(0.8)
    assert tau[0, 1] == pytest.approx(kendalltau(x, y, variant="b").statistic)
    assert np.allclose(np.diag(tau), 1.0)
    assert np.isnan(pairwise_kendall(np.array([x, [2, 2, 2, 2]]))[0, 1])  # a constant run: undefined


# ------------------------------------------------------------------ re-drawn corruptions
def test_redrawn_corruptions_keep_length_structure_and_avoid_the_answers(toy_model):
    """Default swap corruption "When John and Mary ..., Mary gave": both names are re-drawn, the repeated
    one consistently, never to an answer or to the clean token, and nothing else changes."""
    prompts = PromptSet.build(toy_model, [(PROMPT, " Mary", " John", None)])
    ids = {w: toy_model.to_single_token(w) for w in (" Mary", " John", " Tom", " Anna")}
    rng = np.random.default_rng(0)
    for _ in range(5):
        redrawn = redraw_corruptions(toy_model, prompts, rng, pool=[" Tom", " Anna", " Mary"])
        clean, old, new = prompts.buckets[0].clean[0], prompts.buckets[0].corrupted[0], redrawn.buckets[0].corrupted[0]
        assert new.shape == old.shape and torch.equal(redrawn.buckets[0].clean, prompts.buckets[0].clean)
        varied = (clean != old).nonzero().ravel().tolist()
        assert varied == [2, 4, 10]  # " Mary", " John" and the repeated " John" (after BOS)
        assert torch.equal(new[clean == old], clean[clean == old])
        assert {int(new[2]), int(new[4])} == {ids[" Tom"], ids[" Anna"]} and new[4] == new[10]
        assert redrawn.texts[0][3].count(toy_model.to_string([int(new[4])])) == 2


def test_redraw_errors_name_the_fix(toy_model):
    with pytest.raises(PromptError, match="pool=") as info:  # only the answers are available
        attribution_stability(toy_model, [(PROMPT, " Mary", " John", CORRUPTED)], 2, pool=[" Mary", " John"])
    assert "no token is left" in str(info.value)
    with pytest.raises(PromptError, match="2 tokens"):
        attribution_stability(toy_model, [(PROMPT, " Mary", " John", CORRUPTED)], 2, pool=[" Tom Anna"])
    with pytest.raises(PromptError, match="equals the clean one"):
        attribution_stability(toy_model, [(PROMPT, " Mary", " John", PROMPT)], 2)
    with pytest.raises(ValueError, match="n_corruptions"):
        attribution_stability(toy_model, MANY, 0)
    with pytest.raises(ValueError, match="method"):
        attribution_stability(toy_model, MANY, 2, method="shapley")


# ------------------------------------------------------------------ stability
def test_the_single_working_head_is_stable(single_head_model):
    """Only L1H2 can move the logits, so whatever the corruption it is the one head with an effect:
    the same sign every run, the top |effect| every run, and the rankings agree (τ-b = 1)."""
    result = attribution_stability(single_head_model, MANY, n_corruptions=5, method="taylor", rank_by="abs")
    assert result.scores.shape == (5, 2, 4)
    assert result.sign_consistency[1, 2] == 1.0
    assert (result.ranks[:, 1, 2] == 1).all() and result.rank_max[1, 2] == 1
    assert np.all(np.abs(result.mean[1, 2]) > 1e-3)
    assert np.allclose(np.delete(result.scores.reshape(5, -1), 6, axis=1), 0, atol=1e-6)
    assert result.kendall_mean == pytest.approx(1.0) and result.kendall_min == pytest.approx(1.0)
    frame = result.to_frame()
    assert frame.index[0] == "L1H2" and frame.loc["L1H2", "top3_frequency"] == 1.0
    assert len(result.corrupted_prompts) == 5 and len(set(map(tuple, result.corrupted_prompts))) > 1


def test_stability_statistics_on_a_random_model(toy_model):
    result = attribution_stability(toy_model, MANY, n_corruptions=4, method="taylor", seed=3)
    scores = result.scores
    np.testing.assert_allclose(result.mean, scores.mean(axis=0))
    np.testing.assert_allclose(result.std, scores.std(axis=0, ddof=1))
    for i, j in itertools.combinations(range(4), 2):  # the τ-b matrix is scipy's, run by run
        expected = kendalltau(scores[i].ravel(), scores[j].ravel(), variant="b").statistic
        assert result.kendall[i, j] == pytest.approx(expected)
    assert result.kendall_min <= result.kendall_mean <= 1.0
    assert ((result.ranks >= 1) & (result.ranks <= 8)).all()
    assert set(result.to_frame().columns) >= {"mean", "std", "sign_consistency", "rank_mean", "rank_std"}


def test_exact_stability_matches_attribution_within_a_tolerance(single_head_model):
    exact = attribution_stability(single_head_model, MANY[:4], n_corruptions=2, method="exact", seed=1)
    taylor = attribution_stability(single_head_model, MANY[:4], n_corruptions=2, method="taylor", seed=1)
    assert exact.corrupted_prompts == taylor.corrupted_prompts  # same seed, same corruptions
    np.testing.assert_allclose(exact.scores[:, 1, 2], taylor.scores[:, 1, 2], rtol=0.2, atol=5e-3)


# ------------------------------------------------------------------ bootstrap
def test_bootstrap_ci_contains_the_mean_and_narrows_with_n():
    rng = np.random.default_rng(0)
    small, large = rng.normal(1.0, 1.0, 25), rng.normal(1.0, 1.0, 400)
    out = bootstrap_metrics({"small": small, "large": large}, n_boot=500, seed=0)
    for name, x in (("small", small), ("large", large)):
        lo, hi = out[name]["ci"]
        assert lo < x.mean() < hi and out[name]["value"] == pytest.approx(x.mean())
        assert out[name]["n"] == len(x) and out[name]["method"] == "percentile"
    width = {k: v["ci"][1] - v["ci"][0] for k, v in out.items()}
    assert width["large"] < 0.5 * width["small"]  # ~1/√n: 4× the data, half the width


def test_bootstrap_options_and_edge_cases():
    x = np.arange(10.0)
    bca = bootstrap_metrics(x, n_boot=300, method="BCa", statistic=np.median)["value"]
    assert bca["value"] == 4.5 and bca["ci"][0] <= 4.5 <= bca["ci"][1] and bca["method"] == "BCa"
    single = bootstrap_metrics({"f1": [0.7]})["f1"]
    assert single["ci"] is None and "at least 2" in single["reason"] and single["n"] == 1
    assert bootstrap_metrics([2.0, 2.0, 2.0])["value"]["ci"] == [2.0, 2.0]
    with pytest.raises(PromptError, match="NaN"):
        bootstrap_metrics([1.0, float("nan")])


@pytest.mark.parametrize("empty", [{}, [], {"f1": []}, np.array([])])
def test_bootstrap_of_an_empty_prompt_set_is_a_clear_error(empty):
    with pytest.raises(PromptError, match="the prompt set is empty"):
        bootstrap_metrics(empty)


# ------------------------------------------------------------------ two models
def test_a_model_aligns_with_itself(four_layers):
    result = functional_circuit_alignment(four_layers, four_layers, MANY, method="exact")
    assert result.alignment == pytest.approx(1.0) and result.jaccard == 1.0
    assert result.z > 3 and result.p_value < 0.01  # 16 heads: z ≈ √15 at most
    assert abs(result.null_mean) < 0.1
    frame = result.to_frame()
    assert np.allclose(frame["effect_a"], frame["effect_b"])


def test_permuted_heads_misalign_until_matched(four_layers):
    perms = [[1, 2, 3, 0], [3, 0, 1, 2], [2, 3, 0, 1], [1, 0, 3, 2]]
    copy_ = permute_heads(four_layers, perms)
    tokens = four_layers.to_tokens(PROMPT)
    with torch.no_grad():  # the same function
        torch.testing.assert_close(copy_(tokens), four_layers(tokens), atol=1e-5, rtol=0)
    matched = functional_circuit_alignment(four_layers, copy_, MANY, method="taylor", match_heads=True)
    assert matched.alignment_unmatched < 0.5  # the raw maps, head h against head h
    inverse = [list(np.argsort(p)) for p in perms]  # A's head h is the copy's head inverse[h]
    assert matched.matching == inverse
    assert matched.alignment == pytest.approx(1.0, abs=1e-6)
    assert matched.z > 3 and matched.jaccard == 1.0


def test_independent_random_models_do_not_align(four_layers):
    other = make_model(n_layers=4, seed=1)
    for null in ("global", "within_layer"):
        result = functional_circuit_alignment(four_layers, other, MANY, method="taylor", null=null, n_null=500)
        assert abs(result.z) < 3 and result.p_value > 0.01 and result.null_kind == null


def test_alignment_needs_the_same_head_shape(toy_model, four_layers):
    with pytest.raises(ValueError, match="same shape"):
        functional_circuit_alignment(toy_model, four_layers, MANY, method="taylor")
    with pytest.raises(PromptError, match="empty"):
        functional_circuit_alignment(toy_model, toy_model, [])
    with pytest.raises(PromptError, match="tokenize the prompts differently"):
        functional_circuit_alignment(toy_model, toy_model, MANY[:2], MANY[2:4], match_heads=True)


# ------------------------------------------------------------------ provenance and JSON
def _sha256(model):
    from glassbox_jupyter.teacher.transformer import TransformerAdapter

    return TransformerAdapter(model).describe()["sha256"]


def test_stability_and_alignment_say_how_they_were_measured(toy_model, four_layers):
    from glassbox_jupyter.testing import check_measured

    stability = attribution_stability(toy_model, MANY[:4], n_corruptions=3, method="taylor", seed=5, top_k=2)
    check_measured(stability, model_hash=_sha256(toy_model), n_prompts=4)
    method = stability.provenance.method
    assert method == {
        "name": "attribution_stability",
        "n_corruptions": 3,
        "method": "taylor",
        "rank_by": "value",
        "top_k": 2,
        "n_steps": 8,
        "pool": None,
    }
    assert stability.provenance.seed == 5
    assert np.allclose(stability.to_dict()["result"]["scores"], stability.scores)
    other = make_model(n_layers=4, seed=1)
    alignment = functional_circuit_alignment(four_layers, other, MANY, method="taylor", n_null=50)
    check_measured(alignment, model_hash=_sha256(four_layers), n_prompts=len(MANY))
    method = alignment.provenance.method
    assert method["model_b_sha256"] == _sha256(other) != _sha256(four_layers)
    assert method["n_null"] == 50 and len(method["prompts_b"]) == len(MANY)
    assert alignment.to_dict()["result"]["alignment"] == pytest.approx(alignment.alignment)


# ------------------------------------------------------------------ models of different sizes
def make_narrow_model(n_layers: int = 3, n_heads: int = 2, seed: int = 3):
    """A random attention-only toy of another shape (n_layers × n_heads) on the conftest tokenizer."""
    import warnings

    from transformer_lens import HookedTransformer, HookedTransformerConfig

    from .conftest import WORDS, make_tokenizer

    cfg = HookedTransformerConfig(
        n_layers=n_layers,
        d_model=32,
        n_heads=n_heads,
        d_head=8,
        n_ctx=24,
        d_vocab=len(WORDS),
        act_fn="gelu",
        attn_only=True,
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HookedTransformer(cfg, tokenizer=make_tokenizer(), move_to_device=False)
    return model.eval()


@pytest.fixture(scope="module")
def ioi_demo():
    import glassbox

    return glassbox.demos.load("ioi")


FUNCTIONS_A = [["previous-token", "induction", None, "focused"], ["name mover", "S-inhibition", None, None]]
FUNCTIONS_B = [["previous-token", "uniform"], ["induction", None], [None, "local"], ["S-inhibition", "name mover"]]


def test_circuits_at_the_same_depths_with_the_same_functions_align():
    """A 2×4 and a 4×2 model: A's L0 previous-token and L1 name mover against B's L0 previous-token and
    L3 name mover (relative depths 0 and 1 on both sides) is a perfect alignment, far above random circuits."""
    result = align_circuits([(0, 0), (1, 0)], [(0, 0), (3, 1)], (2, 4), (4, 2), FUNCTIONS_A, FUNCTIONS_B, n_null=500)
    assert result.score == pytest.approx(1.0) and result.matched_by == "relative depth and function"
    assert result.score > np.quantile(result.null, 0.95) and 0 < result.p_value < 0.05
    assert [(p["head_a"], p["head_b"]) for p in result.pairs] == [("L0H0", "L0H0"), ("L1H0", "L3H1")]
    # the same depths with the functions swapped (B's L3H0 is S-inhibition) score lower: only depth agrees
    swapped = align_circuits([(0, 0), (1, 0)], [(0, 1), (3, 0)], (2, 4), (4, 2), FUNCTIONS_A, FUNCTIONS_B, n_null=500)
    assert swapped.score == pytest.approx(0.5) and swapped.p_value > result.p_value
    # matched by function across depth: A's L1H1 S-inhibition finds B's L3H0 though L1H0 lies closer in depth
    matched = align_circuits([(1, 1)], [(1, 0), (3, 0)], (2, 4), (4, 2), FUNCTIONS_A, FUNCTIONS_B, n_null=50)
    assert matched.pairs[0]["head_b"] == "L3H0" and matched.pairs[0]["similarity"] == pytest.approx(1.0)


def test_depth_only_alignment_and_its_null():
    near = align_circuits([(0, 1), (1, 3)], [(0, 0), (3, 1)], (2, 4), (4, 2), n_null=400, seed=1)
    far = align_circuits([(0, 1), (1, 3)], [(1, 0), (2, 1)], (2, 4), (4, 2), n_null=400, seed=1)
    assert near.depth_weight == 1.0 and near.score == pytest.approx(1.0)
    assert far.score == pytest.approx(1 - 1 / 3) and far.score < near.score  # depths 1/3, 2/3 against 0, 1
    assert 0 < near.p_value <= far.p_value <= 1 and len(near.null) == 400
    np.testing.assert_array_equal(near.null, far.null)  # the null depends only on sizes, shapes and seed


def test_align_circuits_explains_bad_input():
    with pytest.raises(ValueError, match="circuit_a is empty"):
        align_circuits([], [(0, 0)], (2, 4), (4, 2))
    with pytest.raises(ValueError, match="L0H2 is outside its model"):
        align_circuits([(0, 0)], [(0, 2)], (2, 4), (4, 2))
    with pytest.raises(ValueError, match="twice"):
        align_circuits([(0, 0), (0, 0)], [(0, 0)], (2, 4), (4, 2))
    with pytest.raises(ValueError, match="pairs of integers"):
        align_circuits(["L0H0"], [(0, 0)], (2, 4), (4, 2))
    with pytest.raises(ValueError, match="functions_b must give a label for every head"):
        align_circuits([(0, 0)], [(0, 0)], (2, 4), (4, 2), FUNCTIONS_A, FUNCTIONS_A)
    with pytest.raises(ValueError, match="depth_weight"):
        align_circuits([(0, 0)], [(0, 0)], (2, 4), (4, 2), depth_weight=1.5)
    with pytest.raises(ValueError, match="n_null"):
        align_circuits([(0, 0)], [(0, 0)], (2, 4), (4, 2), n_null=0)


def test_models_of_different_sizes_align_by_depth_and_function(ioi_demo, four_layers):
    """The IOI demo (2 layers × 4 heads) against itself, a 4 × 4 toy and a 3 × 2 toy."""
    from glassbox_jupyter.testing import check_measured

    itself = functional_circuit_alignment(ioi_demo, ioi_demo, MANY, by="depth_function", top_k=4, n_null=300)
    assert itself.score == pytest.approx(1.0) and itself.circuit_a == itself.circuit_b
    # two layers leave random circuits few depths to miss, so even a perfect score is not significant here:
    # the p-value is the share of random circuit pairs that align as well (align_circuits tests a significant one)
    assert itself.score >= itself.null.max() and itself.score > itself.null_mean + itself.null_std
    assert itself.p_value == pytest.approx((1 + np.sum(itself.null >= 1 - 1e-12)) / 301) and itself.p_value > 0.05
    assert all(p["function_a"] == p["function_b"] is not None for p in itself.pairs)
    for other in (four_layers, make_narrow_model()):
        result = functional_circuit_alignment(ioi_demo, other, MANY, by="depth_function", top_k=4, n_null=300)
        shape = (other.cfg.n_layers, other.cfg.n_heads)
        assert result.shape_a == (2, 4) and result.shape_b == shape and len(result.pairs) == 4
        assert itself.p_value < result.p_value <= 1 and 0 <= result.score < itself.score  # random toys: no match
        assert result.effects_b.shape == shape
        assert all(p["depth_b"] in {relative_depth(layer, shape[0]) for layer in range(shape[0])} for p in result.pairs)
        check_measured(result, model_hash=_sha256(ioi_demo), n_prompts=len(MANY))
        assert result.provenance.method["model_b_sha256"] == _sha256(other)
    with pytest.raises(ValueError, match="by='depth_function'"):
        functional_circuit_alignment(ioi_demo, four_layers, MANY, method="taylor")
    with pytest.raises(ValueError, match="by must be"):
        functional_circuit_alignment(ioi_demo, four_layers, MANY, by="depth")


# ------------------------------------------------------------------ bootstrap over prompts
def test_bootstrap_metrics_takes_prompts_and_a_circuit(toy_model, single_head_model):
    from glassbox_jupyter.circuits import patching
    from glassbox_jupyter.circuits.faithfulness import faithfulness
    from glassbox_jupyter.circuits.stability import per_prompt_faithfulness

    circuit = [(1, 0), (0, 3)]
    per_prompt = per_prompt_faithfulness(toy_model, MANY[:6], circuit)
    for row in range(6):  # each prompt's value is the exact faithfulness of the circuit on that prompt alone
        one = PromptSet.build(toy_model, [MANY[row]])
        clean, corrupted = patching.clean_and_corrupted(toy_model, one)
        exact = faithfulness(toy_model, one, circuit, clean, corrupted, n_boot=0)
        for name in ("sufficiency", "comprehensiveness", "f1"):
            assert per_prompt[name][row] == pytest.approx(exact[name]["value"], abs=1e-9)
    result = bootstrap_metrics(model=toy_model, prompts=MANY[:6], circuit=circuit, n_boot=300, seed=1)
    assert set(result) == {"sufficiency", "comprehensiveness", "f1"}
    for name, entry in result.items():
        assert entry["n"] == 6 and entry["value"] == pytest.approx(per_prompt[name].mean())
        assert entry["ci"][0] <= entry["value"] <= entry["ci"][1]
    # the only head that writes to the residual stream is the whole mechanism on every prompt
    alone = bootstrap_metrics(model=single_head_model, prompts=MANY, circuit=[(1, 2)], n_boot=200)
    for entry in alone.values():
        assert entry["value"] == pytest.approx(1.0, abs=1e-5) and entry["ci"][1] - entry["ci"][0] < 1e-5
    with pytest.raises(ValueError, match="not both"):
        bootstrap_metrics([1.0, 2.0], model=toy_model, prompts=MANY, circuit=circuit)
    with pytest.raises(ValueError, match="circuit="):
        bootstrap_metrics(model=toy_model, prompts=MANY)
    with pytest.raises(ValueError, match="outside its model"):
        bootstrap_metrics(model=toy_model, prompts=MANY, circuit=[(5, 0)])
