"""The Finding protocol: what every GlassBox capability returns.

A Finding holds the readable artifact, its fidelity to the teacher on held-out probes (with a
bootstrap CI), its provenance, a JSON form that follows ``finding.schema.json``, evidence for the
Annex IV report, and a rich display: the live widget in a kernel, a static SVG otherwise.
"""

from __future__ import annotations

import abc
import json
import sys
from html import escape
from pathlib import Path
from typing import Any, ClassVar

from glassbox_jupyter._version import __version__
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.finding.provenance import Provenance

SCHEMA_PATH = Path(__file__).with_name("finding.schema.json")
SCHEMA_ID = "glassbox-finding/1"
# Every displayed Finding carries its JSON under this mime type, so an exported notebook is evidence.
FINDING_MIME = "application/vnd.glassbox.finding+json"


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can render), False in scripts and terminals."""
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return False
    shell = ipython_module.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Finding(abc.ABC):
    """Base class of every capability's result.

    Subclasses set ``kind`` and ``fidelity``/``provenance`` attributes and implement
    :meth:`artifact_dict`, :meth:`evidence`, :meth:`widget`, :meth:`to_svg` and :meth:`summary`.
    """

    kind: ClassVar[str] = "finding"
    fidelity: Fidelity
    provenance: Provenance

    @property
    def ready(self) -> bool:
        """False while the artifact is still being computed (e.g. the first search round is running)."""
        return True

    @abc.abstractmethod
    def artifact_dict(self) -> dict[str, Any]:
        """The readable artifact as JSON-ready data."""

    @abc.abstractmethod
    def evidence(self) -> list[EvidenceItem]:
        """Items for the Annex IV report, each tagged with the section it supports."""

    @abc.abstractmethod
    def widget(self) -> Any:
        """The live view (an anywidget) of this Finding."""

    @abc.abstractmethod
    def to_svg(self) -> str:
        """A static SVG view of the artifact (for exports and reports)."""

    @abc.abstractmethod
    def summary(self) -> str:
        """One human-readable sentence stating what was found."""

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, valid against ``finding.schema.json``."""
        return {
            "schema": SCHEMA_ID,
            "kind": self.kind,
            "glassbox_version": __version__,
            "summary": self.summary(),
            "artifact": self.artifact_dict(),
            "fidelity": self.fidelity.to_dict(),
            "provenance": self.provenance.to_dict(),
            "evidence": [item.to_dict() for item in self.evidence()],
        }

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """Serialise to JSON; also write it to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=_json_default)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    # ------------------------------------------------------------------ display
    def static_html(self) -> str:
        """The static view: summary, SVG chart and fidelity line, as self-contained HTML (cached)."""
        cached = self.__dict__.get("_static_html")
        if cached is None:
            cached = self.__dict__["_static_html"] = self._render_static_html()
        return cached

    def invalidate_static_view(self) -> None:
        """Forget the cached static view (call when the artifact or its selection changes)."""
        self.__dict__.pop("_static_html", None)

    def _render_static_html(self) -> str:
        return (
            f"<div class='glassbox-finding glassbox-{escape(self.kind)}'>"
            f"<p><b>{escape(type(self).__name__)}</b>: {escape(self.summary())}</p>"
            f"{self.to_svg()}"
            f"<p><small>fidelity: {escape(self.fidelity.describe())}</small></p></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return display_bundle(
            repr(self), self.static_html(), self.widget if in_kernel() else None, payload=finding_payload(self)
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.summary()} | fidelity {self.fidelity.describe()}>"


def finding_payload(finding: Finding) -> dict[str, Any] | None:
    """The Finding's JSON for its display output (and remembered for ``%glassbox export``)."""
    from glassbox_jupyter.report.live import remember

    if not isinstance(finding, Finding) or not finding.ready:  # a user's own object, or a search still running
        return None
    try:
        data = json.loads(finding.to_json(indent=0))
    except (TypeError, ValueError) as exc:  # never let evidence break the display itself
        import warnings

        warnings.warn(f"{type(finding).__name__} could not be serialised for the report: {exc}", stacklevel=3)
        return None
    remember(finding, data)
    return data


def display_bundle(
    plain: str, static_html: str, widget_factory: Any = None, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Mime bundle with the static view always, plus the live widget view when in a kernel.

    Front ends that can render the widget (JupyterLab with a kernel) show it; everything else
    (exports, GitHub, a notebook reopened without its kernel) falls back to the static SVG.
    ``payload`` (the Finding's JSON) travels under :data:`FINDING_MIME` for the Annex IV report.
    """
    bundle: dict[str, Any] = {"text/plain": plain, "text/html": static_html}
    if payload is not None:
        bundle[FINDING_MIME] = payload
    if widget_factory is not None:
        widget = widget_factory()
        live = anywidget_bundle(widget)
        bundle.update({k: v for k, v in live.items() if k != "text/plain"})
    return bundle


def anywidget_bundle(widget: Any) -> dict[str, Any]:
    """The ipywidgets mime bundle of ``widget`` (without GlassBox's static additions)."""
    import anywidget

    live = anywidget.AnyWidget._repr_mimebundle_(widget)
    return live[0] if isinstance(live, tuple) else (live or {})


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays inside artifacts become plain JSON numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
