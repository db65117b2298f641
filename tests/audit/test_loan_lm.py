"""The shipped loan_lm demo: a small, offline, accurate model whose planted age bias an audit finds."""

from __future__ import annotations

import pytest

import glassbox
from glassbox_jupyter.audit import BlackBoxAuditor
from glassbox_jupyter.demos import loan_lm as demo
from glassbox_jupyter.demos.training import loan_lm as training
from glassbox_jupyter.testing import check_finding


@pytest.fixture(scope="module")
def finding(loan_lm):
    return BlackBoxAuditor(loan_lm, progress=False).audit(
        demo.DECISION_PROMPT, *demo.EXPECTED, context_variables=demo.AUDIT_VARIABLES, protected=demo.PROTECTED
    )


def test_the_audit_finds_the_planted_age_bias(finding):
    rates = finding.sensitivity.set_index("variable")
    assert rates.loc["age", "ci_low"] > 0.1  # the planted dependence: its CI excludes 0
    assert rates.loc["name", "flip_rate"] < 0.02 and rates.loc["name", "ci_high"] < 0.05  # irrelevant
    assert rates.loc["income", "sensitive"] and rates.loc["debt", "sensitive"]
    gap = finding.parity_gaps.set_index("variable").loc["age"]
    assert gap.ci_low > 0.2
    parity = finding.parity.set_index("group")["positive_rate"]
    assert parity[65] < parity[25] and parity[65] < parity[45]
    assert finding.consistency.value >= 0.9
    assert finding.fidelity.value == 1.0  # log-probabilities are deterministic


def test_the_finding_honours_the_contract(finding):
    check_finding(finding, selection="age")


def test_the_model_agrees_with_its_rule_on_held_out_applicants(loan_lm):
    _, held_out = training.applicants()
    sample = held_out[::4]
    prompts = [training.prompt(*row) for row in sample]
    decisions = loan_lm.decide_batch(prompts, *demo.EXPECTED)
    agree = sum((d.label == "positive") == training.rule(*row[1:]) for d, row in zip(decisions, sample))
    assert agree / len(sample) >= 0.95
    assert demo.card()["metrics"]["held_out_agreement_with_rule"] >= 0.95


def test_the_demo_folder_is_small_and_not_a_tabular_card():
    files = {p.name for p in demo.MODEL_DIR.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "card.json"} <= files
    assert sum(p.stat().st_size for p in demo.MODEL_DIR.iterdir()) < 2 * 1024 * 1024
    assert not any(p.suffix in (".bin", ".pt", ".pkl") for p in demo.MODEL_DIR.iterdir())
    assert "loan_lm" not in [d["name"] for d in glassbox.demos.list()]  # a folder, not <name>.json beside weights


def test_the_audit_variables_are_in_the_vocabulary():
    vocabulary = set(training.vocabulary())
    for values in demo.AUDIT_VARIABLES.values():
        assert {str(v).lower() for v in values} <= vocabulary


def test_a_missing_model_folder_says_how_to_rebuild(tmp_path):
    with pytest.raises(FileNotFoundError, match="demos.training.loan_lm"):
        demo.load_loan_lm(tmp_path)
