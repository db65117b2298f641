"""User accounts and API tokens, managed from the command line (``glassbox users add``).

Example:
    >>> import tempfile
    >>> from glassbox_jupyter.server.db import open_database, default_url, session_factory
    >>> sessions = session_factory(open_database(default_url(tempfile.mkdtemp())))
    >>> with sessions() as s:
    ...     user, token = add_user(s, "ada", "officer")
    >>> user.role, token.startswith("gbx_")
    ('officer', True)
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.security import new_token, token_hash
from glassbox_jupyter.server.tables import ROLES, ApiToken, Membership, Project, User

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,79}$")


class UserError(ValueError):
    """A user that cannot be made as asked."""


def add_user(session: Session, name: str, role: str, projects: tuple[str, ...] = ()) -> tuple[User, str]:
    """Make user ``name`` with ``role`` (a member of the named ``projects``, made if new) and an API
    token; returns the user and the token, which is not stored and cannot be shown again."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not _NAME.match(name):
        raise UserError(f"user name {name!r}: use letters, digits and _ . @ - (at most 80 characters)")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise UserError(f"a user named {name!r} exists already")
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_sha256=token_hash(token), label="made by glassbox users add"))
    for project_name in projects:
        project = session.scalar(select(Project).where(Project.name == project_name))
        if project is None:
            project = Project(name=project_name, created_by=user.id)
            session.add(project)
            session.flush()
            audit.record(session, user, "create", "project", project.id, project.id, name=project_name)
        session.add(Membership(project_id=project.id, user_id=user.id))
    audit.record(session, None, "create", "user", user.id, None, name=name, role=role, projects=list(projects))
    session.commit()
    return user, token
