"""A real ``glassbox serve`` (uvicorn on loopback) killed with SIGKILL mid-job, then restarted:
the running job is marked failed with the reason, committed report edits are all there, and no
half-written artifact is visible."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.examples import rules_example

from .test_analyses import FINISHED


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``glassbox serve`` in its own process group (so SIGKILL reaches its job processes too)."""

    def __init__(self, data: Path, database: str, serve_args: tuple[str, ...] = ()):
        self.data, self.database, self.port = data, database, _free_port()
        self.serve_args = serve_args  # more options of ``glassbox serve`` (e.g. --endpoint-host)
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        command = [
            sys.executable,
            "-m",
            "glassbox_jupyter.cli",
            *args,
            "--data",
            str(self.data),
            "--database",
            self.database,
        ]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout

    def start(self, timeout: float = 90) -> None:
        command = [sys.executable, "-m", "glassbox_jupyter.cli", "serve", "--port", str(self.port)]
        command += ["--data", str(self.data), "--database", self.database, *self.serve_args]
        log = (self.data.parent / "server.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, (self.data.parent / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"the server did not answer within {timeout:.0f} s"
            time.sleep(0.3)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)

    def call(self, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.request(method, f"http://127.0.0.1:{self.port}/api/v1{path}", headers=headers, timeout=60, **kw)


@pytest.mark.timeout(400)
def test_a_killed_server_loses_no_committed_write(tmp_path: Path, database_url: str) -> None:
    server = Server(tmp_path / "data", database_url)
    token = server.cli("users", "add", "ana", "--role", "analyst", "--project", "loans").strip().splitlines()[-1]
    officer = server.cli("users", "add", "ofelia", "--role", "officer", "--project", "loans").strip().splitlines()[-1]
    assert token.startswith("gbx_") and officer.startswith("gbx_")
    server.start()
    try:
        project = server.call("GET", "/projects", token).json()[0]["id"]
        finding, _ = rules_example()
        made = server.call(
            "POST", f"/projects/{project}/findings", token, json={"finding": finding.to_dict(), "svg": finding.to_svg()}
        )
        report = server.call(
            "POST", f"/projects/{project}/reports", token, json={"title": "t", "finding_ids": [made.json()["id"]]}
        ).json()
        written = {}
        for version, field in enumerate(("2(e).oversight", "2(f).changes", "9.post_market"), start=1):
            text = f"committed edit {version}"
            answer = server.call(
                "PUT", f"/reports/{report['id']}/fields", officer, json={"version": version, "fields": {field: text}}
            )
            assert answer.status_code == 200, answer.text
            written[field] = text
        model = server.call("POST", f"/projects/{project}/models/demo", token, json={"demo": "friedman_mlp"}).json()[
            "id"
        ]
        body = {"kind": "math", "model_id": model, "params": {"generations": 5000, "n": 3000}}
        job = server.call("POST", f"/projects/{project}/analyses", token, json=body).json()
        deadline = time.monotonic() + 120
        while server.call("GET", f"/analyses/{job['id']}", token).json()["state"] != "running":
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.3)
        server.kill()

        server.start()
        after = server.call("GET", f"/analyses/{job['id']}", token).json()
        assert after["state"] == "failed" and "server stopped" in after["error"], after
        assert after["state"] in FINISHED
        now = server.call("GET", f"/reports/{report['id']}", token).json()
        assert now["version"] == 4
        texts = {f["id"]: f["texts"] for s in now["report"]["sections"] for p in s["parts"] for f in p["fields"]}
        for field, text in written.items():
            assert [t["text"] for t in texts[field]] == [text]
        leftovers = list((tmp_path / "data" / "artifacts").rglob(".incoming-*"))
        assert not leftovers, f"half-written artifacts: {leftovers}"
    finally:
        server.stop()
