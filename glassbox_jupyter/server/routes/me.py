"""``/api/v1/me``: who the token belongs to.

Example:
    >>> [route.path for route in router.routes]
    ['/me']
"""

from __future__ import annotations

from fastapi import APIRouter

from glassbox_jupyter.server.deps import CurrentUser
from glassbox_jupyter.server.schemas import UserOut
from glassbox_jupyter.server.tables import User

router = APIRouter(tags=["me"])


@router.get("/me", response_model=UserOut)
def who_am_i(user: CurrentUser) -> User:
    return user
