"""LatentUsageHeatmap on a real LatentLawsFinding: a click selects a latent, a refused click says which
latents there are, and picking another formula of a law redraws the usage dots in every view."""

import json

import numpy as np
import pytest

from glassbox_jupyter.errors import SelectionError, SelectionIndexError
from glassbox_jupyter.latent import LatentLawsFinding, latent_laws
from glassbox_jupyter.testing import check_widget
from glassbox_jupyter.widgets.latent_usage_heatmap import LatentUsageHeatmap

FEATURES = ["x0", "x1", "x2", "x3", "x4"]


def _encoder(X: np.ndarray) -> np.ndarray:
    """z0 = x0·x1, z1 = sin(x2), z2 = 0 (a dead latent); x3 and x4 are used by nothing."""
    return np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2]), np.zeros(len(X))])


@pytest.fixture(scope="module")
def laws() -> LatentLawsFinding:
    X = np.random.default_rng(0).uniform(-2, 2, size=(300, 5))
    return latent_laws(_encoder, X, FEATURES, generations=10, population_size=200)


@pytest.fixture()
def view(laws):
    laws.select(None)
    widget = laws.widget()
    yield widget
    widget.close()
    laws.select(None)


def test_latent_usage_heatmap_honours_the_widget_contract(view, laws):
    assert isinstance(view, LatentUsageHeatmap) and view.finding is laws
    check_widget(view, selection=1)


def test_a_click_selects_the_latent(view, laws):
    reply = view.request_selection(0)  # what a click on the row of z0 asks for
    assert reply == {"id": view._request["id"], "error": None}
    assert laws.selected_latent == view.selected_latent == "z0"  # the name the view shows
    assert laws.selected_latent_index == view.selected_latent_index == view._selection["value"] == 0
    assert view._selection == {"value": 0, "details": {}}
    assert not {"selected_latent", "error"} & set(view._data)  # the selection is not part of the view data
    assert view.request_selection(1)["error"] is None
    assert laws.selected_latent == "z1" and laws.selected_latent_index == view._selection["value"] == 1
    assert view.request_selection(None)["error"] is None  # a second click on the row clears it
    assert laws.selected_latent is None and view.selected_latent is None and view.selected_latent_index is None


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (10**9, SelectionIndexError, "latent index 1000000000 is out of range: valid indices are 0–2 (z0, z1, z2)"),
        (3, SelectionIndexError, "latent index 3 is out of range"),
        (-1, SelectionIndexError, "latent index -1 is out of range"),
        (True, SelectionError, "select a latent by its index or name, not True"),
        ("z9", SelectionError, "no latent named 'z9'; the laws are for z0, z1, z2"),
        (1.5, SelectionError, "select a latent by its index or name"),
    ],
)
def test_out_of_range_latents_are_refused_with_the_valid_range(view, laws, value, error, message):
    assert view.request_selection(1)["error"] is None
    told = []
    unsubscribe = laws.subscribe(told.append)
    try:
        reply = view.request_selection(value)
    finally:
        unsubscribe()
    assert message in reply["error"] and told == []
    assert view.selected_latent == "z1" == laws.selected_latent and view._selection["value"] == 1
    with pytest.raises(error) as refused:
        laws.select(value)
    assert message in str(refused.value)


def test_a_selection_made_in_python_reaches_the_view(view, laws):
    assert laws.select_latent("z1") is laws.laws["z1"]  # by name as well as by index
    assert view._selection["value"] == 1 == view.selected_latent_index and view.selected_latent == "z1"
    later = laws.widget()  # a view opened after the selection shows it
    try:
        assert later._selection == view._selection
    finally:
        later.close()


def test_picking_a_formula_in_a_law_redraws_the_usage_dots(view, laws):
    z0 = laws.laws["z0"]
    best = z0.selection
    other = next(i for i, eq in enumerate(z0.pareto_front) if eq.variables != z0.selected.variables)
    try:
        z0.select(other)  # a click in z0's own ParetoPicker
        assert view._data["selected_use"][0] == [f in z0.pareto_front[other].variables for f in FEATURES]
        assert view._data["laws"][0]["equation"] == str(z0.pareto_front[other])
    finally:
        z0.select(best)
    assert view._data["selected_use"][0] == [True, True, False, False, False]


def test_selected_latent_is_read_only(view):
    with pytest.raises(AttributeError):
        view.selected_latent = "z0"
    with pytest.raises(AttributeError):
        view.selected_latent_index = 0


def test_synced_state_is_plain_json(view, laws):
    data = json.loads(json.dumps(view._data, allow_nan=False))
    assert data["latents"] == ["z0", "z1", "z2"] and data["features"] == FEATURES
    assert data["usage"] == laws.usage.round(6).to_numpy().tolist()
    assert data["usage"][2] == [0.0] * 5  # the dead latent's constant uses no input
    assert all(0.0 <= v <= 1.0 for row in data["usage"] for v in row)
    assert data["selected_use"] == [
        [True, True, False, False, False],
        [False, False, True, False, False],
        [False] * 5,
    ]
    assert all(isinstance(v, bool) for row in data["selected_use"] for v in row)
    assert data["redundant"] == ["x3", "x4"]
    assert [law["equation"] for law in data["laws"]] == ["z0 = x0*x1", "z1 = sin(x2)", "z2 = 0"]
    assert data["laws"][0]["r2"] == pytest.approx(1.0)
    assert repr(view) == "LatentUsageHeatmap(LatentLawsFinding; selection=None)"
