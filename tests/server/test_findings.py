"""Findings published to the server: stored as sent, served back the same, checked on the way in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.examples import rules_example

from .conftest import Api


@pytest.fixture(scope="module")
def rules_finding() -> Any:
    finding, _ = rules_example()
    return finding


def test_a_published_finding_comes_back_the_same(api: Api, rules_finding: Any) -> None:
    analyst = api.user("ana", "analyst", ("loans",))
    project = api.call("GET", "/projects", analyst).json()[0]
    sent = rules_finding.to_dict()
    made = api.call(
        "POST", f"/projects/{project['id']}/findings", analyst, json={"finding": sent, "svg": rules_finding.to_svg()}
    )
    assert made.status_code == 201, made.text
    got = api.call("GET", f"/findings/{made.json()['id']}", analyst).json()
    assert json.dumps(got["finding"]["artifact"]) == json.dumps(sent["artifact"])  # byte for byte
    assert got["finding"] == sent and got["kind"] == "rules" and got["source"] == "notebook"
    svg = api.call("GET", got["svg_url"].removeprefix("/api/v1"), analyst)
    assert svg.status_code == 200 and svg.text == rules_finding.to_svg()
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in svg.headers["content-security-policy"]
    listed = api.call("GET", f"/projects/{project['id']}/findings", analyst).json()
    assert [f["id"] for f in listed] == [got["id"]]


def test_a_finding_that_breaks_the_schema_gets_422_naming_the_field(api: Api, rules_finding: Any) -> None:
    analyst = api.user("ana", "analyst", ("loans",))
    project = api.call("GET", "/projects", analyst).json()[0]["id"]
    bad = rules_finding.to_dict()
    bad["fidelity"]["split"] = "training"
    answer = api.call("POST", f"/projects/{project}/findings", analyst, json={"finding": bad})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "finding", "fidelity", "split"]
    malformed = api.call(
        "POST",
        f"/projects/{project}/findings",
        analyst,
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 422
    scripted = api.call(
        "POST",
        f"/projects/{project}/findings",
        analyst,
        json={"finding": rules_finding.to_dict(), "svg": "<svg><script>alert(1)</script></svg>"},
    )
    assert scripted.status_code == 422 and scripted.json()["detail"][0]["loc"] == ["body", "svg"]
    assert api.call("GET", f"/projects/{project}/findings", analyst).json() == []  # nothing half-stored


def test_sql_looking_text_is_stored_and_returned_verbatim(api: Api, rules_finding: Any) -> None:
    analyst = api.user("ana", "analyst", ("loans",))
    project = api.call("GET", "/projects", analyst).json()[0]["id"]
    sent = rules_finding.to_dict()
    sent["summary"] = "Robert'); DROP TABLE findings;-- \" OR 1=1 --"
    made = api.call("POST", f"/projects/{project}/findings", analyst, json={"finding": sent})
    assert made.status_code == 201, made.text
    assert api.call("GET", f"/findings/{made.json()['id']}", analyst).json()["finding"]["summary"] == sent["summary"]
    assert len(api.call("GET", f"/projects/{project}/findings", analyst).json()) == 1


def test_who_may_publish_and_who_may_see(api: Api, rules_finding: Any) -> None:
    analyst = api.user("ana", "analyst", ("loans",))
    viewer = api.user("vic", "viewer", ("loans",))
    outsider = api.user("oz", "analyst", ("hiring",))
    project = api.call("GET", "/projects", analyst).json()[0]["id"]
    body = {"finding": rules_finding.to_dict()}
    assert api.call("POST", f"/projects/{project}/findings", None, json=body).status_code == 401
    assert (
        api.call("POST", f"/projects/{project}/findings", {"Authorization": "Bearer gbx_wrong"}, json=body).status_code
        == 401
    )
    refused = api.call("POST", f"/projects/{project}/findings", viewer, json=body)
    assert refused.status_code == 403 and "analyst" in refused.json()["detail"]
    made = api.call("POST", f"/projects/{project}/findings", analyst, json=body).json()
    assert api.call("GET", f"/findings/{made['id']}", viewer).status_code == 200
    # another project's ids answer exactly like ids that do not exist
    for path in (f"/findings/{made['id']}", f"/projects/{project}/findings", f"/projects/{project}"):
        hidden, absent = (
            api.call("GET", path, outsider),
            api.call("GET", path.replace(project, "0" * 16).replace(made["id"], "f" * 16), outsider),
        )
        assert hidden.status_code == absent.status_code == 404, path
        assert hidden.json()["detail"].replace(made["id"], "?").replace(project, "?") == absent.json()[
            "detail"
        ].replace("f" * 16, "?").replace("0" * 16, "?")
    assert api.call("POST", f"/projects/{project}/findings", outsider, json=body).status_code == 404


def test_a_finding_published_with_its_live_view_serves_it_to_the_dashboard(api: Api, rules_finding: Any) -> None:
    from glassbox_jupyter.finding.publish import live_view

    who = api.user("ana", "analyst", ("loans",))
    project = api.call("GET", "/projects", who).json()[0]["id"]
    view = live_view(rules_finding)
    assert view is not None and view["widget"] == "rules_view"
    body = {"finding": rules_finding.to_dict(), "svg": rules_finding.to_svg(), "view": view}
    made = api.call("POST", f"/projects/{project}/findings", who, json=body)
    assert made.status_code == 201, made.text
    stored = api.call("GET", made.json()["view_url"].removeprefix("/api/v1"), who).json()
    assert stored == json.loads(json.dumps(view))
    plain = api.call("POST", f"/projects/{project}/findings", who, json={"finding": rules_finding.to_dict()}).json()
    assert plain["view_url"] is None
    assert api.call("GET", f"/findings/{plain['id']}/view", who).status_code == 404
    bad = api.call("POST", f"/projects/{project}/findings", who, json={**body, "view": {**view, "widget": "x"}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "view", "widget"]
    other = api.user("bob", "analyst", ("other",))
    assert api.call("GET", made.json()["view_url"].removeprefix("/api/v1"), other).status_code == 404
