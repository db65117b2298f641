"""Accounts, roles, projects and the audit log."""

from __future__ import annotations

from .conftest import Api


def test_tokens_name_their_user_and_are_stored_hashed(api: Api) -> None:
    who = api.user("ada", "officer")
    me = api.call("GET", "/me", who).json()
    assert me["name"] == "ada" and me["role"] == "officer"
    token = who["Authorization"].split()[1]
    with api.app.state.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM api_tokens"))
    assert token not in dump and len(dump) > 0


def test_a_user_sees_only_their_projects(api: Api) -> None:
    ana = api.user("ana", "analyst", ("loans",))
    oz = api.user("oz", "analyst", ("hiring",))
    assert [p["name"] for p in api.call("GET", "/projects", ana).json()] == ["loans"]
    assert [p["name"] for p in api.call("GET", "/projects", oz).json()] == ["hiring"]
    made = api.call("POST", "/projects", ana, json={"name": "credit 2027"})
    assert made.status_code == 201
    assert sorted(p["name"] for p in api.call("GET", "/projects", ana).json()) == ["credit 2027", "loans"]
    assert api.call("POST", "/projects", ana, json={"name": "credit 2027"}).status_code == 409
    assert api.call("POST", "/projects", ana, json={"name": ""}).status_code == 422
    assert api.call("POST", "/projects", api.user("vic", "viewer"), json={"name": "x"}).status_code == 403


def test_admins_add_members(api: Api) -> None:
    root = api.user("root", "admin", ("loans",))
    ana = api.user("ana", "analyst", ("loans",))
    api.user("ofelia", "officer")
    project = api.call("GET", "/projects", root).json()[0]["id"]
    assert api.call("POST", f"/projects/{project}/members", ana, json={"user": "ofelia"}).status_code == 403
    added = api.call("POST", f"/projects/{project}/members", root, json={"user": "ofelia"})
    assert added.status_code == 201 and added.json()["role"] == "officer"
    missing = api.call("POST", f"/projects/{project}/members", root, json={"user": "nobody"})
    assert missing.status_code == 422 and "glassbox users add nobody" in missing.json()["detail"]
    names = [u["name"] for u in api.call("GET", f"/projects/{project}/members", ana).json()]
    assert names == ["ana", "ofelia", "root"]


def test_the_audit_log_records_changes_and_refusals(api: Api) -> None:
    root = api.user("root", "admin", ("loans",))
    officer = api.user("ofelia", "officer", ("loans",))
    analyst = api.user("ana", "analyst", ("loans",))
    project = api.call("GET", "/projects", root).json()[0]["id"]
    api.call("POST", f"/projects/{project}/members", analyst, json={"user": "ofelia"})  # refused: 403
    api.call("GET", "/me", {"Authorization": "Bearer gbx_stolen"})  # refused: 401
    assert api.call("GET", "/audit", analyst).status_code == 403
    seen_by_admin = api.call("GET", "/audit", root).json()
    actions = [(e["action"], e["resource"], e["user_name"]) for e in seen_by_admin]
    assert ("create", "user", None) in actions and ("create", "project", "root") in actions
    assert ("denied", "request", "ana") in actions and ("denied", "request", None) in actions
    assert [e["id"] for e in seen_by_admin] == sorted(e["id"] for e in seen_by_admin)
    seen_by_officer = api.call("GET", "/audit", officer).json()
    assert seen_by_officer and all(e["project_id"] == project for e in seen_by_officer)
    after = seen_by_admin[-2]["id"]
    assert [e["id"] for e in api.call("GET", f"/audit?after={after}", root).json()] == [seen_by_admin[-1]["id"]]


def test_the_openapi_schema_is_served_and_no_page_loads_a_cdn(api: Api) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/projects/{project_id}/findings" in schema["paths"]
    for page in ("/docs", "/redoc", "/api/v1/docs"):
        answer = api.client.get(page)
        assert answer.status_code == 404 or "cdn" not in answer.text.lower()
