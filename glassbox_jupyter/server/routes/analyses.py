"""``/api/v1/…/analyses``: jobs that run a capability on a project's model, outside the request.

Submitting checks the parameters (422 naming the field) and answers 202 with the queued job;
``GET`` shows its state (queued, running, done, failed, cancelled), progress and, when done, its
Finding; ``POST …/cancel`` stops it.

Example:
    >>> "/analyses/{analysis_id}/cancel" in {route.path for route in router.routes}
    True
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool

from glassbox_jupyter.finding.base import selection_key
from glassbox_jupyter.server import audit
from glassbox_jupyter.server.deps import (
    CurrentUser,
    DbSession,
    member_project,
    member_row,
    require,
)
from glassbox_jupyter.server.jobs.kinds import KINDS
from glassbox_jupyter.server.records import finding_body, store_finding
from glassbox_jupyter.server.routes.findings import finding_out
from glassbox_jupyter.server.schemas import FindingOut
from glassbox_jupyter.server.tables import Analysis, DatasetRecord, EndpointKey, FindingRecord, ModelRecord, utcnow

router = APIRouter(tags=["analyses"])
EVENT_POLL_S = 0.5


class AnalysisIn(BaseModel):
    kind: str = Field(description=f"one of: {', '.join(KINDS)}")
    model_id: str | None = Field(default=None, description="the project's model (not for audits of an endpoint)")
    params: dict[str, Any] = Field(default_factory=dict)


class AnalysisOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    model_id: str | None
    kind: str
    params: dict[str, Any]
    state: str
    progress: dict[str, Any]
    error: str | None
    finding_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def check_against_model(request: Request, model: ModelRecord, check: Any, params: Any) -> None:
    """Load the job's model and check the parameters against it (422 naming the field)."""
    import tempfile
    from pathlib import Path

    from glassbox_jupyter.server.jobs.kinds import ParamsError
    from glassbox_jupyter.server.jobs.worker import JobInputError, load_model

    with tempfile.TemporaryDirectory() as folder:
        try:
            loaded = load_model(model, request.app.state.artifacts, None, Path(folder))
            check(loaded, params)
        except ParamsError as exc:
            loc = ["body", *exc.loc] if exc.loc == ["model_id"] else ["body", "params", *exc.loc]
            raise HTTPException(422, [{"loc": loc, "msg": str(exc), "type": "params"}]) from exc
        except JobInputError as exc:
            raise HTTPException(422, [{"loc": ["body", "model_id"], "msg": str(exc), "type": "model"}]) from exc


def check_dataset(
    dataset: DatasetRecord | None, project_id: str, dataset_id: str, formats: tuple[str, ...], kind: str
) -> None:
    """The dataset must be a live one of the job's project, in a format the kind reads (422 otherwise)."""
    loc = ["body", "params", "dataset_id"]
    if dataset is None or dataset.project_id != project_id or dataset.deleted_at is not None:
        msg = f"no dataset {dataset_id!r} in this project (deleted datasets cannot be used)"
        raise HTTPException(422, [{"loc": loc, "msg": msg, "type": "dataset"}])
    if dataset.format not in formats:
        msg = f"a {kind} job reads {' or '.join(formats)} datasets; {dataset.name!r} is {dataset.format}"
        raise HTTPException(422, [{"loc": loc, "msg": msg, "type": "dataset"}])


def check_key(key: EndpointKey | None, project_id: str, key_id: str) -> None:
    """A stored endpoint key must be a live one of the job's project (422 otherwise)."""
    if key is None or key.project_id != project_id or key.deleted_at is not None:
        msg = f"no endpoint key {key_id!r} in this project (store it with POST /projects/{{id}}/endpoint-keys)"
        raise HTTPException(422, [{"loc": ["body", "params", "key_id"], "msg": msg, "type": "key"}])


def member_analysis(session: DbSession, user: CurrentUser, analysis_id: str) -> Analysis:
    return member_row(session, user, Analysis, analysis_id, "analysis")


@router.post("/projects/{project_id}/analyses", response_model=AnalysisOut, status_code=202)
def submit(project_id: str, body: AnalysisIn, request: Request, session: DbSession, user: CurrentUser) -> Analysis:
    project = member_project(session, user, project_id)
    require(session, user, "run", project.id)
    if body.kind not in KINDS:
        msg = f"unknown kind {body.kind!r}: one of {', '.join(KINDS)}"
        raise HTTPException(422, [{"loc": ["body", "kind"], "msg": msg, "type": "kind"}])
    job_kind = KINDS[body.kind]
    model = session.get(ModelRecord, body.model_id) if body.model_id else None
    if job_kind.needs_model and (model is None or model.project_id != project.id or model.deleted_at is not None):
        msg = f"no model {body.model_id!r} in this project (deleted models cannot run)"
        raise HTTPException(422, [{"loc": ["body", "model_id"], "msg": msg, "type": "model"}])
    if not job_kind.needs_model and body.model_id is not None:
        msg = f"a {body.kind} job runs on no model of the project: leave model_id out"
        raise HTTPException(422, [{"loc": ["body", "model_id"], "msg": msg, "type": "model"}])
    try:
        params = job_kind.params.model_validate(body.params)
    except ValidationError as exc:
        errors = [
            {"loc": ["body", "params", *e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False)
        ]
        raise HTTPException(422, errors) from exc
    key_id = getattr(params, "key_id", None)
    if key_id is not None:
        check_key(session.get(EndpointKey, key_id), project.id, key_id)
    dataset_id = getattr(params, "dataset_id", None)
    if dataset_id is not None:
        check_dataset(session.get(DatasetRecord, dataset_id), project.id, dataset_id, job_kind.data, body.kind)
    if job_kind.check is not None and model is not None:  # what only the model can tell (one-token answers)
        check_against_model(request, model, job_kind.check, params)
    if job_kind.check_server is not None:
        from glassbox_jupyter.server.jobs.kinds import ParamsError

        try:
            job_kind.check_server(params, request.app.state.settings.endpoint_hosts)
        except ParamsError as exc:
            raise HTTPException(
                422, [{"loc": ["body", "params", *exc.loc], "msg": str(exc), "type": "params"}]
            ) from exc
    job = Analysis(
        project_id=project.id,
        model_id=model.id if model else None,
        kind=body.kind,
        params=params.model_dump(mode="json"),
        created_by=user.id,
    )
    session.add(job)
    session.flush()
    audit.record(session, user, "create", "analysis", job.id, project.id, kind=body.kind, model=body.model_id)
    session.commit()
    request.app.state.jobs.wake()
    return job


@router.get("/projects/{project_id}/analyses", response_model=list[AnalysisOut])
def list_analyses(project_id: str, session: DbSession, user: CurrentUser) -> list[Analysis]:
    member_project(session, user, project_id)
    query = select(Analysis).where(Analysis.project_id == project_id).order_by(Analysis.created_at)
    return list(session.scalars(query))


@router.get("/analyses/{analysis_id}", response_model=AnalysisOut)
def get_analysis(analysis_id: str, session: DbSession, user: CurrentUser) -> Analysis:
    return member_analysis(session, user, analysis_id)


@router.get("/analyses/{analysis_id}/events", response_class=StreamingResponse)
async def job_events(analysis_id: str, request: Request, session: DbSession, user: CurrentUser) -> StreamingResponse:
    """Server-sent events: the job (as ``GET /analyses/{id}``) each time its state or progress
    changes, until it ends; a running distillation's progress carries its Pareto front so far."""
    job = await run_in_threadpool(member_analysis, session, user, analysis_id)
    sessions = request.app.state.sessions

    def snapshot() -> str:
        with sessions() as s:
            row = s.get(Analysis, job.id)
            return AnalysisOut.model_validate(row).model_dump_json() if row is not None else ""

    async def events() -> AsyncIterator[str]:
        last = ""
        while not await request.is_disconnected():
            now = await run_in_threadpool(snapshot)
            if now != last:
                last = now
                yield f"data: {now}\n\n"
            if not now or json.loads(now)["state"] in ("done", "failed", "cancelled"):
                return
            await asyncio.sleep(EVENT_POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.post("/analyses/{analysis_id}/cancel", response_model=AnalysisOut)
def cancel(analysis_id: str, request: Request, session: DbSession, user: CurrentUser) -> Analysis:
    job = member_analysis(session, user, analysis_id)
    require(session, user, "run", job.project_id)
    if job.state in ("done", "failed", "cancelled"):
        raise HTTPException(409, f"the job is {job.state} already; nothing to cancel")
    session.execute(update(Analysis).where(Analysis.id == job.id).values(cancel_requested=True))
    session.execute(
        update(Analysis)
        .where(Analysis.id == job.id, Analysis.state == "queued")
        .values(state="cancelled", error=f"cancelled by {user.name} before it started", finished_at=utcnow())
    )
    audit.record(session, user, "cancel", "analysis", job.id, job.project_id)
    session.commit()
    session.refresh(job)
    request.app.state.jobs.wake()
    return job


class PickIn(BaseModel):
    selection: Any = Field(description="the selection to file, e.g. an equation's id on the Pareto front")


@router.post("/analyses/{analysis_id}/pick", response_model=FindingOut, status_code=201)
def pick(analysis_id: str, body: PickIn, request: Request, session: DbSession, user: CurrentUser) -> Response:
    """The finding the job made, with another of its record choices selected (a front's other
    equation): stored once as a finding of its own (201), or the job's own finding when that is
    its selection already (200). Choices are the ones the job stored when it finished."""
    job = member_analysis(session, user, analysis_id)
    require(session, user, "publish", job.project_id)
    if job.state != "done" or job.finding_id is None:
        raise HTTPException(409, f"the job is {job.state}: only a finished job's finding can be picked from")
    row = session.get(FindingRecord, job.finding_id)
    assert row is not None
    key = selection_key(body.selection)
    stored = json.loads(request.app.state.artifacts.read(job.picks_sha256)) if job.picks_sha256 else None
    if stored is None or key == stored["current"]:
        if stored is None and key != selection_key(None):
            msg = f"a {job.kind} job's finding has no other selection to file"
            raise HTTPException(422, [{"loc": ["body", "selection"], "msg": msg, "type": "selection"}])
        return finding_out(row)
    if key not in stored["picks"]:
        options = ", ".join(sorted([stored["current"], *stored["picks"]], key=lambda k: (len(k), k)))
        msg = f"{key} is not a selection of this job's finding; pick one of {options}"
        raise HTTPException(422, [{"loc": ["body", "selection"], "msg": msg, "type": "selection"}])
    chosen = stored["picks"][key]
    same = select(FindingRecord).where(
        FindingRecord.project_id == job.project_id,
        FindingRecord.source == "job pick",
        FindingRecord.body == finding_body(chosen["finding"]),
    )
    earlier = session.scalars(same.limit(1)).first()
    if earlier is not None:  # picked before: the same record, not a copy
        return finding_out(earlier)
    store = request.app.state.artifacts
    made = store_finding(
        session, store, job.project_id, user.id, chosen["finding"], chosen["svg"], "job pick", chosen["view"]
    )
    audit.record(session, user, "create", "finding", made.id, job.project_id, analysis=job.id, selection=key)
    session.commit()
    return finding_out(made, 201)
