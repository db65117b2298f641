"""Altair charts as offline SVG: rendered in the kernel with vl-convert, never by a script from the web.

* :func:`chart_to_svg` renders a chart to an SVG string (the static views of every Finding).
* :func:`offline_chart` makes a chart GlassBox returns display as that SVG, whatever altair renderer
  the user has enabled: altair's default renderer in JupyterLab loads the vega runtime from a CDN,
  which shows "Error loading script" offline.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

ChartT = TypeVar("ChartT")

SVG_MIME = "image/svg+xml"


def chart_to_svg(chart: Any) -> str:
    """Render an altair chart to an SVG string.

    Example:
        >>> import altair as alt, pandas as pd
        >>> svg = chart_to_svg(alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_point().encode(x="a"))
        >>> svg.lstrip().startswith("<svg")
        True
    """
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    return svg[svg.index("<svg") :] if "<svg" in svg else svg


class OfflineChartMixin:
    """Displays an altair chart as SVG rendered in the kernel (see :func:`offline_chart`)."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        kind = type(self).__mro__[2].__name__  # the altair class this one extends
        return {SVG_MIME: chart_to_svg(self), "text/plain": f"<altair.{kind} rendered offline as SVG>"}

    # charts composed from an offline chart (a | b, a & b, a + b) display offline too
    def __or__(self, other: Any) -> Any:
        return offline_chart(super().__or__(other))  # type: ignore[misc]

    def __and__(self, other: Any) -> Any:
        return offline_chart(super().__and__(other))  # type: ignore[misc]

    def __add__(self, other: Any) -> Any:
        return offline_chart(super().__add__(other))  # type: ignore[misc]


@functools.cache
def _offline_class(chart_class: type) -> type:
    return type(chart_class.__name__, (OfflineChartMixin, chart_class), {"__module__": chart_class.__module__})


def offline_chart(chart: ChartT) -> ChartT:
    """``chart`` (an altair chart), displayed as SVG rendered by vl-convert in the kernel.

    It stays an altair chart of the same type: ``.properties()``, ``.save()`` and ``.to_dict()``
    work as before, and copies made by altair's methods, and charts composed from it
    (``a | b``, ``a & b``, ``a + b``), display offline too.

    Example:
        >>> import altair as alt, pandas as pd
        >>> chart = offline_chart(alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_point().encode(x="a"))
        >>> isinstance(chart, alt.Chart), sorted(chart._repr_mimebundle_())
        (True, ['image/svg+xml', 'text/plain'])
        >>> sorted(chart.properties(width=100)._repr_mimebundle_())
        ['image/svg+xml', 'text/plain']
        >>> sorted((chart | chart)._repr_mimebundle_())
        ['image/svg+xml', 'text/plain']
    """
    if isinstance(chart, OfflineChartMixin):
        return chart
    # object.__setattr__: altair's own __setattr__ would file "__class__" as a chart property
    chart_class: type = type(chart)
    object.__setattr__(chart, "__class__", _offline_class(chart_class))
    return chart
