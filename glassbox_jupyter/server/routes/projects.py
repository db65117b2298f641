"""``/api/v1/projects``: the projects the caller is a member of, and their members.

Example:
    >>> router.prefix
    '/projects'
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from glassbox_jupyter.server import audit
from glassbox_jupyter.server.deps import CurrentUser, DbSession, member_project, member_project_ids, require
from glassbox_jupyter.server.schemas import MemberIn, ProjectIn, ProjectOut, UserOut
from glassbox_jupyter.server.tables import Membership, Project, User

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("", response_model=list[ProjectOut])
def list_projects(session: DbSession, user: CurrentUser) -> list[Project]:
    ids = member_project_ids(session, user)
    return list(session.scalars(select(Project).where(Project.id.in_(ids)).order_by(Project.created_at)))


@router.post("", response_model=ProjectOut, status_code=201)
def create_project(body: ProjectIn, session: DbSession, user: CurrentUser) -> Project:
    require(session, user, "create_project")
    if session.scalar(select(Project).where(Project.name == body.name)) is not None:
        raise HTTPException(409, f"a project named {body.name!r} exists already: pick another name")
    project = Project(name=body.name, created_by=user.id)
    session.add(project)
    session.flush()
    session.add(Membership(project_id=project.id, user_id=user.id))
    audit.record(session, user, "create", "project", project.id, project.id, name=body.name)
    session.commit()
    return project


@router.get("/{project_id}", response_model=ProjectOut)
def get_project(project_id: str, session: DbSession, user: CurrentUser) -> Project:
    return member_project(session, user, project_id)


@router.get("/{project_id}/members", response_model=list[UserOut])
def list_members(project_id: str, session: DbSession, user: CurrentUser) -> list[User]:
    member_project(session, user, project_id)
    query = select(User).join(Membership, Membership.user_id == User.id).where(Membership.project_id == project_id)
    return list(session.scalars(query.order_by(User.name)))


@router.post("/{project_id}/members", response_model=UserOut, status_code=201)
def add_member(project_id: str, body: MemberIn, session: DbSession, user: CurrentUser) -> User:
    project = member_project(session, user, project_id)
    require(session, user, "manage_members", project.id)
    new = session.scalar(select(User).where(User.name == body.user))
    if new is None:
        raise HTTPException(
            422, f"no user named {body.user!r}: make one with `glassbox users add {body.user} --role …`"
        )
    if session.get(Membership, (project.id, new.id)) is None:
        session.add(Membership(project_id=project.id, user_id=new.id))
        audit.record(session, user, "add_member", "project", project.id, project.id, member=new.name)
        session.commit()
    return new
