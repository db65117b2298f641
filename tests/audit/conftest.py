"""A real OpenAI-compatible HTTP server on 127.0.0.1 (a thread per test), and the shipped loan_lm demo.

The server answers ``POST /v1/chat/completions`` with a deterministic loan rule that has a planted age bias
(approve when income >= 50000 and age < 60; the name "Zed" gets an answer without either word). The
request's model name picks a behaviour, ``"<mode>"`` or ``"<mode>:<k>"``:

- ``rule``: always answer;
- ``429:k``: the first k requests get 429 with ``Retry-After`` (``?retry_after`` seconds, default 0);
- ``5xx:k``: the first k requests get 500 then 503 alternately;
- ``slow:k``: the first k requests sleep past the client's timeout (``SLOW`` seconds) before answering;
- ``badjson`` / ``nochoices``: a 200 whose body is not JSON / is JSON without ``choices``;
- ``echo``: for prompts naming Zed, a 200 non-JSON body that echoes the request's Authorization header;
- ``echo400``: a 400 whose body echoes the Authorization header;
- ``echoanswer``: answers, echoing the Authorization header inside the answer text;
- ``zed500``: 500 for every prompt naming Zed (a persistent failure of some probes);
- ``fail-after:k`` / ``auth-after:k``: k answers, then 500 (or 401) for ever;
- ``notfound``: 404.

Every request with a wrong key gets 401. The server counts requests per model name, records their times,
and tracks the most requests in flight at once.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KEY_ENV = "GLASSBOX_AUDIT_TEST_KEY"
SLOW = 1.5


def rule_answer(prompt: str) -> str:
    """The server's decision for a prompt: the planted bias is on age."""
    if "Zed" in prompt:
        return "Hard to say without more information."
    income = int(re.search(r"income (\d+)", prompt).group(1))
    age = int(re.search(r"age (\d+)", prompt).group(1))
    return "I would approve this request." if income >= 50000 and age < 60 else "Deny."


@dataclass
class ServerState:
    key: str
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    in_flight: int = 0
    max_in_flight: int = 0
    retry_after: str = "0"
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(BaseHTTPRequestHandler):
    state: ServerState

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _leave(self) -> None:
        """The request stops counting as in flight (once): before its answer is sent, since the client
        may send its next request as soon as it has read this one's answer."""
        if getattr(self, "_counted", False):
            self._counted = False
            with self.state.lock:
                self.state.in_flight -= 1

    def _send(self, status: int, body: bytes | dict, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        self._leave()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def do_POST(self) -> None:
        state = self.state
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        model = body.get("model", "")
        mode, _, arg = model.partition(":")
        k = int(arg) if arg.isdigit() else 0
        with state.lock:
            state.counts[model] += 1
            n = state.counts[model]
            state.times[model].append(time.monotonic())
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        self._counted = True
        try:
            self._answer(state, mode, k, n, body)
        finally:
            self._leave()

    def _answer(self, state: ServerState, mode: str, k: int, n: int, body: dict) -> None:
        if self.path != "/v1/chat/completions" or mode == "notfound":
            return self._send(404, {"error": {"message": "not found"}})
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {state.key}":
            return self._send(401, {"error": {"message": "invalid api key"}})
        prompt = body["messages"][-1]["content"]
        if state.delay:
            time.sleep(state.delay)
        if mode == "429" and n <= k:
            return self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": state.retry_after})
        if mode == "5xx" and n <= k:
            return self._send(500 if n % 2 else 503, {"error": {"message": "server error"}})
        if mode == "slow" and n <= k:
            time.sleep(SLOW)
        if mode == "badjson":
            return self._send(200, b"<html>this is not json")
        if mode == "nochoices":
            return self._send(200, {"id": "chatcmpl-1", "object": "chat.completion"})
        if mode == "echo" and "Zed" in prompt:
            return self._send(200, f"oops, you sent Authorization: {auth}".encode())
        if mode == "echoanswer":
            content = f"{rule_answer(prompt)} (you sent {auth})"
            return self._send(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
        if mode == "echo400":
            return self._send(400, f'{{"error": "bad request with header {auth}"}}'.encode())
        if mode == "zed500" and "Zed" in prompt:
            return self._send(500, {"error": {"message": "server error"}})
        if mode == "fail-after" and n > k:
            return self._send(500, {"error": {"message": "server error"}})
        if mode == "auth-after" and n > k:
            return self._send(401, {"error": {"message": "key revoked"}})
        content = rule_answer(prompt)
        return self._send(
            200,
            {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
            },
        )


@dataclass
class Endpoint:
    base_url: str
    state: ServerState


@pytest.fixture()
def secret() -> str:
    import secrets

    return "sk-test-" + secrets.token_hex(16)


@pytest.fixture()
def endpoint(secret: str, monkeypatch: pytest.MonkeyPatch):
    """A running fake endpoint; its key is in $GLASSBOX_AUDIT_TEST_KEY."""
    monkeypatch.setenv(KEY_ENV, secret)
    state = ServerState(key=secret)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Endpoint(f"http://127.0.0.1:{server.server_address[1]}/v1", state)
    finally:
        server.shutdown()
        server.server_close()


LOAN_PROMPT = "Applicant: {name}, age {age}, income {income}. Decision:"
LOAN_VARIABLES = {"name": ["Anna", "Ben", "Zed"], "age": [30, 70], "income": [30000, 60000, 90000]}


@pytest.fixture(scope="session")
def loan_lm():
    """The shipped loan_lm demo as a LogprobProvider."""
    from glassbox_jupyter.demos.loan_lm import load_loan_lm

    return load_loan_lm()
