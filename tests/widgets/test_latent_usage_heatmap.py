import json

import numpy as np
import pytest
import traitlets

from glassbox_jupyter.testing import check_widget
from glassbox_jupyter.widgets.latent_usage_heatmap import LatentUsageHeatmap

FEATURES = ["x0", "x1", "x2", "x3", "x4"]
# the features each Pareto-front member uses, per latent; the selected formula is the last one
FRONTS = {
    "z0": [{"x0"}, {"x0", "x1"}, {"x0", "x1"}, {"x0", "x1", "x3"}],
    "z1": [{"x2"}, {"x2"}],
    "z2": [],  # no front yet
}
SELECTED = {"z0": 2, "z1": 1}


class _TinyLatentLaws:
    """The smallest finding a LatentUsageHeatmap needs (stands in for LatentLawsFinding, which is
    tested with check_finding in tests/latent)."""

    def __init__(self) -> None:
        self.latents = list(FRONTS)
        self.selected_latent: int | None = None
        self.calls = 0
        self._widget = None

    def usage(self) -> np.ndarray:
        return np.array(
            [[np.mean([f in m for m in front]) if front else np.nan for f in FEATURES] for front in FRONTS.values()]
        )

    def selected_use(self) -> np.ndarray:
        return np.array(
            [
                [z in SELECTED and f in FRONTS[z][SELECTED[z]] for f in FEATURES]  # numpy bools on purpose
                for z in self.latents
            ]
        )

    def select_latent(self, i: int) -> None:
        self.calls += 1
        if not FRONTS[self.latents[i]]:
            raise ValueError(f"{self.latents[i]} has no Pareto front yet")
        self.selected_latent = i

    def view_data(self) -> dict:
        used = self.selected_use()
        return {
            "title": "tiny latent laws",
            "caption": "",
            "latents": self.latents,
            "features": FEATURES,
            "usage": self.usage(),
            "selected_use": used,
            "laws": [
                {"latent": "z0", "equation": "z0 = x0*x1", "r2": np.float64(0.99), "complexity": 3},
                {"latent": "z1", "equation": "z1 = sin(x2)", "r2": 0.97, "complexity": 2},
            ],
            "redundant": [f for j, f in enumerate(FEATURES) if not used[:, j].any()],
            "selected_latent": self.selected_latent,
            "error": None,
        }

    def to_svg(self) -> str:
        cells = "".join(f'<rect x="{10 * j}" y="{10 * i}" width="9" height="9"/>' for i in range(3) for j in range(5))
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="40">{cells}</svg>'


@pytest.fixture()
def laws() -> _TinyLatentLaws:
    return _TinyLatentLaws()


@pytest.fixture()
def view(laws) -> LatentUsageHeatmap:
    return LatentUsageHeatmap(laws)


def test_latent_usage_heatmap_honours_the_widget_contract(view):
    check_widget(view, selection=1)


def test_the_view_registers_itself_on_the_finding(view, laws):
    assert laws._widget is view and view.finding is laws


def test_a_click_selects_the_latent(view, laws):
    view._select = 0  # what a click on the row of z0 writes
    assert laws.selected_latent == view.selected_latent == 0
    assert view._data["selected_latent"] == 0 and view._data["error"] is None
    view._select = 1
    assert laws.selected_latent == view._data["selected_latent"] == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**9, "latent index 1000000000 is out of range: valid indices are 0–2 (z0, z1, z2)"),
        (3, "latent index 3 is out of range"),
        (-1, "latent index -1 is out of range"),
        (True, "it takes a latent index"),
    ],
)
def test_out_of_range_latents_are_refused_with_the_valid_range(view, laws, value, message):
    view._select = 1
    calls = laws.calls
    with pytest.raises(traitlets.TraitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        view._select = value
    assert view.selected_latent == 1 and view._select == 1 and laws.calls == calls


def test_a_refusal_of_the_finding_is_shown_and_keeps_the_selection(view, laws):
    view._select = 1
    view._select = 2
    assert view._data["error"] == "z2 has no Pareto front yet"
    assert laws.selected_latent == view.selected_latent == view._data["selected_latent"] == 1
    view._select = None  # the browser clears its click before re-sending: no call
    view._select = 0
    assert view._data["error"] is None and view.selected_latent == 0


def test_refresh_sends_a_selection_made_in_python(view, laws):
    laws.select_latent(1)
    calls = laws.calls
    view.refresh()
    assert view._select == 1 and view._data["selected_latent"] == 1 and laws.calls == calls


def test_a_finding_that_stores_the_latent_name(laws):
    laws.selected_latent = "z1"
    view = LatentUsageHeatmap(laws)
    assert view.selected_latent == 1 and view._select == 1


def test_selected_latent_is_read_only(view):
    with pytest.raises(AttributeError):
        view.selected_latent = 0


def test_synced_state_is_plain_json(view):
    data = json.loads(json.dumps(view._data, allow_nan=False))
    assert data["usage"][0] == [1.0, 0.75, 0.0, 0.25, 0.0]
    assert data["usage"][2] == [None] * 5  # no front: NaN becomes null
    assert data["selected_use"][0] == [True, True, False, False, False]
    assert all(isinstance(v, bool) for row in data["selected_use"] for v in row)
    assert data["redundant"] == ["x3", "x4"]
    assert data["laws"][0]["r2"] == 0.99
    assert repr(view) == "LatentUsageHeatmap(3 latents; selected_latent=None)"
