"""Every altair chart GlassBox returns renders offline, whatever altair renderer the user enabled."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

from glassbox_jupyter.widgets.svg import SVG_MIME, offline_chart
from tests.examples import neuron_graph_example

PACKAGE = Path(__file__).resolve().parents[2] / "glassbox_jupyter"
ALTAIR_TYPES = ("alt.Chart", "alt.LayerChart", "alt.HConcatChart", "alt.VConcatChart", "alt.FacetChart")


@pytest.fixture()
def cdn_renderer() -> Iterator[None]:
    """altair's "html" renderer: what loads vega from a CDN in JupyterLab."""
    before = alt.renderers.active
    alt.renderers.enable("html")
    yield
    alt.renderers.enable(before)


def shown(obj: object) -> dict:
    """The mime bundle IPython would send to the front end for ``obj``."""
    data, _ = DisplayFormatter().format(obj)
    return data


def assert_offline(bundle: dict) -> None:
    assert SVG_MIME in bundle and bundle[SVG_MIME].lstrip().startswith("<svg"), sorted(bundle)
    assert "text/html" not in bundle, "the chart still asks the front end to load vega"
    text = " ".join(str(v) for v in bundle.values())
    assert "cdn.jsdelivr" not in text and "<script" not in text


def chart_functions() -> list[tuple[str, ast.FunctionDef]]:
    """Public functions and methods of the package whose return annotation is an altair chart."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.returns is not None:
                if ast.unparse(node.returns).strip("'\"") in ALTAIR_TYPES:
                    found.append((f"{path.relative_to(PACKAGE)}:{node.name}", node))
    return found


def test_the_package_has_chart_functions_to_check() -> None:
    assert len(chart_functions()) >= 5


@pytest.mark.parametrize("name,node", chart_functions(), ids=[name for name, _ in chart_functions()])
def test_every_public_chart_function_returns_an_offline_chart(name: str, node: ast.FunctionDef) -> None:
    calls = {ast.unparse(c.func) for c in ast.walk(node) if isinstance(c, ast.Call)}
    assert "offline_chart" in calls, f"{name} returns an altair chart without offline_chart(): it needs vega from a CDN"


def test_offline_chart_survives_copies_and_composition(cdn_renderer: None) -> None:
    chart = offline_chart(alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_point().encode(x="a:Q"))
    for variant in (chart, chart.properties(width=120), chart | chart, chart & chart, chart + chart):
        assert_offline(shown(variant))
    assert shown(alt.Chart(pd.DataFrame({"a": [1]})).mark_point()).get("text/html"), "the check cannot fail"


def test_neuron_graph_heatmap_renders_offline(cdn_renderer: None) -> None:
    graph, _ = neuron_graph_example()
    assert_offline(shown(graph.heatmap()))


def test_circuit_charts_render_offline(cdn_renderer: None) -> None:
    import glassbox

    model = glassbox.demos.load("ioi")
    prompts = glassbox.demos.ioi_prompts(4, seed=0)
    analyzer = glassbox.CircuitAnalyzer(model, n_boot=50)
    assert_offline(shown(analyzer.logit_lens_chart(prompts)))
    assert_offline(shown(analyzer.analyze(prompts=prompts).heatmap_chart()))
