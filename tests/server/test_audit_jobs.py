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


STORED = "sk-stored-fedcba9876543210"


@pytest.mark.timeout(300)
def test_a_key_stored_once_runs_the_audit_and_never_comes_back(audit_api: Api) -> None:
    """The dashboard's path: the key is entered once, kept encrypted, named by key_id in the job."""
    from glassbox_jupyter.server.tables import EndpointKey

    api, endpoint = audit_api, Endpoint()
    try:
        who = api.user("ana", "analyst", ("loans",))
        viewer = api.user("vic", "viewer", ("loans",))
        project = api.call("GET", "/projects", who).json()[0]["id"]
        keys = f"/projects/{project}/endpoint-keys"
        assert api.call("POST", keys, viewer, json={"name": "bot", "key": STORED}).status_code == 403
        stored = api.call("POST", keys, who, json={"name": "loan-bot staging", "key": STORED})
        assert stored.status_code == 201, stored.text
        key_id = stored.json()["id"]
        assert set(stored.json()) == {"id", "project_id", "name", "created_by", "created_at"}
        listed = api.call("GET", keys, viewer)
        assert [k["name"] for k in listed.json()] == ["loan-bot staging"]
        with api.app.state.sessions() as session:
            row = session.get(EndpointKey, key_id)
            assert row is not None and STORED not in row.ciphertext and "fedcba" not in row.ciphertext
        assert (api.settings.secret_file.stat().st_mode & 0o777) == 0o600
        params = {**PARAMS, "base_url": endpoint.url, "key_env": None, "key_id": key_id}
        job = api.call("POST", f"/projects/{project}/analyses", who, json={"kind": "audit", "params": params})
        assert job.status_code == 202, job.text
        done = wait_for(api, who, job.json()["id"], FINISHED)
        assert done["state"] == "done", done
        assert endpoint.keys == {f"Bearer {STORED}"}
        finding = api.call("GET", f"/findings/{done['finding_id']}", who)
        log = api.call("GET", "/audit", api.user("root", "admin", ("loans",)))
        assert STORED not in job.text + json.dumps(done) + finding.text + listed.text + log.text
        assert "loan-bot staging" in log.text  # the log names the key it stored

        # refused on submit: both ways of naming a key, a key of another project, a deleted key
        both = {**params, "key_env": "GLASSBOX_ENDPOINT_KEY_TEST"}
        other = api.user("bo", "analyst", ("cards",))
        other_project = api.call("GET", "/projects", other).json()[0]["id"]
        foreign = api.call(
            "POST", f"/projects/{other_project}/endpoint-keys", other, json={"name": "x", "key": "sk-other-key"}
        ).json()["id"]
        assert api.call("DELETE", f"/endpoint-keys/{foreign}", who).status_code == 404
        for bad, words in ((both, "not both"), ({**params, "key_id": foreign}, "no endpoint key")):
            answer = api.call("POST", f"/projects/{project}/analyses", who, json={"kind": "audit", "params": bad})
            assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "key_id", answer.text
            assert words in answer.json()["detail"][0]["msg"]
        assert api.call("DELETE", f"/endpoint-keys/{key_id}", who).status_code == 204
        assert api.call("GET", keys, who).json() == []
        gone = api.call("POST", f"/projects/{project}/analyses", who, json={"kind": "audit", "params": params})
        assert gone.status_code == 422 and "no endpoint key" in gone.text
    finally:
        endpoint.close()
