"""The Python half of every GlassBox widget: a thin anywidget view of one Finding.

A widget subscribes to its Finding and mirrors it into synced traits; it holds no state of its own
besides view-only settings (a chart height, a pinned head). The kernel protocol, the same for every
widget (the TypeScript shell in ``js/src/shared/widget.ts`` speaks it):

- ``_data`` (Python → browser): ``finding.view_data()``, sent again when the artifact changes;
- ``_selection`` (Python → browser): ``{"value": finding.selection, "details": finding.selection_details()}``;
- ``_request`` (browser → Python): ``{"id": n, "value": v}`` — a click asking for selection ``v``;
- ``_reply`` (Python → browser): ``{"id": n, "error": None | message}``, sent after the new selection.

Any number of widgets (and other views, such as a dashboard page) can show one Finding: a click in
one reaches the Finding through ``select``, and the Finding tells every view.

Example:
    >>> import glassbox
    >>> finding = glassbox.distill(glassbox.demos.load("loan_approval"), mode="logic", n=400)  # doctest: +SKIP
    >>> view = finding.widget()  # doctest: +SKIP
    >>> view.request_selection(0)  # what a click on the first rule does  # doctest: +SKIP
    {'id': 1, 'error': None}
    >>> finding.selection  # doctest: +SKIP
    0
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.finding import display
from glassbox_jupyter.finding.base import Change, Finding, display_payload
from glassbox_jupyter.finding.jsonable import jsonable

STATIC = Path(__file__).resolve().parent.parent / "static"

# Every widget class of the package, so that the contract suite runs on each (see testing.py).
WIDGET_CLASSES: dict[str, type[GlassboxWidget]] = {}


def static_asset(name: str, optional: bool = False) -> Path | None:
    """Path of a built JS/CSS bundle, with a clear error when the JS build has not run."""
    path = STATIC / name
    if optional and not path.exists():
        return None
    if not path.exists():
        raise FileNotFoundError(
            f"widget bundle {path} is missing: the JavaScript build has not run. Reinstall with "
            "`pip install -e .` (runs `npm run build` in js/) or run `npm run build` in js/."
        )
    return path


class GlassboxWidget(anywidget.AnyWidget):
    """A live view of one Finding; subclasses set ``_esm`` / ``_css`` and a typed ``selected…`` property."""

    _data = traitlets.Dict().tag(sync=True)
    _selection = traitlets.Dict().tag(sync=True)
    _request = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    _reply = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        WIDGET_CLASSES[f"{cls.__module__}.{cls.__qualname__}"] = cls

    def __init__(self, finding: Finding, **kwargs: Any):
        self._finding = finding
        self._requests = 0
        self._following = False
        super().__init__(_data=jsonable(finding.view_data()), _selection=self._selection_state(), **kwargs)
        self._unsubscribe = finding.subscribe(self._on_finding_change)
        self._following = True

    @property
    def finding(self) -> Finding:
        """The Finding this view shows."""
        return self._finding

    # ------------------------------------------------------------------ Finding → browser
    def _selection_state(self) -> dict[str, Any]:
        return {"value": jsonable(self._finding.selection), "details": jsonable(self._finding.selection_details())}

    def _on_finding_change(self, what: Change) -> None:
        if what == "data":
            self._data = jsonable(self._finding.view_data())
        self._selection = self._selection_state()

    # ------------------------------------------------------------------ browser → Finding
    @traitlets.observe("_request")
    def _handle_request(self, change: dict[str, Any]) -> None:
        request = change["new"]
        if not request or not self._following:  # a closed view no longer speaks for the user
            return
        error = None
        try:
            self._finding.select(request.get("value"))
        except SelectionError as exc:
            error = str(exc)
        except Exception as exc:  # a bug: answer the browser (so it does not wait forever), then raise
            self._reply = {"id": request.get("id"), "error": f"{type(exc).__name__}: {exc}"}
            raise
        self._reply = {"id": request.get("id"), "error": error}

    def request_selection(self, value: Any) -> dict[str, Any]:
        """Ask for selection ``value`` exactly as a click in the browser does; returns the reply.

        Tests and scripts use it to stand in for the browser; in code, call ``finding.select(value)``.
        """
        self._requests += 1
        self._request = {"id": self._requests, "value": jsonable(value)}
        reply: dict[str, Any] = dict(self._reply or {})
        return reply

    def close(self) -> None:
        """Stop following the Finding and close the view."""
        self._following = False
        self._unsubscribe()
        super().close()

    # ------------------------------------------------------------------ display
    def to_svg(self) -> str:
        """Static SVG of what the widget shows."""
        return self._finding.to_svg()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return display.display_bundle(
            repr(self),
            self._finding.static_html(),
            (lambda: self) if display.in_kernel() else None,
            payload=display_payload(self._finding),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self._finding).__name__}; selection={self._finding.selection!r})"
