"""latent_laws on encoders whose laws are known: usage, redundant inputs, fidelity, the Finding contract."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from glassbox_jupyter.demos.latent import load_latent_demo
from glassbox_jupyter.errors import SelectionError, SelectionIndexError
from glassbox_jupyter.latent import LatentLawsFinding, latent_laws
from glassbox_jupyter.symbolic import SymbolicFinding
from glassbox_jupyter.testing import check_finding
from tests.latent.conftest import TINY


def fronts(finding: LatentLawsFinding) -> dict[str, list[str]]:
    return {name: [sympy.srepr(eq.expr) for eq in law.pareto_front] for name, law in finding.laws.items()}


def test_usage_of_a_hand_built_encoder_is_exact(product_sine_laws: LatentLawsFinding) -> None:
    laws = product_sine_laws
    assert laws.latents == ["z0", "z1"]
    assert all(isinstance(law, SymbolicFinding) for law in laws.laws.values())
    used = laws.selected_usage
    assert used.loc["z0"][used.loc["z0"]].index.tolist() == ["x0", "x1"]
    assert used.loc["z1"][used.loc["z1"]].index.tolist() == ["x2"]
    assert laws.redundant_features == ["x3"]
    assert laws.usage.loc[:, "x3"].eq(0).all() and laws.usage.to_numpy().max() <= 1
    assert laws.laws["z0"].selected.variables == ["x0", "x1"]
    assert laws.fidelity.value > 0.999 and laws.fidelity.split == "held-out"
    assert "x3" in laws.summary()


def test_equations_name_the_real_features() -> None:
    encoder_rows = np.random.default_rng(1).uniform(0.5, 2, size=(300, 3))
    laws = latent_laws(lambda X: X[:, [0]] / X[:, [2]], encoder_rows, ["mass", "speed", "volume"], **TINY)
    law = laws.laws["z0"]
    assert law.selected.variables == ["mass", "volume"]
    assert str(law.selected) == "z0 = mass/volume"
    assert laws.redundant_features == ["speed"]


def test_redundant_inputs_of_the_demo_are_found() -> None:
    encoder, X, names = load_latent_demo("redundant")
    laws = latent_laws(encoder, X, names, generations=20, population_size=300, seed=1)
    assert laws.redundant_features == ["x4", "x5"]
    assert laws.usage[["x4", "x5"]].to_numpy().max() < 0.2
    assert laws.fidelity.value > 0.98


def test_wine_runs() -> None:
    encoder, X, names = load_latent_demo("wine")
    laws = latent_laws(encoder, X, names, **TINY)
    assert laws.feature_names[0] == "alcohol" and laws.usage.shape == (2, 13)
    assert laws.fidelity.value > 0.5
    assert all(set(law.selected.variables) <= set(names) for law in laws.laws.values())


def test_same_seed_same_laws_serial_and_on_local_processes(product_sine_data) -> None:
    encoder, X, names = product_sine_data
    first = latent_laws(encoder, X, names, seed=3, **TINY)
    again = latent_laws(encoder, X, names, seed=3, **TINY)
    on_workers = latent_laws(encoder, X, names, seed=3, n_jobs=2, **TINY)
    assert fronts(first) == fronts(again) == fronts(on_workers)
    assert [law.log.rounds[-1]["generations"] for law in first.laws.values()] == [10, 10]


def test_select_latent_and_the_finding_contract(product_sine_laws: LatentLawsFinding) -> None:
    laws = product_sine_laws
    laws.select_latent(None)
    assert laws.selected_latent is None
    assert laws.select_latent("z1") is laws.laws["z1"] and laws.selected_latent == "z1"
    assert laws.selected_latent_index == 1 == laws.selection  # the index, the value a view sends
    with pytest.raises(SelectionIndexError, match=r"latent index 5 is out of range: valid indices are 0–1 \(z0, z1\)"):
        laws.select_latent(5)
    with pytest.raises(SelectionError, match="no latent named 'z7'; the laws are for z0, z1"):
        laws.select("z7")
    assert laws.selected_latent == "z1"
    laws.select_latent(None)
    check_finding(laws, selection=1)
    assert laws.selected_latent == "z1" and laws.to_dict()["artifact"]["selected_latent"] == "z1"
    data = laws.view_data()
    assert "selected_latent" not in data and data["redundant"] == ["x3"]
    assert data["laws"][0]["equation"].startswith("z0 = ") and data["selected_use"][1] == [False, False, True, False]
    view = laws.widget()
    assert view.request_selection("z0")["error"] is None  # a latent's name selects it too; views show its index
    assert laws.selected_latent == "z0" == view.selected_latent and view._selection == {"value": 0, "details": {}}
    view.close()
    z0 = laws.laws["z0"]
    check_finding(z0, selection=(z0._selected_index + 1) % len(z0.pareto_front))


def test_the_heatmap_typesets_each_law_and_flags_a_failed_fit(product_sine_laws: LatentLawsFinding) -> None:
    from glassbox_jupyter.symbolic.finding import fit_warning

    laws = product_sine_laws
    z0 = laws.laws["z0"]
    chosen = z0.selection
    try:
        z0.select(z0.best)
        row = laws.view_data()["laws"][0]
        assert row["latex"] == f"z_{{0}} = {z0.selected.latex}"  # LaTeX from sympy, as in the picker
        assert row["equation"] == str(z0.selected)  # plain text: hover text and fallback
        assert row["r2_ci"] == list(z0.fidelity.ci)
        assert row["r2_note"] == fit_warning(z0.fidelity) == ""  # x0·x1 is found: a good fit
        assert laws._render_static_html().count("<math") == len(laws.latents)
        # the simplest formula (a constant, about the mean of x0·x1) does worse than the held-out mean
        z0.select(0)
        assert z0.fidelity.value < 0
        assert laws.view_data()["laws"][0]["r2_note"] == "fit failed: worse than predicting the mean"
        assert "fit failed: worse than predicting the mean" in laws.to_svg()
    finally:
        z0.select(chosen)


def test_picking_another_equation_updates_usage_and_views(product_sine_data) -> None:
    encoder, X, names = product_sine_data
    laws = latent_laws(encoder, X, names, latents=["z0"], **TINY)
    assert laws.latents == ["z0"]
    z0 = laws.laws["z0"]
    before = laws.static_html()
    heatmap, picker = laws.widget(), z0.widget()
    simplest = 0 if z0._selected_index != 0 else len(z0.pareto_front) - 1
    assert picker.request_selection(simplest)["error"] is None  # a click in z0's own ParetoPicker
    assert z0.selection == simplest and z0.selected is z0.pareto_front[simplest]
    assert laws.selected_usage.loc["z0"].tolist() == [n in z0.selected.variables for n in names]
    assert heatmap._data["selected_use"][0] == [n in z0.selected.variables for n in names]  # the heatmap redraws
    assert heatmap._data["laws"][0]["equation"] == str(z0.selected)
    assert laws.static_html() != before
    assert laws.fidelity.value == pytest.approx(z0.selected.fidelity.value, abs=1e-9)
    heatmap.close()
    picker.close()


def test_a_dead_latent_is_reported_not_searched() -> None:
    X = np.random.default_rng(2).uniform(-1, 1, size=(200, 2))
    laws = latent_laws(lambda A: np.column_stack([A[:, 0] + A[:, 1], np.zeros(len(A))]), X, **TINY)
    assert str(laws.laws["z1"].selected) == "z1 = 0"
    assert any("dead" in note for note in laws.notes)
    assert laws.fidelity.value > 0.999  # the dead latent is left out


def test_an_interrupt_keeps_the_latents_already_explained(product_sine_data, monkeypatch) -> None:
    import glassbox_jupyter.latent.laws as laws_module

    real = laws_module.search_latent

    def interrupted_at_second(task):
        if task.latent == 1:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(laws_module, "search_latent", interrupted_at_second)
    encoder, X, names = product_sine_data
    with pytest.warns(UserWarning, match="interrupted"):
        laws = latent_laws(encoder, X, names, **TINY)
    assert laws.latents == ["z0"] and laws.laws["z0"].selected.variables == ["x0", "x1"]
    assert any(note.startswith("interrupted: laws were found for z0; not for z1") for note in laws.notes)


def test_a_teacher_and_a_dataframe() -> None:
    import pandas as pd

    from glassbox_jupyter import InputSpec, Teacher

    frame = pd.DataFrame(np.random.default_rng(4).uniform(-1, 1, size=(200, 2)), columns=["left", "right"])
    teacher = Teacher(
        lambda A: np.column_stack([A[:, 0] - A[:, 1], 2 * A[:, 1]]), InputSpec(["u", "v"], low=-1, high=1)
    )
    laws = latent_laws(teacher, frame, latent_names=["gap", "double"], **TINY)
    assert laws.feature_names == ["left", "right"] and laws.latents == ["gap", "double"]
    assert str(laws.laws["double"].selected) == "double = 2*right"
    assert laws.provenance.teacher_hash == teacher.hash
