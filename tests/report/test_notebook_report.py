"""Annotated notebooks → Annex IV HTML / PDF / JSON: annotations, redaction, offline rendering, PDF pages."""

from __future__ import annotations

import json
import re
import subprocess

import jsonschema
import nbformat
import numpy as np
import pytest

from glassbox_jupyter.cli import main
from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS
from glassbox_jupyter.report.annex import SCHEMA_PATH
from glassbox_jupyter.report.export import export_notebook
from glassbox_jupyter.report.fields import UnknownSectionError
from glassbox_jupyter.report.notebook import cell_sections, report_from_notebook
from glassbox_jupyter.report.pdf import ChromiumNotFoundError, html_to_pdf

from .conftest import annotated_notebook

SECRET = "sk-abcdefghijklmnopqrstuvwxyz123456"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The annotated notebook executed in a real kernel and exported to all three formats."""
    folder = tmp_path_factory.mktemp("annex")
    notebook = folder / "audit.ipynb"
    nbformat.write(annotated_notebook(SECRET), notebook)
    return export_notebook(notebook, ("html", "pdf", "json"), out=folder / "out", execute=True)


def test_annotations_are_read_from_tags_and_the_cell_magic():
    nb = annotated_notebook()
    assert [cell_sections(c) for c in nb.cells] == [[], ["2(d)"], ["2(b)"], ["2(h)"]]
    bad = nbformat.v4.new_markdown_cell("x", metadata={"tags": ["annex-iv:2k"]})
    with pytest.raises(UnknownSectionError, match="valid tags are 1, 2, 2a"):
        cell_sections(bad)
    with pytest.raises(UnknownSectionError):
        cell_sections(nbformat.v4.new_code_cell("%%glassbox annex 12\nx = 1"))


def test_executed_notebook_fills_the_report(exported):
    report = exported.report
    assert report.model_name == "Friedman demo" and report.provider_address == "1 Example Street"
    assert report.field("2(d).data").status == "human"  # tagged markdown
    assert report.field("9.post_market").texts[0].text.startswith("Drift is checked")  # report.write in a cell
    assert report.field("2(b).logic").status == "automatic"  # the finding, filed by the cell magic and itself
    assert [s.data["kind"] for s in report.findings] == ["response"]
    assert report.findings[0].static_html and "<svg" in report.findings[0].static_html
    assert report.findings[0].view is not None and report.findings[0].view["widget"] == "response_view"
    assert report.field("2(h).cybersecurity").status == "human"  # the annotated cell's output
    data = json.loads(exported.paths["json"].read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert "2(e).oversight" in data["missing"] and "1.purpose" not in data["missing"]


def test_a_key_in_a_cell_output_is_redacted_everywhere(exported):
    for kind in ("html", "json", "ipynb"):
        text = exported.paths[kind].read_text(encoding="utf-8")
        if kind == "ipynb":  # the user's own source keeps what they typed; outputs are redacted
            text = json.dumps([o for c in json.loads(text)["cells"] for o in c.get("outputs", [])])
        assert SECRET not in text, kind
        assert "[REDACTED]" in text, kind
    assert (
        SECRET
        not in subprocess.run(
            ["pdftotext", str(exported.paths["pdf"]), "-"], capture_output=True, text=True, check=True
        ).stdout
    )


def test_pdf_has_all_nine_section_headings_and_no_blank_page(exported, tmp_path):
    from PIL import Image

    text = subprocess.run(
        ["pdftotext", str(exported.paths["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    for number in range(1, 10):
        title = re.sub(r"\s+", " ", ANNEX_IV_SECTIONS[str(number)])
        assert f"{number}. {title}" in flat, f"section {number} heading missing from the PDF text"
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(exported.paths["pdf"]), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    for page in pages:
        grey = np.asarray(Image.open(page).convert("L"))
        assert (grey < 200).mean() > 0.002, f"{page.name} is blank"


def test_html_renders_with_the_network_blocked_and_no_failed_request(exported, chromium):
    requests, failed = [], []
    context = chromium.new_context(offline=True)
    try:
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.goto(exported.paths["html"].as_uri())
        page.wait_for_load_state("load")
        headings = page.locator("section.annex-section > h2").all_inner_texts()
        # the finding's live widget, from the view its notebook output carries, replaces its SVG on screen
        page.wait_for_selector(".gb-live-on .gb-live-host .gb-response-view")
        page.emulate_media(media="print")  # printing shows the static SVG again
        svg_boxes = [box for box in (s.bounding_box() for s in page.locator("figure svg").all()) if box]
    finally:
        context.close()
    assert failed == [] and all(url.startswith("file://") for url in requests), (requests, failed)
    assert [h.split(".")[0] for h in headings] == [str(n) for n in range(1, 10)]
    assert svg_boxes and all(box["width"] > 100 and box["height"] > 100 for box in svg_boxes)


def test_a_notebook_without_annotations_still_gives_a_report_with_every_human_field_missing():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1 + 1")]
    report = report_from_notebook(nb)
    human = {f.id for f in report.fields.values() if f.spec.filled_by == "human"}
    assert human <= {f.id for f in report.missing()}
    assert any("no Annex IV annotations" in note for note in report.notes)
    assert "9. Post-market monitoring plan" in report.to_html()


def test_missing_chromium_names_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("GLASSBOX_CHROMIUM", raising=False)
    with pytest.raises(ChromiumNotFoundError, match="apt-get install chromium"):
        html_to_pdf("<p>x</p>", tmp_path / "x.pdf")


def test_cli_report_writes_json_and_lists_missing_fields(tmp_path, capsys):
    notebook = tmp_path / "plain.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Scores loans.", metadata={"tags": ["annex-iv:1"]})]
    nbformat.write(nb, notebook)
    assert main(["report", str(notebook), "--to", "json", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "fields still need human input" in out and "9.post_market" in out
    assert (tmp_path / "o" / "plain.annex-iv.json").is_file()
    assert main(["report", str(tmp_path / "absent.ipynb")]) == 1
    assert "absent.ipynb" in capsys.readouterr().err


def test_nbconvert_finds_the_exporters_and_jupyter_nbconvert_writes_the_report(exported, tmp_path):
    import shutil
    import sys
    from pathlib import Path

    from nbconvert.exporters import get_exporter

    from glassbox_jupyter.report.exporters import AnnexIVExporter, AnnexIVPDFExporter

    assert get_exporter("annex-iv") is AnnexIVExporter and get_exporter("annex-iv-pdf") is AnnexIVPDFExporter
    executed = tmp_path / "audit.ipynb"
    shutil.copy(exported.paths["ipynb"], executed)
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run(
        [str(jupyter), "nbconvert", "--to", "annex-iv", str(executed)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "audit.annex-iv.html").read_text(encoding="utf-8")
    assert "9. Post-market monitoring plan" in html and "Friedman demo" in html and SECRET not in html


def test_a_saved_notebook_carries_each_findings_live_view_into_the_html_export(monkeypatch):
    from glassbox_jupyter.finding import base
    from tests.examples import rules_example

    finding, _ = rules_example()

    def notebook_of(bundle):
        nb = nbformat.v4.new_notebook()
        output = nbformat.v4.new_output("display_data", data=bundle)
        nb.cells = [nbformat.v4.new_code_cell("rules", outputs=[output], metadata={"tags": ["annex-iv:2b"]})]
        return nb

    report = report_from_notebook(notebook_of(finding._repr_mimebundle_()))
    view = report.findings[0].view
    assert view is not None and view["widget"] == "rules_view" and view["data"]["rules"]
    assert 'class="gb-live-view"' in report.to_html() and "gb-live-view" not in report.to_html(live=False)
    # a report displayed in the notebook (report.add in a cell) keeps its findings' views too
    again = report_from_notebook(notebook_of(report._repr_mimebundle_()))
    assert again.findings[0].view == view

    monkeypatch.setattr(base, "MAX_NOTEBOOK_VIEW_CHARS", 100)  # too large a view stays out of the notebook
    bundle = finding._repr_mimebundle_()
    assert "live_view" not in bundle["application/vnd.glassbox.finding+json"]
    assert report_from_notebook(notebook_of(bundle)).findings[0].view is None
