import json

import numpy as np
import pytest

import glassbox
from glassbox import EmptyProbeError, Probe


def test_partial_dependence_recovers_a_known_additive_function(additive_teacher):
    """For y = 3u + v², PD_u(u) = 3u + E[v²] and PD_v(v) = v² + 1.5 (v, u uniform on [0, 1])."""
    probes = Probe(additive_teacher, n=2000, seed=0).run()
    on_u = glassbox.response(additive_teacher, probes, features="u", background=400)
    slope = np.polyfit(on_u.grid[0], on_u.surface, 1)[0]
    assert slope == pytest.approx(3.0, abs=1e-6)
    assert on_u.surface[0] == pytest.approx(1 / 3, abs=0.03)
    on_v = glassbox.response(additive_teacher, probes, features="v", background=400)
    np.testing.assert_allclose(on_v.surface, on_v.grid[0] ** 2 + 1.5, atol=0.05)


def test_fidelity_is_the_share_of_variance_a_feature_explains(additive_teacher):
    """var(3u) = 0.75 and var(v²) = 4/45, so u alone explains 0.75 / (0.75 + 0.0889) ≈ 0.894."""
    probes = Probe(additive_teacher, n=4000, seed=1).run()
    finding = glassbox.response(additive_teacher, probes, features="u")
    assert finding.fidelity.value == pytest.approx(0.894, abs=0.02)
    both = glassbox.response(additive_teacher, probes, features=["u", "v"])
    assert both.fidelity.value > 0.999


def test_default_features_are_the_influential_ones():
    spec = glassbox.InputSpec(names=["weak", "noise", "strong"], low=0, high=1)
    teacher = glassbox.Teacher(lambda X: 0.1 * X[:, 0] + 10 * X[:, 2] + 2 * X[:, 1], spec)
    finding = glassbox.response(teacher, n=500)
    assert finding.features == ("noise", "strong")


def test_output_by_name_and_bad_output(small_mlp, spec3):
    teacher = glassbox.Teacher(small_mlp, spec3, output_names=["left", "right"])
    finding = glassbox.response(teacher, features="a", output="right", n=300)
    assert finding.output_name == "right" and "right" in finding.summary()
    with pytest.raises(KeyError, match="left"):
        glassbox.response(teacher, features="a", output="middle", n=300)


@pytest.mark.parametrize(
    ("features", "error"),
    [(["x1", "x2", "x3"], ValueError), (["nope"], KeyError), ([7], ValueError), (["x1", "x1"], ValueError)],
)
def test_bad_feature_choices(friedman, friedman_probes, features, error):
    with pytest.raises(error):
        glassbox.response(friedman, friedman_probes, features=features)


def test_too_few_probes(friedman, friedman_probes):
    with pytest.raises(EmptyProbeError, match="at least 4"):
        glassbox.response(friedman, friedman_probes.subset([0, 1, 2]))


def test_view_data_matches_the_widget_schema(friedman, friedman_probes):
    data = glassbox.response(friedman, friedman_probes, features=["x1", "x2"], grid=12).view_data()
    assert data["kind"] == "heatmap" and len(data["grid"]["z"]) == 12 and len(data["grid"]["z"][0]) == 12
    assert len(data["points"]["x"]) == len(data["points"]["y"]) == len(data["points"]["value"]) == 600
    assert data["points_total"] == 600
    # the heat map's colour scale is the surface's alone: the probes are drawn as uncoloured rings
    surface = np.array(data["grid"]["z"])
    assert data["z_range"] == [surface.min(), surface.max()]
    json.dumps(data, allow_nan=False)


def test_the_line_chart_spans_the_probes_and_counts_a_sample(friedman):
    probes = Probe(friedman, n=2000, seed=0).run()
    data = glassbox.response(friedman, probes, features="x4").view_data()
    assert data["points_total"] == 2000 and len(data["points"]["x"]) == 1500
    assert data["z_range"][0] <= min(data["points"]["value"]) and data["z_range"][1] >= max(data["points"]["value"])


def test_the_selected_point_carries_the_model_output_there(friedman, friedman_probes):
    finding = glassbox.response(friedman, friedman_probes, features=["x1", "x2"])
    assert finding.selected_point is None and finding.selection_details() == {}
    finding.select(42)
    details = finding.selection_details()
    assert set(details) == {"inputs", "output", "output_name", "partial_dependence"}
    np.testing.assert_allclose(list(details["inputs"].values()), friedman_probes.X[42])
    assert details["output"] == pytest.approx(friedman_probes.y[42, 0]) == finding.selected_output
    assert details["output_name"] == "y"
    assert details["partial_dependence"] == pytest.approx(finding.predict(friedman_probes.X[42:43])[0])
    point = finding.selected_point
    assert dict(point["inputs"]) == details["inputs"] and point["output"] == details["output"]
    with pytest.raises(TypeError):
        point["output"] = 0.0  # read-only
    json.dumps(details, allow_nan=False)


def test_the_static_view_keeps_the_probes_out_of_the_colour_legend(friedman, friedman_probes):
    svg = glassbox.response(friedman, friedman_probes, features=["x1", "x2"]).to_svg()
    assert "partial" in svg and "rings: 300 of 600 probe inputs" in svg


def test_heatmap_orientation_is_z_by_row_of_y(additive_teacher):
    """z[iy][ix]: moving along a row changes u (x axis), which carries the slope of 3."""
    data = glassbox.response(additive_teacher, features=["u", "v"], n=500, grid=5).view_data()
    z = np.array(data["grid"]["z"])
    assert np.all(np.diff(z[0]) > 0.5) and np.all(np.diff(z[:, 0]) < 0.5)


def test_json_round_trip_carries_provenance(friedman, friedman_probes):
    finding = glassbox.response(friedman, friedman_probes, features="x4")
    data = json.loads(finding.to_json())
    assert data["provenance"]["teacher_hash"] == friedman.hash
    assert data["provenance"]["probe"]["n"] == 600
    assert data["artifact"]["features"] == ["x4"]
    assert {item["section"] for item in data["evidence"]} == {"2(e)", "3"}
