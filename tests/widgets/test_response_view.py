import numpy as np
import pytest

import glassbox
from glassbox_jupyter.errors import SelectionError, SelectionIndexError
from glassbox_jupyter.testing import check_widget


@pytest.fixture()
def view(friedman, friedman_probes):
    return glassbox.response(friedman, friedman_probes, features=["x1", "x2"]).widget()


def test_response_view_honours_the_widget_contract(view):
    check_widget(view, selection=5)


def test_a_click_selects_the_full_probe_input(view, friedman_probes):
    assert view.selected_input is None and view.selected_output is None
    assert view._selection == {"value": None, "details": {}}
    reply = view.request_selection(42)  # what a click on the 43rd point asks for
    assert reply == {"id": view._request["id"], "error": None}
    expected = friedman_probes.X[42]  # all 600 probes are shown, so point 42 is probe row 42
    assert list(view.selected_input) == ["x1", "x2", "x3", "x4", "x5"]
    np.testing.assert_allclose(list(view.selected_input.values()), expected)
    assert view.selected_output == pytest.approx(friedman_probes.y[42, 0])
    assert view.finding.selected_input == view.selected_input and view._selection["value"] == 42
    # the details the browser gets: the full input and the model's output there
    details = view._selection["details"]
    assert details["inputs"] == dict(view.selected_input) and details["output"] == pytest.approx(view.selected_output)
    assert view.selected_point["output"] == details["output"] and details["output_name"] == "y"
    assert view._data["points"]["x"][42] == pytest.approx(expected[0])
    assert view._data["points"]["y"][42] == pytest.approx(expected[1])
    assert "row" not in view._data["points"]  # the selection is the point's index: no row map is sent
    view.select(None)  # from Python: every view follows
    assert view.selected_input is None and view._selection["value"] is None
    view.select(42)
    view.select(-1)  # -1 clears too
    assert view.selected_input is None and view.finding.selection is None


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (600, SelectionIndexError, "point 600 is out of range: the view shows 600 points (0–599)"),
        (-2, SelectionIndexError, "point -2 is out of range"),
        ("42", SelectionError, "select a point by its index among the 600 shown (0–599), not '42'"),
        (True, SelectionError, "select a point by its index"),
    ],
)
def test_out_of_range_clicks_are_refused(view, value, error, message):
    view.request_selection(7)
    reply = view.request_selection(value)
    assert message in reply["error"]
    assert view._selection["value"] == 7 == view.finding.selection
    with pytest.raises(error) as refused:
        view.finding.select(value)
    assert message in str(refused.value)


def test_points_are_subsampled_but_map_back_to_probe_rows(friedman):
    probes = glassbox.Probe(friedman, n=2000, seed=0).run()
    finding = glassbox.response(friedman, probes, features="x1")
    view = finding.widget()
    assert len(view._data["points"]["x"]) == 1500
    assert view.request_selection(1499)["error"] is None
    row = finding._selected_row
    assert row == finding.shown_rows()[1499] and row > 1400
    assert view.selected_input["x1"] == pytest.approx(probes.X[row, 0])
    assert view._data["points"]["x"][1499] == pytest.approx(probes.X[row, 0])
    assert view.selected_output == pytest.approx(probes.y[row, 0])
    assert "1500 points (0–1499)" in view.request_selection(1500)["error"]


def test_outside_a_kernel_the_widget_shows_its_static_view(view):
    bundle = view._repr_mimebundle_()
    assert "<svg" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" not in bundle
