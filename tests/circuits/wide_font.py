"""Would a chart's text leave its SVG when a browser draws it in a wider font than vl-convert measured?

vl-convert lays a chart out with Liberation Sans (Arial's widths); a browser without Arial or Liberation Sans
draws the SVG's ``sans-serif`` text in its own face, on Linux usually DejaVu Sans, about 21% wider in bold and
16% in regular weight. :func:`clipped_texts` walks vl-convert's scenegraph (the laid-out chart), gives every
text its DejaVu Sans width around its anchor (alignment, baseline, rotation, multi-line titles and vega's
``limit`` truncation included) and lists the texts that would cross the SVG's edge, where they are clipped.
"""

from __future__ import annotations

import math
from typing import Any

# advance per character in em, measured with vl-convert on the texts of these charts
WIDE_EM = {"bold": 0.60, "normal": 0.545}  # DejaVu Sans
NARROW_EM = {"bold": 0.48, "normal": 0.445}  # Liberation Sans, for vega's `limit` truncation


def _box(item: dict[str, Any], ox: float, oy: float) -> tuple[list[tuple[float, float]], str]:
    size = float(item.get("fontSize", 11))
    weight = "bold" if str(item.get("fontWeight", "normal")) in ("bold", "600", "700", "800", "900") else "normal"
    text = item.get("text", "")
    lines = [str(t) for t in text] if isinstance(text, list) else [str(text)]
    chars = max((len(line) for line in lines), default=0)
    width = chars * size * WIDE_EM[weight]
    limit = item.get("limit")
    if limit and chars * size * NARROW_EM[weight] > limit:  # vega cuts the text to `limit` (narrow) pixels
        width = limit * WIDE_EM[weight] / NARROW_EM[weight]
    height = size * (1 + 1.2 * (len(lines) - 1))
    x = ox + float(item.get("x", 0) or 0) + float(item.get("dx", 0) or 0)
    y = oy + float(item.get("y", 0) or 0) + float(item.get("dy", 0) or 0)
    left = {"left": 0.0, "center": -width / 2, "right": -width}.get(item.get("align", "left"), 0.0)
    baseline = item.get("baseline", "alphabetic")
    top = {"top": 0.0, "line-top": 0.0, "middle": -height / 2, "bottom": -height, "line-bottom": -height}.get(
        baseline, -0.8 * size
    )
    angle = math.radians(float(item.get("angle", 0) or 0))
    corners = [
        (x + cx * math.cos(angle) - cy * math.sin(angle), y + cx * math.sin(angle) + cy * math.cos(angle))
        for cx, cy in ((left, top), (left + width, top), (left, top + height), (left + width, top + height))
    ]
    return corners, " / ".join(lines)


def clipped_texts(spec: dict[str, Any], slack: float = 0.5) -> list[str]:
    """The texts of the chart ``spec`` (a Vega-Lite dict) that DejaVu Sans would draw past the SVG's edge."""
    import vl_convert

    scene = vl_convert.vegalite_to_scenegraph(spec)
    width, height = scene["width"], scene["height"]
    found: list[str] = []

    def visit(mark: dict[str, Any], ox: float, oy: float) -> None:
        for item in mark.get("items") or []:
            if mark.get("marktype") == "group":
                gx, gy = ox + float(item.get("x", 0) or 0), oy + float(item.get("y", 0) or 0)
                for child in item.get("items") or []:
                    visit(child, gx, gy)
            elif mark.get("marktype") == "text" and item.get("text") not in (None, "", []):
                corners, text = _box(item, ox, oy)
                xs, ys = [c[0] for c in corners], [c[1] for c in corners]
                if min(xs) < -slack or min(ys) < -slack or max(xs) > width + slack or max(ys) > height + slack:
                    found.append(
                        f"{mark.get('role')} {text!r}: x {min(xs):.0f}..{max(xs):.0f} of {width}, "
                        f"y {min(ys):.0f}..{max(ys):.0f} of {height}"
                    )

    origin_x, origin_y = scene["origin"]
    visit(scene["scenegraph"], float(origin_x), float(origin_y))
    return found
