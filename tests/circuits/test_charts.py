"""Charts of a circuit analysis: the data drawn is the engine's, and each renders to SVG offline."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from glassbox_jupyter.circuits import charts
from glassbox_jupyter.circuits.lens import logit_lens
from glassbox_jupyter.circuits.patching import activation_patching, attribution_patching
from glassbox_jupyter.circuits.prompts import PromptSet
from glassbox_jupyter.testing import check_svg
from glassbox_jupyter.widgets.svg import chart_to_svg

from .conftest import CORRUPTED, PROMPT
from .wide_font import clipped_texts

ROWS = [
    (PROMPT, " Mary", " John", CORRUPTED),
    ("When John and Mary went to the store, Mary gave a drink to", " John", " Mary", None),
    ("When Tom and Anna went to the store, Anna gave a drink to", " Tom", " Anna", None),
]


def _rows(chart) -> list[dict]:
    """The data rows the rendered spec carries (one inline dataset)."""
    datasets = chart.to_dict()["datasets"]
    assert len(datasets) == 1, f"expected one dataset, got {list(datasets)}"
    return next(iter(datasets.values()))


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(el.itertext()).strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "text"]


@pytest.fixture(scope="module")
def toy_lens(toy_model):
    return logit_lens(toy_model, PromptSet.build(toy_model, ROWS))


def test_logit_lens_chart_draws_the_engines_numbers(toy_lens):
    chart = charts.logit_lens_chart(toy_lens)
    rows = _rows(chart)
    assert [r["stage"] for r in rows] == ["embed", "after L0", "after L1"] == toy_lens["labels"]
    np.testing.assert_allclose([r["logit_diff"] for r in rows], toy_lens["by_layer"], rtol=1e-12)
    spec = chart.to_dict()
    marks = sorted(layer["mark"]["type"] for layer in spec["layer"])
    assert marks == ["line", "point", "rule", "text"]
    svg = chart_to_svg(chart)
    check_svg(svg)
    texts = _texts(svg)
    for label in toy_lens["labels"]:
        assert label in texts, f"x-axis label {label!r} is not drawn: {texts}"
    for value in toy_lens["by_layer"]:  # each point is labelled with its value
        assert f"{value:+.2f}".replace("-", "−") in texts or f"{value:+.2f}" in texts, (value, texts)


def test_direct_effects_chart_is_a_heatmap_centred_on_zero(toy_lens):
    chart = charts.direct_effects_chart(toy_lens)
    rows = _rows(chart)
    direct = toy_lens["direct_effects"]
    assert len(rows) == direct.size
    for r in rows:
        layer, head = int(r["layer"][1:]), int(r["head"][1:])
        assert r["effect"] == pytest.approx(direct[layer, head], rel=1e-12)
    scale = chart.to_dict()["layer"][0]["encoding"]["color"]["scale"]
    limit = float(np.abs(direct).max())
    assert scale["domainMid"] == 0 and scale["domain"] == pytest.approx([-limit, limit])
    svg = chart_to_svg(chart)
    check_svg(svg)
    texts = _texts(svg)
    assert {"L0", "L1", "H0", "H3", "direct effect on the logit diff"} <= set(texts), texts
    assert svg.count("<path") >= direct.size, "a cell per head"


def test_direct_effects_single_head_stands_out(single_head_model):
    """Only L1H2 writes to the residual stream, so it alone has a direct effect."""
    result = logit_lens(single_head_model, PromptSet.build(single_head_model, ROWS))
    rows = {(r["layer"], r["head"]): r["effect"] for r in _rows(charts.direct_effects_chart(result))}
    assert abs(rows[("L1", "H2")]) > 1e-3
    assert all(abs(v) < 1e-6 for k, v in rows.items() if k != ("L1", "H2"))


def test_mlp_attribution_chart_shows_approximation_beside_exact(mlp_model):
    prompts = PromptSet.build(mlp_model, ROWS)
    approx = attribution_patching(mlp_model, prompts, "taylor")["mlps"]
    exact = activation_patching(mlp_model, prompts)["mlps"]
    assert np.abs(exact).max() > 1e-4, "the fixture's MLPs should move the logit difference"
    chart = charts.mlp_attribution_chart(approx, exact)
    rows = _rows(chart)
    got = {(r["method"], r["layer"]): r["effect"] for r in rows}
    assert len(got) == 2 * mlp_model.cfg.n_layers
    for layer in range(mlp_model.cfg.n_layers):
        assert got[(charts.APPROX_LABEL, f"L{layer}")] == pytest.approx(approx[layer], rel=1e-12)
        assert got[(charts.EXACT_LABEL, f"L{layer}")] == pytest.approx(exact[layer], rel=1e-12)
    svg = chart_to_svg(chart)
    check_svg(svg)
    texts = _texts(svg)
    assert {charts.APPROX_LABEL, charts.EXACT_LABEL, "L0", "L1"} <= set(texts), texts


def test_mlp_attribution_chart_without_exact_has_one_series(mlp_model):
    approx = attribution_patching(mlp_model, PromptSet.build(mlp_model, ROWS), "taylor")["mlps"]
    chart = charts.mlp_attribution_chart(approx)
    assert {r["method"] for r in _rows(chart)} == {charts.APPROX_LABEL}
    svg = chart_to_svg(chart)
    texts = _texts(svg)
    assert charts.APPROX_LABEL in texts and charts.EXACT_LABEL not in texts


@pytest.mark.parametrize("scores", [None, np.array([]), np.zeros((0,))])
def test_mlp_attribution_chart_refuses_attention_only_models(scores):
    with pytest.raises(ValueError, match=re.escape("this model has no MLPs (attn_only=True)")):
        charts.mlp_attribution_chart(scores)


def test_mlp_attribution_chart_refuses_attention_only_model_argument(toy_model):
    zeros = attribution_patching(toy_model, PromptSet.build(toy_model, ROWS[:1]), "taylor")["mlps"]
    with pytest.raises(ValueError, match=re.escape("attn_only=True")):
        charts.mlp_attribution_chart(zeros, model=toy_model)


def test_bad_input_names_the_fix(toy_lens):
    with pytest.raises(ValueError, match="logit_lens"):
        charts.logit_lens_chart({"by_layer": [1.0, 2.0]})
    with pytest.raises(ValueError, match="logit_lens"):
        charts.direct_effects_chart([1.0, 2.0])
    with pytest.raises(ValueError, match="labels"):
        charts.logit_lens_chart({**toy_lens, "labels": ["embed"]})
    with pytest.raises(ValueError, match="NaN"):
        charts.logit_lens_chart({**toy_lens, "by_layer": np.array([0.0, np.nan, 1.0])})
    with pytest.raises(ValueError, match="activation_patching"):
        charts.mlp_attribution_chart(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="one number per layer"):
        charts.mlp_attribution_chart(np.ones((2, 2)))


def test_module_imports_neither_altair_nor_torch():
    code = (
        "import sys, glassbox_jupyter.circuits.charts\n"
        "print(sorted(m for m in ('altair', 'torch', 'pandas', 'vl_convert') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_title_legend_or_label_is_clipped_in_a_wider_font(toy_model, mlp_model, toy_lens):
    """Every chart a circuit analysis draws keeps its text inside the SVG when a browser draws it wider.

    vl-convert measures text in Liberation Sans; a browser without it (or Arial) draws DejaVu Sans, about
    21% wider in bold: before, the logit lens's centred title and the direct-effect legend's title were cut
    at the SVG's edge, as was the token chart's long title.
    """
    from glassbox_jupyter.circuits import CircuitAnalyzer

    analyzer = CircuitAnalyzer(toy_model, n_boot=20)
    prompts = ROWS + [(p.replace("Mary", "Anna"), c.replace("Mary", "Anna"), i, None) for p, c, i, _ in ROWS[1:]]
    finding = analyzer.analyze(prompts=prompts)
    mlp_prompts = PromptSet.build(mlp_model, ROWS)
    built = {
        "logit lens | direct effects": analyzer.logit_lens_chart(ROWS),
        "logit lens": charts.logit_lens_chart(toy_lens),
        "direct effects": charts.direct_effects_chart(toy_lens),
        "MLP attribution": charts.mlp_attribution_chart(
            attribution_patching(mlp_model, mlp_prompts, "taylor")["mlps"],
            activation_patching(mlp_model, mlp_prompts)["mlps"],
        ),
        "attention": analyzer.attention_patterns(ROWS, heads=[(1, 0)]).chart((1, 0)),
        "tokens": analyzer.token_attribution(ROWS, n_steps=4).chart(0),
        "static heat map": finding.heatmap_chart(),
    }
    for name, chart in built.items():
        assert clipped_texts(chart.to_dict()) == [], name


def test_the_clipping_check_catches_a_centred_title_wider_than_its_chart():
    import altair as alt
    import pandas as pd

    chart = alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_point().encode(x="a")
    long = "integrated_gradients (corrupted baseline), prompt 0"
    assert clipped_texts(chart.properties(width=100, title=long).to_dict())[0].startswith("title-text")
    assert clipped_texts(chart.properties(width=100, title=charts.fitted_title(long, 100)).to_dict()) == []


def test_titles_wrap_within_the_plot_in_a_wide_font():
    title = charts.fitted_title("direct effect of each head", 120, "on the logit difference, read at the last token")
    as_lines = lambda text: text if isinstance(text, list) else [text]  # noqa: E731
    assert len(as_lines(title.text)) == 2 and len(as_lines(title.subtitle)) == 3
    assert all(charts.text_width(line, charts.TITLE_SIZE, bold=True) <= 120 for line in as_lines(title.text))
    assert all(charts.text_width(line, charts.SUBTITLE_SIZE) <= 120 for line in as_lines(title.subtitle))
    assert title.anchor == "start"
