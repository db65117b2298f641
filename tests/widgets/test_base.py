"""The kernel protocol every GlassBox widget shares: any number of views follow one Finding; a click is a
request answered by a reply; a closed view stops following."""

import json

import numpy as np
import pytest

import glassbox
from glassbox_jupyter.widgets.base import GlassboxWidget
from glassbox_jupyter.widgets.response_view import ResponseView


@pytest.fixture()
def finding(friedman, friedman_probes):
    return glassbox.response(friedman, friedman_probes, features=["x3"])


def test_two_views_of_one_finding_stay_in_step(finding):
    first, second = finding.widget(), finding.widget()
    assert isinstance(first, ResponseView) and isinstance(second, GlassboxWidget)
    assert first is not second and first.finding is second.finding is finding
    assert first.request_selection(3)["error"] is None  # a click in one view ...
    assert second._selection == first._selection == {"value": 3, "details": finding.selection_details()}  # ... in both
    assert first._selection["details"]["output"] == finding.selected_output  # the point's output comes along
    assert second.selected_input == first.selected_input == finding.selected_input
    assert second.request_selection(9)["error"] is None
    assert first._selection["value"] == 9 and first.selected_input == finding.selected_input
    finding.select(None)  # a selection made in Python reaches both
    assert first._selection["value"] is None and second._selection["value"] is None
    answered = dict(second._reply)
    refused = first.request_selection(10**6)
    assert "out of range" in refused["error"] and second._selection["value"] is None
    assert second._reply == answered == {"id": 1, "error": None}  # the reply goes to the view that asked, only
    first.close()
    second.close()


def test_a_closed_view_stops_following(finding):
    open_view, closed = finding.widget(), finding.widget()
    observers = len(finding._observers)
    finding.select(4)
    at_4 = finding.selection_details()
    closed.close()
    assert len(finding._observers) == observers - 1  # it unsubscribed
    finding.select(11)
    assert closed._selection == {"value": 4, "details": at_4}  # unchanged since it closed
    assert open_view._selection == {"value": 11, "details": finding.selection_details()}
    finding.changed("data")  # nor does it receive new view data
    open_view.close()
    assert len(finding._observers) == observers - 2


def test_the_reply_answers_the_request_it_replies_to(finding):
    view = finding.widget()
    first = view.request_selection(np.int64(2))  # numpy values are sent as plain JSON
    assert view._request == {"id": 1, "value": 2} and first == {"id": 1, "error": None}
    second = view.request_selection(600)
    assert view._request["id"] == 2 and second["id"] == 2 and "point 600 is out of range" in second["error"]
    view._request = None  # the browser clearing its request is not a click
    assert view._reply == second and finding.selection == 2
    view._request = {"id": 41, "value": 5}  # what the browser writes
    assert view._reply == {"id": 41, "error": None} and finding.selection == 5
    view.close()


def test_a_bug_behind_a_click_is_answered_and_then_raised(finding, monkeypatch):
    view = finding.widget()

    def broken(value):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(finding, "_apply_selection", broken)
    with pytest.raises(ZeroDivisionError):
        view.request_selection(1)
    assert view._reply == {"id": 1, "error": "ZeroDivisionError: division by zero"}  # the browser does not hang
    assert finding.selection is None
    view.close()


def test_new_view_data_reaches_every_view(finding):
    view = finding.widget()
    finding.select(6)
    before = view._data
    finding.surface = finding.surface + 1.0  # the artifact changed, e.g. a search round ended
    finding.changed("data")
    assert view._data["grid"]["z"] == pytest.approx([z + 1.0 for z in before["grid"]["z"]])
    assert view._data["grid"]["x"] == before["grid"]["x"]
    assert view._selection["value"] == 6  # the selection is sent again with the data
    view.close()


def test_numpy_and_nan_in_the_view_data_reach_the_browser_as_plain_json(finding, monkeypatch):
    plain = finding.view_data()
    monkeypatch.setattr(
        finding,
        "view_data",
        lambda: {
            **plain,
            "usage": np.array([[0.5, np.nan], [np.float32(0.25), np.inf]]),
            "hub": np.bool_(True),
            "neuron": np.int64(8),
        },
    )
    view = finding.widget()
    assert view._data["usage"] == [[0.5, None], [0.25, None]]  # NaN and inf become null
    assert view._data["hub"] is True and type(view._data["neuron"]) is int
    json.dumps(view._data, allow_nan=False)
    view.close()
