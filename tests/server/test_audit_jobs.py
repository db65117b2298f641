"""Audit jobs of an OpenAI-compatible endpoint: the key stays in the server's environment, the host
must be allowed, and an endpoint that stops answering fails the job with the reason, keeping the
partial result."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from glassbox_jupyter.server.settings import ServerSettings

from .conftest import Api
from .test_analyses import FINISHED, wait_for

KEY = "sk-test-0123456789abcdef"
PARAMS = {
    "model": "loan-bot",
    "key_env": "GLASSBOX_ENDPOINT_KEY_TEST",
    "decision_prompt": "Applicant {name}, income {income}. Approve or deny?",
    "expected_positive": "approve",
    "expected_negative": "deny",
    "context_variables": {"name": ["Ana", "Bo"], "income": ["low", "high"]},
    "protected": ["name"],
    "n_contexts": 4,
    "n_boot": 100,
    "timeout": 1,
    "max_retries": 0,
}


class Endpoint:
    """A chat-completions endpoint on loopback: approves high incomes; after ``answer_first`` answers
    it stops answering (sleeps past the client's timeout)."""

    def __init__(self, answer_first: int | None = None):
        self.answered = 0
        self.keys: set[str] = set()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                endpoint.keys.add(self.headers.get("authorization", ""))
                if endpoint.answer_first is not None and endpoint.answered >= endpoint.answer_first:
                    time.sleep(3)
                    return
                endpoint.answered += 1
                prompt = body["messages"][-1]["content"]
                word = "approve" if "high" in prompt else "deny"
                answer = {"choices": [{"message": {"role": "assistant", "content": word}}]}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.answer_first = answer_first
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture()
def audit_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("GLASSBOX_ENDPOINT_KEY_TEST", KEY)  # the server's environment (its job processes inherit it)
    api = Api(ServerSettings(data_dir=tmp_path / "d", endpoint_hosts=("127.0.0.1",)))
    yield api
    api.close()


@pytest.mark.timeout(300)
def test_an_endpoint_audit_uses_the_key_and_never_shows_it(audit_api: Api) -> None:
    api, endpoint = audit_api, Endpoint()
    try:
        who = api.user("ana", "analyst", ("loans",))
        project = api.call("GET", "/projects", who).json()[0]["id"]
        job = api.call(
            "POST",
            f"/projects/{project}/analyses",
            who,
            json={"kind": "audit", "params": {**PARAMS, "base_url": endpoint.url}},
        )
        assert job.status_code == 202, job.text
        done = wait_for(api, who, job.json()["id"], FINISHED)
        assert done["state"] == "done", done
        assert endpoint.keys == {f"Bearer {KEY}"}
        finding = api.call("GET", f"/findings/{done['finding_id']}", who)
        assert finding.json()["kind"] == "audit"
        everything = (
            job.text
            + json.dumps(done)
            + finding.text
            + api.call("GET", "/audit", api.user("root", "admin", ("loans",))).text
        )
        assert KEY not in everything
    finally:
        endpoint.close()


def test_audit_jobs_are_checked_when_submitted(audit_api: Api) -> None:
    api = audit_api
    who = api.user("ana", "analyst", ("loans",))
    project = api.call("GET", "/projects", who).json()[0]["id"]
    path = f"/projects/{project}/analyses"
    cases = [
        ({**PARAMS, "base_url": "http://169.254.169.254/v1"}, ["body", "params", "base_url"], "--endpoint-host"),
        (
            {**PARAMS, "base_url": "http://127.0.0.1:9/v1", "key_env": "HOME"},
            ["body", "params", "key_env"],
            "GLASSBOX_ENDPOINT_KEY_",
        ),
        (
            {**PARAMS, "base_url": "http://127.0.0.1:9/v1", "decision_prompt": "Approve {who}?"},
            ["body", "params", "decision_prompt"],
            "placeholders",
        ),
        ({**PARAMS, "base_url": "http://127.0.0.1:9/v1", "protected": ["age"]}, ["body", "params", "protected"], "age"),
    ]
    for params, loc, words in cases:
        answer = api.call("POST", path, who, json={"kind": "audit", "params": params})
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == loc, answer.text
        assert words in answer.json()["detail"][0]["msg"]
    model = api.call("POST", f"/projects/{project}/models/demo", who, json={"demo": "ioi"}).json()["id"]
    extra = api.call(
        "POST",
        path,
        who,
        json={"kind": "audit", "model_id": model, "params": {**PARAMS, "base_url": "http://127.0.0.1:9/v1"}},
    )
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "model_id"]


@pytest.mark.timeout(300)
def test_an_endpoint_that_stops_answering_fails_the_job_and_keeps_the_partial_result(audit_api: Api) -> None:
    api, endpoint = audit_api, Endpoint(answer_first=6)
    try:
        who = api.user("ana", "analyst", ("loans",))
        project = api.call("GET", "/projects", who).json()[0]["id"]
        job = api.call(
            "POST",
            f"/projects/{project}/analyses",
            who,
            json={"kind": "audit", "params": {**PARAMS, "base_url": endpoint.url}},
        ).json()
        done = wait_for(api, who, job["id"], FINISHED)
        assert done["state"] == "failed" and "partial" in done["error"], done
        assert done["finding_id"] is not None, "the partial result was not kept"
        kept = api.call("GET", f"/findings/{done['finding_id']}", who).json()
        assert kept["kind"] == "audit"
    finally:
        endpoint.close()
