"""Annex IV reports on the server: built from a project's Findings, edited by people, signed off.

A report is a list of immutable versions. Each version stores the report's JSON (the library's own
``AnnexIVReport.to_dict()``) and the ids of the Findings filed in it; the report object is rebuilt
from those (``build``), so HTML, PDF and JSON exports come from the same code as in a notebook.
Edits are optimistic: a write names the version it started from, and a stale write changes nothing
(HTTP 409). Approval freezes a version: its row is never changed again, and the report remembers
which version was signed, by whom and when.

Example:
    >>> editable_fields()[:2]
    ['1.purpose', '1.versions']
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from glassbox_jupyter.report.annex import AnnexIVReport, HumanText
from glassbox_jupyter.report.fields import FIELDS
from glassbox_jupyter.server import audit
from glassbox_jupyter.server.artifacts import ArtifactStore
from glassbox_jupyter.server.records import store_finding
from glassbox_jupyter.server.tables import FindingRecord, Report, ReportVersion, User


class StaleEditError(Exception):
    """The report changed since the version an edit started from."""

    def __init__(self, current: int):
        super().__init__(f"the report is at version {current}: reload it and apply your edit again")
        self.current = current


def editable_fields() -> list[str]:
    """The ids of the fields a person may write: every field. Most are written only by people
    (``filled_by == "human"``); on an automatic one a person's text marks it human too (e.g. why a
    group-fairness audit does not apply), as ``AnnexIVReport.write`` allows in a notebook."""
    return list(FIELDS)


def build(session: Session, store: ArtifactStore, body: dict[str, Any], with_views: bool = False) -> AnnexIVReport:
    """The ``AnnexIVReport`` a stored version describes (its texts, and its Findings with their SVG
    views); ``with_views`` adds their live views, which only an HTML export shows."""
    report = AnnexIVReport.from_dict(body["report"], with_findings=False)
    for finding_id in body["finding_ids"]:
        row = session.get(FindingRecord, finding_id)
        if row is None:  # findings are never deleted while a report uses them; say so if one is
            report.notes.append(f"finding {finding_id} is no longer stored")
            continue
        data = json.loads(row.body)
        if row.svg_sha256:
            data["static_html"] = store.read(row.svg_sha256).decode("utf-8")
        if with_views and row.view_sha256:  # the exported HTML report shows it as a live widget
            data["live_view"] = json.loads(store.read(row.view_sha256))
        report.add(data, origin=f"finding {row.id}")
    return report


def version_body(report: AnnexIVReport, finding_ids: list[str]) -> str:
    return json.dumps({"report": report.to_dict(), "finding_ids": finding_ids}, ensure_ascii=False)


def latest(session: Session, report: Report, version: int | None = None) -> ReportVersion:
    """Version ``version`` of ``report`` (its newest when None)."""
    wanted = report.version if version is None else version
    row = session.scalar(
        select(ReportVersion).where(ReportVersion.report_id == report.id, ReportVersion.version == wanted)
    )
    if row is None:
        raise LookupError(f"report {report.id!r} has no version {wanted} (its newest is {report.version})")
    return row


def save_version(
    session: Session, report: Report, based_on: int, built: AnnexIVReport, finding_ids: list[str], user_id: str
) -> ReportVersion:
    """Store ``built`` as version ``based_on + 1``; StaleEditError if another write got there first.

    The version bump is one conditional UPDATE, so of two writers starting from one version exactly
    one wins, on SQLite and PostgreSQL alike."""
    bumped = session.execute(
        update(Report).where(Report.id == report.id, Report.version == based_on).values(version=based_on + 1)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = session.scalar(select(Report.version).where(Report.id == report.id))
        raise StaleEditError(int(current or 0))
    row = ReportVersion(
        report_id=report.id, version=based_on + 1, body=version_body(built, finding_ids), created_by=user_id
    )
    session.add(row)
    return row


def set_texts(report: AnnexIVReport, texts: dict[str, str], author: str) -> None:
    """Replace the human text of each field in ``texts`` (an empty text clears the field)."""
    for fid, text in texts.items():
        report.fields[fid].texts = (
            [HumanText(text.strip(), origin="glassbox server", author=author)] if text.strip() else []
        )


def store_imported_report(
    session: Session,
    store: ArtifactStore,
    project_id: str,
    user: User,
    title: str,
    report_data: dict[str, Any],
    findings: list[dict[str, Any]],
    svgs: list[str | None],
    views: list[dict[str, Any] | None] | None = None,
) -> Report:
    """A report made elsewhere (``AnnexIVReport.to_dict()``): its Findings become the project's
    (with their SVG and live views), its texts version 1. Committed."""
    views = list(views or []) + [None] * (len(findings) - len(views or []))
    finding_ids = [
        store_finding(session, store, project_id, user.id, finding, svg, "report", view).id
        for finding, svg, view in zip(findings, svgs, views)
    ]
    base = {"report": AnnexIVReport.from_dict(report_data, with_findings=False).to_dict(), "finding_ids": finding_ids}
    built = build(session, store, base)
    report = Report(project_id=project_id, title=title, version=1, created_by=user.id)
    session.add(report)
    session.flush()
    session.add(
        ReportVersion(report_id=report.id, version=1, body=version_body(built, finding_ids), created_by=user.id)
    )
    audit.record(session, user, "create", "report", report.id, project_id, title=title, imported=True)
    session.commit()
    return report
