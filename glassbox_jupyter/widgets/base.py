"""Base class for GlassBox widgets: thin anywidget classes over plain Python Findings.

The browser writes a private synced trait (e.g. ``_selected_index``); Python validates it and
exposes a typed, read-only selection (e.g. ``selected_input``). Outside a kernel, a widget
displays its Finding's static SVG view instead of a dead widget placeholder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import anywidget

STATIC = Path(__file__).resolve().parent.parent / "static"


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
    """Common ground of all GlassBox widgets.

    Subclasses name the private trait the browser writes in ``_selection_trait`` and provide
    a public read-only property that turns it into a typed selection.
    """

    _selection_trait: ClassVar[str] = ""
    _finding: Any = None
    _quiet: bool = False  # True while Python writes the selection trait itself (observers then do nothing)

    def _write_quietly(self, name: str, value: Any) -> None:
        """Set synced trait ``name`` from Python without its observer asking the finding again."""
        quiet, self._quiet = self._quiet, True
        try:
            setattr(self, name, value)
        finally:
            self._quiet = quiet

    def to_svg(self) -> str:
        """Static SVG of what the widget shows."""
        return self._finding.to_svg()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        from glassbox_jupyter.finding.base import display_bundle, finding_payload, in_kernel

        if self._finding is None:
            return super()._repr_mimebundle_(**kwargs)
        return display_bundle(
            repr(self),
            self._finding.static_html(),
            (lambda: self) if in_kernel() else None,
            payload=finding_payload(self._finding),
        )
