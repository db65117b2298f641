"""Storing a Finding on the server, the one way every path does it (published from a notebook,
filed with a report, or made by a job): its JSON text as given, its SVG view as an artifact.

Example:
    >>> import tempfile
    >>> from glassbox_jupyter.server.db import default_url, open_database, session_factory
    >>> store = ArtifactStore(tempfile.mkdtemp())
    >>> with session_factory(open_database(default_url(tempfile.mkdtemp())))() as session:
    ...     sha = store_artifact(session, store, b"<svg/>", "image/svg+xml")
    >>> len(sha)
    64
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from glassbox_jupyter.server.artifacts import ArtifactStore
from glassbox_jupyter.server.tables import Artifact, FindingRecord


def store_artifact(session: Session, store: ArtifactStore, data: bytes, media_type: str) -> str:
    """Write ``data`` to the content-addressed folder and record it (once per content); its SHA-256."""
    sha = store.put(data)
    if session.get(Artifact, sha) is None:
        session.add(Artifact(sha256=sha, size=len(data), media_type=media_type))
        session.flush()  # before any row that refers to it (no relationship orders the two)
    return sha


def finding_body(data: dict[str, Any]) -> str:
    """The stored JSON text of a Finding's ``to_dict()`` form (``FindingRecord.body``)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def store_finding(
    session: Session,
    store: ArtifactStore,
    project_id: str,
    user_id: str,
    data: dict[str, Any],
    svg: str | None,
    source: str,
    view: dict[str, Any] | None = None,
) -> FindingRecord:
    """Add a Finding (its ``to_dict()`` form, schema-checked by the caller), its SVG view and, when
    given, its live view (``finding.publish.live_view``: what its widget shows)."""
    sha = store_artifact(session, store, svg.encode("utf-8"), "image/svg+xml") if svg is not None else None
    view_sha = (
        store_artifact(session, store, json.dumps(view, allow_nan=False).encode("utf-8"), "application/json")
        if view is not None
        else None
    )
    row = FindingRecord(
        project_id=project_id,
        kind=data["kind"],
        title=data["summary"][:300],
        body=finding_body(data),
        svg_sha256=sha,
        view_sha256=view_sha,
        source=source,
        created_by=user_id,
    )
    session.add(row)
    session.flush()
    return row
