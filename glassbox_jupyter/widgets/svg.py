"""Static SVG rendering of altair charts through vl-convert (no browser, no CDN)."""

from __future__ import annotations

from typing import Any


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
