"""``/api/v1/session``: a browser signs in with an API token and gets a session cookie.

The cookie is HttpOnly (no script reads it), SameSite=Strict, Secure over HTTPS, and lasts
``SESSION_HOURS``. The answer carries the session's CSRF token, which the dashboard sends back in
``X-CSRF-Token`` with every change. Sign-in attempts are rate limited per client address.

Example:
    >>> SESSION_HOURS
    12
"""

from __future__ import annotations

import secrets
from datetime import UTC, timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.deps import SESSION_COOKIE, CurrentUser, DbSession
from glassbox_jupyter.server.schemas import UserOut
from glassbox_jupyter.server.security import token_hash
from glassbox_jupyter.server.tables import ApiToken, BrowserSession, User, utcnow

router = APIRouter(tags=["session"])
SESSION_HOURS = 12


class SignIn(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="an API token (glassbox users add)")


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str


class CurrentSessionOut(BaseModel):
    user: UserOut | None = Field(description="None when this browser is not signed in")
    csrf_token: str | None


@router.post("/session", response_model=SessionOut)
def sign_in(body: SignIn, request: Request, response: Response, session: DbSession) -> SessionOut:
    client = request.client.host if request.client else "unknown"
    wait = request.app.state.sign_in_limiter.hit(client)
    if wait is not None:
        audit.record(session, None, "denied", "session", None, None, status=429, client=client)
        session.commit()
        raise HTTPException(
            429, f"too many sign-in attempts: try again in {wait:g} s", headers={"Retry-After": str(int(wait) + 1)}
        )
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_sha256 == token_hash(body.token.strip()), ApiToken.revoked_at.is_(None))
    )
    user = session.get(User, row.user_id) if row else None
    if user is None:
        audit.record(session, None, "denied", "session", None, None, status=401, client=client)
        session.commit()
        raise HTTPException(401, "unknown or revoked API token")
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=SESSION_HOURS)
    session.add(BrowserSession(id=token_hash(cookie), user_id=user.id, csrf=csrf, expires_at=expires))
    audit.record(session, user, "sign_in", "session", None, None, client=client)
    session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return SessionOut(user=UserOut.model_validate(user), csrf_token=csrf)


@router.get("/session", response_model=CurrentSessionOut)
def current_session(request: Request, session: DbSession) -> CurrentSessionOut:
    """The signed-in browser's user and CSRF token, or nulls when it is not signed in (a reloaded
    dashboard page asks; another site's page cannot read this answer)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    row = session.get(BrowserSession, token_hash(cookie)) if cookie else None
    live = row is not None and row.expires_at.replace(tzinfo=row.expires_at.tzinfo or UTC) > utcnow()
    user = session.get(User, row.user_id) if row is not None and live else None
    if row is None or user is None:
        return CurrentSessionOut(user=None, csrf_token=None)
    return CurrentSessionOut(user=UserOut.model_validate(user), csrf_token=row.csrf)


@router.delete("/session", status_code=204)
def sign_out(request: Request, response: Response, session: DbSession, user: CurrentUser) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        row = session.get(BrowserSession, token_hash(cookie))
        if row is not None:
            session.delete(row)
    audit.record(session, user, "sign_out", "session")
    session.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")
