"""Request dependencies: the database session, the caller (by API token), roles, project access.

Access rules, in one place:
* a request names its user by an API token (``Authorization: Bearer``) or, from the dashboard, by
  a session cookie; with the cookie, every POST/PUT/PATCH/DELETE must also send the session's
  CSRF token in ``X-CSRF-Token`` (another site can make the browser send the cookie, not read it);
* no or unknown token → 401; a known user whose role may not do it → 403;
* a project the caller is not a member of answers 404, exactly like one that does not exist, so
  ids never leak; every refusal is written to the audit log.

Example:
    >>> ROLE_CAN["approve"]
    ('officer',)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.security import token_hash
from glassbox_jupyter.server.tables import ApiToken, BrowserSession, Membership, Project, User, utcnow

# what each role may do (admins manage users and projects and may do what analysts do)
ROLE_CAN: dict[str, tuple[str, ...]] = {
    "read": ("admin", "analyst", "officer", "viewer"),
    "create_project": ("admin", "analyst"),
    "manage_members": ("admin",),
    "publish": ("admin", "analyst"),
    "run": ("admin", "analyst"),
    "edit_report": ("admin", "analyst", "officer"),
    "approve": ("officer",),
    "read_audit": ("admin", "officer"),
}


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]


def _refuse(
    session: Session,
    status: int,
    detail: str,
    user: User | None,
    resource: str = "request",
    resource_id: str | None = None,
    project_id: str | None = None,
    **what: str,
) -> HTTPException:
    """The HTTP error to raise, after writing the refusal to the audit log (committed on its own).

    ``project_id`` files the refusal under the project it concerns, where its officers see it."""
    session.rollback()
    audit.record(session, user, "denied", resource, resource_id, project_id, status=status, reason=detail, **what)
    session.commit()
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status_code=status, detail=detail, headers=headers)


SESSION_COOKIE = "gb_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def session_user(request: Request, session: Session, cookie: str) -> User:
    """The user of a signed-in browser; unsafe methods must carry the session's CSRF token."""
    row = session.get(BrowserSession, token_hash(cookie))
    if row is None or row.expires_at.replace(tzinfo=row.expires_at.tzinfo or UTC) <= utcnow():
        raise _refuse(
            session, 401, "the browser session expired or is unknown: sign in again", None, path=request.url.path
        )
    user = session.get(User, row.user_id)
    if user is None:
        raise _refuse(session, 401, "the session's user no longer exists", None, path=request.url.path)
    if request.method in UNSAFE_METHODS and not secrets.compare_digest(request.headers.get(CSRF_HEADER, ""), row.csrf):
        raise _refuse(
            session, 403, "missing or wrong X-CSRF-Token header for a signed-in browser", user, path=request.url.path
        )
    return user


def current_user(request: Request, session: DbSession) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not header and cookie:
        return session_user(request, session, cookie)
    if scheme.lower() != "bearer" or not token.strip():
        raise _refuse(
            session,
            401,
            "missing API token: send 'Authorization: Bearer <token>' (make one with `glassbox users add`)",
            None,
            path=request.url.path,
        )
    user = session.scalar(  # one query: the token's live row and its user
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == token_hash(token.strip()), ApiToken.revoked_at.is_(None))
    )
    if user is None:
        raise _refuse(session, 401, "unknown or revoked API token", None, path=request.url.path)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(session: Session, user: User, action: str, project_id: str | None = None) -> None:
    """403 unless ``user``'s role may do ``action`` (see ROLE_CAN) in the project ``project_id``."""
    allowed = ROLE_CAN[action]
    if user.role not in allowed:
        raise _refuse(
            session,
            403,
            f"a {user.role} may not {action.replace('_', ' ')}: that needs the role {' or '.join(allowed)}",
            user,
            project_id=project_id,
            wanted=action,
        )


def not_found(
    session: Session, user: User, resource: str, resource_id: str, project_id: str | None = None
) -> HTTPException:
    """The 404 for a ``resource`` that does not exist or lies in another project (the same answer to
    the caller; the log files the attempt under the project it reached, ``project_id``)."""
    return _refuse(
        session,
        404,
        f"no {resource} {resource_id!r}",
        user,
        resource=resource,
        resource_id=resource_id,
        project_id=project_id,
    )


def member_project(session: Session, user: User, project_id: str) -> Project:
    """The project if ``user`` is a member; 404 otherwise (also when it exists)."""
    project = session.get(Project, project_id)
    if project is None or session.get(Membership, (project_id, user.id)) is None:
        raise not_found(session, user, "project", project_id, project.id if project else None)
    return project


RowT = TypeVar("RowT")


def member_row(session: Session, user: User, table: type[RowT], row_id: str, resource: str) -> RowT:
    """The row ``row_id`` of ``table`` if it lies in one of ``user``'s projects (and is not deleted);
    404 otherwise, the same answer as for an id that does not exist."""
    row = session.get(table, row_id)
    project_id = getattr(row, "project_id", None)
    if (
        row is None
        or getattr(row, "deleted_at", None) is not None
        or session.get(Membership, (project_id, user.id)) is None
    ):
        raise not_found(session, user, resource, row_id, project_id)
    return row


def member_project_ids(session: Session, user: User) -> list[str]:
    return list(session.scalars(select(Membership.project_id).where(Membership.user_id == user.id)))
