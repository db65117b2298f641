"""Structure tests on analytic teachers (verdicts known mathematically) and on a fitted ReLU MLP.

Every law gets at least one hypothesis that holds and one that does not, so a test that always
says yes (or always no) fails here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from glassbox_jupyter import InputSpec, Teacher
from glassbox_jupyter.symbolic.structure import MAX_PAIRWISE_INPUTS, find_structure
from glassbox_jupyter.symbolic.structure_floor import error_floor
from glassbox_jupyter.symbolic.structure_tests import K_SIGMA


def _teacher(fn, names, low, high) -> Teacher:
    return Teacher(fn, InputSpec(names=names, low=low, high=high))


def _smooth(X: np.ndarray) -> np.ndarray:
    return np.exp(X[:, 0]) * np.cos(3 * X[:, 1]) + X[:, 2] ** 2


def test_floor_is_zero_for_an_analytic_function():
    floor = error_floor(_smooth, np.zeros(3), np.ones(3), seed=0)
    assert floor.relative < 1e-5
    assert floor.output_std > 0.5 and floor.degree == 3
    assert floor.evaluations == 2 * floor.probes * floor.points_per_probe + 256


@pytest.mark.parametrize("amplitude", [1e-4, 1e-3, 1e-2])
def test_floor_tracks_high_frequency_noise(amplitude):
    def noisy(X: np.ndarray) -> np.ndarray:
        return _smooth(X) + amplitude * np.sin(1000 * X[:, 0])

    noise = error_floor(noisy, np.zeros(3), np.ones(3), seed=0).noise
    assert amplitude / 3 <= noise <= 3 * amplitude  # the wiggle's RMS is amplitude / sqrt(2)


def test_relativistic_factor_depends_on_v_over_c_only():
    report = find_structure(
        _teacher(lambda X: 1 / np.sqrt(1 - X[:, 0] ** 2 / X[:, 1] ** 2), ["v", "c"], [0.1, 1.0], [0.9, 2.0])
    )
    assert report.holds("ratio", "v", "c") is True
    assert report.holds("ratio", "c", "v") is True  # either order names the same test
    assert report.holds("additive", "v", "c") is False
    assert report.holds("multiplicative", "v", "c") is False
    assert report.holds("difference", "v", "c") is False
    assert report.holds("product", "v", "c") is False
    assert report.holds("irrelevant", "v") is False and report.holds("irrelevant", "c") is False
    test = report.find("ratio", "v", "c")
    assert test.statistic <= test.tolerance and test.samples >= 50
    assert "like a function of v / c" in report.describe()


def test_velocity_addition_with_an_idle_input():
    def addition(X: np.ndarray) -> np.ndarray:
        u, v, c = X[:, 0], X[:, 1], X[:, 2]
        return (u + v) / (1 + u * v / c**2)

    report = find_structure(_teacher(addition, ["u", "v", "c", "t"], [0.1, 0.1, 1.0, 0.0], [0.9, 0.9, 2.0, 1.0]))
    assert report.holds("irrelevant", "t") is True
    assert [report.holds("irrelevant", name) for name in "uvc"] == [False, False, False]
    assert report.holds("additive", "u", "v") is False
    assert report.holds("multiplicative", "u", "v") is False
    assert report.holds("additive", "u", "t") is True  # trivially: t does not matter
    assert report.holds("linear", "u") is False
    assert "t does not seem to matter" in report.describe()
    assert "no evidence that u, v, c do not matter" in report.describe()


def test_interference_needs_the_square_root_outer_function_only_when_in_phase():
    def interference(X: np.ndarray) -> np.ndarray:
        return X[:, 0] + X[:, 1] + 2 * np.sqrt(X[:, 0] * X[:, 1]) * np.cos(X[:, 2])

    report = find_structure(_teacher(interference, ["I1", "I2", "delta"], [1, 1, 0], [5, 5, 3]))
    assert report.holds("additive", "I1", "I2") is False
    assert report.holds("additive", "I1", "delta") is False
    assert report.holds("irrelevant", "delta") is False
    assert not any(t.inputs == ("I1", "I2") for t in report.outer)
    # in phase (delta = 0): f = (sqrt(I1) + sqrt(I2))^2, so u = sqrt(f) is additive and f is not
    in_phase = find_structure(
        _teacher(lambda X: X[:, 0] + X[:, 1] + 2 * np.sqrt(X[:, 0] * X[:, 1]), ["I1", "I2"], [1, 1], [5, 5])
    )
    assert in_phase.holds("additive", "I1", "I2") is False
    squares = [t for t in in_phase.outer if t.transform == "square"]
    assert [(t.hypothesis, t.inputs) for t in squares] == [("additive", ("I1", "I2"))]
    assert "exp" not in in_phase.outer_functions()
    assert "with f = square(u), u is additively separable in I1 | I2" in in_phase.describe()


def test_gaussian_with_a_width_is_not_multiplicatively_separable_in_theta_and_sigma():
    # log f = log A - theta^2 / (2 sigma^2) - log sigma - const: the theta^2 / sigma^2 term mixes them
    def gaussian(X: np.ndarray) -> np.ndarray:
        theta, sigma, amplitude = X[:, 0], X[:, 1], X[:, 2]
        return amplitude * np.exp(-((theta / sigma) ** 2) / 2) / (np.sqrt(2 * np.pi) * sigma)

    report = find_structure(_teacher(gaussian, ["theta", "sigma", "A"], [-3, 1, 1], [3, 3, 2]))
    assert report.holds("multiplicative", "theta", "sigma") is False
    assert report.holds("multiplicative", "theta", "A") is True
    assert report.holds("multiplicative", "sigma", "A") is True
    assert report.holds("additive", "theta", "A") is False
    assert report.holds("ratio", "theta", "sigma") is False  # the 1/sigma prefactor breaks it
    assert report.holds("linear", "A") is True and report.holds("linear", "theta") is False
    assert "exp" in report.outer_functions()  # log f is additive in theta | A


def test_product_plus_offset():
    report = find_structure(_teacher(lambda X: X[:, 0] * X[:, 1] + X[:, 2], ["x", "y", "z"], 1, 2))
    assert report.holds("additive", "x", "z") is True and report.holds("additive", "y", "z") is True
    assert report.holds("additive", "x", "y") is False
    assert report.holds("multiplicative", "x", "y") is False  # log(xy + z) mixes x and y
    assert report.holds("product", "x", "y") is True  # with z fixed, f depends on x y only
    assert report.holds("ratio", "x", "y") is False
    assert report.holds("radius", "x", "y") is False


@pytest.mark.parametrize(
    ("fn", "true", "false"),
    [
        (lambda X: np.sin(X[:, 0] - X[:, 1]), "difference", "ratio"),
        (lambda X: np.exp(-(X[:, 0] ** 2) - X[:, 1] ** 2), "radius", "difference"),
    ],
)
def test_difference_and_radius_symmetries(fn, true, false):
    report = find_structure(_teacher(fn, ["x", "y"], [-1, -1], [1, 1]))
    assert report.holds(true, "x", "y") is True
    assert report.holds(false, "x", "y") is False


def test_multiplicative_is_refused_when_the_output_changes_sign():
    report = find_structure(_teacher(lambda X: X[:, 0] + X[:, 1], ["x", "y"], -1, 1))
    test = report.find("multiplicative", "x", "y")
    assert test.holds is None and "one sign" in test.reason
    assert report.holds("additive", "x", "y") is True


def _fitted_relu_mlp() -> Teacher:
    """A ReLU MLP fitted (800 seeded Adam steps) to the additive law sin(2x) + y^2 on [-1, 1]^2."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic and light on a shared machine
    try:
        torch.manual_seed(0)
        X = np.random.default_rng(0).uniform(-1, 1, (2000, 2))
        inputs, target = torch.tensor(X), torch.tensor(np.sin(2 * X[:, 0]) + X[:, 1] ** 2)[:, None]
        net = torch.nn.Sequential(
            torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)
        ).double()
        optimiser = torch.optim.Adam(net.parameters(), lr=5e-3)
        for _ in range(800):
            optimiser.zero_grad()
            loss = ((net(inputs) - target) ** 2).mean()
            loss.backward()
            optimiser.step()
    finally:
        torch.set_num_threads(threads)

    def predict(A: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.tensor(A)).numpy()

    return _teacher(predict, ["x", "y"], -1, 1)


def test_fitted_mlp_has_a_floor_and_the_right_verdicts():
    report = find_structure(_fitted_relu_mlp())
    assert 1e-4 < report.floor.relative < 1e-2  # ReLU kinks: a real, small floor
    additive = report.find("additive", "x", "y")
    assert additive.holds is True
    assert additive.statistic > 1e-3  # not exactly additive: the floor is what lets it pass
    assert additive.tolerance >= K_SIGMA * additive.floor
    for hypothesis in ("difference", "ratio", "product", "radius"):
        assert report.holds(hypothesis, "x", "y") is False
    assert report.holds("irrelevant", "x") is False and report.holds("irrelevant", "y") is False
    assert report.holds("linear", "x") is False
    assert report.find("multiplicative", "x", "y").holds is None  # sin(2x) + y^2 changes sign


def test_many_inputs_are_capped_for_the_pairwise_tests():
    weights = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0])
    names = [f"x{i}" for i in range(12)]
    report = find_structure(_teacher(lambda X: X @ weights + X[:, 0] * X[:, 1], names, 0, 1), samples=60)
    assert report.tested == tuple(names[:MAX_PAIRWISE_INPUTS])
    assert f"pairwise tests on the {MAX_PAIRWISE_INPUTS} inputs" in report.note
    assert report.holds("irrelevant", "x10") is True and report.holds("irrelevant", "x9") is False
    assert report.holds("additive", "x0", "x1") is False and report.holds("additive", "x2", "x3") is True
    with pytest.raises(KeyError):
        report.find("additive", "x10", "x11")


def test_report_is_deterministic_and_serialisable():
    teacher = _teacher(lambda X: X[:, 0] * X[:, 1] + X[:, 2], ["x", "y", "z"], 1, 2)
    first, again = find_structure(teacher, seed=3), find_structure(teacher, seed=3)
    assert json.dumps(first.to_dict()) == json.dumps(again.to_dict())
    data = first.to_dict()
    assert data["floor"]["noise"] == first.floor.noise and data["seed"] == 3
    assert {"statistic", "tolerance", "holds", "samples", "evaluations", "k_sigma"} <= set(data["tests"][0])
    assert data["evaluations"] > 0
    other = find_structure(teacher, seed=4).to_dict()
    assert other["tests"][0]["statistic"] != data["tests"][0]["statistic"]


def test_probes_define_the_box_and_the_held_rows():
    probes = np.random.default_rng(1).uniform(1, 2, (300, 3))
    teacher = _teacher(lambda X: X[:, 0] * X[:, 1] + X[:, 2], ["x", "y", "z"], 0, 5)
    report = find_structure(teacher, inputs=["x", "z"], probes=probes)
    assert report.tested == ("x", "z")
    assert report.holds("additive", "x", "z") is True
    assert report.holds("linear", "x") is True and report.holds("irrelevant", "x") is False
