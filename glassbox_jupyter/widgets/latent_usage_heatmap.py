"""LatentUsageHeatmap: which inputs each latent's law uses; click a latent to see its formula.

Rows are an encoder's latents, columns its input features; a cell's colour is the share of the
latent's Pareto front that uses the feature, a dot marks the features of the selected formula and
redundant features (used by no selected formula) are hatched. A click selects the latent (the view
sends its index); the panel under the grid shows its formula, typeset, and its held-out R².

Example:
    >>> view = finding.widget()      # doctest: +SKIP
    >>> view.request_selection(1)    # what a click on the row of latent z1 does  # doctest: +SKIP
    >>> view.selected_latent, finding.selected_latent, view.selected_latent_index  # doctest: +SKIP
    ('z1', 'z1', 1)
"""

from __future__ import annotations

from typing import Any

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset


class LatentUsageHeatmap(GlassboxWidget):
    """Latent × feature usage shares; the clicked latent becomes ``finding.selected_latent``."""

    _esm = static_asset("latent_usage_heatmap.js")
    _css = static_asset("latent_usage_heatmap.css", optional=True)

    @property
    def selected_latent(self) -> str | None:
        """Name of the latent clicked in the browser, as the view shows it, or ``None`` (read-only)."""
        finding: Any = self.finding
        selected: str | None = finding.selected_latent
        return selected

    @property
    def selected_latent_index(self) -> int | None:
        """Index into ``finding.latents`` of the clicked latent (the value the view sends), or ``None``."""
        finding: Any = self.finding
        index: int | None = finding.selected_latent_index
        return index
