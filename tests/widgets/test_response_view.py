import numpy as np
import pytest
import traitlets

import glassbox
from glassbox_jupyter.testing import check_widget


@pytest.fixture()
def view(friedman, friedman_probes):
    return glassbox.response(friedman, friedman_probes, features=["x1", "x2"]).widget()


def test_response_view_honours_the_widget_contract(view):
    check_widget(view, selection=5)


def test_a_click_selects_the_full_probe_input(view, friedman_probes):
    assert view.selected_input is None and view.selected_output is None
    view._selected_index = 42  # what the browser writes on a click
    expected = friedman_probes.X[42]
    assert list(view.selected_input) == ["x1", "x2", "x3", "x4", "x5"]
    np.testing.assert_allclose(list(view.selected_input.values()), expected)
    assert view.selected_output == pytest.approx(friedman_probes.y[42, 0])
    assert view.finding.selected_input == view.selected_input
    view.select(-1)
    assert view.selected_input is None


def test_out_of_range_clicks_are_refused(view):
    with pytest.raises(traitlets.TraitError, match="out of range"):
        view._selected_index = 600


def test_points_are_subsampled_but_map_back_to_probe_rows(friedman):
    probes = glassbox.Probe(friedman, n=2000, seed=0).run()
    view = glassbox.response(friedman, probes, features="x1").widget()
    assert len(view._data["points"]["x"]) == 1500
    view._selected_index = 1499
    row = view.finding._selected_row
    assert row > 1400 and view.selected_input["x1"] == pytest.approx(probes.X[row, 0])
    assert view._data["points"]["x"][1499] == pytest.approx(probes.X[row, 0])


def test_outside_a_kernel_the_widget_shows_its_static_view(view):
    bundle = view._repr_mimebundle_()
    assert "<svg" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" not in bundle
