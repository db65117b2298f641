"""Logic mode end to end on a teacher whose true rules are known."""

import importlib.util

import numpy as np
import pytest

import glassbox
from glassbox import InputSpec, Teacher
from glassbox_jupyter.rules.tree import nice_values
from glassbox_jupyter.testing import check_finding

SPEC = InputSpec(
    names=["income", "debt_ratio", "credit_score", "years_employed", "loan_amount"],
    low=[10, 0, 300, 0, 1],
    high=[150, 80, 850, 30, 500],
    units=["k€", "%", "points", "yr", "k€"],
)


def approve(X):
    return (X[:, 2] > 650) & (X[:, 1] <= 40) & ((X[:, 0] > 45) | (X[:, 3] > 5))


@pytest.fixture(scope="module")
def loan_rules():
    teacher = Teacher(
        lambda X: np.stack([~approve(X), approve(X)], 1).astype(float),
        SPEC,
        task="classification",
        output_names=["deny", "approve"],
        name="loan rule",
    )
    return glassbox.distill(teacher, mode="logic", max_leaves=16, seed=0)


def test_rules_reproduce_the_decisions(loan_rules):
    assert loan_rules.fidelity.metric == "agreement" and loan_rules.fidelity.value >= 0.99
    assert loan_rules.n_leaves <= 16
    X = glassbox.Probe(loan_rules.teacher, n=3000, seed=7).run().X
    assert np.mean(loan_rules.predict(X) == approve(X)) > 0.99


def test_true_thresholds_are_recovered_and_rounded(loan_rules):
    thresholds = {(c.feature, c.op): c.threshold for r in loan_rules.rules for c in r.conditions}
    assert thresholds[("credit_score", ">")] == 650
    assert thresholds[("debt_ratio", "<=")] == 40
    assert thresholds[("income", ">")] == 45
    assert thresholds[("years_employed", ">")] == 5
    assert "loan_amount" not in {c.feature for r in loan_rules.rules for c in r.conditions}


def test_rules_carry_units_coverage_and_local_fidelity(loan_rules):
    assert sum(r.coverage for r in loan_rules.rules) == pytest.approx(1.0)
    first = loan_rules.rules[0]
    assert first.prediction.startswith("approve") and "points" in first.text and first.fidelity > 0.95
    text = loan_rules.text()
    assert text.startswith("IF ") and "\nELSE:\n    decision = deny" in text


def test_to_python_implements_the_rules(loan_rules, tmp_path):
    path = tmp_path / "rules.py"
    path.write_text(loan_rules.to_python("decide"))
    spec = importlib.util.spec_from_file_location("rules", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X = glassbox.Probe(loan_rules.teacher, n=500, seed=3).run().X
    names = ["income", "debt_ratio", "credit_score", "years_employed"]
    decided = [module.decide(**{n: row[SPEC.index(n)] for n in names}) for row in X]
    assert [d == "approve" for d in decided] == list(loan_rules.predict(X) == 1)


def test_rule_finding_honours_the_contract(loan_rules):
    check_finding(loan_rules)


def test_regression_teacher_gives_value_rules():
    spec = InputSpec(names=["a", "b"], low=0, high=10)
    teacher = Teacher(lambda X: np.where(X[:, 0] > 5, 10.0, 0.0) + np.where(X[:, 1] > 2.5, 3.0, 0.0), spec)
    finding = glassbox.distill(teacher, mode="logic", max_leaves=4)
    assert finding.fidelity.metric == "r2" and finding.fidelity.value > 0.99
    assert {c.threshold for r in finding.rules for c in r.conditions} == {5, 2.5}


@pytest.mark.parametrize("leaves", [1, 0, 2.5])
def test_leaf_budget_must_be_an_integer_of_at_least_two(leaves):
    with pytest.raises(ValueError, match="max_leaves"):
        glassbox.distill(Teacher(lambda X: X[:, 0], SPEC), mode="logic", max_leaves=leaves)


def test_unknown_mode():
    with pytest.raises(ValueError, match="math"):
        glassbox.distill(Teacher(lambda X: X[:, 0], SPEC), mode="fuzzy")


def test_nice_values_stay_close():
    assert nice_values(650.3, 550)[0] == 700 or 650 in nice_values(650.3, 550)
    assert all(abs(v - 650.3) <= 11 for v in nice_values(650.3, 550))


def test_rules_are_numbered_from_0_everywhere(loan_rules):
    """One numbering: Rule.id is the position in finding.rules, what select() takes and what views show."""
    assert [r.id for r in loan_rules.rules] == list(range(len(loan_rules.rules)))
    assert [r["id"] for r in loan_rules.view_data()["rules"]] == [r.id for r in loan_rules.rules]
    assert loan_rules.select(0).id == 0
    svg = loan_rules.to_svg()
    assert "#0: " in svg and f"#{len(loan_rules.rules)}: " not in svg


def test_the_caption_claims_no_default_the_leaves_do_not_need(loan_rules):
    caption = loan_rules.view_data()["caption"]
    assert "ELSE" not in caption and f"{len(loan_rules.rules)} rules, one per leaf" in caption
    assert all(r.conditions for r in loan_rules.rules)  # every rule has conditions: nothing falls to a default


def test_each_rule_reports_the_probes_behind_its_fidelity():
    from scipy.stats import binomtest

    teacher = Teacher(
        lambda X: np.stack([~approve(X), approve(X)], 1).astype(float),
        SPEC,
        task="classification",
        output_names=["deny", "approve"],
        name="loan rule",
    )
    finding = glassbox.distill(teacher, mode="logic", max_leaves=8, n=800, seed=0)
    data = finding.view_data()
    assert data["min_support"] == 30
    for rule, shown in zip(finding.rules, data["rules"], strict=True):
        assert shown["n"] == rule.n and shown["small_support"] == (rule.n < 30)
        if rule.n:
            agreeing = round(rule.fidelity * rule.n)
            exact = binomtest(agreeing, rule.n).proportion_ci(method="exact")
            assert rule.fidelity_ci == pytest.approx((exact.low, exact.high))
            assert shown["fidelity_ci"] == pytest.approx(list(rule.fidelity_ci))
    assert any(r.small_support for r in finding.rules), "n=800 should leave some rule with few held-out probes"


def test_a_regression_rule_has_no_binomial_interval():
    spec = InputSpec(names=["a", "b"], low=0, high=10)
    teacher = Teacher(lambda X: np.where(X[:, 0] > 5, 10.0, 0.0), spec)
    finding = glassbox.distill(teacher, mode="logic", max_leaves=4)
    assert all(r.fidelity_ci is None for r in finding.rules)
