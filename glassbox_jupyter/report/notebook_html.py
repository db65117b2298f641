"""Offline HTML export of executed notebooks: static GlassBox views, nothing from a CDN.

nbconvert's stock HTML loads require.js, MathJax and the widget manager from CDNs, and a live
widget output is a dead placeholder outside a kernel. This exporter drops widget-view outputs
that carry a static fallback (every GlassBox Finding does) and uses a template without CDN scripts.

Example:
    >>> import nbformat
    >>> html = notebook_to_html(nbformat.v4.new_notebook())
    >>> "cdnjs" in html
    False
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbformat import NotebookNode

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def strip_live_widgets(nb: NotebookNode) -> NotebookNode:
    """Remove widget-view data where a static fallback exists, and the saved widget state."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and ("text/html" in data or "image/svg+xml" in data):
                del data[WIDGET_VIEW]
    nb.metadata.pop("widgets", None)
    return nb


def notebook_to_html(nb: NotebookNode) -> str:
    """Export an (executed) notebook node to standalone offline HTML."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="glassbox", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(strip_live_widgets(nb))
    return body
