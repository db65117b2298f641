"""Annex IV reports on the server: versions, optimistic concurrency, approval, exports, audit."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from glassbox_jupyter.finding.publish import live_view
from glassbox_jupyter.report.render import content_security_policy
from glassbox_jupyter.server.reports import StaleEditError, build, latest, save_version
from glassbox_jupyter.server.tables import Report
from tests.examples import rules_example

from .conftest import Api


@pytest.fixture(scope="module")
def rules_finding() -> Any:
    return rules_example()[0]


@pytest.fixture()
def team(api: Api, rules_finding: Any) -> dict[str, Any]:
    people = {
        "analyst": api.user("ana", "analyst", ("loans",)),
        "officer": api.user("ofelia", "officer", ("loans",)),
        "viewer": api.user("vic", "viewer", ("loans",)),
    }
    project = api.call("GET", "/projects", people["analyst"]).json()[0]["id"]
    body = {"finding": rules_finding.to_dict(), "svg": rules_finding.to_svg(), "view": live_view(rules_finding)}
    finding = api.call("POST", f"/projects/{project}/findings", people["analyst"], json=body).json()["id"]
    report = api.call(
        "POST",
        f"/projects/{project}/reports",
        people["analyst"],
        json={
            "title": "loan approval model",
            "system": {"model_name": "loan_approval", "system_purpose": "credit"},
            "finding_ids": [finding],
        },
    )
    assert report.status_code == 201, report.text
    return {**people, "project": project, "finding": finding, "report": report.json()}


def test_a_report_is_built_from_the_projects_findings(api: Api, team: dict[str, Any]) -> None:
    report = team["report"]
    assert report["version"] == 1 and report["finding_ids"] == [team["finding"]]
    assert report["report"]["findings"][0]["kind"] == "rules"
    assert "2(e).oversight" in report["missing"] and "2(b).logic" not in report["missing"]
    html = api.call("GET", f"/reports/{report['id']}/export/html", team["viewer"])
    assert html.status_code == 200 and "<svg" in html.text and "loan_approval" in html.text
    # the finding's live view goes into the HTML with the widget code, which the header's policy allows by hash
    assert html.text.count('class="gb-live-view"') == 1 and '"widget": "rules_view"' in html.text
    policy = html.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and "script-src 'sha256-" in policy
    assert policy == content_security_policy(html.text)
    exported = api.call("GET", f"/reports/{report['id']}/export/json", team["viewer"]).json()
    assert exported["schema"] == "glassbox-annex-iv/1" and exported["missing"] == report["missing"]
    bad = api.call(
        "POST", f"/projects/{team['project']}/reports", team["analyst"], json={"title": "x", "finding_ids": ["0" * 16]}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "finding_ids", 0]


def test_edits_make_versions_and_a_stale_edit_gets_409(api: Api, team: dict[str, Any]) -> None:
    rid = team["report"]["id"]
    edit = {"version": 1, "fields": {"2(e).oversight": "A loan officer reviews every refusal."}}
    first = api.call("PUT", f"/reports/{rid}/fields", team["officer"], json=edit)
    assert first.status_code == 200 and first.json()["version"] == 2 and first.headers["etag"] == 'W/"2"'
    assert "2(e).oversight" not in first.json()["missing"]
    stale = api.call(
        "PUT", f"/reports/{rid}/fields", team["analyst"], json={"version": 1, "fields": {"2(e).oversight": "overwrite"}}
    )
    assert stale.status_code == 409 and stale.json()["detail"]["current_version"] == 2
    now = api.call("GET", f"/reports/{rid}", team["viewer"]).json()
    field = next(
        f for s in now["report"]["sections"] for p in s["parts"] for f in p["fields"] if f["id"] == "2(e).oversight"
    )
    assert [t["text"] for t in field["texts"]] == ["A loan officer reviews every refusal."]
    assert field["texts"][0]["author"] == "ofelia"
    assert [v["version"] for v in api.call("GET", f"/reports/{rid}/versions", team["viewer"]).json()] == [1, 2]
    assert api.call("GET", f"/reports/{rid}?version=1", team["viewer"]).json()["version"] == 1
    assert (
        api.call("PUT", f"/reports/{rid}/fields", team["viewer"], json={"version": 2, "fields": {}}).status_code == 403
    )
    unknown = api.call(
        "PUT", f"/reports/{rid}/fields", team["officer"], json={"version": 2, "fields": {"9.nothing": "x"}}
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "fields", "9.nothing"]


def test_of_two_writers_from_one_version_exactly_one_wins(api: Api, team: dict[str, Any]) -> None:
    rid = team["report"]["id"]
    store = api.app.state.artifacts
    results: list[str] = []
    barrier = threading.Barrier(2)

    def write(text: str) -> None:
        with api.app.state.sessions() as session:
            report = session.get(Report, rid)
            built = build(session, store, json.loads(latest(session, report).body))
            built.write("2(f).changes", text)
            barrier.wait()
            try:
                save_version(session, report, 1, built, [team["finding"]], report.created_by)
                session.commit()
                results.append("saved")
            except StaleEditError:
                results.append("409")

    threads = [threading.Thread(target=write, args=(t,)) for t in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["409", "saved"]
    assert [v["version"] for v in api.call("GET", f"/reports/{rid}/versions", team["viewer"]).json()] == [1, 2]


def test_approval_needs_an_officer_and_every_field(api: Api, team: dict[str, Any]) -> None:
    rid = team["report"]["id"]
    refused = api.call("POST", f"/reports/{rid}/approve", team["officer"], json={"version": 1})
    assert refused.status_code == 422 and "2(e).oversight" in refused.json()["detail"]["missing"]
    missing = team["report"]["missing"]
    filled = api.call(
        "PUT",
        f"/reports/{rid}/fields",
        team["officer"],
        json={"version": 1, "fields": {f: f"Written for {f}." for f in missing}},
    ).json()
    assert filled["missing"] == [] and filled["version"] == 2
    assert api.call("POST", f"/reports/{rid}/approve", team["analyst"], json={"version": 2}).status_code == 403
    approved = api.call("POST", f"/reports/{rid}/approve", team["officer"], json={"version": 2})
    assert approved.status_code == 200 and approved.json()["approved_version"] == 2
    versions = api.call("GET", f"/reports/{rid}/versions", team["viewer"]).json()
    assert versions[1]["approved_by"] is not None and versions[0]["approved_by"] is None
    # a later edit makes a new version; the signed one stays as it was
    later = api.call(
        "PUT", f"/reports/{rid}/fields", team["officer"], json={"version": 2, "fields": {"9.post_market": "Revised."}}
    )
    assert later.json()["version"] == 3 and later.json()["approved_version"] == 2
    signed = api.call("GET", f"/reports/{rid}?version=2", team["viewer"]).json()
    assert signed["report"] == filled["report"]
    actions = [(e["action"], e["resource"]) for e in api.call("GET", "/audit", team["officer"]).json()]
    assert ("approve", "report") in actions and actions.count(("edit", "report")) == 2
    assert ("denied", "request") in actions


def test_reports_of_another_project_answer_404(api: Api, team: dict[str, Any]) -> None:
    outsider = api.user("oz", "officer", ("hiring",))
    rid = team["report"]["id"]
    for method, path, body in (
        ("GET", f"/reports/{rid}", None),
        ("PUT", f"/reports/{rid}/fields", {"version": 1, "fields": {}}),
        ("POST", f"/reports/{rid}/approve", {"version": 1}),
        ("GET", f"/reports/{rid}/export/json", None),
    ):
        assert api.call(method, path, outsider, json=body).status_code == 404, path


def test_a_finding_is_filed_into_a_report_as_a_new_version(api: Api, team: dict[str, Any]) -> None:
    from tests.examples import symbolic_example

    report, analyst = team["report"], team["analyst"]
    path = f"/reports/{report['id']}/findings"
    symbolic = symbolic_example()[0]
    body = {"finding": symbolic.to_dict(), "svg": symbolic.to_svg()}
    made = api.call("POST", f"/projects/{team['project']}/findings", analyst, json=body).json()["id"]
    filed = api.call("POST", path, analyst, json={"version": 1, "finding_id": made})
    assert filed.status_code == 200, filed.text
    assert filed.json()["version"] == 2 and filed.json()["finding_ids"] == [team["finding"], made]
    assert filed.json()["saved_by"] == "ana" and filed.headers["etag"] == 'W/"2"'
    kinds = [f["kind"] for f in filed.json()["report"]["findings"]]
    assert kinds == ["rules", "symbolic"]
    assert api.call("POST", path, analyst, json={"version": 1, "finding_id": made}).status_code == 409  # stale
    again = api.call("POST", path, analyst, json={"version": 2, "finding_id": made})
    assert again.status_code == 409 and "already" in again.text
    other = api.user("bob", "analyst", ("other",))
    other_project = api.call("GET", "/projects", other).json()[0]["id"]
    theirs = api.call("POST", f"/projects/{other_project}/findings", other, json=body).json()["id"]
    wrong = api.call("POST", path, analyst, json={"version": 2, "finding_id": theirs})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "finding_id"]
    assert api.call("POST", path, team["viewer"], json={"version": 2, "finding_id": made}).status_code == 403
