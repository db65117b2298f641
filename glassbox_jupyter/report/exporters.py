"""nbconvert exporters: ``jupyter nbconvert --to annex-iv nb.ipynb`` (HTML) and ``--to annex-iv-pdf``.

Registered through the ``nbconvert.exporters`` entry points. The HTML needs no network at all;
the PDF is printed by headless Chromium (a clear error says how to install it when absent).
Code cells are hidden unless ``--AnnexIVExporter.include_code=True``.

Example (shell):
    jupyter nbconvert --to annex-iv notebooks/annex_iv_walkthrough.ipynb
    jupyter nbconvert --to annex-iv-pdf --execute notebooks/annex_iv_walkthrough.ipynb
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbconvert.exporters import Exporter
from traitlets import Bool, Unicode

from glassbox_jupyter.report.notebook import report_from_notebook

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from glassbox_jupyter.report.annex import AnnexIVReport


class AnnexIVExporter(Exporter):
    """An annotated notebook → Annex IV technical documentation (offline HTML)."""

    export_from_notebook = "Annex IV report (HTML)"
    output_mimetype = "text/html"
    include_code = Bool(False, help="Append the code of annotated cells as an appendix.").tag(config=True)
    model_name = Unicode(None, allow_none=True, help="Override the system name found in the notebook.").tag(config=True)

    def _file_extension_default(self) -> str:
        return ".annex-iv.html"

    def build_report(self, nb: NotebookNode) -> AnnexIVReport:
        return report_from_notebook(nb, model_name=self.model_name)

    def from_notebook_node(  # type: ignore[override]  # each exporter returns its own output (here HTML), as nbconvert's do
        self, nb: NotebookNode, resources: Any = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        return self.build_report(nb_copy).to_html(include_code=self.include_code), resources


class AnnexIVPDFExporter(AnnexIVExporter):
    """An annotated notebook → Annex IV technical documentation as PDF (headless Chromium)."""

    export_from_notebook = "Annex IV report (PDF)"
    output_mimetype = "application/pdf"

    def _file_extension_default(self) -> str:
        return ".annex-iv.pdf"

    def from_notebook_node(  # type: ignore[override]  # each exporter returns its own output (here PDF bytes)
        self, nb: NotebookNode, resources: Any = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        html, resources = super().from_notebook_node(nb, resources, **kw)
        from glassbox_jupyter.report.pdf import html_to_pdf

        with tempfile.TemporaryDirectory(prefix="glassbox-annex-") as tmp:
            pdf = html_to_pdf(html, Path(tmp) / "report.pdf").read_bytes()
        return pdf, resources
