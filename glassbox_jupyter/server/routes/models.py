"""``/api/v1/…/models``: model files uploaded to a project (checked, then stored by content), and
the shipped demo models by name.

Example:
    >>> sorted({route.path for route in router.routes})[:2]
    ['/models/{model_id}', '/projects/{project_id}/models']
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.deps import (
    CurrentUser,
    DbSession,
    member_project,
    member_row,
    require,
)
from glassbox_jupyter.server.model_files import ModelFileError, check_loads, model_format, safe_file_name
from glassbox_jupyter.server.records import store_artifact
from glassbox_jupyter.server.tables import ModelRecord, utcnow
from glassbox_jupyter.server.uploads import read_upload

router = APIRouter(tags=["models"])


class ModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    name: str
    format: str
    artifact_sha256: str | None
    card: dict[str, Any]
    created_at: datetime


class DemoModelIn(BaseModel):
    demo: str = Field(min_length=1, max_length=80, description="a shipped demo model, e.g. friedman_mlp")


def _refuse_upload(exc: ModelFileError, field: str) -> HTTPException:
    if exc.status == 422:
        return HTTPException(422, [{"loc": ["body", field], "msg": str(exc), "type": "model_file"}])
    return HTTPException(exc.status, str(exc))


@router.get("/projects/{project_id}/models", response_model=list[ModelOut])
def list_models(project_id: str, session: DbSession, user: CurrentUser) -> list[ModelRecord]:
    member_project(session, user, project_id)
    query = select(ModelRecord).where(ModelRecord.project_id == project_id, ModelRecord.deleted_at.is_(None))
    return list(session.scalars(query.order_by(ModelRecord.created_at)))


@router.post("/projects/{project_id}/models", response_model=ModelOut, status_code=201)
async def upload_model(
    project_id: str,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="safetensors, ONNX or TorchScript / torch state dict")],
    card: Annotated[str | None, Form(description="architecture card (JSON); needed for safetensors")] = None,
    name: Annotated[str | None, Form(max_length=120)] = None,
) -> ModelRecord:
    project = member_project(session, user, project_id)
    require(session, user, "publish", project.id)
    settings = request.app.state.settings
    try:
        file_name = safe_file_name(file.filename or "")
        fmt = model_format(file_name, settings.allow_pickle)
    except ModelFileError as exc:
        raise _refuse_upload(exc, "file") from exc
    try:
        card_data = json.loads(card) if card else {}
    except json.JSONDecodeError as exc:
        raise HTTPException(422, [{"loc": ["body", "card"], "msg": f"not JSON: {exc}", "type": "json"}]) from exc
    if not isinstance(card_data, dict):
        raise HTTPException(422, [{"loc": ["body", "card"], "msg": "must be a JSON object", "type": "json"}])
    data = await read_upload(file, settings.max_upload_mb)
    with tempfile.TemporaryDirectory() as folder:  # loaded under its own suffix, outside the store
        staged = Path(folder) / file_name
        staged.write_bytes(data)
        try:
            facts = check_loads(staged, fmt, card_data, settings.allow_pickle)
        except ModelFileError as exc:
            raise _refuse_upload(exc, "card" if "architecture" in str(exc) else "file") from exc
    sha = store_artifact(session, request.app.state.artifacts, data, "application/octet-stream")
    record = ModelRecord(
        project_id=project.id,
        name=name or file_name,
        format=fmt,
        artifact_sha256=sha,
        card={**card_data, "file_name": file_name, **facts},
        created_by=user.id,
    )
    session.add(record)
    session.flush()
    audit.record(session, user, "create", "model", record.id, project.id, file=file_name, sha256=sha, format=fmt)
    session.commit()
    return record


@router.post("/projects/{project_id}/models/demo", response_model=ModelOut, status_code=201)
def add_demo_model(project_id: str, body: DemoModelIn, session: DbSession, user: CurrentUser) -> ModelRecord:
    from glassbox_jupyter import demos

    project = member_project(session, user, project_id)
    require(session, user, "publish", project.id)
    names = [entry["name"] for entry in demos.list()]
    if body.demo not in names:
        loc = ["body", "demo"]
        raise HTTPException(
            422, [{"loc": loc, "msg": f"no demo {body.demo!r}; pick one of {', '.join(names)}", "type": "demo"}]
        )
    record = ModelRecord(
        project_id=project.id, name=body.demo, format="demo", card=demos.card(body.demo), created_by=user.id
    )
    session.add(record)
    session.flush()
    audit.record(session, user, "create", "model", record.id, project.id, demo=body.demo)
    session.commit()
    return record


def member_model(session: DbSession, user: CurrentUser, model_id: str) -> ModelRecord:
    """A live model of one of the caller's projects; 404 otherwise (deleted ones too)."""
    return member_row(session, user, ModelRecord, model_id, "model")


@router.get("/models/{model_id}", response_model=ModelOut)
def get_model(model_id: str, session: DbSession, user: CurrentUser) -> ModelRecord:
    return member_model(session, user, model_id)


@router.delete("/models/{model_id}", status_code=204)
def delete_model(model_id: str, session: DbSession, user: CurrentUser) -> None:
    record = member_model(session, user, model_id)
    require(session, user, "publish", record.project_id)
    record.deleted_at = utcnow()
    audit.record(session, user, "delete", "model", record.id, record.project_id, name=record.name)
    session.commit()
