"""``/api/v1/audit``: the append-only audit log, for admins and officers.

Events about a project are shown to members of that project; events about no project (a refused
token, a new user) only to admins.

Example:
    >>> [route.path for route in router.routes]
    ['/audit']
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, or_, select

from glassbox_jupyter.server.deps import CurrentUser, DbSession, member_project_ids, require
from glassbox_jupyter.server.schemas import AuditEventOut
from glassbox_jupyter.server.tables import AuditEvent

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditEventOut])
def read_audit_log(
    session: DbSession,
    user: CurrentUser,
    after: int = Query(0, ge=0, description="only events with a larger id (to page forward)"),
    limit: int = Query(200, ge=1, le=1000),
    newest_first: bool = Query(False, description="the newest events first (a page of the latest)"),
) -> list[AuditEvent]:
    require(session, user, "read_audit")
    visible: ColumnElement[bool] = AuditEvent.project_id.in_(member_project_ids(session, user))
    if user.role == "admin":
        visible = or_(visible, AuditEvent.project_id.is_(None))
    order = AuditEvent.id.desc() if newest_first else AuditEvent.id
    query = select(AuditEvent).where(visible, AuditEvent.id > after).order_by(order).limit(limit)
    return list(session.scalars(query))
