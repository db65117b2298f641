"""LatentUsageHeatmap: which inputs each latent's law uses; click a latent to see its formula.

Rows are an encoder's latents, columns its input features; a cell's colour is the share of the
latent's Pareto front that uses the feature, a dot marks the features of the selected formula and
redundant features (used by no selected formula) are hatched. A click in the browser writes the
latent's index to ``_select``; Python checks it, calls ``finding.select_latent(i)`` (which sets
``finding.selected_latent``) and sends the selection back; the panel shows the formula and its R².

The widget relies only on the finding's ``view_data()``, ``select_latent(i)``, ``selected_latent``
and ``to_svg()``; it registers itself as ``finding._widget`` so that the finding can call
:meth:`LatentUsageHeatmap.refresh` after a selection made in Python.

Example:
    >>> view = finding.widget()      # doctest: +SKIP
    >>> view._select = 1             # what a click on the row of latent z1 does  # doctest: +SKIP
    >>> view.selected_latent, finding.selected_latent  # doctest: +SKIP
    (1, 1)
"""

from __future__ import annotations

from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset
from glassbox_jupyter.widgets.jsonable import jsonable


class LatentUsageHeatmap(GlassboxWidget):
    """Latents × features usage heat map; the clicked latent becomes ``finding.selected_latent``."""

    _esm = static_asset("latent_usage_heatmap.js")
    _css = static_asset("latent_usage_heatmap.css", optional=True)
    _selection_trait: ClassVar[str] = "_select"

    _data = traitlets.Dict().tag(sync=True)
    _select = traitlets.Int(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        self._quiet = False
        super().__init__(_data=jsonable(finding.view_data()), **kwargs)
        finding._widget = self
        self._sync_select()

    def _latents(self) -> list[str]:
        return [str(z) for z in self._data.get("latents", [])]

    @traitlets.validate("_select")
    def _check_latent(self, proposal: dict[str, Any]) -> Any:
        value = proposal["value"]
        if value is None:
            return value
        latents = self._latents()
        if isinstance(value, bool):
            raise traitlets.TraitError(f"_select is {value!r}; it takes a latent index (an int)")
        if not 0 <= value < len(latents):
            names = ", ".join(latents[:4]) + (", …" if len(latents) > 4 else "")
            valid = f"0–{len(latents) - 1} ({names})" if latents else "none: the finding has no latents"
            raise traitlets.TraitError(f"latent index {value} is out of range: valid indices are {valid}")
        return int(value)

    @traitlets.observe("_select")
    def _apply_select(self, change: dict[str, Any]) -> None:
        if self._quiet or change["new"] is None:
            return  # None: the browser clears its click before re-sending the same latent
        error = None
        try:
            self._finding.select_latent(int(change["new"]))
        except (ValueError, KeyError, IndexError) as exc:  # e.g. a latent without a formula yet
            error = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        data = dict(self._data)
        data.update(selected_latent=self.selected_latent, error=error)
        self._data = data

    def _sync_select(self) -> None:
        """Set ``_select`` to the finding's selection without asking the finding again."""
        selected = self.selected_latent
        if self._select != selected and (selected is None or 0 <= selected < len(self._latents())):
            self._write_quietly("_select", selected)

    def refresh(self) -> None:
        """Send the finding's usage matrix and selection again (after changing the finding from Python)."""
        self._data = jsonable(self._finding.view_data())
        self._sync_select()

    @property
    def finding(self) -> Any:
        return self._finding

    @property
    def selected_latent(self) -> int | None:
        """Index of the latent clicked in the browser, or ``None`` (read-only; ``finding.select_latent`` sets it)."""
        selected = self._finding.selected_latent
        if isinstance(selected, str) and selected in self._latents():  # a finding that stores the name
            return self._latents().index(selected)
        return None if selected is None else int(selected)

    def __repr__(self) -> str:
        return f"LatentUsageHeatmap({len(self._latents())} latents; selected_latent={self.selected_latent})"
