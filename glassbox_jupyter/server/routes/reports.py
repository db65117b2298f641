"""``/api/v1/…/reports``: Annex IV reports: create from Findings, edit human fields with optimistic
concurrency (a stale write gets 409), keep every version, approve (officers), export.

Example:
    >>> "/reports/{report_id}/approve" in {route.path for route in router.routes}
    True
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import object_session

from glassbox_jupyter.report.render import content_security_policy
from glassbox_jupyter.server import audit
from glassbox_jupyter.server.deps import (
    CurrentUser,
    DbSession,
    member_project,
    member_row,
    require,
)
from glassbox_jupyter.server.reports import (
    StaleEditError,
    build,
    editable_fields,
    latest,
    save_version,
    set_texts,
    store_imported_report,
    version_body,
)
from glassbox_jupyter.server.schemas import LiveView
from glassbox_jupyter.server.stored_json import json_answer, spliced_list, spliced_text, version_parts
from glassbox_jupyter.server.tables import FindingRecord, Report, ReportVersion, User, utcnow

router = APIRouter(tags=["reports"])
EDITABLE = editable_fields()

SYSTEM_KEYS = ("model_name", "system_purpose", "provider_name", "provider_address", "deployment_context", "version")


class SystemIn(BaseModel):
    model_name: str | None = Field(default=None, max_length=300)
    system_purpose: str | None = Field(default=None, max_length=20_000)
    provider_name: str | None = Field(default=None, max_length=300)
    provider_address: str | None = Field(default=None, max_length=2000)
    deployment_context: str | None = Field(default=None, max_length=20_000)
    version: str | None = Field(default=None, max_length=100)


class ReportIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    system: SystemIn = Field(default_factory=SystemIn)
    finding_ids: list[str] = Field(default_factory=list, description="Findings of this project to file as evidence")


class ReportImport(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    report: dict[str, Any] = Field(description="AnnexIVReport.to_dict() (schema glassbox-annex-iv/1)")
    svgs: list[str | None] = Field(default_factory=list, description="the SVG view of each finding, in order")
    views: list[LiveView | None] = Field(
        default_factory=list, description="what each finding's live widget shows (publish.live_view), in order"
    )


class FieldsEdit(BaseModel):
    version: int = Field(ge=1, description="the version this edit starts from (or send If-Match)")
    fields: dict[str, str] = Field(description="field id → the person's text (empty clears it)")


class FileFindingIn(BaseModel):
    version: int = Field(ge=1, description="the version this change starts from")
    finding_id: str = Field(min_length=1, max_length=16, description="a finding of the report's project")


class ApproveIn(BaseModel):
    version: int = Field(ge=1, description="the version being signed off")


class VersionOut(BaseModel):
    version: int
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None


class ReportOut(BaseModel):
    id: str
    project_id: str
    title: str
    version: int
    approved_version: int | None
    missing: list[str]
    status: dict[str, int]
    editable_fields: list[str]
    finding_ids: list[str]
    saved_at: datetime = Field(description="when this version was saved")
    saved_by: str = Field(description="the name of the user who saved it")
    approved_by: str | None = Field(default=None, description="who signed this version off, if anyone")
    report: dict[str, Any]


def _report_text(row: Report, version: ReportVersion) -> str:
    """The ReportOut JSON of ``version`` of ``row``, the stored report spliced in unparsed."""
    session = object_session(version)
    assert session is not None

    def user_name(user_id: str) -> str:
        user = session.get(User, user_id)
        return user.name if user else user_id

    parts = version_parts(version.id, version.body)
    fields = {
        "id": row.id,
        "project_id": row.project_id,
        "title": row.title,
        "version": version.version,
        "approved_version": row.approved_version,
        "missing": parts.missing,
        "status": parts.status,
        "editable_fields": EDITABLE,
        "finding_ids": parts.finding_ids,
        "saved_at": version.created_at,
        "saved_by": user_name(version.created_by),
        "approved_by": user_name(version.approved_by) if version.approved_by else None,
    }
    return spliced_text(fields, report=parts.report_text)


def _report_out(row: Report, version: ReportVersion, etag: bool = False, status: int = 200) -> Response:
    headers = {"ETag": _etag(version.version)} if etag else None
    return json_answer(_report_text(row, version), status, headers)


def _etag(version: int) -> str:
    return f'W/"{version}"'


def member_report(session: DbSession, user: CurrentUser, report_id: str) -> Report:
    return member_row(session, user, Report, report_id, "report")


@router.get("/projects/{project_id}/reports", response_model=list[ReportOut])
def list_reports(project_id: str, session: DbSession, user: CurrentUser) -> Response:
    member_project(session, user, project_id)
    rows = session.scalars(select(Report).where(Report.project_id == project_id).order_by(Report.created_at))
    return spliced_list([_report_text(row, latest(session, row)) for row in rows])


@router.post("/projects/{project_id}/reports", response_model=ReportOut, status_code=201)
def create_report(project_id: str, body: ReportIn, request: Request, session: DbSession, user: CurrentUser) -> Response:
    project = member_project(session, user, project_id)
    require(session, user, "edit_report", project.id)
    for i, finding_id in enumerate(body.finding_ids):
        row = session.get(FindingRecord, finding_id)
        if row is None or row.project_id != project.id:
            loc = ["body", "finding_ids", i]
            raise HTTPException(
                422, [{"loc": loc, "msg": f"no finding {finding_id!r} in this project", "type": "finding"}]
            )
    from glassbox_jupyter.report.annex import AnnexIVReport

    empty = AnnexIVReport(**body.system.model_dump())
    base = {"report": empty.to_dict(), "finding_ids": body.finding_ids}
    built = build(session, request.app.state.artifacts, base)
    report = Report(project_id=project.id, title=body.title, version=1, created_by=user.id)
    session.add(report)
    session.flush()
    session.add(
        ReportVersion(report_id=report.id, version=1, body=version_body(built, body.finding_ids), created_by=user.id)
    )
    audit.record(session, user, "create", "report", report.id, project.id, title=body.title, findings=body.finding_ids)
    session.commit()
    return _report_out(report, latest(session, report), status=201)


@router.post("/projects/{project_id}/reports/import", response_model=ReportOut, status_code=201)
def import_report(
    project_id: str, body: ReportImport, request: Request, session: DbSession, user: CurrentUser
) -> Response:
    """A report published from a notebook (``report.publish``): its Findings are stored as the
    project's findings (with their SVG and live views), its texts become version 1."""
    from glassbox_jupyter.report.annex import SCHEMA_ID
    from glassbox_jupyter.server.routes.findings import ACTIVE_SVG, schema_errors

    project = member_project(session, user, project_id)
    require(session, user, "publish", project.id)
    if body.report.get("schema") != SCHEMA_ID:
        msg = f"not an Annex IV report JSON (schema {SCHEMA_ID}): send report.to_dict()"
        raise HTTPException(422, [{"loc": ["body", "report", "schema"], "msg": msg, "type": "report"}])
    findings = [{k: v for k, v in f.items() if k != "origin"} for f in body.report.get("findings", [])]
    svgs = body.svgs + [None] * (len(findings) - len(body.svgs))
    for i, (finding, svg) in enumerate(zip(findings, svgs)):
        for error in schema_errors(finding):
            error["loc"] = ["body", "report", "findings", i, *error["loc"][2:]]
            raise HTTPException(422, [error])
        if svg is not None and (not svg.lstrip().startswith("<svg") or ACTIVE_SVG.search(svg)):
            raise HTTPException(422, [{"loc": ["body", "svgs", i], "msg": "not a static SVG view", "type": "svg"}])
    views = [None if v is None else v.model_dump() for v in body.views]
    report = store_imported_report(
        session, request.app.state.artifacts, project.id, user, body.title, body.report, findings, svgs, views
    )
    return _report_out(report, latest(session, report), status=201)


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(
    report_id: str, session: DbSession, user: CurrentUser, version: int | None = Query(None, ge=1)
) -> Response:
    row = member_report(session, user, report_id)
    try:
        stored = latest(session, row, version)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    return _report_out(row, stored, etag=True)


@router.get("/reports/{report_id}/versions", response_model=list[VersionOut])
def list_versions(report_id: str, session: DbSession, user: CurrentUser) -> list[ReportVersion]:
    row = member_report(session, user, report_id)
    query = select(ReportVersion).where(ReportVersion.report_id == row.id).order_by(ReportVersion.version)
    return list(session.scalars(query))


def _stale(current: int) -> HTTPException:
    return HTTPException(409, {"msg": StaleEditError(current).args[0], "current_version": current})


def _save(
    session: DbSession,
    row: Report,
    based_on: int,
    built: Any,
    finding_ids: list[str],
    user: CurrentUser,
    action: str,
    **detail: Any,
) -> Response:
    """Store ``built`` as the version after ``based_on`` (409 if another write got there first),
    log ``action`` and answer with the new version."""
    try:
        saved = save_version(session, row, based_on, built, finding_ids, user.id)
    except StaleEditError as exc:
        raise _stale(exc.current) from exc
    audit.record(session, user, action, "report", row.id, row.project_id, version=saved.version, **detail)
    session.commit()
    session.refresh(row)
    return _report_out(row, saved, etag=True)


@router.put("/reports/{report_id}/fields", response_model=ReportOut)
def edit_fields(
    report_id: str,
    body: FieldsEdit,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    if_match: str | None = Header(default=None),
) -> Response:
    row = member_report(session, user, report_id)
    require(session, user, "edit_report", row.project_id)
    if if_match is not None and if_match.strip() != _etag(body.version):
        raise HTTPException(409, f"If-Match {if_match} does not name version {body.version} of the edit")
    allowed = set(editable_fields())
    for fid in body.fields:
        if fid not in allowed:
            msg = f"{fid!r} is not a field a person writes; editable fields: {', '.join(sorted(allowed))}"
            raise HTTPException(422, [{"loc": ["body", "fields", fid], "msg": msg, "type": "field"}])
    if body.version != row.version:
        raise _stale(row.version)
    base = json.loads(latest(session, row).body)  # parsed afresh: build() changes it
    built = build(session, request.app.state.artifacts, base)
    set_texts(built, body.fields, author=user.name)
    return _save(session, row, body.version, built, base["finding_ids"], user, "edit", fields=sorted(body.fields))


@router.post("/reports/{report_id}/findings", response_model=ReportOut)
def file_finding(
    report_id: str, body: FileFindingIn, request: Request, session: DbSession, user: CurrentUser
) -> Response:
    """File one more finding of the project as evidence: a new version (409 if the report moved on)."""
    row = member_report(session, user, report_id)
    require(session, user, "publish", row.project_id)
    finding = session.get(FindingRecord, body.finding_id)
    if finding is None or finding.project_id != row.project_id:
        msg = f"no finding {body.finding_id!r} in this project"
        raise HTTPException(422, [{"loc": ["body", "finding_id"], "msg": msg, "type": "finding"}])
    if body.version != row.version:
        raise _stale(row.version)
    base = json.loads(latest(session, row).body)
    if body.finding_id in base["finding_ids"]:
        raise HTTPException(409, {"msg": "the finding is filed in this report already", "current_version": row.version})
    finding_ids = [*base["finding_ids"], body.finding_id]
    built = build(session, request.app.state.artifacts, {**base, "finding_ids": finding_ids})
    return _save(session, row, body.version, built, finding_ids, user, "file_finding", finding=body.finding_id)


@router.post("/reports/{report_id}/approve", response_model=ReportOut)
def approve(report_id: str, body: ApproveIn, session: DbSession, user: CurrentUser) -> Response:
    row = member_report(session, user, report_id)
    require(session, user, "approve", row.project_id)
    try:
        stored = latest(session, row, body.version)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    missing = version_parts(stored.id, stored.body).missing
    if missing:
        raise HTTPException(
            422,
            {
                "msg": f"version {stored.version} cannot be approved: {len(missing)} fields are missing",
                "missing": missing,
            },
        )
    if stored.approved_by is None:
        stored.approved_by, stored.approved_at = user.id, utcnow()
        row.approved_version = stored.version
        audit.record(session, user, "approve", "report", row.id, row.project_id, version=stored.version)
        session.commit()
    return _report_out(row, stored)


MEDIA = {"html": "text/html; charset=utf-8", "json": "application/json", "pdf": "application/pdf"}


@router.get("/reports/{report_id}/export/{fmt}")
def export_report(
    report_id: str,
    fmt: Literal["html", "pdf", "json"],
    request: Request,
    session: DbSession,
    user: CurrentUser,
    version: int | None = Query(None, ge=1),
) -> Response:
    row = member_report(session, user, report_id)
    try:
        stored = latest(session, row, version)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    built = build(session, request.app.state.artifacts, json.loads(stored.body), with_views=fmt == "html")
    if fmt == "html":
        content: bytes = built.to_html().encode("utf-8")
    elif fmt == "json":
        content = built.to_json().encode("utf-8")
    else:
        with tempfile.TemporaryDirectory() as folder:
            content = built.to_pdf(Path(folder) / "report.pdf").read_bytes()
    audit.record(session, user, "export", "report", row.id, row.project_id, version=stored.version, format=fmt)
    session.commit()
    name = f"annex-iv-{row.id}-v{stored.version}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "html":  # the report's own policy: no request at all; its one inline script by hash
        headers["Content-Security-Policy"] = content_security_policy(content.decode("utf-8"))
    return Response(content, media_type=MEDIA[fmt], headers=headers)
