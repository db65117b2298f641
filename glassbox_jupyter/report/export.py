"""Notebook → Annex IV report files (HTML, PDF, JSON), optionally executing the notebook first.

Shared by ``glassbox report``, ``glassbox demo`` and ``%glassbox export``. With ``live`` Findings
(from the running kernel), each Finding is written in its current state — including a widget
selection made after its output was saved.

Example:
    >>> from glassbox_jupyter.report.export import FORMATS
    >>> FORMATS
    ('html', 'pdf', 'json')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.errors import GlassboxError
from glassbox_jupyter.report.execute import execute_and_save

if TYPE_CHECKING:
    from glassbox_jupyter.report.annex import AnnexIVReport

FORMATS = ("html", "pdf", "json")


@dataclass
class ExportResult:
    """What an export wrote (``{format: path}``, plus ``ipynb`` when executed) and the report itself."""

    paths: dict[str, Path]
    report: AnnexIVReport


def apply_live(report: AnnexIVReport, live: dict[str, Any]) -> None:
    """Replace stored Findings by their live objects' current state (same key), in place."""
    from glassbox_jupyter.finding.live import finding_key
    from glassbox_jupyter.finding.publish import live_view

    for stored in report.findings:
        finding = live.get(finding_key(stored.data))
        if finding is not None:
            stored.data = finding.to_dict()
            stored.static_html = finding.static_html()
            stored.view = live_view(finding)
    report._derive()


def export_notebook(
    notebook: str | Path,
    to: Sequence[str] | str = ("html",),
    *,
    out: str | Path | None = None,
    execute: bool = False,
    include_code: bool = False,
    timeout: int = 600,
    live: dict[str, Any] | None = None,
    **system: Any,
) -> ExportResult:
    """Write the Annex IV report of ``notebook`` in each format of ``to``; returns paths and the report.

    ``execute=True`` runs the notebook first (and also writes the executed ``.ipynb`` beside the
    reports). ``system`` keywords (``model_name=``…) override the notebook's system description.
    """
    import nbformat

    from glassbox_jupyter.report.notebook import report_from_notebook

    formats = [to] if isinstance(to, str) else list(to)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise GlassboxError(f"--to takes {', '.join(FORMATS)}; got {', '.join(unknown) or 'nothing'}")
    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    folder = Path(out) if out is not None else path.parent
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if execute:
        written["ipynb"] = folder / path.name
        nb = execute_and_save(path, written["ipynb"], timeout)
    else:
        nb = nbformat.read(path, as_version=4)
    report = report_from_notebook(nb, **system)
    if live:
        apply_live(report, live)

    def target(fmt: str) -> Path:
        return folder / f"{path.stem}.annex-iv.{fmt}"

    if "json" in formats:
        written["json"] = target("json")
        report.to_json(written["json"])
    if "html" in formats or "pdf" in formats:
        html = report.to_html(include_code=include_code)
        if "html" in formats:
            written["html"] = target("html")
            written["html"].write_text(html, encoding="utf-8")
        if "pdf" in formats:
            from glassbox_jupyter.report.pdf import html_to_pdf

            written["pdf"] = html_to_pdf(html, target("pdf"))
    return ExportResult(written, report)
