"""Glassbox 2.0's ``glassbox.audit`` against a real loopback server speaking the OpenAI and Anthropic APIs.

The server decides from the prompt with a known rule (approve when the credit score is at least 650 and the
income at least $40,000), so every flip the audit reports can be checked against the rule. Its Anthropic route
answers the first request with a 429 (``retry-after: 0``) and checks the ``x-api-key`` and ``anthropic-version``
headers; both routes refuse a wrong key. The model name picks a misbehaviour: ``echo400`` answers 400 with the
request's key in the body (so the redaction is tested on a server that leaks it).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import glassbox_jupyter.audit
from glassbox.audit import BlackBoxAuditor, ModelProvider
from glassbox_jupyter.audit import AuditError, MissingAPIKeyError, ProviderHTTPError
from glassbox_jupyter.audit.anthropic_provider import AnthropicProvider
from glassbox_jupyter.audit.errors import AuditInputError

README_PROMPT = (
    "The loan applicant has a credit score of 620 and annual income of $45,000. Based on standard banking "
    "criteria, the loan application should be"
)


def rule(prompt: str) -> str | None:
    """The server's decision word, or None when the prompt has no score and income."""
    score = re.search(r"credit score of (\d+)", prompt)
    income = re.search(r"income of \$([\d,]+)", prompt)
    if not (score and income):
        return None
    approved = int(score.group(1)) >= 650 and int(income.group(1).replace(",", "")) >= 40000
    return "approved" if approved else "denied"


class LoanServer(BaseHTTPRequestHandler):
    key: str
    seen: list[dict[str, Any]]
    statuses: Counter
    lock: threading.Lock

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict | bytes, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self.lock:
            self.statuses[(self.path, status)] += 1
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.seen.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            )
            first_anthropic = sum(1 for s in self.seen if s["path"] == "/v1/messages") == 1
        if self.path == "/v1/chat/completions":
            if self.headers.get("Authorization") != f"Bearer {self.key}":
                return self._reply(401, {"error": {"message": "invalid api key"}})
            prompt = body["messages"][-1]["content"]
        elif self.path == "/v1/messages":
            if self.headers.get("x-api-key") != self.key or self.headers.get("anthropic-version") != "2023-06-01":
                return self._reply(401, {"type": "error", "error": {"type": "authentication_error"}})
            if first_anthropic:
                return self._reply(429, {"type": "error", "error": {"type": "rate_limit_error"}}, {"retry-after": "0"})
            prompt = body["messages"][-1]["content"]
        else:
            return self._reply(404, {"error": "not found"})
        if body["model"] == "echo400":
            return self._reply(400, f"bad request from key {self.headers.get('x-api-key')}".encode())
        word = rule(prompt)
        text = f"The loan application should be {word}." if word else "I cannot tell."
        if self.path == "/v1/messages":
            return self._reply(200, {"type": "message", "content": [{"type": "text", "text": text}]})
        return self._reply(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})


@pytest.fixture()
def secret() -> str:
    return "sk-ant-" + secrets.token_hex(16)


@pytest.fixture()
def server(secret: str) -> Iterator[type[LoanServer]]:
    handler = type("Bound", (LoanServer,), {"key": secret, "seen": [], "statuses": Counter(), "lock": threading.Lock()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def readme_audit(auditor: BlackBoxAuditor) -> dict[str, Any]:
    """The reference README's audit call, verbatim."""
    return auditor.audit(
        decision_prompt=README_PROMPT,
        expected_positive="approved",
        expected_negative="denied",
        context_variables={
            "credit_score": 620,
            "annual_income": 45000,
            "loan_amount": 25000,
        },
    )


def check_against_rule(auditor: BlackBoxAuditor, result: dict[str, Any]) -> None:
    """Every measured swap agrees with the server's rule, and the dict's numbers are the finding's."""
    finding = auditor.finding_
    pairs = finding.pairs
    assert len(pairs) > 20 and pairs.valid.all()
    for row in pairs.itertuples():
        assert row.flipped == (rule(row.prompt_from) != rule(row.prompt_to))
    for variable in ("credit_score", "annual_income"):
        chosen = pairs[pairs.variable == variable]
        assert result["attributions"][variable] == pytest.approx(chosen.flipped.mean())
    assert result["skipped_variables"] == ["loan_amount"]  # $25,000 is not in the prompt
    assert set(result["circuit"]) == {"credit_score", "annual_income"}  # both can flip the decision
    assert result["consistency_score"] == 1.0  # the rule reads the numbers whatever the wording
    faith = result["faithfulness"]
    assert faith["comprehensiveness"] == 1.0 and faith["suff_is_approx"] is True
    s = faith["sufficiency"]
    assert s == pytest.approx(sum(result["mlp_attributions"].values()) / 2)
    assert result["black_box_faithfulness"]["combined_score"] == pytest.approx(2 * s / (s + 1))
    assert result["glassbox_finding"]["kind"] == "audit"
    json.dumps(result, allow_nan=False)  # plain JSON


def test_readme_audit_on_an_openai_compatible_server(server, secret, caplog):
    auditor = BlackBoxAuditor(
        model_provider=ModelProvider.OPENAI,
        model_name="gpt-4",
        api_key=secret,
        base_url=server.url + "/v1/chat/completions",
        rate_limit_rps=500,  # the README's default (2 calls a second) is for a paid API
        verbose=True,
    )
    with caplog.at_level(logging.INFO):
        result = readme_audit(auditor)
    print(result["black_box_faithfulness"]["combined_score"])
    check_against_rule(auditor, result)
    assert result["total_api_calls"] == len(server.seen)
    assert all(s["headers"]["authorization"] == f"Bearer {secret}" for s in server.seen)
    system = server.seen[0]["body"]["messages"][0]
    assert system == {"role": "system", "content": "You are a decision-making AI system. Respond concisely."}
    assert "[call 1]" in caplog.text
    for text in (json.dumps(result), caplog.text, repr(auditor), str(auditor.finding_.to_dict())):
        assert secret not in text


def test_readme_audit_through_the_anthropic_messages_api(server, secret, caplog):
    auditor = BlackBoxAuditor(
        model_provider=ModelProvider.ANTHROPIC,
        model_name="claude-3-opus-20240229",
        api_key=secret,
        base_url=server.url + "/v1/messages",
        rate_limit_rps=500,
        verbose=True,
    )
    with caplog.at_level(logging.INFO):
        result = readme_audit(auditor)
    check_against_rule(auditor, result)
    assert server.statuses[("/v1/messages", 429)] == 1  # rate-limited once, then retried
    assert len(server.seen) == result["total_api_calls"] + 1
    for request in server.seen:
        assert request["headers"]["x-api-key"] == secret and "authorization" not in request["headers"]
        assert request["body"]["system"] == "You are a decision-making AI system. Respond concisely."
        assert request["body"]["max_tokens"] == 512 and request["body"]["messages"][0]["role"] == "user"
    assert result["model_metadata"]["provider"] == "anthropic"
    for text in (json.dumps(result), caplog.text, repr(auditor), repr(auditor.finding_.identity)):
        assert secret not in text


def test_a_server_that_echoes_the_key_never_gets_it_into_an_error(server, secret):
    provider = AnthropicProvider(server.url + "/v1", "echo400", api_key=secret, max_retries=1)  # one 429 first
    with pytest.raises(ProviderHTTPError) as caught:
        provider.complete("credit score of 700 and annual income of $50,000")
    assert "400" in str(caught.value) and "[redacted]" in str(caught.value) and secret not in str(caught.value)

    auditor = BlackBoxAuditor(ModelProvider.ANTHROPIC, "echo400", api_key=secret, base_url=server.url + "/v1")
    with pytest.raises(AuditError) as caught_audit:
        readme_audit(auditor)
    assert secret not in str(caught_audit.value) and "HTTP 400" in str(caught_audit.value)


def test_a_wrong_key_is_refused_with_a_clear_error(server, secret):
    auditor = BlackBoxAuditor(
        ModelProvider.ANTHROPIC, "claude", api_key="sk-wrong-key-123456", base_url=server.url + "/v1"
    )
    with pytest.raises(AuditError, match="refused"):
        readme_audit(auditor)


def test_bad_input_has_clear_errors(monkeypatch):
    with pytest.raises(ValueError, match="unknown model_provider 'cohere'.*ModelProvider.ANTHROPIC"):
        BlackBoxAuditor(model_provider="cohere", model_name="command")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match=r"api_key=.*\$OPENAI_API_KEY"):
        BlackBoxAuditor(model_provider=ModelProvider.OPENAI, model_name="gpt-4")
    with pytest.raises(ValueError, match="http_fn"):
        BlackBoxAuditor(ModelProvider.CUSTOM, "mine")
    with pytest.raises(ValueError, match="base_url"):
        BlackBoxAuditor(ModelProvider.LOCAL, "llama")
    auditor = BlackBoxAuditor(ModelProvider.CUSTOM, "mine", http_fn=lambda prompt, system: "denied")
    with pytest.raises(AuditInputError, match="none of the context variables"):
        auditor.audit("Should the loan be approved?", "approved", "denied", context_variables={"score": 620})
    with pytest.raises(AuditInputError, match="context_variables is empty"):
        auditor.audit(README_PROMPT, "approved", "denied")


def test_the_key_comes_from_the_providers_variable(monkeypatch, secret):
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    auditor = BlackBoxAuditor(ModelProvider.ANTHROPIC, "claude-3-opus-20240229")
    assert secret not in repr(auditor) and auditor.model_provider is ModelProvider.ANTHROPIC


def test_a_local_server_needs_no_key(server):
    calls = []

    def decide(prompt: str, system: str) -> str:
        calls.append(system)
        return f"The loan should be {rule(prompt)}."

    custom = BlackBoxAuditor(ModelProvider.CUSTOM, "rule", http_fn=decide, rate_limit_rps=1000)
    result = custom.audit(README_PROMPT, "approved", "denied", {"credit_score": 620}, n_rephrases=0, system_prompt="s")
    assert result["consistency_score"] is None and result["faithfulness"]["f1"] is None
    assert result["counterfactual_probes"][0]["original"] == "620" and set(calls) == {"s"}
    local = BlackBoxAuditor(ModelProvider.LOCAL, "rule", base_url=server.url + "/v1")
    with pytest.raises(AuditError, match="refused"):  # this server wants a key; none was sent
        local.audit(README_PROMPT, "approved", "denied", {"credit_score": 620})
    assert all("authorization" not in s["headers"] for s in server.seen)


def test_glassbox_audit_keeps_the_native_names():
    import glassbox.audit

    assert glassbox.audit.OpenAIProvider is glassbox_jupyter.audit.OpenAIProvider
    assert glassbox.audit.BlackBoxAuditor is BlackBoxAuditor
    assert [p.value for p in ModelProvider][:6] == ["openai", "anthropic", "together", "groq", "azure", "custom"]
