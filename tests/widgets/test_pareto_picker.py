import numpy as np
import pytest
import traitlets

import glassbox
from glassbox_jupyter.testing import check_widget


@pytest.fixture(scope="module")
def finding():
    spec = glassbox.InputSpec(names=["x"], low=-3, high=3, units=["m"])
    teacher = glassbox.Teacher(lambda X: 2.5 * X[:, 0] ** 2 + np.cos(X[:, 0]), spec, name="quadratic_cosine")
    return glassbox.distill(teacher, time_limit=6, live=False)


def test_pareto_picker_honours_the_widget_contract(finding):
    other = next(eq.id for eq in finding.pareto_front if eq.id != finding.best_index)
    try:
        check_widget(finding.widget(), selection=other)
    finally:
        finding.select(finding.best)


def test_a_click_selects_that_equation(finding):
    picker = finding.widget()
    picker._selected_id = 0  # what a click in the browser does
    assert finding.selected is finding.pareto_front[0] and picker.selected is finding.selected
    assert finding.fidelity is finding.pareto_front[0].fidelity
    finding.select(finding.best)
    assert picker._selected_id == finding.best_index  # Python-side choice reaches the browser


def test_view_data_matches_the_front(finding):
    data = finding.view_data()
    assert [e["id"] for e in data["equations"]] == list(range(len(finding.pareto_front)))
    assert sum(e["is_best"] for e in data["equations"]) == 1
    overlay = data["overlay"][0]
    assert len(overlay["x"]) == len(overlay["teacher"]) and set(overlay["equations"]) == {
        str(e.id) for e in finding.pareto_front
    }
    assert data["features"][0]["unit"] == "m" and not data["running"]


def test_out_of_range_refused(finding):
    with pytest.raises(traitlets.TraitError):
        finding.widget()._selected_id = len(finding.pareto_front)
    with pytest.raises(traitlets.TraitError):
        finding.widget()._overlay_feature = 3
