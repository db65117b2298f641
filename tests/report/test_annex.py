"""AnnexIVReport: nine sections, fields marked automatic / human / missing, JSON against the schema."""

from __future__ import annotations

import json
import re

import jsonschema
import numpy as np
import pytest

import glassbox
from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS
from glassbox_jupyter.report.annex import SCHEMA_PATH, AnnexIVReport
from glassbox_jupyter.report.fields import FIELDS, UnknownSectionError, section_key


def validate(report: AnnexIVReport) -> dict:
    data = json.loads(report.to_json())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    return data


def test_every_section_and_sub_item_is_present_and_an_empty_report_is_all_missing_but_the_constructor():
    report = AnnexIVReport(model_name="scorer", system_purpose="Pre-screen loans.", provider_name="ACME")
    data = validate(report)
    assert [s["number"] for s in data["sections"]] == [str(n) for n in range(1, 10)]
    keys = [p["key"] for s in data["sections"] for p in s["parts"]]
    assert keys == [k for k in ANNEX_IV_SECTIONS if k != "2"]  # section 2 is told through 2(a)…2(h)
    assert report.field("1.purpose").status == "human"
    assert {f.id for f in report.missing()} == set(FIELDS) - {"1.purpose"}
    assert data["status"] == {"automatic": 0, "human": 1, "missing": len(FIELDS) - 1}


def test_findings_fill_the_sections_they_support(response_finding, rule_finding):
    report = AnnexIVReport(model_name="demo").add(response_finding).add(rule_finding)
    data = validate(report)
    for fid in ("1.versions", "2(a).methods", "2(b).logic", "2(c).architecture", "2(e).interpretation"):
        assert report.field(fid).status == "automatic", fid
    assert report.field("2(g).validation").status == "automatic"
    validation = " ".join(report.field("2(g).validation").derived)
    assert "R²" in validation and "agreement" in validation and "held-out" in validation  # both fidelities, dated
    assert "x1" in " ".join(report.field("3.inputs").derived)
    assert {e["finding"] for s in data["sections"] for p in s["parts"] for f in p["fields"] for e in f["evidence"]} >= {
        "response",
        "rules",
    }
    assert "2(b).choices" in data["missing"]  # the rationale is a person's to write
    assert len(data["findings"]) == 2


def test_write_marks_human_and_rejects_unknown_sections_listing_valid_ones():
    report = AnnexIVReport()
    report.write("2e", "A credit officer reviews every refusal.", author="R. Officer")
    assert report.field("2(e).oversight").status == "human"
    report.write("2(g).procedures", "Held-out split of 25%.")
    assert report.field("2(g).procedures").status == "human"
    with pytest.raises(UnknownSectionError, match=r"valid tags are 1, 2, 2a, 2b.*9"):
        report.write("2z", "text")
    with pytest.raises(UnknownSectionError):
        section_key("annex-iv:10")
    with pytest.raises(ValueError, match="non-empty"):
        report.write("9", "   ")
    with pytest.raises(TypeError, match="report.write"):
        report.add("free text")


def test_two_model_versions_are_compared_in_section_6():
    torch = pytest.importorskip("torch")
    spec = glassbox.InputSpec(names=["a", "b"], low=[0, 0], high=[1, 1])
    findings = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        teacher = glassbox.Teacher(model, spec, name="scorer")
        findings.append(glassbox.response(teacher, features=["a"], n=120))
    report = AnnexIVReport(model_name="scorer")
    for f in findings:
        report.add(f)
    lines = report.field("6.changes").derived
    assert lines[0].startswith("2 model versions analysed")
    assert any("response:" in line and "→" in line for line in lines)
    assert findings[0].provenance.teacher_hash[:12] in " ".join(lines)
    validate(report)


def test_json_round_trip_keeps_written_text_and_findings(response_finding):
    report = AnnexIVReport(model_name="demo", deployment_context="Internal API")
    report.add(response_finding).write("5", "Risks are reviewed quarterly.")
    again = AnnexIVReport.from_dict(json.loads(report.to_json()))
    assert again.to_dict()["status"] == report.to_dict()["status"]
    assert again.field("5.risk_management").texts[0].text == "Risks are reviewed quarterly."
    assert again.field("1.market").status == "human"
    assert np.isclose(again.findings[0].data["fidelity"]["value"], response_finding.fidelity.value)


def test_html_is_offline_and_escapes_what_people_write(response_finding):
    report = AnnexIVReport(model_name="demo").add(response_finding)
    report.write("2e", "Reviewed by **two** people. <script>alert(1)</script>")
    html = report.to_html()
    for number, title in ((n, ANNEX_IV_SECTIONS[str(n)]) for n in range(1, 10)):
        assert f"{number}. {title}" in html
    assert "&lt;script&gt;alert(1)" in html and "<strong>two</strong>" in html
    # the only scripts: the finding's live view (JSON, never run) and the widget code its CSP hash allows
    assert re.findall(r"<script[^>]*>", html) == ['<script type="application/json" class="gb-live-view">', "<script>"]
    assert "<script" not in report.to_html(live=False)
    assert "http://" not in html.split("<body>")[0] and "https://" not in html.split("<body>")[0]
    assert html.count("<svg") >= 1 and "Appendix A. Provenance" in html and "Appendix B. Fields still missing" in html


def test_an_audit_fills_group_accuracy_validation_and_risk():
    def model(prompt: str) -> str:
        return "approve" if "high" in prompt else "deny"

    audit = glassbox.BlackBoxAuditor(model, progress=False).audit(
        "Income {income}, age {age}. Decision:",
        "approve",
        "deny",
        context_variables={"income": ["low", "high"], "age": [30, 70]},
        protected="age",
    )
    report = AnnexIVReport(model_name="loan screener").add(audit)
    validate(report)
    groups = report.field("3.groups")
    assert groups.status == "automatic"
    assert any("demographic parity difference" in e.item.body for e in groups.evidence)
    assert report.field("3.capabilities").evidence == []
    assert report.field("5.risk_management").status == "automatic"
    assert "flip rate" in " ".join(e.item.body for e in report.field("2(g).validation").evidence)
