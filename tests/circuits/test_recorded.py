"""Recorded runs (circuits/recorded.py): one clean and one corrupted pass per bucket, equal to fresh passes,
kept per model, and not kept when they would be too large."""

from __future__ import annotations

import pytest
import torch

import glassbox
from glassbox_jupyter.circuits import recorded as rec
from glassbox_jupyter.circuits.prompts import PromptSet, answer_logit_diff


@pytest.fixture(scope="module")
def model():
    return glassbox.demos.load("ioi")


def test_a_recorded_run_equals_a_fresh_pass_and_is_kept_per_model(model) -> None:
    bucket = PromptSet.build(model, glassbox.demos.ioi_prompts(6, seed=2)).buckets[0]
    run = rec.recorded_run(model, bucket, "corrupted")
    logits, cache = model.run_with_cache(bucket.corrupted)
    for name in rec.recorded_names(model):
        torch.testing.assert_close(run[name], cache[name], atol=1e-5, rtol=1e-5)
    # the logit difference read off the recorded last residual stream is the whole pass's
    last = logits[:, -1]
    whole = last.gather(1, bucket.correct[:, None])[:, 0] - last.gather(1, bucket.incorrect[:, None])[:, 0]
    read = answer_logit_diff(model, run[rec.final_resid_name(model)], bucket.correct, bucket.incorrect)
    torch.testing.assert_close(read, whole, atol=1e-4, rtol=1e-4)
    assert rec.recorded_run(model, bucket, "corrupted") is run
    other = glassbox.demos.load("ioi")  # another model object: recorded again, not read from the first
    assert rec.recorded_run(other, bucket, "corrupted") is not run


def test_runs_over_the_memory_budget_are_not_kept_and_bad_names_are_refused(model, monkeypatch) -> None:
    bucket = PromptSet.build(model, glassbox.demos.ioi_prompts(4, seed=3)).buckets[0]
    assert rec.record_bytes(model, bucket) > 0
    monkeypatch.setattr(rec, "RECORD_BYTES", 0)
    first = rec.recorded_run(model, bucket, "clean")
    assert rec.recorded_run(model, bucket, "clean") is not first
    torch.testing.assert_close(rec.recorded_run(model, bucket, "clean")["hook_embed"], first["hook_embed"])
    with pytest.raises(ValueError, match="clean"):
        rec.recorded_run(model, bucket, "patched")


def test_recorded_serves_other_hooks_from_a_pass_of_their_own(model) -> None:
    bucket = PromptSet.build(model, glassbox.demos.ioi_prompts(4, seed=4)).buckets[0]
    out = rec.recorded(model, bucket, "clean", ["blocks.0.attn.hook_q", "blocks.1.attn.hook_z"])
    _, cache = model.run_with_cache(bucket.clean)
    torch.testing.assert_close(out["blocks.0.attn.hook_q"], cache["blocks.0.attn.hook_q"])
    torch.testing.assert_close(out["blocks.1.attn.hook_z"], cache["blocks.1.attn.hook_z"], atol=1e-5, rtol=1e-5)
