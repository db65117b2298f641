"""Static charts of a circuit analysis: logit lens, per-head direct effects, MLP attribution.

Each function returns an altair chart (altair is imported when a chart is built, not with this
module); render it to SVG offline with :func:`glassbox_jupyter.widgets.svg.chart_to_svg`.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits import charts, lens, patching  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.prompts import PromptSet  # doctest: +SKIP
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(8, seed=0))  # doctest: +SKIP
    >>> result = lens.logit_lens(model, prompts)  # doctest: +SKIP
    >>> charts.logit_lens_chart(result) | charts.direct_effects_chart(result)  # doctest: +SKIP
    >>> from glassbox_jupyter.widgets.svg import chart_to_svg  # doctest: +SKIP
    >>> svg = chart_to_svg(charts.direct_effects_chart(result))  # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import altair as alt

APPROX_LABEL = "attribution patching (approximation)"
EXACT_LABEL = "activation patching (exact)"
NO_MLPS = (
    "this model has no MLPs (attn_only=True), so there is no MLP attribution to chart; "
    "chart the attention heads instead (direct_effects_chart or the CircuitHeatmap)"
)
_LENS_HINT = "pass the dict returned by glassbox_jupyter.circuits.lens.logit_lens(model, prompts)"

# Text that fits when the SVG is drawn in any sans-serif face. vl-convert lays a chart out with Liberation Sans
# (Arial's widths); a browser without Arial or Liberation Sans draws the same SVG in its own sans-serif, and
# Linux's usual one, DejaVu Sans, is 21% wider in bold and 16% in regular weight, so a title or a legend that
# reached the edge of the SVG was clipped there. Widths are therefore planned with DejaVu Sans's advances
# (measured: 0.58 em per character in bold, 0.51-0.54 in regular; a little is added), titles start at the
# plot's left edge and wrap within its width, and legends sit under the plot, inside its width.
EM_BOLD = 0.62
EM_REGULAR = 0.56
TITLE_SIZE = 13
SUBTITLE_SIZE = 11
LABEL_SIZE = 11


def text_width(text: str, size: float = LABEL_SIZE, bold: bool = False) -> float:
    """Width in pixels ``text`` may take in a wide sans-serif face (DejaVu Sans), rounded up."""
    return float(np.ceil(len(text) * size * (EM_BOLD if bold else EM_REGULAR)))


def fitted_title(text: str, width: float, subtitle: str | None = None) -> alt.TitleParams:
    """A title (and subtitle) that starts at the plot's left edge and wraps within ``width`` pixels in any font."""
    import altair as alt

    def lines(words: str, size: float, bold: bool) -> str | list[str]:
        per_line = max(10, int(width // (size * (EM_BOLD if bold else EM_REGULAR))))
        wrapped = textwrap.wrap(words, per_line) or [words]
        return wrapped[0] if len(wrapped) == 1 else wrapped

    extra: dict[str, Any] = {}
    if subtitle:
        extra = {"subtitle": lines(subtitle, SUBTITLE_SIZE, False), "subtitleFontSize": SUBTITLE_SIZE}
    return alt.TitleParams(text=lines(text, TITLE_SIZE, True), anchor="start", fontSize=TITLE_SIZE, **extra)


def room_for(*texts: str, size: float = LABEL_SIZE, bold: bool = False, pad: float = 0) -> float:
    """The width the widest of ``texts`` may take, plus ``pad`` (for plots that must hold a legend or labels)."""
    return max((text_width(t, size, bold) for t in texts), default=0.0) + pad


def _finite(values: Any, what: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numbers; {_LENS_HINT}") from exc
    if array.ndim != ndim or array.size == 0:
        raise ValueError(f"{what} must be a non-empty {ndim}-d array, got shape {array.shape}; {_LENS_HINT}")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} contains NaN or infinite values; recompute it on prompts whose logits are finite")
    return array


def _lens_parts(lens_result: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    if not isinstance(lens_result, dict):
        raise ValueError(f"expected a dict, got {type(lens_result).__name__}; {_LENS_HINT}")
    missing = [k for k in ("by_layer", "labels", "direct_effects") if k not in lens_result]
    if missing:
        raise ValueError(f"the lens result lacks {missing}; {_LENS_HINT}")
    by_layer = _finite(lens_result["by_layer"], "by_layer", 1)
    labels = [str(label) for label in lens_result["labels"]]
    if len(labels) != len(by_layer):
        raise ValueError(f"{len(labels)} labels for {len(by_layer)} logit differences; {_LENS_HINT}")
    direct = _finite(lens_result["direct_effects"], "direct_effects", 2)
    return labels, by_layer, direct


def logit_lens_chart(lens_result: dict[str, Any]) -> alt.LayerChart:
    """Logit difference read off the residual stream after each layer: a line with labelled points.

    ``lens_result`` is the dict of :func:`glassbox_jupyter.circuits.lens.logit_lens`; the x axis
    lists its ``labels`` (``embed``, ``after L0``, ...) in order, and each point shows its value.
    """
    import altair as alt
    import pandas as pd

    from glassbox_jupyter.widgets.svg import offline_chart

    labels, by_layer, _ = _lens_parts(lens_result)
    frame = pd.DataFrame({"stage": labels, "step": np.arange(len(labels)), "logit_diff": by_layer})
    x = alt.X("stage:N", sort=labels, title="residual stream", axis=alt.Axis(labelAngle=0))
    y = alt.Y("logit_diff:Q", title="logit diff (correct − incorrect)")
    tooltip = [alt.Tooltip("stage:N", title="after"), alt.Tooltip("logit_diff:Q", title="logit diff", format=".3f")]
    line = alt.Chart().mark_line(color="#0969da").encode(x=x, y=y)
    points = alt.Chart().mark_point(filled=True, size=70, color="#0969da").encode(x=x, y=y, tooltip=tooltip)
    values = (
        alt.Chart()
        .mark_text(dy=-12, fontSize=11, color="#24292f")
        .encode(x=x, y=y, text=alt.Text("logit_diff:Q", format="+.2f"))
    )
    zero = (
        alt.Chart()
        .transform_aggregate(n="count()")
        .mark_rule(color="#8c959f", strokeDash=[4, 4])
        .encode(y=alt.datum(0))
    )
    # LayerChart, not alt.layer: the latter is typed to return a FacetChart too (these layers have no facets)
    width = max(240, 70 * len(labels))
    return offline_chart(
        alt.LayerChart(layer=[zero, line, points, values], data=frame).properties(
            width=width,
            height=240,
            title=fitted_title("logit lens", width, "logit difference read off the residual stream after each layer"),
        )
    )


def direct_effects_chart(lens_result: dict[str, Any]) -> alt.LayerChart:
    """Each head's direct effect on the logit difference (``[layer head]``) as a heatmap.

    Diverging colours centred on 0 (red pushes toward the correct answer, blue away), with the
    value written in each cell.
    """
    import altair as alt
    import pandas as pd

    from glassbox_jupyter.widgets.svg import offline_chart

    _, _, direct = _lens_parts(lens_result)
    n_layers, n_heads = direct.shape
    frame = pd.DataFrame(
        [
            {"layer": f"L{layer}", "head": f"H{head}", "effect": float(direct[layer, head])}
            for layer in range(n_layers)
            for head in range(n_heads)
        ]
    )
    limit = float(np.abs(direct).max()) or 1.0
    cell = 44 if n_heads <= 16 else 24
    # wide enough for its title, subtitle and legend in a wide font (see fitted_title)
    width = max(cell * n_heads, room_for("direct effect on the logit diff", bold=True), 200)
    cell_width = width / n_heads
    legend_length = int(min(200, width - 20))
    x = alt.X("head:N", sort=[f"H{h}" for h in range(n_heads)], title="head", axis=alt.Axis(labelAngle=0))
    y = alt.Y("layer:N", sort=[f"L{layer}" for layer in range(n_layers)], title="layer")
    heat = (
        alt.Chart()
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "effect:Q",
                title="direct effect on the logit diff",
                scale=alt.Scale(scheme="redblue", domain=[-limit, limit], domainMid=0, reverse=True),
                legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=legend_length),
            ),
            tooltip=["layer:N", "head:N", alt.Tooltip("effect:Q", format="+.3f")],
        )
    )
    text = (
        alt.Chart()
        .mark_text(fontSize=10)
        .encode(
            x=x,
            y=y,
            text=alt.Text("effect:Q", format="+.2f"),
            color=alt.condition(f"abs(datum.effect) > {0.6 * limit}", alt.value("white"), alt.value("#24292f")),
        )
    )
    return offline_chart(
        alt.LayerChart(layer=[heat, text], data=frame).properties(
            width=width,
            height=min(cell, cell_width) * n_layers,
            title=fitted_title("direct effect of each head", width, "on the logit difference, read at the last token"),
        )
    )


def mlp_attribution_chart(
    mlp_scores: np.ndarray | None, exact: np.ndarray | None = None, *, model: Any = None
) -> alt.LayerChart:
    """One bar per layer: each MLP's estimated effect on the logit difference.

    ``mlp_scores`` is ``attribution_patching(...)["mlps"]``; ``exact`` (optional) is
    ``activation_patching(...)["mlps"]``, drawn beside it with a legend saying which is which.
    An attention-only model has no MLPs: ``None``, an empty array, or ``model`` with
    ``cfg.attn_only`` raises a ``ValueError`` saying so.
    """
    import altair as alt
    import pandas as pd

    from glassbox_jupyter.widgets.svg import offline_chart

    if model is not None and getattr(getattr(model, "cfg", None), "attn_only", False):
        raise ValueError(NO_MLPS)
    if mlp_scores is None or np.asarray(mlp_scores).size == 0:
        raise ValueError(NO_MLPS)
    approx = np.asarray(mlp_scores, dtype=float)
    if approx.ndim != 1:
        raise ValueError(f"mlp_scores must be one number per layer (shape [layer]), got shape {approx.shape}")
    series = [(APPROX_LABEL, approx)]
    if exact is not None:
        exact_values = np.asarray(exact, dtype=float)
        if exact_values.shape != approx.shape:
            raise ValueError(
                f"exact has shape {exact_values.shape} but mlp_scores has {approx.shape}; pass "
                "activation_patching(model, prompts)['mlps'] for the same model"
            )
        series.append((EXACT_LABEL, exact_values))
    for label, values in series:
        if not np.isfinite(values).all():
            raise ValueError(f"the {label} scores contain NaN or infinite values")
    layers = [f"L{layer}" for layer in range(len(approx))]
    frame = pd.DataFrame(
        [
            {"layer": layers[i], "method": label, "effect": float(values[i])}
            for label, values in series
            for i in range(len(values))
        ]
    )
    methods = [label for label, _ in series]
    x = alt.X("layer:N", sort=layers, title="MLP layer", axis=alt.Axis(labelAngle=0))
    y = alt.Y("effect:Q", title="Δ logit diff when ablated")
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=x,
            y=y,
            xOffset=alt.XOffset("method:N", sort=methods),
            color=alt.Color(
                "method:N",
                sort=methods,
                title=None,
                scale=alt.Scale(domain=methods, range=["#0969da", "#cf222e"][: len(methods)]),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0),
            ),
            tooltip=["layer:N", "method:N", alt.Tooltip("effect:Q", format="+.3f")],
        )
    )
    zero = alt.Chart().transform_aggregate(n="count()").mark_rule(color="#57606a").encode(y=alt.datum(0))
    # the legend's labels sit under the plot: the plot is as wide as they may be in a wide font
    width = max(200, 36 * len(layers) * len(methods), room_for(*methods, pad=30))
    return offline_chart(
        alt.LayerChart(layer=[bars, zero], data=frame).properties(
            width=width, height=220, title=fitted_title("MLP attribution per layer", width)
        )
    )
