"""The exported HTML report's live widgets: the same widget code as in JupyterLab and the dashboard,
inlined with each finding's stored view, run offline in real Chromium (no kernel, no server); the
static SVG stays for printing and for readers without JavaScript."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

import glassbox
from glassbox_jupyter.report.annex import AnnexIVReport
from glassbox_jupyter.report.render import content_security_policy, view_json, viewer_assets


@pytest.fixture(scope="module")
def circuit_finding() -> Any:
    model = glassbox.demos.load("ioi")
    prompts = glassbox.demos.ioi_prompts(8, seed=0)
    rows = [(p.prompt, p.correct, p.incorrect, p.corrupted_prompt) for p in prompts]
    return glassbox.CircuitAnalyzer(model, method="taylor", n_boot=100).analyze(prompts=rows)


@pytest.fixture(scope="module")
def live_report(response_finding: Any, rule_finding: Any, circuit_finding: Any) -> AnnexIVReport:
    return AnnexIVReport(model_name="demo").add(response_finding).add(rule_finding).add(circuit_finding)


def test_the_widget_code_is_the_only_script_and_its_hash_is_the_policy(live_report: AnnexIVReport) -> None:
    assert viewer_assets() is not None, "run `cd js && npm run build`: the report viewer is not built"
    html = live_report.to_html()
    assert html.count('<script type="application/json" class="gb-live-view">') == 3
    code = re.search(r"<script>(.*)</script>\s*</body>", html, re.DOTALL)
    assert code is not None
    digest = base64.b64encode(hashlib.sha256(code.group(1).encode("utf-8")).digest()).decode()
    policy = content_security_policy(html)
    assert policy.startswith("default-src 'none'") and f"script-src 'sha256-{digest}'" in policy
    assert "</script" not in code.group(1)  # the inlined code cannot end its own element early
    printed = live_report.to_html(live=False)
    assert "<script" not in printed and "script-src" not in content_security_policy(printed)


def test_a_view_cannot_close_its_script_element() -> None:
    text = view_json({"widget": "rules_view", "data": {"note": "</script><script>alert(1)</script>"}})
    assert "<" not in text and "\\u003c/script>" in text


def test_the_live_widgets_run_offline_and_printing_shows_the_svg(
    live_report: AnnexIVReport, chromium: Any, tmp_path: Path
) -> None:
    from tests.e2e.jupyterlab import ARTIFACTS

    path = tmp_path / "report.html"
    live_report.to_html(path)
    errors: list[str] = []
    requests: list[str] = []
    context = chromium.new_context(offline=True, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelectorAll('.gb-live-on').length === 3")
        for widget in (".gb-response-view", ".gb-rules-view", ".gb-circuit-heatmap"):
            assert page.locator(f".gb-live-host {widget}").count() == 1, widget
        assert page.locator(".gb-live-on .finding-static").first.is_hidden()  # the widget shows instead
        # the circuit's stored numbers answer the mouse: a head's score and the stored faithfulness
        heatmap = page.locator(".gb-live-host .gb-circuit-heatmap")
        heatmap.scroll_into_view_if_needed()
        heatmap.locator(".gb-head-cell").first.hover()
        assert "score" in heatmap.locator(".gb-head-info").inner_text()
        assert "sufficiency" in heatmap.inner_text() and "not computed yet" not in heatmap.inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        heatmap.screenshot(path=str(ARTIFACTS / "report_live_circuit.png"))
        page.emulate_media(media="print")
        assert page.locator(".gb-live-host").first.is_hidden()
        boxes = [s.bounding_box() for s in page.locator(".finding-static svg").all()]
        assert len(boxes) == 3 and all(b and b["width"] > 100 for b in boxes), boxes
    finally:
        context.close()
    assert errors == [], errors
    assert all(url.startswith("file://") for url in requests), requests
