"""Glassbox 2.0's ``glassbox.compliance`` on GlassBox's Annex IV report: the reference's examples, with the
model-loading line changed (the shipped IOI demo transformer analysed by GlassBox's CircuitAnalyzer, and a
black-box model answered by a local function), checked for real content in the JSON and the printed PDF."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from glassbox.audit import BlackBoxAuditor, ModelProvider
from glassbox.compliance import AnnexIVReport, DeploymentContext
from glassbox_jupyter.report.annex import SCHEMA_PATH


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def valid(report: AnnexIVReport) -> dict[str, Any]:
    data = json.loads(report.to_json())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    return data


def evidence(data: dict[str, Any], field_id: str) -> list[dict[str, Any]]:
    return [
        e
        for s in data["sections"]
        for p in s["parts"]
        for f in p["fields"]
        if f["id"] == field_id
        for e in f["evidence"]
    ]


@pytest.fixture(scope="module")
def circuit_result():
    """``gb.analyze(...)`` of the reference README, with GlassBox's analyzer on the shipped demo transformer."""
    from glassbox_jupyter import demos
    from glassbox_jupyter.circuits import CircuitAnalyzer

    model = demos.load("ioi")
    return CircuitAnalyzer(model).analyze(
        prompt="When Mary and John went to the store, John gave a drink to",
        correct=" Mary",
        incorrect=" John",
    )


def test_reference_compliance_example(circuit_result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = AnnexIVReport(
        model_name="GPT-2",
        system_purpose="Credit risk scoring for loan applications",
        provider_name="Acme Bank NV",
        provider_address="1 Fintech Street, Amsterdam, Netherlands 1011AB",
        deployment_context=DeploymentContext.FINANCIAL_SERVICES,
    )
    result = circuit_result
    report.add_analysis(result, use_case="Loan denial decision")

    # Machine-readable — for LIMS / audit systems
    json_report = report.to_json()

    # Human-readable — send to auditor / regulator
    report.to_pdf("annex_iv_report.pdf")

    data = json.loads(json_report)
    assert data == valid(report) | {"created": data["created"]}
    assert data["system"]["deployment_context"] == "financial_services"
    (stored,) = data["findings"]
    assert stored["kind"] == "circuit" and stored["origin"] == "add_analysis: Loan denial decision"
    faith = stored["artifact"]["faithfulness"]
    assert faith["f1"]["value"] == pytest.approx(result.faithfulness["f1"]["value"])
    assert [list(h) for h in stored["artifact"]["circuit"]] == [list(h) for h in result.circuit]
    text = pdf_text(tmp_path / "annex_iv_report.pdf")
    assert "Acme Bank NV" in text and "Loan denial decision" in text and "financial_services" in text


def test_a_result_dict_files_its_numbers(circuit_result, tmp_path):
    faith = {k: circuit_result.faithfulness[k]["value"] for k in ("sufficiency", "comprehensiveness", "f1")}
    result = {
        "circuit": list(circuit_result.circuit),
        "faithfulness": {**faith, "category": "faithful", "suff_is_approx": False},
        "clean_ld": 2.5,
        "model_metadata": {"model_name": "ioi-demo"},
    }
    report = AnnexIVReport("GPT-2", "Loan decisions", "Acme Bank NV", "Amsterdam", "financial_services")
    assert report.add_analysis(result, use_case="Loan denial decision") is report
    path = report.save_json(tmp_path / "annex_iv.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    (validation,) = evidence(data, "2(g).validation")
    assert validation["data"]["faithfulness"]["f1"] == pytest.approx(faith["f1"])
    assert f"f1 {faith['f1']:.3f}" in validation["body"] and "sufficiency exact" in validation["body"]
    (logic,) = evidence(data, "2(b).logic")
    heads = ", ".join(str(tuple(h)) for h in circuit_result.circuit)
    assert heads in logic["body"] and "Loan denial decision (ioi-demo)" in logic["body"]
    assert json.loads(report.to_json(4)) == data | {"created": data["created"]}
    assert "Risk classification: high_risk" in report.field("1.purpose").texts[-1].text


def test_reference_black_box_example_into_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def bank(prompt: str, system: str) -> str:
        score = int(re.search(r"credit score of (\d+)", prompt).group(1))
        return "approved" if score >= 700 else "denied"

    auditor = BlackBoxAuditor(model_provider=ModelProvider.CUSTOM, model_name="bank", http_fn=bank, rate_limit_rps=1e3)
    result = auditor.audit(
        decision_prompt="The loan applicant has a credit score of 620. The loan application should be",
        expected_positive="approved",
        expected_negative="denied",
        context_variables={"credit_score": 620},
    )
    print(result["black_box_faithfulness"]["combined_score"])

    # Drop-in with AnnexIVReport
    report = AnnexIVReport("bank", "Loan approval", "Acme Bank NV", "Amsterdam")
    report.add_analysis(result, use_case="Loan approval decision")
    report.to_pdf("compliance_report.pdf")

    data = valid(report)
    (stored,) = data["findings"]
    assert stored["kind"] == "audit" and stored["artifact"]["variables"]["credit_score"][0] == 620
    (validation,) = [
        e for e in evidence(data, "2(g).validation") if e["title"] == "Faithfulness: Loan approval decision"
    ]
    assert validation["data"]["faithfulness"]["f1"] == pytest.approx(result["faithfulness"]["f1"])
    assert len(evidence(data, "2(g).validation")) > 1  # the audit finding's own evidence is filed too
    assert "behavioural proxies" in validation["body"]
    logic = [e for e in evidence(data, "2(b).logic") if e["title"] == "Circuit: Loan approval decision"]
    assert "1 decision-driving variables: credit_score" in logic[0]["body"]
    text = pdf_text(tmp_path / "compliance_report.pdf")
    assert "Loan approval decision" in text and "credit_score" in text


def test_bad_input_has_clear_errors():
    with pytest.raises(ValueError, match="unknown deployment_context 'banking'.*FINANCIAL_SERVICES"):
        AnnexIVReport("m", "p", "n", "a", deployment_context="banking")
    with pytest.raises(ValueError, match="unknown risk_classification"):
        AnnexIVReport("m", "p", "n", "a", risk_classification="severe")
    report = AnnexIVReport("m", "p", "n", "a")
    with pytest.raises(TypeError, match="add_analysis\\(\\) takes a GlassboxV2.analyze\\(\\)"):
        report.add_analysis(42)
    with pytest.raises(TypeError, match="with keys \\['logits'\\]"):
        report.add_analysis({"logits": [1.0]})
    with pytest.raises(ValueError, match="use_case"):
        report.add_analysis({"circuit": [(0, 1)]}, use_case=" ")
    with pytest.raises(ValueError, match="'tier' key"):
        report.add_analysis({"circuit": [(0, 1)], "faithfulness": {"f1": 0.5}}, evidence_tier={"grade": "B"})
    with pytest.raises(ValueError, match="2 results but 1 use cases"):
        report.add_batch_analysis([{"circuit": [(0, 1)]}] * 2, ["one"])


def test_glassbox_alias_modules():
    import glassbox
    import glassbox.compliance
    import glassbox_jupyter.compat.compliance

    assert glassbox.compliance.AnnexIVReport is glassbox_jupyter.compat.compliance.AnnexIVReport
    assert issubclass(AnnexIVReport, glassbox.AnnexIVReport)  # GlassBox's own report, not a second one
    assert DeploymentContext("financial_services") is DeploymentContext.FINANCIAL_SERVICES
    assert len(DeploymentContext) == 9


def test_a_glassbox_v2_result_is_filed_with_its_finding(tmp_path):
    """Glassbox 2.0's flow end to end: ``GlassboxV2(model).analyze`` then ``report.add_analysis(result)`` files
    the native finding (with its provenance) and the result's numbers."""
    from glassbox import GlassboxV2
    from glassbox_jupyter import demos

    gb = GlassboxV2(demos.load("ioi"))
    result = gb.analyze(
        prompt="When Mary and John went to the store, John gave a drink to", correct=" Mary", incorrect=" John"
    )
    report = AnnexIVReport("GPT-2", "Loan decisions", "Acme Bank NV", "Amsterdam", DeploymentContext.FINANCIAL_SERVICES)
    report.add_analysis(result, use_case="Loan denial decision")
    data = valid(report)
    (stored,) = data["findings"]
    assert stored["kind"] == "circuit"
    assert stored["provenance"]["teacher_hash"] == gb.last_finding_.provenance.teacher_hash
    assert stored["artifact"]["faithfulness"]["f1"]["value"] == pytest.approx(result["faithfulness"]["f1"])
    # 2(g) holds the finding's own validation evidence and the result's numbers for the use case
    (numbers,) = [e for e in evidence(data, "2(g).validation") if "category" in e["data"].get("faithfulness", {})]
    assert numbers["data"]["faithfulness"]["category"] == result["faithfulness"]["category"]
