import numpy as np
import pytest
import traitlets

import glassbox
from glassbox_jupyter.errors import SelectionIndexError
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
    reply = picker.request_selection(0)  # what a click in the browser does
    assert reply == {"id": picker._request["id"], "error": None}
    assert finding.selected is finding.pareto_front[0] and picker.selected is finding.selected
    assert finding.fidelity is finding.pareto_front[0].fidelity
    assert picker._selection == {"value": 0, "details": {}}
    finding.select(finding.best)
    assert picker._selection["value"] == finding.best_index  # Python-side choice reaches the browser
    assert picker.selected is finding.best


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
    picker = finding.widget()
    size = len(finding.pareto_front)
    reply = picker.request_selection(size)
    assert reply["error"] == f"no equation with id {size}: the front has {size} (ids 0–{size - 1})"
    assert picker._selection["value"] == finding.best_index and finding.selected is finding.best
    assert "select an equation of the front by its id" in picker.request_selection("best")["error"]
    with pytest.raises(SelectionIndexError, match=f"no equation with id {size}"):
        finding.select(size)
    with pytest.raises(traitlets.TraitError, match="_overlay_feature 3 is out of range"):
        picker._overlay_feature = 3  # view-only state is still checked where it is set
