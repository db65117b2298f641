"""The append-only audit log: every create, edit, approval, export and refused authorisation.

Rows are only ever added (``record``); no code path updates or deletes them. The caller's session
commits the event together with the change it describes, so the log never claims a change that
was rolled back; refusals are committed on their own.

Example:
    >>> from glassbox_jupyter.server.tables import AuditEvent
    >>> event = AuditEvent(action="create", resource="project")
    >>> event.action
    'create'
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from glassbox_jupyter.server.tables import AuditEvent, User


def record(
    session: Session,
    user: User | None,
    action: str,
    resource: str,
    resource_id: str | None = None,
    project_id: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit event to ``session`` (committed with the caller's change)."""
    event = AuditEvent(
        user_id=user.id if user else None,
        user_name=user.name if user else None,
        action=action,
        resource=resource,
        resource_id=resource_id,
        project_id=project_id,
        detail=detail,
    )
    session.add(event)
    return event
