"""``/api/v1/…/findings``: Findings published from a notebook (or stored by a job), their SVG views.

A published Finding must be valid against ``finding.schema.json`` (422 naming the field otherwise).
Its JSON text is stored as sent and served back unchanged, so what a notebook published and what
the server shows are the same JSON.

Example:
    >>> schema_errors({"schema": "glassbox-finding/1"})[0]["loc"]
    ['body', 'finding']
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import select

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.deps import (
    CurrentUser,
    DbSession,
    member_project,
    member_row,
    require,
)
from glassbox_jupyter.server.records import store_finding
from glassbox_jupyter.server.schemas import FindingIn, FindingOut
from glassbox_jupyter.server.settings import API
from glassbox_jupyter.server.stored_json import json_answer, spliced_list, spliced_text
from glassbox_jupyter.server.tables import FindingRecord

router = APIRouter(tags=["findings"])

# an SVG view is drawn by GlassBox: it never needs a script, an event handler or an external reference
ACTIVE_SVG = re.compile(r"<script|\son[a-z]+\s*=|javascript:|<foreignObject|href\s*=\s*[\"']https?:", re.I)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"


@functools.cache
def _finding_validator() -> Any:
    """The validator of finding.schema.json, read and built once per process."""
    import jsonschema

    from glassbox_jupyter.finding.base import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def schema_errors(finding: dict[str, Any]) -> list[dict[str, Any]]:
    """422-style error items for every way ``finding`` breaks finding.schema.json (empty when valid)."""
    validator = _finding_validator()
    return [
        {"loc": ["body", "finding", *error.absolute_path], "msg": error.message, "type": "finding_schema"}
        for error in sorted(validator.iter_errors(finding), key=lambda e: list(map(str, e.absolute_path)))
    ]


def finding_text(row: FindingRecord) -> str:
    """The FindingOut JSON of ``row``: its stored JSON text spliced in unparsed, as it was published."""
    fields = {
        "id": row.id,
        "project_id": row.project_id,
        "kind": row.kind,
        "title": row.title,
        "source": row.source,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "svg_url": f"{API}/findings/{row.id}/svg" if row.svg_sha256 else None,
        "view_url": f"{API}/findings/{row.id}/view" if row.view_sha256 else None,
    }
    return spliced_text(fields, finding=row.body)


def finding_out(row: FindingRecord, status: int = 200) -> Response:
    return json_answer(finding_text(row), status)


@router.get("/projects/{project_id}/findings", response_model=list[FindingOut])
def list_findings(project_id: str, session: DbSession, user: CurrentUser) -> Response:
    member_project(session, user, project_id)
    rows = session.scalars(
        select(FindingRecord).where(FindingRecord.project_id == project_id).order_by(FindingRecord.created_at)
    )
    return spliced_list([finding_text(row) for row in rows])


@router.post("/projects/{project_id}/findings", response_model=FindingOut, status_code=201)
def publish_finding(
    project_id: str, body: FindingIn, request: Request, session: DbSession, user: CurrentUser
) -> Response:
    project = member_project(session, user, project_id)
    require(session, user, "publish", project.id)
    errors = schema_errors(body.finding)
    if errors:
        raise HTTPException(422, errors)
    if body.svg is not None and (not body.svg.lstrip().startswith("<svg") or ACTIVE_SVG.search(body.svg)):
        loc = ["body", "svg"]
        raise HTTPException(422, [{"loc": loc, "msg": "not a static SVG view (finding.to_svg())", "type": "svg"}])
    view = body.view.model_dump() if body.view is not None else None
    row = store_finding(
        session, request.app.state.artifacts, project.id, user.id, body.finding, body.svg, "notebook", view
    )
    audit.record(session, user, "create", "finding", row.id, project.id, kind=row.kind)
    session.commit()
    return finding_out(row, status=201)


def _member_finding(session: DbSession, user: CurrentUser, finding_id: str) -> FindingRecord:
    return member_row(session, user, FindingRecord, finding_id, "finding")


@router.get("/findings/{finding_id}", response_model=FindingOut)
def get_finding(finding_id: str, session: DbSession, user: CurrentUser) -> Response:
    return finding_out(_member_finding(session, user, finding_id))


@router.get("/findings/{finding_id}/view", response_class=Response)
def finding_view(finding_id: str, request: Request, session: DbSession, user: CurrentUser) -> Response:
    """What the finding's live widget shows ({widget, data, selection}), for a host without a kernel."""
    row = _member_finding(session, user, finding_id)
    if row.view_sha256 is None:
        raise HTTPException(404, f"finding {finding_id!r} was stored without a live view (its SVG view is at /svg)")
    return Response(request.app.state.artifacts.read(row.view_sha256), media_type="application/json")


@router.get("/findings/{finding_id}/svg", name="finding_svg", response_class=Response)
def finding_svg(finding_id: str, request: Request, session: DbSession, user: CurrentUser) -> Response:
    row = _member_finding(session, user, finding_id)
    if row.svg_sha256 is None:
        raise HTTPException(404, f"finding {finding_id!r} was published without an SVG view")
    data = request.app.state.artifacts.read(row.svg_sha256)
    headers = {"Content-Security-Policy": SVG_CSP, "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type="image/svg+xml", headers=headers)
