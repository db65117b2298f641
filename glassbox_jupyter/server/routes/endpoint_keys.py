"""``/api/v1/…/endpoint-keys``: API keys of audited endpoints, entered once and kept by the server.

A key is sent in one ``POST`` and stored encrypted (``server/secrets.py``); every answer after
that names it only (its name, who stored it, when). An audit job refers to it by ``key_id``; the
job's worker decrypts it in its own process and passes it to the endpoint client, which redacts
it from any error text.

Example:
    >>> sorted({route.path for route in router.routes})
    ['/endpoint-keys/{key_id}', '/projects/{project_id}/endpoint-keys']
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.deps import CurrentUser, DbSession, member_project, member_row, require
from glassbox_jupyter.server.secrets import SecretBox
from glassbox_jupyter.server.tables import EndpointKey, utcnow

router = APIRouter(tags=["endpoint keys"])


class EndpointKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=120, description="what the key is for, e.g. 'loan-bot staging'")
    key: SecretStr = Field(min_length=4, max_length=4000, description="the API key; never sent back")


class EndpointKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str
    name: str
    created_by: str
    created_at: datetime


@router.get("/projects/{project_id}/endpoint-keys", response_model=list[EndpointKeyOut])
def list_keys(project_id: str, session: DbSession, user: CurrentUser) -> list[EndpointKey]:
    member_project(session, user, project_id)
    query = select(EndpointKey).where(EndpointKey.project_id == project_id, EndpointKey.deleted_at.is_(None))
    return list(session.scalars(query.order_by(EndpointKey.created_at)))


@router.post("/projects/{project_id}/endpoint-keys", response_model=EndpointKeyOut, status_code=201)
def store_key(
    project_id: str, body: EndpointKeyIn, request: Request, session: DbSession, user: CurrentUser
) -> EndpointKey:
    project = member_project(session, user, project_id)
    require(session, user, "run", project.id)
    box = SecretBox.open(request.app.state.settings.secret_file)
    record = EndpointKey(
        project_id=project.id, name=body.name, ciphertext=box.encrypt(body.key.get_secret_value()), created_by=user.id
    )
    session.add(record)
    session.flush()
    audit.record(session, user, "create", "endpoint_key", record.id, project.id, name=body.name)
    session.commit()
    return record


@router.delete("/endpoint-keys/{key_id}", status_code=204)
def delete_key(key_id: str, session: DbSession, user: CurrentUser) -> None:
    record = member_row(session, user, EndpointKey, key_id, "endpoint key")
    require(session, user, "run", record.project_id)
    record.deleted_at, record.ciphertext = utcnow(), ""  # the ciphertext goes too: a deleted key is gone
    audit.record(session, user, "delete", "endpoint_key", record.id, record.project_id, name=record.name)
    session.commit()
