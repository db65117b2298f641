"""Token attribution of the logit difference: completeness, a hand-computed gradient, the ioi demo."""

import random

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, logit_diff
from glassbox_jupyter.circuits.tokens import TokenAttribution, token_attribution
from glassbox_jupyter.demos import ioi

from .conftest import CORRUPTED, PROMPT

SHORT = "When Mary and John went to the store, John gave to"
PAIRS = [
    (PROMPT, " Mary", " John", CORRUPTED),
    (SHORT, " Mary", " John", "When Anna and Tom went to the store, Tom gave to"),  # two names changed
]


@pytest.fixture(scope="module")
def toy_prompts(toy_model):
    return PromptSet.build(toy_model, PAIRS)


@pytest.mark.parametrize("baseline", ["corrupted", "zero"])
def test_integrated_gradients_is_complete(toy_model, toy_prompts, baseline):
    """Attributions add up to M(clean) − M(baseline); the midpoint rule's error falls like 1/n_steps²."""
    fine = token_attribution(toy_model, toy_prompts, "integrated_gradients", 32, baseline)
    total = np.array([s.sum() for s in fine.scores])
    assert np.abs(fine.metric_clean - fine.metric_baseline).min() > 0.2  # a gap worth explaining
    np.testing.assert_allclose(total, fine.metric_clean - fine.metric_baseline, atol=1e-3)
    np.testing.assert_allclose(fine.completeness, total - (fine.metric_clean - fine.metric_baseline))
    coarse = token_attribution(toy_model, toy_prompts, "integrated_gradients", 4, baseline)
    assert np.abs(coarse.completeness).max() > 20 * np.abs(fine.completeness).max()
    with torch.no_grad():  # M(clean) is the model's own logit difference
        for b in toy_prompts.buckets:
            m = logit_diff(toy_model(b.clean), b.correct, b.incorrect).numpy()
            np.testing.assert_allclose(fine.metric_clean[b.rows], m, atol=1e-5)
            if baseline == "corrupted":
                m = logit_diff(toy_model(b.corrupted), b.correct, b.incorrect).numpy()
                np.testing.assert_allclose(fine.metric_baseline[b.rows], m, atol=1e-5)


def test_corrupted_baseline_gives_unchanged_tokens_zero(toy_model, toy_prompts):
    result = token_attribution(toy_model, toy_prompts, "integrated_gradients", 8, "corrupted")
    for i, (_, _, _, corrupted) in enumerate(PAIRS):
        changed = (toy_model.to_tokens(PAIRS[i][0]) != toy_model.to_tokens(corrupted))[0].numpy()
        assert (result.scores[i][~changed] == 0).all() and (result.scores[i][changed] != 0).all()


@pytest.mark.parametrize("baseline", ["zero", "corrupted"])
def test_grad_x_input_matches_a_hand_computed_gradient(toy_model, baseline):
    """(e_clean − e_baseline) · ∂M/∂e at one token, with the gradient taken through an added perturbation."""
    result = token_attribution(toy_model, [PAIRS[0]], "grad_x_input", baseline=baseline)
    tokens, corrupt = toy_model.to_tokens(PROMPT), toy_model.to_tokens(CORRUPTED)
    eps = torch.zeros(1, tokens.shape[1], toy_model.cfg.d_model, requires_grad=True)
    logits = toy_model.run_with_hooks(tokens, fwd_hooks=[("hook_embed", lambda e, hook: e + eps)])
    metric = logits[0, -1, 3] - logits[0, -1, 5]  # " Mary" − " John"
    metric.backward()
    position = 2  # " Mary", the token the corruption changes
    e_clean = toy_model.W_E[tokens[0, position]]
    e_base = toy_model.W_E[corrupt[0, position]] if baseline == "corrupted" else torch.zeros_like(e_clean)
    expected = float((eps.grad[0, position] * (e_clean - e_base)).sum().detach())
    toy_model.zero_grad(set_to_none=True)
    assert abs(expected) > 1e-3
    assert result.scores[0][position] == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert result.tokens[0][position] == " Mary" and result.method == "grad_x_input"
    assert result.metric_clean[0] == pytest.approx(float(metric.detach()), abs=1e-5)


def test_prompts_keep_their_order_across_lengths(toy_model):
    result = token_attribution(toy_model, [PAIRS[1], PAIRS[0]], "grad_x_input", baseline="zero")
    assert [len(t) for t in result.tokens] == [13, 15] and [len(s) for s in result.scores] == [13, 15]
    alone = token_attribution(toy_model, [PAIRS[0]], "grad_x_input", baseline="zero")
    np.testing.assert_allclose(result.scores[1], alone.scores[0], atol=1e-6)


def test_frame_top_and_chart(toy_model, toy_prompts):
    result = token_attribution(toy_model, toy_prompts, "integrated_gradients", 8, "zero")
    assert isinstance(result, TokenAttribution) and len(result) == 2 and result.n_steps == 8
    frame = result.to_frame()
    assert list(frame.columns) == ["prompt", "position", "token", "score"] and len(frame) == 15 + 13
    assert frame[frame.prompt == 1]["score"].sum() == pytest.approx(result.scores[1].sum())
    top = result.top(0, k=2)
    assert abs(top[0][2]) == pytest.approx(np.abs(result.scores[0]).max()) and abs(top[0][2]) >= abs(top[1][2])
    spec = result.chart(1).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert [v["token"] for v in values] == result.tokens[1]


def test_bad_input_is_explained(toy_model, toy_prompts):
    with pytest.raises(PromptError, match="method must be one of"):
        token_attribution(toy_model, toy_prompts, "saliency")
    with pytest.raises(PromptError, match="baseline must be one of"):
        token_attribution(toy_model, toy_prompts, baseline="blank")
    for n in (0, -3, 2.5, True):
        with pytest.raises(PromptError, match="n_steps must be a positive integer"):
            token_attribution(toy_model, toy_prompts, n_steps=n)
    result = token_attribution(toy_model, toy_prompts, "grad_x_input")
    with pytest.raises(PromptError, match="k must be a positive integer"):
        result.top(0, k=0)
    with pytest.raises(PromptError, match=r"prompt index 2 is out of range; pick 0..1"):
        result.chart(2)
    with pytest.raises(PromptError, match="empty"):
        token_attribution(toy_model, [])
    with pytest.raises(TypeError, match="HookedTransformer"):
        token_attribution(torch.nn.Linear(2, 2), toy_prompts)


# ------------------------------------------------------------------ the ioi demo
@pytest.fixture(scope="module")
def demo():
    return glassbox.demos.load("ioi")


def _name_positions(model, item):
    tokens = model.to_str_tokens(item[0])
    io = [i for i, t in enumerate(tokens) if t == item[1]]
    s = [i for i, t in enumerate(tokens) if t == item[2]]
    assert len(io) == 1 and len(s) == 2  # IO once; the subject S1 in the first clause and S2 repeated
    return io[0], s[0], s[1]


def _all_names_changed(items, seed=1):
    """Corrupt IO and S (both occurrences) into two other held-out names: same template, same length."""
    rng = random.Random(seed)
    out = []
    for prompt, correct, incorrect, _ in items:
        io, s = correct.strip(), incorrect.strip()
        c, d = rng.sample([n for n in ioi.TEST_NAMES if n not in (io, s)], 2)
        out.append((prompt, correct, incorrect, prompt.replace(io, "\0").replace(s, d).replace("\0", c)))
    return out


def test_demo_abc_corruption_puts_everything_on_the_repeated_subject(demo):
    """The demo's default "abc" corruption changes only S2, so with the corrupted baseline S2 carries the
    whole M(clean) − M(corrupted) and every other token exactly 0."""
    items = glassbox.demos.ioi_prompts(8, seed=0)
    result = token_attribution(demo, items, "integrated_gradients", 32, "corrupted")
    for i, item in enumerate(items):
        _, _, s2 = _name_positions(demo, item)
        assert int(np.argmax(np.abs(result.scores[i]))) == s2
        assert (np.delete(result.scores[i], s2) == 0).all()
        gap = result.metric_clean[i] - result.metric_baseline[i]
        assert result.scores[i][s2] == pytest.approx(gap, abs=0.02)


def test_demo_the_io_name_carries_the_most(demo):
    """Observed on the demo (IG, 32 steps, 24 held-out prompts, seed 0):

    - corrupted baseline with IO and S both renamed: only IO, S1 and S2 differ, so only they are nonzero;
      IO has the largest |attribution| in every prompt, always positive (it is the name to copy), and the
      two subject tokens carry the rest (either sign, smaller).
    - zero baseline (every token gets a share): IO is positive in every prompt, the largest |attribution|
      in 21 of 24 and among the two largest in 23; the subject's first mention S1 is the most negative
      token in 22 of 24 (a name in the context makes that name likelier, here the wrong answer); S2 is
      smaller than IO in 23 and positive in 18. The bounds below leave one or two prompts of slack.
    """
    items = glassbox.demos.ioi_prompts(24, seed=0)
    renamed = token_attribution(demo, _all_names_changed(items), "integrated_gradients", 32, "corrupted")
    zero = token_attribution(demo, items, "integrated_gradients", 32, "zero")
    io_top2 = s1_most_negative = 0
    for i, item in enumerate(items):
        io, s1, s2 = _name_positions(demo, item)
        scores = renamed.scores[i]
        assert int(np.argmax(np.abs(scores))) == io and scores[io] > 0
        assert (np.delete(scores, [io, s1, s2]) == 0).all()
        assert abs(renamed.completeness[i]) < 0.05
        scores = zero.scores[i]
        assert scores[io] > 0
        io_top2 += io in np.argsort(-np.abs(scores))[:2]
        s1_most_negative += int(np.argmin(scores)) == s1
    assert io_top2 >= 22 and s1_most_negative >= 20
    assert np.abs(zero.completeness).max() < 0.1


def test_token_attribution_says_how_it_was_measured(toy_model, toy_prompts, tmp_path):
    from glassbox_jupyter.teacher.transformer import TransformerAdapter
    from glassbox_jupyter.testing import check_measured

    result = token_attribution(toy_model, toy_prompts, "integrated_gradients", n_steps=4, baseline="zero")
    check_measured(result, TransformerAdapter(toy_model).describe()["sha256"], len(PAIRS))
    assert result.provenance.method == {
        "name": "token_attribution",
        "method": "integrated_gradients",
        "baseline": "zero",
        "n_steps": 4,
    }
    exported = result.to_dict()["result"]
    assert exported["scores"][1] == pytest.approx(result.scores[1].tolist())
    assert exported["tokens"] == result.tokens
    path = tmp_path / "tokens.json"
    result.to_json(path)
    assert path.read_text(encoding="utf-8").startswith("{")
