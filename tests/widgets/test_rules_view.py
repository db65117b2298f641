import numpy as np
import pytest
import traitlets

import glassbox
from glassbox_jupyter.testing import check_widget


@pytest.fixture(scope="module")
def finding():
    spec = glassbox.InputSpec(names=["a", "b"], low=0, high=10, units=["kg", None])
    teacher = glassbox.Teacher(
        lambda X: np.stack([X[:, 0] <= 5, X[:, 0] > 5], 1).astype(float) + 0.1 * (X[:, 1:2] > 7),
        spec,
        task="classification",
        output_names=["low", "high"],
    )
    return glassbox.distill(teacher, mode="logic", max_leaves=6)


def test_rules_view_honours_the_widget_contract(finding):
    check_widget(finding.widget(), selection=0)


def test_a_click_selects_that_rule(finding):
    view = finding.widget()
    view._selected_rule = len(finding.rules) - 1
    assert finding.selected_rule is finding.rules[-1] and view.selected_rule is finding.selected_rule
    view._selected_rule = -1
    assert finding.selected_rule is None
    with pytest.raises(traitlets.TraitError):
        view._selected_rule = len(finding.rules)


def test_view_data_lists_every_rule(finding):
    data = finding.view_data()
    assert [r["id"] for r in data["rules"]] == list(range(len(finding.rules)))
    assert data["classes"] == ["low", "high"] and data["fidelity"]["metric"] == "agreement"
