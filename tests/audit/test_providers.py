"""Providers: answer matching, Python callables, local language models, and as_provider's dispatch."""

from __future__ import annotations

import math

import pytest

from glassbox_jupyter.audit import (
    CallableProvider,
    LogprobProvider,
    OpenAIProvider,
    ProviderResponseError,
    ProviderTypeError,
    as_provider,
    match_decision,
)
from glassbox_jupyter.teacher.blackbox import Decision, identity_hash


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Approve.", "positive"),
        ("I must DENY this.", "negative"),
        ("approved", "unparsed"),  # whole words only
        ("approve or deny, hard to say", "unparsed"),  # both: not guessed
        ("", "unparsed"),
        ("I would not approve this application.", "negative"),  # a negated answer is the other decision
        ("We can't deny it: the income is high.", "positive"),
        ("I won’t approve it.", "negative"),  # typographic apostrophe
        ("Do not approve; deny.", "negative"),
        ("I will never approve or deny anything.", "unparsed"),  # both negated
        ("Approve. Not deny.", "positive"),
    ],
)
def test_answers_match_whole_words_case_insensitively(text, label):
    assert match_decision(text, "approve", "deny") == label


def test_a_callable_may_answer_with_text_a_probability_or_a_bool():
    assert as_provider(lambda p: "deny").decide("x", "approve", "deny") == Decision("negative", None, "deny")
    d = as_provider(lambda p: 0.75).decide("x", "approve", "deny")
    assert d.label == "positive" and d.p_positive == 0.75
    assert CallableProvider(lambda p: 0.75, threshold=0.8).decide("x", "a", "b").label == "negative"
    assert as_provider(lambda p: False).decide("x", "approve", "deny").label == "negative"


@pytest.mark.parametrize(("value", "match"), [(1.5, r"\[0, 1\]"), (math.nan, r"\[0, 1\]"), (None, "NoneType")])
def test_a_callable_returning_nonsense_is_a_clear_error(value, match):
    with pytest.raises(ProviderResponseError, match=match):
        as_provider(lambda p: value).decide("x", "approve", "deny")


def test_as_provider_refuses_what_it_cannot_ask():
    with pytest.raises(ProviderTypeError, match="OpenAIProvider"):
        as_provider("https://api.example.com/v1")
    with pytest.raises(ProviderTypeError, match="cannot audit a int"):
        as_provider(3)
    with pytest.raises(FileNotFoundError, match="config.json"):
        as_provider("/nonexistent/model/folder")
    provider = as_provider(lambda p: "x")
    assert as_provider(provider) is provider
    with pytest.raises(TypeError, match="already a provider"):
        as_provider(provider, name="again")


def test_a_hugging_face_model_needs_its_tokenizer(loan_lm):
    with pytest.raises(ProviderTypeError, match="tokenizer"):
        as_provider(loan_lm.model)
    again = as_provider(loan_lm.model, tokenizer=loan_lm.tokenizer, name="again")
    assert isinstance(again, LogprobProvider) and again.weights_sha256 == loan_lm.weights_sha256


def test_callable_identity_names_the_function():
    def my_model(prompt: str) -> str:
        return "approve"

    identity = CallableProvider(my_model).identity()
    assert identity["kind"] == "callable" and identity["name"].endswith("my_model")
    assert len(identity["source_sha256"]) == 64 and len(identity_hash(identity)) == 64


def test_the_local_language_model_scores_both_answers(loan_lm):
    approve = loan_lm.decide("Applicant: Anna, age 35, income 90000, debt 5000. Decision:", "approve", "deny")
    deny = loan_lm.decide("Applicant: Anna, age 35, income 20000, debt 30000. Decision:", "approve", "deny")
    assert approve.label == "positive" and approve.p_positive > 0.9
    assert deny.label == "negative" and deny.p_positive < 0.1
    batch = loan_lm.decide_batch(
        [
            "Applicant: Anna, age 35, income 90000, debt 5000. Decision:",
            "Case file. Applicant: Ben, age 65, income 90000, debt 25000. Decision:",
        ],
        "approve",
        "deny",
    )
    assert batch[0].p_positive == pytest.approx(approve.p_positive, abs=1e-5)
    identity = loan_lm.identity()
    assert identity["kind"] == "logprob" and identity["model"] == "loan_lm" and len(identity["weights_sha256"]) == 64


def test_a_transformerlens_model_is_a_provider_too():
    import glassbox

    model = glassbox.demos.load("ioi")
    provider = as_provider(model, name="ioi")
    prompt = glassbox.demos.ioi_prompts(1, seed=0)[0]
    decision = provider.decide(prompt.prompt, prompt.correct.strip(), prompt.incorrect.strip())
    assert provider.hooked and decision.label == "positive" and 0.5 < decision.p_positive <= 1


def test_providers_are_known_by_their_kind():
    assert {CallableProvider.kind, LogprobProvider.kind, OpenAIProvider.kind} == {
        "callable",
        "logprob",
        "openai-compatible",
    }
