"""``/api/v1/…/datasets``: data a project's jobs run models on (CSV, NumPy ``.npy``, texts), checked
when uploaded and stored by content; the shipped demo datasets by name.

Example:
    >>> sorted({route.path for route in router.routes})[:2]
    ['/datasets/{dataset_id}', '/projects/{project_id}/datasets']
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.datasets import DatasetError, dataset_format, demo_dataset, read_dataset
from glassbox_jupyter.server.deps import CurrentUser, DbSession, member_project, member_row, require
from glassbox_jupyter.server.model_files import ModelFileError, safe_file_name
from glassbox_jupyter.server.records import store_artifact
from glassbox_jupyter.server.tables import DatasetRecord, User, utcnow
from glassbox_jupyter.server.uploads import read_upload

router = APIRouter(tags=["datasets"])
MEDIA_TYPES = {"csv": "text/csv", "npy": "application/octet-stream", "texts": "text/plain"}


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    name: str
    format: str
    artifact_sha256: str
    facts: dict[str, Any]
    created_at: datetime


class DemoDatasetIn(BaseModel):
    demo: str = Field(min_length=1, max_length=80, description="a shipped demo dataset: digits or topics")


def _refused(exc: DatasetError | ModelFileError, field: str) -> HTTPException:
    if exc.status == 422:
        return HTTPException(422, [{"loc": ["body", field], "msg": str(exc), "type": "dataset"}])
    return HTTPException(exc.status, str(exc))


def _store(
    session: Session, request: Request, user: User, project_id: str, name: str, fmt: str, data: bytes, **detail: Any
) -> DatasetRecord:
    try:
        facts = read_dataset(data, fmt).facts
    except DatasetError as exc:
        raise _refused(exc, "file") from exc
    sha = store_artifact(session, request.app.state.artifacts, data, MEDIA_TYPES[fmt])
    record = DatasetRecord(
        project_id=project_id, name=name, format=fmt, artifact_sha256=sha, facts=facts, created_by=user.id
    )
    session.add(record)
    session.flush()
    audit.record(session, user, "create", "dataset", record.id, project_id, sha256=sha, format=fmt, **detail)
    session.commit()
    return record


@router.get("/projects/{project_id}/datasets", response_model=list[DatasetOut])
def list_datasets(project_id: str, session: DbSession, user: CurrentUser) -> list[DatasetRecord]:
    member_project(session, user, project_id)
    query = select(DatasetRecord).where(DatasetRecord.project_id == project_id, DatasetRecord.deleted_at.is_(None))
    return list(session.scalars(query.order_by(DatasetRecord.created_at)))


@router.post("/projects/{project_id}/datasets", response_model=DatasetOut, status_code=201)
async def upload_dataset(
    project_id: str,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description=".csv (header row, then numbers), .npy (numbers) or .txt")],
    name: Annotated[str | None, Form(max_length=120)] = None,
) -> DatasetRecord:
    project = member_project(session, user, project_id)
    require(session, user, "publish", project.id)
    try:
        file_name = safe_file_name(file.filename or "")
        fmt = dataset_format(file_name)
    except (ModelFileError, DatasetError) as exc:
        raise _refused(exc, "file") from exc
    data = await read_upload(file, request.app.state.settings.max_upload_mb)
    return _store(session, request, user, project.id, name or file_name, fmt, data, file=file_name)


@router.post("/projects/{project_id}/datasets/demo", response_model=DatasetOut, status_code=201)
def add_demo_dataset(
    project_id: str, body: DemoDatasetIn, request: Request, session: DbSession, user: CurrentUser
) -> DatasetRecord:
    project = member_project(session, user, project_id)
    require(session, user, "publish", project.id)
    try:
        data, fmt = demo_dataset(body.demo)
    except DatasetError as exc:
        raise HTTPException(422, [{"loc": ["body", "demo"], "msg": str(exc), "type": "demo"}]) from exc
    return _store(session, request, user, project.id, body.demo, fmt, data, demo=body.demo)


@router.get("/datasets/{dataset_id}", response_model=DatasetOut)
def get_dataset(dataset_id: str, session: DbSession, user: CurrentUser) -> DatasetRecord:
    return member_row(session, user, DatasetRecord, dataset_id, "dataset")


@router.delete("/datasets/{dataset_id}", status_code=204)
def delete_dataset(dataset_id: str, session: DbSession, user: CurrentUser) -> None:
    record = member_row(session, user, DatasetRecord, dataset_id, "dataset")
    require(session, user, "publish", record.project_id)
    record.deleted_at = utcnow()
    audit.record(session, user, "delete", "dataset", record.id, record.project_id, name=record.name)
    session.commit()
