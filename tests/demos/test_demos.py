import math
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch

import glassbox
import glassbox_jupyter
from glassbox_jupyter.demos.architectures import MLP, ScaledMLP
from glassbox_jupyter.demos.training import friedman_mlp, ideal_gas, loan_approval, quadratic_cosine, square_law


def test_list_describes_each_demo():
    demos = glassbox.demos.list()
    entry = next(d for d in demos if d["name"] == "friedman_mlp")
    assert entry["inputs"] == ["x1", "x2", "x3", "x4", "x5"] and entry["task"] == "regression"
    assert entry["train_script"].endswith("friedman_mlp.py")


def test_unknown_demo_lists_the_available_ones():
    with pytest.raises(KeyError, match="friedman_mlp"):
        glassbox.demos.load("mnist_giant")


def test_shipped_weights_are_small():
    assert glassbox.demos.model_path("friedman_mlp").stat().st_size < 5 * 2**20


def test_demo_teacher_matches_the_function_it_learnt(friedman):
    probes = glassbox.Probe(friedman, n=2000, seed=9).run()
    truth = friedman_mlp.friedman1(probes.X)
    residual = np.sum((truth - probes.y[:, 0]) ** 2)
    assert 1 - residual / np.sum((truth - truth.mean()) ** 2) > 0.99


@pytest.mark.slow
def test_training_script_reproduces_the_shipped_model(friedman):
    """The seeded script trains the same network again (checked on outputs, not bits)."""
    model, metrics = friedman_mlp.train()
    retrained = glassbox.Teacher(model, friedman.spec)
    X = glassbox.Probe(friedman, n=1000, seed=3).run().X
    shipped, again = friedman.predict(X), retrained.predict(X)
    r2 = 1 - np.sum((shipped - again) ** 2) / np.sum((shipped - shipped.mean()) ** 2)
    assert r2 > 0.999
    card = glassbox.demos.card("friedman_mlp")
    assert math.isclose(metrics["held_out_r2_vs_truth"], card["metrics"]["held_out_r2_vs_truth"], abs_tol=2e-3)


# ---------------------------------------------------------------- every shipped demo
# name -> (training module, ground-truth function of X, names, units, task)
DEMOS = {
    "friedman_mlp": (friedman_mlp, friedman_mlp.friedman1, ["x1", "x2", "x3", "x4", "x5"], None, "regression"),
    "square_law": (square_law, square_law.square_law, ["x"], None, "regression"),
    "quadratic_cosine": (quadratic_cosine, quadratic_cosine.quadratic_cosine, ["x"], None, "regression"),
    "ideal_gas": (ideal_gas, ideal_gas.ideal_gas, ["n", "T", "V"], ["mol", "K", "m^3"], "regression"),
    "loan_approval": (
        loan_approval,
        loan_approval.approve,
        ["income", "debt_ratio", "credit_score", "years_employed", "loan_amount"],
        ["k€/yr", "%", "points", "yr", "k€"],
        "classification",
    ),
}
NEW_DEMOS = [name for name in DEMOS if name != "friedman_mlp"]


@pytest.fixture(scope="module")
def demo_teachers() -> dict[str, glassbox.Teacher]:
    return {name: glassbox.demos.load(name) for name in DEMOS}


@pytest.fixture(scope="module")
def sobol_probes(demo_teachers) -> dict[str, np.ndarray]:
    """2,000 Sobol probe inputs per demo, inside its spec's box."""
    return {name: glassbox.Probe(t, n=2000, method="sobol", seed=9).run().X for name, t in demo_teachers.items()}


def _r2(truth: np.ndarray, guess: np.ndarray) -> float:
    truth, guess = np.ravel(truth), np.ravel(guess)
    return float(1 - np.sum((truth - guess) ** 2) / np.sum((truth - truth.mean()) ** 2))


def test_every_demo_is_listed():
    assert set(DEMOS) <= {d["name"] for d in glassbox.demos.list()}


@pytest.mark.parametrize("name", DEMOS)
def test_demo_loads_with_its_documented_spec(name, demo_teachers):
    _, _, names, units, task = DEMOS[name]
    teacher, card = demo_teachers[name], glassbox.demos.card(name)
    assert list(teacher.spec.names) == names
    assert teacher.spec.units == (None if units is None else tuple(units))
    assert list(teacher.spec.low) == card["spec"]["low"] and list(teacher.spec.high) == card["spec"]["high"]
    assert teacher.task == task == card["task"]
    out = teacher(np.array([teacher.spec.low, teacher.spec.high]))
    assert out.shape == (2, len(card["output_names"])) and np.all(np.isfinite(out))
    assert card["train_script"] == f"glassbox_jupyter/demos/training/{name}.py"
    assert Path(glassbox_jupyter.__file__).parent.parent.joinpath(card["train_script"]).is_file()


@pytest.mark.parametrize("name", DEMOS)
def test_demo_weights_are_small(name):
    assert glassbox.demos.model_path(name).stat().st_size < 5 * 2**20


@pytest.mark.parametrize("name", DEMOS)
def test_demo_teacher_matches_its_ground_truth(name, demo_teachers, sobol_probes):
    _, truth_fn, _, _, task = DEMOS[name]
    X = sobol_probes[name]
    out, truth = demo_teachers[name](X), truth_fn(X)
    if task == "classification":
        assert np.mean(out.argmax(axis=1) == truth) >= 0.98
    else:
        assert _r2(truth, out[:, 0]) >= 0.995


@pytest.mark.parametrize("name", DEMOS)
def test_card_ground_truth_parses_and_agrees_with_the_function(name, sobol_probes):
    _, truth_fn, names, _, _ = DEMOS[name]
    symbols = {n: sympy.Symbol(n) for n in names}
    expression = sympy.sympify(glassbox.demos.card(name)["ground_truth"], locals=symbols)
    assert expression.free_symbols <= set(symbols.values())
    X = sobol_probes[name]
    values = sympy.lambdify([symbols[n] for n in names], expression, "numpy")(*X.T)
    np.testing.assert_allclose(np.broadcast_to(values, len(X)).astype(float), truth_fn(X).astype(float), rtol=1e-9)


def test_ideal_gas_card_documents_units_and_scaling():
    card = glassbox.demos.card("ideal_gas")
    assert card["output_names"] == ["P"] and card["output_units"] == ["Pa"]
    assert card["architecture"].endswith(":ScaledMLP")
    teacher = glassbox.demos.load("ideal_gas")
    assert teacher.spec.label(2) == "V [m^3]"
    assert teacher([[1.0, 300.0, 0.02]])[0, 0] == pytest.approx(8.314 * 300 / 0.02, rel=0.01)


def test_loan_approval_is_a_two_class_classifier(demo_teachers):
    card, teacher = glassbox.demos.card("loan_approval"), demo_teachers["loan_approval"]
    assert card["task"] == teacher.task == "classification"
    assert card["classes"] == card["output_names"] == ["deny", "approve"]
    assert "loan_amount does not matter" in card["ground_truth_rules"]
    X = np.array([[50, 30, 700, 2, 100], [40, 30, 700, 2, 100], [40, 30, 700, 6, 100], [80, 45, 800, 10, 100]])
    logits = teacher(X)
    assert logits.shape == (4, 2)
    assert list(logits.argmax(axis=1)) == [1, 0, 1, 0]
    assert np.all(np.abs(logits) < 50)  # label smoothing keeps the logits moderate


def test_loan_approval_distils_to_the_true_thresholds(demo_teachers):
    """A small tree fitted to the MLP's decisions finds 650, 40, 45 and 5 (within 5 %) and ignores loan_amount."""
    from sklearn.tree import DecisionTreeClassifier

    teacher = demo_teachers["loan_approval"]
    X = glassbox.Probe(teacher, n=20_000, method="sobol", seed=0).run().X
    tree = DecisionTreeClassifier(max_leaf_nodes=16, random_state=0).fit(X, teacher(X).argmax(axis=1))
    nodes = tree.tree_
    names = list(teacher.spec.names)
    for feature, true_value in loan_approval.THRESHOLDS.items():
        splits = [i for i in range(nodes.node_count) if nodes.feature[i] == names.index(feature)]
        main = max(splits, key=lambda i: nodes.weighted_n_node_samples[i])  # its split on the most samples
        assert nodes.threshold[main] == pytest.approx(true_value, rel=0.05), feature
    assert tree.feature_importances_[names.index("loan_amount")] < 0.01


def test_scaled_mlp_keeps_plain_mlp_keys_and_saves_its_scaling():
    plain = MLP(n_inputs=3, hidden=[4], n_outputs=1)
    scaled = ScaledMLP(n_inputs=3, hidden=[4], n_outputs=1, input_shift=[1, 2, 3], output_scale=[10.0])
    assert set(plain.state_dict()) == {"net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"}
    assert set(scaled.state_dict()) == set(plain.state_dict()) | {
        "input_shift",
        "input_scale",
        "output_shift",
        "output_scale",
    }
    scaled.load_state_dict(plain.state_dict(), strict=False)
    x = torch.randn(5, 3)
    with torch.no_grad():
        assert torch.allclose(scaled(x), plain(x - torch.tensor([1.0, 2.0, 3.0])) * 10)
    with pytest.raises(ValueError, match="input_scale"):
        ScaledMLP(n_inputs=2, input_scale=[1.0, 0.0])
    with pytest.raises(ValueError, match="output_shift"):
        ScaledMLP(n_inputs=2, output_shift=[1.0, 2.0])


@pytest.mark.slow
@pytest.mark.parametrize("name", NEW_DEMOS)
def test_training_script_reproduces_each_shipped_demo(name, demo_teachers, sobol_probes):
    """Each seeded script trains the same network again (checked on outputs, not bits)."""
    module, _, _, _, task = DEMOS[name]
    model, metrics = module.train()
    shipped = demo_teachers[name]
    X = sobol_probes[name][:1000]
    before, again = shipped(X), glassbox.Teacher(model, shipped.spec)(X)
    if task == "classification":
        assert np.mean(before.argmax(axis=1) == again.argmax(axis=1)) >= 0.995
    else:
        assert _r2(before[:, 0], again[:, 0]) >= 0.999
    for key, value in glassbox.demos.card(name)["metrics"].items():
        if "r2" in key or "agreement" in key:
            assert math.isclose(metrics[key], value, abs_tol=2e-3), key


def test_typed_demo_names_match_the_shipped_cards():
    from typing import get_args

    from glassbox_jupyter.demos import HookedTransformerDemo, TeacherDemo

    def named(kind: str) -> set[str]:
        return {d["name"] for d in glassbox.demos.list() if d["kind"] == kind}

    assert set(get_args(TeacherDemo)) == named("teacher")
    assert set(get_args(HookedTransformerDemo)) == named("hooked_transformer")
