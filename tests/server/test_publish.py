"""Publishing from a kernel: finding.publish and report.publish against a real ``glassbox serve``.

The token comes from the environment and appears in nothing publishing returns or raises; what was
published is what the server shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glassbox_jupyter.errors import PublishError
from glassbox_jupyter.report.annex import AnnexIVReport
from tests.examples import rules_example

from .test_restart import Server


@pytest.fixture()
def served(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):
    server = Server(tmp_path / "data", database_url)
    token = server.cli("users", "add", "ana", "--role", "analyst", "--project", "loans").strip().splitlines()[-1]
    server.start()
    monkeypatch.setenv("GLASSBOX_SERVER", f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("GLASSBOX_TOKEN", token)
    yield server, token
    server.stop()


@pytest.mark.timeout(300)
def test_finding_and_report_publish_the_same_json(served) -> None:
    server, token = served
    finding, _ = rules_example()
    published = finding.publish(project="loans")
    assert token not in repr(published) and published.what == "finding"
    stored = server.call("GET", f"/findings/{published.id}", token).json()
    assert json.dumps(stored["finding"]["artifact"]) == json.dumps(finding.to_dict()["artifact"])
    assert server.call("GET", f"/findings/{published.id}/svg", token).text == finding.to_svg()

    report = AnnexIVReport(model_name="loan_approval", system_purpose="credit decisions").add(finding)
    report.write("2(e).oversight", "A loan officer reviews every refusal.", author="ana")
    sent = report.publish(project="loans", title="loans 2027")
    got = server.call("GET", f"/reports/{sent.id}", token).json()
    assert got["title"] == "loans 2027" and got["version"] == 1
    assert got["missing"] == [f.id for f in report.missing()]
    texts = {f["id"]: f["texts"] for s in got["report"]["sections"] for p in s["parts"] for f in p["fields"]}
    assert texts["2(e).oversight"][0]["text"] == "A loan officer reviews every refusal."
    assert got["report"]["findings"][0]["artifact"] == finding.to_dict()["artifact"]
    html = server.call("GET", f"/reports/{sent.id}/export/html", token).text
    assert "<svg" in html and html.count('class="gb-live-view"') == 1  # the report's finding keeps its widget
    view = server.call("GET", f"/findings/{got['finding_ids'][0]}/view", token)
    assert view.status_code == 200 and view.json()["widget"] == "rules_view"


def test_publishing_errors_name_the_fix_and_never_the_token(served, monkeypatch: pytest.MonkeyPatch) -> None:
    _, token = served
    finding, _ = rules_example()
    with pytest.raises(PublishError, match="yours: 'loans'") as missing:
        finding.publish(project="nope")
    assert token not in str(missing.value)
    monkeypatch.setenv("GLASSBOX_TOKEN", "gbx_not_a_real_token")
    with pytest.raises(PublishError, match="401"):
        finding.publish(project="loans")
    monkeypatch.delenv("GLASSBOX_TOKEN")
    with pytest.raises(PublishError, match="GLASSBOX_TOKEN"):
        finding.publish(project="loans")
    with pytest.raises(PublishError, match="cannot reach"):
        finding.publish("http://127.0.0.1:9", project="loans", token="gbx_x")


@pytest.mark.timeout(600)
def test_the_demo_fills_a_fresh_database_once(tmp_path: Path) -> None:
    from glassbox_jupyter.server.demo import DEMO_PROJECT, fill_demo
    from glassbox_jupyter.server.settings import ServerSettings

    from .conftest import Api

    api = Api(ServerSettings(data_dir=tmp_path / "d"))
    try:
        said: list[str] = []
        assert fill_demo(api.app.state.sessions, api.app.state.artifacts, said.append)
        assert not fill_demo(api.app.state.sessions, api.app.state.artifacts, said.append)
        assert not any("gbx_" in line for line in said)
        officer = api.user("ofelia", "officer", (DEMO_PROJECT,))
        project = api.call("GET", "/projects", officer).json()[0]["id"]
        kinds = sorted(f["kind"] for f in api.call("GET", f"/projects/{project}/findings", officer).json())
        assert kinds == ["audit", "circuit", "rules", "symbolic"]
        report = api.call("GET", f"/projects/{project}/reports", officer).json()[0]
        assert report["finding_ids"] and "2(e).oversight" in report["missing"]
        widgets = sorted(
            api.call("GET", f"/findings/{fid}/view", officer).json()["widget"] for fid in report["finding_ids"]
        )
        assert widgets == ["audit_view", "circuit_heatmap", "pareto_picker", "rules_view"]  # the dashboard's widgets
    finally:
        api.close()


def test_the_publish_magic(served, ipython, capsys) -> None:
    server, token = served
    finding, _ = rules_example()
    ipython.user_ns["rules"] = finding
    published = ipython.run_line_magic("glassbox", "publish rules --project loans")
    assert published.what == "finding" and token not in capsys.readouterr().out
    assert server.call("GET", f"/findings/{published.id}", token).status_code == 200
    ipython.user_ns["report"] = AnnexIVReport(model_name="loans").add(finding)
    assert ipython.run_line_magic("glassbox", "publish report --project loans --title t").what == "report"
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="yours: 'loans'"):
        ipython.run_line_magic("glassbox", "publish rules --project elsewhere")
