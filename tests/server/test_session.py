"""Browser sessions for the dashboard: cookie sign-in, CSRF on changes, rate-limited sign-in,
and a database made by the first migration upgrades to the newest."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from glassbox_jupyter.server.db import MIGRATIONS, make_engine, open_database

from .conftest import Api


def test_a_browser_signs_in_and_must_send_the_csrf_token(api: Api) -> None:
    who = api.user("ofelia", "officer", ("loans",))
    token = who["Authorization"].split()[1]
    api.client.cookies.clear()
    assert api.call("GET", "/session").json() == {"user": None, "csrf_token": None}
    signed = api.call("POST", "/session", json={"token": token})
    assert signed.status_code == 200, signed.text
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert token not in signed.text and signed.json()["user"]["name"] == "ofelia"
    csrf = signed.json()["csrf_token"]
    assert api.call("GET", "/session").json() == signed.json()  # a reloaded page gets its CSRF token back
    assert api.call("GET", "/me").json()["name"] == "ofelia"  # the cookie alone reads
    project = api.call("GET", "/projects").json()[0]["id"]
    body = {"title": "t", "finding_ids": []}
    assert api.call("POST", f"/projects/{project}/reports", json=body).status_code == 403  # no CSRF token
    wrong = api.call("POST", f"/projects/{project}/reports", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    assert (
        api.call("POST", f"/projects/{project}/reports", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    )
    assert api.call("DELETE", "/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert api.call("GET", "/me").status_code == 401
    assert api.call("GET", "/session").json() == {"user": None, "csrf_token": None}


def test_the_dashboard_pages_are_one_shell_with_a_strict_policy(api: Api) -> None:
    for path in ("/", "/projects/abc", "/reports/abc"):
        page = api.client.get(path)
        assert page.status_code == 200 and '<script type="module" src="/static/dashboard.js">' in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "http" not in page.text.replace("http-equiv", "")  # nothing from another origin
    assert api.client.get("/static/dashboard.js").status_code == 200
    assert api.client.get("/static/dashboard.css").headers["content-type"].startswith("text/css")
    assert api.client.get("/static/../server/app.py").status_code == 404


def test_sign_in_attempts_are_rate_limited(api: Api) -> None:
    api.client.cookies.clear()
    answers = [api.call("POST", "/session", json={"token": f"gbx_guess_{i}"}).status_code for i in range(12)]
    assert answers[:10] == [401] * 10 and answers[10:] == [429, 429]
    limited = api.call("POST", "/session", json={"token": "gbx_guess"})
    assert int(limited.headers["retry-after"]) >= 1 and "too many" in limited.json()["detail"]


def test_an_old_database_is_migrated_to_the_newest_schema(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    assert "browser_sessions" not in inspect(engine).get_table_names()
    engine.dispose()
    upgraded = open_database(url)
    assert "browser_sessions" in inspect(upgraded).get_table_names()
    with upgraded.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
