"""IOI head roles (Wang et al. 2022) measured on the prompts, and how the circuit finding shows them.

The shipped ``ioi`` demo's card documents its circuit from exact patching and attention read by hand:
L1H0–L1H3 are name movers, L0H0 (with L0H2) attends the repeated subject from the last token, and every
layer-0 head attends each name from the token after it. The roles measured here must say the same.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.circuits import CircuitAnalyzer
from glassbox_jupyter.circuits.attention import head_types
from glassbox_jupyter.circuits.prompts import PromptSet
from glassbox_jupyter.circuits.roles import (
    END_ROLES,
    MEASURES,
    HeadRoles,
    _types,
    combined_head_types,
    ioi_head_roles,
    ioi_positions,
    type_note,
)

from .conftest import MANY

EXPECTED = [
    ["S-inhibition", "previous-token", "S-inhibition", "previous-token"],
    ["name mover", "name mover", "name mover", "name mover"],
]


@pytest.fixture(scope="module")
def demo():
    return glassbox.demos.load("ioi")


@pytest.fixture(scope="module")
def demo_prompts(demo):
    return PromptSet.build(demo, glassbox.demos.ioi_prompts(28, seed=0))


@pytest.fixture(scope="module")
def demo_roles(demo, demo_prompts):
    return ioi_head_roles(demo, demo_prompts)


def test_positions_are_read_off_the_answers():
    #        BOS When Mary and John went to the store , John gave a drink to
    tokens = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 5, 11, 12, 13, 7]
    assert ioi_positions(torch.tensor(tokens), 3, 5) == (2, 4, 10)
    assert ioi_positions(torch.tensor(tokens), 5, 3) is None  # the subject occurs twice, not once
    assert ioi_positions(torch.tensor(tokens), 14, 5) is None  # the answer is not in the prompt
    assert ioi_positions(torch.tensor([0, 3, 5, 5]), 3, 5) is None  # S2 is the last position: no END after it


def test_the_demo_heads_get_the_roles_its_card_documents(demo_roles):
    assert demo_roles is not None and demo_roles.n_prompts == demo_roles.n_total == 28
    assert demo_roles.types == EXPECTED
    s = demo_roles.scores
    assert (s["end_io"][1] > 0.3).all() and (s["copy"][1] >= 0.8).all() and (s["negative_copy"] == 0).all()
    assert s["end_s2"][0, 0] > 0.85 and s["end_s2"][0, 2] > 0.4  # the card: 0.90 and 0.45
    assert (s["s1_next_s1"][0] > 0.9).all() and (s["io_next_io"][0] > 0.9).all()
    frame = demo_roles.to_frame()
    assert list(frame.columns) == ["layer", "head", "role", *MEASURES] and len(frame) == 8
    assert "IO 0.36" in demo_roles.note(1, 0) and "copies the IO in 96% of prompts" in demo_roles.note(1, 0)


def test_attention_and_copy_score_match_a_direct_computation(demo, demo_prompts, demo_roles):
    """Recompute L1H1's attention to the IO and its copy score prompt by prompt, without the vectorised code."""
    attention, copies, n = 0.0, 0, 0
    with torch.no_grad():
        for b in demo_prompts.buckets:
            _, cache = demo.run_with_cache(b.clean)
            for j in range(len(b.rows)):
                io, _, _ = ioi_positions(b.clean[j], b.correct[j], b.incorrect[j])
                attention += float(cache["blocks.1.attn.hook_pattern"][j, 1, -1, io])
                x = demo.blocks[1].ln1(cache["blocks.1.hook_resid_pre"][j : j + 1, io : io + 1])[0, 0]
                logits = demo.ln_final((x @ demo.W_V[1, 1] @ demo.W_O[1, 1])[None, None])[0, 0] @ demo.W_U
                copies += int(b.correct[j]) in logits.topk(5).indices.tolist()
                n += 1
    assert demo_roles.scores["end_io"][1, 1] == pytest.approx(attention / n, abs=1e-5)
    assert demo_roles.scores["copy"][1, 1] == pytest.approx(copies / n)


def test_criteria_and_their_order():
    def scores(**values: float) -> dict[str, np.ndarray]:
        return {k: np.full((1, 1), values.get(k, 0.0)) for k in MEASURES}

    assert _types(scores(end_io=0.4, copy=0.9)) == [["name mover"]]
    assert _types(scores(end_io=0.4, negative_copy=0.9)) == [["negative name mover"]]
    assert _types(scores(end_io=0.4, copy=0.1)) == [[None]]  # attends the IO but does not copy it
    assert _types(scores(end_io=0.4, end_s1=0.3, end_s2=0.2, copy=0.9)) == [[None]]  # no more than to both S's
    assert _types(scores(end_s2=0.5)) == [["S-inhibition"]]
    assert _types(scores(end_s2=0.15)) == [[None]]
    assert _types(scores(end_s2=0.5, s1_next_s1=0.9, io_next_io=0.9)) == [["S-inhibition"]]  # END roles first
    assert _types(scores(s1_next_s1=0.9, io_next_io=0.9)) == [["previous-token"]]
    assert _types(scores(s1_next_s1=0.9, io_next_io=0.3)) == [[None]]  # both names, or it is not about names


def test_an_end_role_beats_a_random_sequence_type_which_beats_previous_token():
    roles = HeadRoles({}, [["S-inhibition", "previous-token", "previous-token", None]], 8, 8)
    generic = [["induction", "BOS/sink", None, "local"]]
    assert combined_head_types(generic, roles) == [["S-inhibition", "BOS/sink", "previous-token", "local"]]
    assert combined_head_types(generic, None) == generic
    assert set(END_ROLES) == {"name mover", "negative name mover", "S-inhibition"}


def test_prompts_that_are_not_ioi_shaped_get_no_roles(toy_model):
    copy_like = [("When Mary and John went to the store, Tom gave a drink to", " Mary", " Anna", None)] * 3
    assert ioi_head_roles(toy_model, PromptSet.build(toy_model, copy_like)) is None
    assert "not IOI-shaped" in type_note(None)
    roles = ioi_head_roles(toy_model, PromptSet.build(toy_model, MANY))
    assert roles is not None and roles.n_prompts == len(MANY)


def test_the_circuit_finding_shows_measured_types_and_says_how(demo):
    finding = CircuitAnalyzer(demo, n_boot=50).analyze(prompts=glassbox.demos.ioi_prompts(40, seed=0))
    assert finding.head_types == EXPECTED == combined_head_types(head_types(demo), finding.head_roles)
    data = finding.view_data()
    assert data["title"] == "IOI circuit over 28 prompts (correct vs incorrect answer)"
    assert data["score_label"] == "integrated gradients — Δ logit diff when ablated"
    assert "integrated_gradients" not in str({k: v for k, v in data.items() if k != "attention"})
    assert data["caption"] == "28 prompts (+12 held out for the agreement); click a head to add or remove it"
    assert data["attention_note"] == f"prompt {finding.prompts.buckets[0].rows[0] + 1} of 28"
    assert data["tokens"][-1] == " to"
    assert data["head_type_notes"][1][0].startswith("from the last token: IO ")
    note = data["type_note"]
    assert "Wang et al. 2022" in note and "name mover = attends the IO" in note and "S-inhibition =" in note
    assert "negative name mover" not in note  # only the roles some head has
    evidence = finding.evidence()[0].body
    assert "Attribution by integrated gradients" in evidence and evidence.startswith("IOI circuit over 28 prompts")
    assert finding.artifact_dict()["head_roles"]["types"] == EXPECTED
    assert analyzer_types(demo) == EXPECTED
    svg = finding.to_svg()
    assert "IOI circuit over 28 prompts" in svg and ">NM<" in svg and ">SI<" in svg


def analyzer_types(demo):
    return CircuitAnalyzer(demo).head_types(glassbox.demos.ioi_prompts(16, seed=2))


def test_one_prompt_is_titled_by_its_answers(demo):
    finding = CircuitAnalyzer(demo, n_boot=20).analyze(
        "When Mary and John went to the store, John gave a drink to", " Mary", " John"
    )
    assert finding.title() == "IOI circuit for one prompt (' Mary' vs ' John')"
    assert finding.view_data()["attention_note"] == "prompt 1"


def test_copy_scores_screened_in_bfloat16_equal_the_float32_counts(smollm2, monkeypatch) -> None:
    """A real 49,152-token unembedding: rows built so the answer sits at every rank around TOP_K (the rows the
    bfloat16 screen cannot decide) and far from it; the counts equal float32's rank counts."""
    from glassbox_jupyter.circuits import roles

    W_U = smollm2.W_U.detach()
    gen = torch.Generator().manual_seed(0)
    n_layers, batch, n_heads = 3, 8, 9
    heads_in = {layer: [torch.randn(batch, n_heads, W_U.shape[0], generator=gen)] for layer in range(n_layers)}
    rows = torch.cat([heads_in[layer][0] for layer in range(n_layers)]).flatten(0, 1)
    logits = rows @ W_U
    order = logits.argsort(dim=-1, descending=True)
    answer = order[:batch, 0].clone()
    for j, rank in enumerate([0, 3, 4, 5, 6, 40_000, 49_147, 49_151][:batch]):  # top, around K, bottom
        answer[j] = order[j * n_heads, rank]  # row (layer 0, prompt j, head 0)
    own = logits.gather(-1, answer.repeat(n_layers).repeat_interleave(n_heads)[:, None])
    top = ((logits > own).sum(-1) < roles.TOP_K).view(n_layers, batch, n_heads).sum(1).numpy()
    bottom = ((logits < own).sum(-1) < roles.TOP_K).view(n_layers, batch, n_heads).sum(1).numpy()
    recomputed: list[int] = []
    exact = roles._rank_tests
    monkeypatch.setattr(roles, "_rank_tests", lambda x, *a: (recomputed.append(len(x)), exact(x, *a))[1])
    copy, negative = roles._copy_scores(heads_in, answer, W_U)
    np.testing.assert_array_equal(copy, top)
    np.testing.assert_array_equal(negative, bottom)
    assert copy[0, 0] == 3 and negative[0, 0] == 2  # ranks 0, 3, 4 in the top five; 49,147 and 49,151 in the bottom
    assert 0 < sum(recomputed) < len(rows) // 4  # the screen decided most rows, and sent the close ones to float32
    # the screen's premise, measured: bfloat16 logits stay inside the bound
    error = ((rows.bfloat16() @ W_U.bfloat16()).float() - logits).abs().amax(-1)
    assert (error <= roles.BF16_LOGIT_ERROR * rows.norm(dim=-1) * W_U.norm(dim=0).max()).all()
