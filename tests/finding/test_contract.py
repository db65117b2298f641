"""The shared Finding contract runs on every Finding GlassBox produces, and can fail."""

import pytest

import glassbox
from glassbox_jupyter.testing import check_finding, check_svg


@pytest.fixture(scope="module", params=[["x3"], ["x1", "x2"]], ids=["line", "heatmap"])
def response_finding(request, friedman, friedman_probes):
    return glassbox.response(friedman, friedman_probes, features=request.param)


def test_response_findings_honour_the_contract(response_finding):
    check_finding(response_finding)


def test_the_contract_catches_a_blank_view(response_finding, monkeypatch):
    monkeypatch.setattr(type(response_finding), "to_svg", lambda self: "<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    with pytest.raises(AssertionError, match="blank"):
        check_finding(response_finding)


def test_the_contract_catches_bad_evidence(response_finding, monkeypatch):
    monkeypatch.setattr(type(response_finding), "evidence", lambda self: [])
    with pytest.raises(AssertionError, match="EvidenceItem"):
        check_finding(response_finding)


def test_check_svg_rejects_nan():
    shapes = "".join(f"<rect x='{i}' y='0' width='1' height='1'/>" for i in range(6))
    check_svg(f"<svg xmlns='http://www.w3.org/2000/svg'>{shapes}</svg>")
    with pytest.raises(AssertionError, match="NaN"):
        check_svg(f"<svg xmlns='http://www.w3.org/2000/svg'>{shapes}<path d='MNaN,0'/></svg>")
