"""OpenAIProvider against a real local HTTP server: answers, retries, limits, errors, and no leaked key."""

from __future__ import annotations

import itertools
import random

import pytest

from glassbox_jupyter.audit import (
    BlackBoxAuditor,
    MissingAPIKeyError,
    OpenAIProvider,
    ProviderAuthError,
    ProviderHTTPError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from glassbox_jupyter.audit.endpoint import MAX_RETRY_WAIT, retry_delay

from .conftest import KEY_ENV, LOAN_PROMPT, LOAN_VARIABLES

PROMPT = "Applicant: Anna, age 30, income 60000. Decision:"


def provider(endpoint, model: str, **kwargs) -> OpenAIProvider:
    kwargs = {"backoff": 0.0, "timeout": 5, **kwargs}
    return OpenAIProvider(endpoint.base_url, model, api_key_env=KEY_ENV, **kwargs)


def test_a_decision_is_read_from_the_chat_answer(endpoint):
    p = provider(endpoint, "rule")
    decision = p.decide(PROMPT, "approve", "deny")
    assert decision.label == "positive" and decision.answer == "I would approve this request."
    assert p.decide("Applicant: Zed, age 30, income 60000.", "approve", "deny").label == "unparsed"
    assert endpoint.state.counts["rule"] == 2


def test_429_is_retried_after_the_servers_retry_after(endpoint):
    endpoint.state.retry_after = "1"
    p = provider(endpoint, "429:2")
    assert p.decide(PROMPT, "approve", "deny").label == "positive"
    times = endpoint.state.times["429:2"]
    assert len(times) == 3  # two refusals, then the answer
    # backoff is 0, so only Retry-After can explain the waits
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))


def test_server_errors_are_retried_then_answered(endpoint):
    p = provider(endpoint, "5xx:3")
    assert p.decide(PROMPT, "approve", "deny").label == "positive"
    assert endpoint.state.counts["5xx:3"] == 4


def test_a_timeout_is_retried(endpoint):
    p = provider(endpoint, "slow:1", timeout=0.3)
    assert p.decide(PROMPT, "approve", "deny").label == "positive"
    assert endpoint.state.counts["slow:1"] == 2


def test_retries_give_up_with_a_clear_error(endpoint):
    p = provider(endpoint, "5xx:99", max_retries=2)
    with pytest.raises(ProviderUnavailableError, match=r"after 3 attempts \(HTTP 500\).*max_retries"):
        p.decide(PROMPT, "approve", "deny")
    assert endpoint.state.counts["5xx:99"] == 3


def test_a_persistent_timeout_gives_up_naming_the_timeout(endpoint):
    p = provider(endpoint, "slow:99", timeout=0.2, max_retries=1)
    with pytest.raises(ProviderUnavailableError, match=r"no response within 0.2 s"):
        p.decide(PROMPT, "approve", "deny")


def test_a_refused_key_stops_at_once(endpoint, monkeypatch, secret):
    monkeypatch.setenv(KEY_ENV, "sk-wrong-key-0123456789")
    p = provider(endpoint, "rule")
    with pytest.raises(ProviderAuthError, match=rf"the key in \${KEY_ENV} was refused .*HTTP 401") as caught:
        p.decide(PROMPT, "approve", "deny")
    assert caught.value.fatal and endpoint.state.counts["rule"] == 1
    assert "sk-wrong-key" not in str(caught.value)


def test_malformed_json_names_the_problem(endpoint):
    with pytest.raises(ProviderResponseError, match=r"not JSON: '<html>this is not json'"):
        provider(endpoint, "badjson").decide(PROMPT, "approve", "deny")
    with pytest.raises(ProviderResponseError, match=r"without choices\[0\]\.message: .*chat.completion"):
        provider(endpoint, "nochoices").decide(PROMPT, "approve", "deny")


def test_a_wrong_address_is_a_clear_fatal_error(endpoint):
    with pytest.raises(ProviderHTTPError, match=r"HTTP 404.*base_url") as caught:
        provider(endpoint, "notfound").decide(PROMPT, "approve", "deny")
    assert caught.value.status == 404 and caught.value.fatal
    closed = OpenAIProvider("http://127.0.0.1:9/v1", "rule", api_key_env=KEY_ENV, timeout=2)
    with pytest.raises(ProviderHTTPError, match="could not reach http://127.0.0.1:9/v1"):
        closed.decide(PROMPT, "approve", "deny")


def test_a_missing_key_variable_is_named_without_a_value(monkeypatch):
    monkeypatch.delenv("GLASSBOX_NO_SUCH_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match=r"\$GLASSBOX_NO_SUCH_KEY .* not set.*getpass"):
        OpenAIProvider("http://127.0.0.1:1/v1", "m", api_key_env="GLASSBOX_NO_SUCH_KEY")
    assert OpenAIProvider("http://127.0.0.1:1/v1", "m", api_key_env=None).identity()["model"] == "m"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="http"):
        OpenAIProvider("127.0.0.1:8000", "m", api_key_env=None)
    with pytest.raises(ValueError, match="max_concurrency"):
        OpenAIProvider("http://x/v1", "m", api_key_env=None, max_concurrency=0)


def test_error_bodies_are_redacted(endpoint, secret):
    with pytest.raises(ProviderHTTPError) as caught:
        provider(endpoint, "echo400").decide(PROMPT, "approve", "deny")
    assert "Bearer [redacted]" in str(caught.value) and secret not in str(caught.value)


def test_identity_and_repr_hold_no_secret(endpoint, secret):
    p = OpenAIProvider("http://127.0.0.1:8/v1/?api-version=2024-06", "gpt-x", api_key_env=KEY_ENV)
    assert p.identity()["base_url"] == "http://127.0.0.1:8/v1"
    assert p.url == "http://127.0.0.1:8/v1/chat/completions?api-version=2024-06"
    for text in (repr(p), str(p.identity()), str(vars(p))):
        assert secret not in text
    assert p.redact(f"key {secret}, Bearer abc.def") == "key [redacted], Bearer [redacted]"


@pytest.mark.parametrize("url", ["http://user:pw@127.0.0.1:8/v1", "http://127.0.0.1:8/v1?api_key=sk-123"])
def test_credentials_in_the_url_are_refused(url):
    with pytest.raises(ValueError, match="api_key_env"):
        OpenAIProvider(url, "m", api_key_env=None)


def test_concurrency_never_exceeds_the_providers_bound(endpoint):
    endpoint.state.delay = 0.05
    p = provider(endpoint, "rule", max_concurrency=2)
    finding = BlackBoxAuditor(p, max_concurrency=8, progress=False).audit(
        LOAN_PROMPT, "approve", "deny", context_variables=LOAN_VARIABLES, paraphrases=[]
    )
    assert finding.counts["answered"] > 10
    assert endpoint.state.max_in_flight <= 2


def test_requests_do_run_concurrently(endpoint):
    endpoint.state.delay = 0.05
    BlackBoxAuditor(provider(endpoint, "rule", max_concurrency=4), progress=False).audit(
        LOAN_PROMPT, "approve", "deny", context_variables=LOAN_VARIABLES, paraphrases=[]
    )
    assert 2 <= endpoint.state.max_in_flight <= 4


def test_retry_delay_honours_retry_after_and_backs_off():
    rng = random.Random(0)
    assert retry_delay(3, "2.5", 10.0, rng) == 2.5
    assert retry_delay(0, "Wed, 21 Oct 2015 07:28:00 GMT", 0.5, rng) == 0.0  # a date in the past
    assert retry_delay(0, "3600", 0.5, rng) == MAX_RETRY_WAIT
    delays = [retry_delay(k, None, 0.5, rng) for k in range(4)]
    assert all(0.25 * 2**k <= d <= 0.75 * 2**k for k, d in enumerate(delays))
    assert retry_delay(0, "soon", 0.5, rng) <= 0.75  # unreadable header: ordinary back-off
