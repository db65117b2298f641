"""The Finding protocol: what every GlassBox capability returns, and how any number of views show it.

A Finding holds the readable artifact, its fidelity (what was measured, on which split, with a CI
where one was measured), its provenance, a JSON form that follows ``finding.schema.json``, evidence
for the Annex IV report, and a rich display: the live widget in a kernel, a static SVG otherwise.

A Finding does not know who shows it. It owns its view data (:meth:`Finding.view_data`), its current
selection (:attr:`Finding.selection`, changed only through :meth:`Finding.select`) and a list of
observers. A view — a JupyterLab widget, a dashboard page — subscribes, sends the user's choice
through ``select`` and re-renders when told; it never reads or writes private state.

Example:
    >>> import glassbox
    >>> rules = glassbox.distill(glassbox.demos.load("loan_approval"), mode="logic", n=400)  # doctest: +SKIP
    >>> seen = []
    >>> unsubscribe = rules.subscribe(seen.append)  # doctest: +SKIP
    >>> rules.select(0).text, rules.selection, seen  # doctest: +SKIP
    ('IF ... THEN approve', 0, ['selection'])
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from glassbox_jupyter._version import __version__
from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.finding import display
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.finding.jsonable import jsonable
from glassbox_jupyter.finding.live import remember
from glassbox_jupyter.finding.provenance import Provenance

if TYPE_CHECKING:
    from anywidget import AnyWidget

    from glassbox_jupyter.finding.publish import Published

SCHEMA_PATH = Path(__file__).with_name("finding.schema.json")
SCHEMA_ID = "glassbox-finding/1"

Change = Literal["data", "selection"]
"""What changed: ``"data"`` (the artifact, so the view data) or ``"selection"`` (only the selection)."""
Observer = Callable[[Change], None]

# Every concrete Finding class of the package, so that the contract suite runs on each (see testing.py).
FINDING_CLASSES: dict[str, type[Finding]] = {}


class Finding(abc.ABC):
    """Base class of every capability's result.

    Subclasses set ``kind`` and the ``fidelity`` / ``provenance`` attributes and implement
    :meth:`artifact_dict`, :meth:`evidence`, :meth:`view_data`, :meth:`widget`, :meth:`to_svg` and
    :meth:`summary`. A Finding with something to pick also overrides :attr:`selection` and
    :meth:`_apply_selection` (and :meth:`selection_details` when the selection shows more data).
    """

    kind: ClassVar[str] = "finding"
    fidelity: Fidelity
    provenance: Provenance

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        FINDING_CLASSES[f"{cls.__module__}.{cls.__qualname__}"] = cls

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
    def view_data(self) -> dict[str, Any]:
        """What a view draws (JSON-ready; see ``js/README.md`` for each view's fields)."""

    @abc.abstractmethod
    def widget(self) -> AnyWidget:
        """A new live view (an anywidget) of this Finding; every view stays in step with the others."""

    @abc.abstractmethod
    def to_svg(self) -> str:
        """A static SVG view of the artifact (for exports and reports)."""

    @abc.abstractmethod
    def summary(self) -> str:
        """One human-readable sentence stating what was found."""

    # ------------------------------------------------------------------ selection and observers
    @property
    def selection(self) -> Any:  # each Finding narrows it (an int, a name, a list of ids...)
        """The current selection in the JSON form a view sends (an id, a name, a list); None when nothing is."""
        return None

    def selection_details(self) -> dict[str, Any]:
        """JSON-ready data the current selection makes visible (e.g. a path's coefficients); ``{}`` by default."""
        return {}

    def selection_choices(self) -> dict[str, dict[str, Any]]:
        """The details (as :meth:`selection_details` gives them) of each selection a host without Python
        may offer, keyed by :func:`selection_key` of the value; ``{}`` by default. A stored live view
        carries them, so the dashboard and the exported HTML report answer a click with stored numbers;
        a Finding offers them only where they are few and cheap (an audit's variables, a graph's neurons)."""
        return {}

    def record_choices(self) -> list[Any]:
        """The selections that change the Finding's record (its summary, fidelity and evidence), which
        a host without Python may file instead of the current one: a server job stores the record of
        each (``glassbox serve``: ``POST /analyses/{id}/pick``). ``[]`` by default: most selections
        only change what a view highlights."""
        return []

    def select(self, value: Any) -> Any:  # each Finding returns its own selected object (a Rule, an Equation...)
        """Select ``value`` (the form :attr:`selection` has) and tell every view; returns the typed selection.

        Raises :class:`~glassbox_jupyter.errors.SelectionError`, naming what can be selected, when
        ``value`` is not a valid selection; the selection is then unchanged.
        """
        result = self._apply_selection(value)
        self.changed("selection")
        return result

    def _apply_selection(self, value: Any) -> Any:
        """Check ``value`` and make it the selection (raising SelectionError when it is not valid)."""
        raise SelectionError(f"a {type(self).__name__} has nothing to select (got {value!r})")

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(change)`` after every change; returns the function that unsubscribes it."""
        self._observers.append(observer)

        def unsubscribe() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return unsubscribe

    def changed(self, what: Change = "data") -> None:
        """Say that the artifact (``"data"``) or only the selection changed: the static view is redrawn
        when next asked for and every subscribed view is told."""
        self.invalidate_static_view()
        for observer in list(self._observers):
            observer(what)

    @property
    def _observers(self) -> list[Observer]:
        # created on first use, so subclasses need not call Finding.__init__
        observers: list[Observer] = self.__dict__.setdefault("_observer_list", [])
        return observers

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (plain numbers, NaN as null), valid against ``finding.schema.json``."""
        data: dict[str, Any] = jsonable(
            {
                "schema": SCHEMA_ID,
                "kind": self.kind,
                "glassbox_version": __version__,
                "summary": self.summary(),
                "artifact": self.artifact_dict(),
                "fidelity": self.fidelity.to_dict(),
                "provenance": self.provenance.to_dict(),
                "evidence": [item.to_dict() for item in self.evidence()],
            }
        )
        return data

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """Serialise to JSON; also write it to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def publish(self, server: str | None = None, *, project: str, token: str | None = None) -> Published:
        """Send this Finding (its JSON and SVG view) to ``project`` on a GlassBox server.

        ``server`` and ``token`` default to ``GLASSBOX_SERVER`` and ``GLASSBOX_TOKEN`` from the
        environment: keep the token there, out of the notebook. Returns where it was stored."""
        from glassbox_jupyter.finding.publish import publish_finding

        return publish_finding(self, project, server, token)

    # ------------------------------------------------------------------ display
    def static_html(self) -> str:
        """The static view: summary, SVG chart and fidelity line, as self-contained HTML (cached)."""
        cached: str | None = self.__dict__.get("_static_html")
        if cached is None:
            cached = self.__dict__["_static_html"] = self._render_static_html()
        return cached

    def invalidate_static_view(self) -> None:
        """Forget the cached static view (:meth:`changed` does it for every change)."""
        self.__dict__.pop("_static_html", None)

    def _render_static_html(self) -> str:
        return (
            f"<div class='glassbox-finding glassbox-{escape(self.kind)}'>"
            f"<p><b>{escape(type(self).__name__)}</b>: {escape(self.summary())}</p>"
            f"{self.to_svg()}"
            f"<p><small>fidelity: {escape(self.fidelity.describe())}</small></p></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # in_kernel() is looked up on its module each time, so one patch there reaches every display
        return display.display_bundle(
            repr(self), self.static_html(), self.widget if display.in_kernel() else None, payload=display_payload(self)
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.summary()} | fidelity {self.fidelity.describe()}>"


def finding_payload(finding: Finding) -> dict[str, Any] | None:
    """The Finding's JSON for its display output (and remembered for an export from the kernel);
    None while it is still being computed or when it cannot be serialised (with a warning)."""
    if not finding.ready:  # a search still running
        return None
    try:
        data = finding.to_dict()
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:  # never let evidence break the display itself
        import warnings

        warnings.warn(f"{type(finding).__name__} could not be serialised for the report: {exc}", stacklevel=3)
        return None
    remember(finding, data)
    return data


MAX_NOTEBOOK_VIEW_CHARS = 2_000_000  # a larger live view stays out of the notebook; exports show its SVG


def display_payload(finding: Finding) -> dict[str, Any] | None:
    """What a display output carries under FINDING_MIME: the Finding's JSON (:func:`finding_payload`)
    with its live view (``"live_view"``, see ``finding.publish.live_view``), so an HTML report
    exported from the saved notebook mounts the same widget without a kernel. A live view over
    ``MAX_NOTEBOOK_VIEW_CHARS`` of JSON is left out (the export then shows the SVG)."""
    from glassbox_jupyter.finding.publish import live_view

    data = finding_payload(finding)
    if data is None:
        return None
    view = live_view(finding)
    if view is None or len(json.dumps(view, allow_nan=False)) > MAX_NOTEBOOK_VIEW_CHARS:
        return data
    return {**data, "live_view": view}


def selection_key(value: Any) -> str:
    """The key of a selection value in :meth:`Finding.selection_choices`: its compact JSON, the same
    text JavaScript's ``JSON.stringify`` makes of it.

    Example:
        >>> selection_key([1, 2]), selection_key("income"), selection_key(None)
        ('[1,2]', '"income"', 'null')
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
