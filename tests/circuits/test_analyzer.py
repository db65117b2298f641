import json

import numpy as np
import pytest
import torch
import traitlets

import glassbox
from glassbox_jupyter.circuits import CircuitAnalyzer, PromptError
from glassbox_jupyter.circuits.faithfulness import faithfulness
from glassbox_jupyter.circuits.prompts import logit_diff
from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.finding.jsonable import jsonable
from glassbox_jupyter.testing import check_finding

from .conftest import CORRUPTED, MANY, PROMPT

PAIRS = [(PROMPT, " Mary", " John", CORRUPTED), (PROMPT.replace("Mary", "Anna"), " Anna", " John", CORRUPTED)]


def test_a_single_working_head_is_found_exactly(single_head_model):
    """Only L1H2 can move the logits, so exact patching, the circuit and faithfulness are known."""
    analyzer = CircuitAnalyzer(single_head_model, method="exact", n_boot=100)
    finding = analyzer.analyze(prompts=PAIRS)
    effects = finding.exact_effects
    assert abs(effects[1, 2]) > 1e-3 and np.allclose(np.delete(effects.ravel(), 1 * 4 + 2), 0, atol=1e-6)
    assert finding.circuit == [(1, 2)]
    f = finding.faithfulness
    assert f["sufficiency"]["value"] == pytest.approx(1.0, abs=1e-5)
    assert f["comprehensiveness"]["value"] == pytest.approx(1.0, abs=1e-5)
    assert all(v["exact"] for v in f.values())


def test_exact_patching_matches_a_hand_written_hook(toy_model):
    analyzer = CircuitAnalyzer(toy_model)
    effects = analyzer.activation_patching([PAIRS[0]])["heads"]
    tokens, corrupt = toy_model.to_tokens(PROMPT), toy_model.to_tokens(CORRUPTED)
    correct, incorrect = torch.tensor([3]), torch.tensor([5])
    _, cache = toy_model.run_with_cache(corrupt)

    def patch(z, hook):
        z[:, :, 1] = cache[hook.name][:, :, 1]
        return z

    with torch.no_grad():
        clean = logit_diff(toy_model(tokens), correct, incorrect)
        patched = logit_diff(
            toy_model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", patch)]), correct, incorrect
        )
    assert effects[0, 1] == pytest.approx(float(clean - patched), abs=1e-5)


def test_taylor_attribution_tracks_exact_patching(toy_model):
    analyzer = CircuitAnalyzer(toy_model)
    exact = analyzer.activation_patching(PAIRS)["heads"].ravel()
    taylor = analyzer.attribution_patching(PAIRS, "taylor")["heads"].ravel()
    ig = analyzer.attribution_patching(PAIRS, "integrated_gradients", n_steps=16)["heads"].ravel()
    assert np.corrcoef(exact, taylor)[0, 1] > 0.8
    assert np.corrcoef(exact, ig)[0, 1] > 0.8


def test_circuit_finding_contract_and_toggle(toy_model):
    finding = CircuitAnalyzer(toy_model, n_boot=100).analyze(prompts=MANY)
    assert len(finding.held_out) == 4 and len(finding.prompts) == 8
    check_finding(finding, selection=[[0, 0]])  # the selection is the circuit: sorted [layer, head] pairs
    finding.set_circuit(finding.circuit[:1])
    before = dict(finding.faithfulness["sufficiency"])
    head = next((l, h) for l in range(2) for h in range(4) if (l, h) not in finding.circuit)
    told = []
    unsubscribe = finding.subscribe(told.append)
    finding.toggle(*head)
    assert head in finding.circuit and finding.faithfulness["sufficiency"] != before
    assert finding.selection == [list(h) for h in finding.circuit] and told == ["selection"]
    finding.toggle(*head)
    unsubscribe()
    assert head not in finding.circuit and finding.faithfulness["sufficiency"]["value"] == pytest.approx(
        before["value"]
    )
    assert finding.select(finding.circuit) == finding.circuit  # tuples, as finding.circuit lists them
    # the logit lens of the prompts the circuit was found on travels with the finding and its live view
    lens = finding.artifact_dict()["logit_lens"]
    assert lens == finding.view_data()["logit_lens"] and lens["labels"] == ["embed", "after L0", "after L1"]
    assert lens["by_layer"] == pytest.approx(CircuitAnalyzer(toy_model).logit_lens(finding.prompts.texts)["by_layer"])
    assert np.asarray(lens["direct_effects"]).shape == (2, 4) and "clean prompts" in lens["measures"]


@pytest.mark.parametrize(
    ("heads", "message"),
    [
        ([[5, 0]], "head L5H0 is out of range: the model has 2 layers × 4 heads"),
        ([[0, 4]], "head L0H4 is out of range"),
        ([0, 0], "0 is not a head: give [layer, head] pairs of integers (the model has 2 layers × 4 heads)"),
        ([[0, 1, 2]], "is not a head"),
        ([[True, 0]], "is not a head"),
        ("L0H1", "select a circuit as a list of [layer, head] pairs"),
    ],
)
def test_a_circuit_that_is_not_one_is_refused(toy_model, heads, message):
    finding = CircuitAnalyzer(toy_model, n_boot=20).analyze(prompts=PAIRS)
    circuit, faithful = list(finding.circuit), finding.faithfulness
    with pytest.raises(SelectionError) as refused:
        finding.select(heads)
    assert message in str(refused.value)
    assert finding.circuit == circuit and finding.faithfulness is faithful


def test_empty_and_full_circuits(toy_model):
    analyzer = CircuitAnalyzer(toy_model, n_boot=50)
    everything = [(l, h) for l in range(2) for h in range(4)]
    full = analyzer.faithfulness(PAIRS, everything)
    empty = analyzer.faithfulness(PAIRS, [])
    assert full["sufficiency"]["value"] == pytest.approx(1.0, abs=1e-5)
    assert empty["sufficiency"]["value"] == pytest.approx(0.0, abs=1e-5)


def test_logit_lens_ends_at_the_model_output(toy_model):
    lens = CircuitAnalyzer(toy_model).logit_lens([PAIRS[0]])
    with torch.no_grad():
        final = float(logit_diff(toy_model(toy_model.to_tokens(PROMPT)), torch.tensor([3]), torch.tensor([5]))[0])
    assert lens["by_layer"][-1] == pytest.approx(final, rel=1e-4, abs=1e-4)
    assert lens["direct_effects"].shape == (2, 4)


def test_glassbox_v2_is_the_compatibility_class_not_the_native_one():
    """``glassbox.GlassboxV2`` is Glassbox 2.0's API (dict results, tests/compat), built on the native analyzer."""
    from glassbox_jupyter.compat.v2 import GlassboxV2

    assert glassbox.GlassboxV2 is GlassboxV2 and glassbox.CircuitAnalyzer is CircuitAnalyzer
    assert GlassboxV2 is not CircuitAnalyzer


def test_multi_token_answer_lists_the_tokens(toy_model):
    with pytest.raises(PromptError, match=r"2 tokens \[' Mary', ' John'\]"):
        CircuitAnalyzer(toy_model).analyze(PROMPT, " Mary John", " John")


def test_clean_and_corrupted_lengths_must_match(toy_model):
    with pytest.raises(PromptError, match="equal lengths"):
        CircuitAnalyzer(toy_model).analyze(PROMPT, " Mary", " John", "When Tom went to the store, John gave a drink to")


def test_prompt_longer_than_the_context(toy_model):
    with pytest.raises(PromptError, match="context is 24"):
        CircuitAnalyzer(toy_model).analyze(PROMPT + " the store" * 8, " Mary", " John")


def test_not_a_hooked_transformer():
    with pytest.raises(TypeError, match="HookedTransformer"):
        CircuitAnalyzer(torch.nn.Linear(2, 2))


def test_head_out_of_range(toy_model):
    with pytest.raises(PromptError, match="L5H0 is out of range"):
        CircuitAnalyzer(toy_model).faithfulness(PAIRS, [(5, 0)])


def test_empty_prompt_set(toy_model):
    with pytest.raises(PromptError, match="empty"):
        CircuitAnalyzer(toy_model).analyze(prompts=[])


def test_head_types_detect_a_constructed_previous_token_head():
    """Make L0H0 attend to the previous token by construction (QK on positional embeddings)."""
    from .conftest import make_model

    model = make_model(n_layers=1, seed=1)
    with torch.no_grad():
        model.W_E[:] = 0.0  # positions alone decide where the head looks
        model.W_pos[:] = torch.nn.functional.one_hot(torch.arange(24), 32).float() * 4.0
        q, k = torch.zeros(32, 8), torch.zeros(32, 8)
        for i in range(1, 24):  # the query at position i matches the key at i - 1
            q[i, i % 8] = 10.0
            k[i - 1, i % 8] = 10.0
        model.blocks[0].attn.W_Q[0] = q
        model.blocks[0].attn.W_K[0] = k
    types = CircuitAnalyzer(model).head_types()
    assert types[0][0] == "previous-token"


def test_heatmap_click_toggles_and_remeasures(toy_model):
    from glassbox_jupyter.testing import check_widget

    finding = CircuitAnalyzer(toy_model, n_boot=50).analyze(prompts=MANY)
    view = finding.widget()
    check_widget(view, selection=[[0, 0]])
    circuit = list(finding.circuit)
    toggled = [list(h) for h in sorted(set(circuit) ^ {(1, 3)})]
    reply = view.request_selection(toggled)  # what a click on L1H3 in the browser asks for
    assert reply == {"id": view._request["id"], "error": None}
    assert set(finding.circuit) == set(circuit) ^ {(1, 3)} and view.selected_heads == tuple(finding.circuit)
    assert view._selection["value"] == toggled == finding.selection
    # the faithfulness is re-measured exactly for the new circuit, and those numbers reach the browser
    details = view._selection["details"]
    assert details["faithfulness"] == jsonable(finding.faithfulness)
    remeasured = faithfulness(
        toy_model, finding.prompts, finding.circuit, finding.clean, finding.corrupted, n_boot=50, seed=0
    )
    assert details["faithfulness"]["sufficiency"]["value"] == pytest.approx(remeasured["sufficiency"]["value"])
    assert details["faithfulness"]["f1"]["value"] == pytest.approx(remeasured["f1"]["value"])
    assert details["fidelity"] == jsonable(finding.fidelity.view()) and details["fidelity"]["split"] == "held-out"
    assert not {"circuit", "faithfulness", "busy"} & set(view._data)  # the selection is not in the view data
    assert len(view._data["tokens"]) == 15 and len(view._data["attention"]["1.3"]) == 15

    refused = view.request_selection([*toggled, [2, 0]])  # a head the model does not have
    assert refused["error"] == "head L2H0 is out of range: the model has 2 layers × 4 heads"
    assert view._selection["value"] == toggled and finding.selection == toggled

    finding.toggle(0, 1)  # a change made in Python reaches the view
    assert view._selection["value"] == [list(h) for h in finding.circuit]
    assert view._selection["details"]["faithfulness"] == jsonable(finding.faithfulness)
    view.pinned_head = [1, 3]  # pinning a head's attention is view-only: it leaves the circuit alone
    assert view.pinned_head == (1, 3) and view.get_state()["pinned_head"] == (1, 3)
    assert finding.selection == [list(h) for h in finding.circuit]
    with pytest.raises(traitlets.TraitError, match="the model has 2 layers × 4 heads"):
        view.pinned_head = [2, 0]
    view.pinned_head = None
    assert view.pinned_head is None
    # the pinned head has its own name: ipywidgets' focus() is still the method that focuses the widget
    assert callable(view.focus) and not hasattr(view, "_focus")


def test_circuit_magic(toy_model):
    from IPython import get_ipython
    from IPython.core.error import UsageError
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "glassbox")
    shell.user_ns["toy"] = toy_model
    finding = shell.run_line_magic(
        "glassbox", f'circuit toy --prompt "{PROMPT}" --correct " Mary" --incorrect " John" --corrupted "{CORRUPTED}"'
    )
    assert isinstance(finding, glassbox.CircuitFinding) and finding.prompts.texts[0][1] == " Mary"
    with pytest.raises(UsageError, match="tokens"):
        shell.run_line_magic("glassbox", f'circuit toy --prompt "{PROMPT}" --correct " Mary John" --incorrect " John"')


def _walk(value):
    """Every (key, value) pair of a nested JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def test_analyze_command_line(capsys, tmp_path):
    from glassbox_jupyter.cli import main

    out = tmp_path / "circuit.json"
    code = main(
        [
            "analyze",
            "--model",
            "tests.circuits.conftest:make_model",
            "--prompt",
            PROMPT,
            "--correct",
            " Mary",
            "--incorrect",
            " John",
            "--corrupted",
            CORRUPTED,
            "--json",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0 and "sufficiency" in text and "category" in text and "L0H" in text and out.exists()
    # the category is Glassbox 2.0's (backup_mechanisms among them), from the exact numbers the JSON holds
    from glassbox_jupyter.compat.v2_results import CATEGORY_RULES, faithfulness_category

    saved = json.loads(out.read_text(encoding="utf-8"))
    numbers = next(v for k, v in _walk(saved) if k == "faithfulness")
    category = faithfulness_category(numbers["sufficiency"]["value"], numbers["comprehensiveness"]["value"])
    assert f"category           {category} ({dict(CATEGORY_RULES)[category]}; exact numbers)" in text
    assert (
        main(
            [
                "analyze",
                "--model",
                "tests.circuits.conftest:make_model",
                "--prompt",
                PROMPT,
                "--correct",
                " Mary John",
                "--incorrect",
                " John",
            ]
        )
        == 1
    )
    assert "2 tokens" in capsys.readouterr().err


def test_analyzer_exposes_every_circuit_tool_on_string_prompts(toy_model):
    """The wrappers take the same (prompt, correct, incorrect, corrupted) tuples as analyze()."""
    from sae_lens import StandardSAE, StandardSAEConfig
    from sae_lens.saes.sae import SAEMetadata

    analyzer = CircuitAnalyzer(toy_model, n_boot=50)
    edges = analyzer.edge_attribution_patching(PAIRS, method="eap", top_k=5)
    assert len(edges.edges) == 5
    exact = analyzer.exact_edge_patching(PAIRS, [(s, r) for s, r, _ in edges.edges[:2]])
    assert set(exact) == {(s, r) for s, r, _ in edges.edges[:2]}
    patterns = analyzer.attention_patterns(PAIRS, heads=[(1, 2)], top_k=2)
    assert patterns.heads == [(1, 2)] and len(patterns[(1, 2)].top_tokens) == 2
    tokens = analyzer.token_attribution(PAIRS, n_steps=16)
    assert len(tokens.scores) == len(PAIRS)
    assert analyzer.composition().scores("q").shape == (2, 4, 2, 4)
    sae = StandardSAE(StandardSAEConfig(d_in=32, d_sae=16, metadata=SAEMetadata(hook_name="blocks.0.hook_resid_post")))
    features = analyzer.sae_features(PAIRS, sae, top_k=3)
    assert len(features.feature_ids) == 3
    stability = analyzer.attribution_stability(PAIRS, n_corruptions=3)
    assert stability.scores.shape == (3, 2, 4)


def test_denoising_patching_matches_a_hand_written_hook(toy_model):
    """Denoising: the corrupted run with one head's clean output, minus the corrupted run."""
    analyzer = CircuitAnalyzer(toy_model)
    effects = analyzer.activation_patching([PAIRS[0]], direction="denoising")["heads"]
    tokens, corrupt = toy_model.to_tokens(PROMPT), toy_model.to_tokens(CORRUPTED)
    correct, incorrect = torch.tensor([3]), torch.tensor([5])
    _, cache = toy_model.run_with_cache(tokens)

    def patch(z, hook):
        z[:, :, 2] = cache[hook.name][:, :, 2]
        return z

    with torch.no_grad():
        base = logit_diff(toy_model(corrupt), correct, incorrect)
        patched = logit_diff(
            toy_model.run_with_hooks(corrupt, fwd_hooks=[("blocks.1.attn.hook_z", patch)]), correct, incorrect
        )
    assert effects[1, 2] == pytest.approx(float(patched - base), abs=1e-5)
    noising = analyzer.activation_patching([PAIRS[0]])["heads"]
    assert not np.allclose(effects, noising)  # the two directions are different measurements
    with pytest.raises(ValueError, match="direction must be"):
        analyzer.activation_patching([PAIRS[0]], direction="sideways")
    with pytest.raises(ValueError, match="ablation='corrupted'"):
        analyzer.activation_patching([PAIRS[0]], ablation="zero", direction="denoising")


def test_analyzer_charts_mlps_and_refuses_an_attention_only_model(toy_model, mlp_model):
    from glassbox_jupyter.widgets.svg import chart_to_svg

    chart = CircuitAnalyzer(mlp_model).mlp_chart(PAIRS)
    assert "exact" in chart_to_svg(chart)
    with pytest.raises(PromptError, match="no MLPs"):
        CircuitAnalyzer(toy_model).mlp_attribution(PAIRS)
    assert "after L1" in chart_to_svg(CircuitAnalyzer(toy_model).logit_lens_chart(PAIRS))


def test_gradient_precision_is_chosen_recorded_and_checked(toy_model):
    """bfloat16 gradient passes rank heads as float32 ones do; auto keeps a small model in float32; the
    finding records the precision; a wrong value names the choices."""
    from scipy.stats import spearmanr

    from glassbox_jupyter.circuits import patching

    prompts = CircuitAnalyzer(toy_model).prompts(MANY)
    assert patching.gradient_precision(toy_model) == "float32"  # a few thousand parameters: nothing to gain
    full = patching.attribution_patching(toy_model, prompts, "integrated_gradients", 8, "float32")
    half = patching.attribution_patching(toy_model, prompts, "integrated_gradients", 8, "bfloat16")
    assert (full["precision"], half["precision"]) == ("float32", "bfloat16")
    assert not np.array_equal(full["heads"], half["heads"])  # it did run in another precision
    assert spearmanr(full["heads"].ravel(), half["heads"].ravel())[0] > 0.95
    finding = CircuitAnalyzer(toy_model, precision="bfloat16", n_boot=50).analyze(prompts=MANY)
    assert finding.provenance.method["gradient_precision"] == "bfloat16"
    exact = CircuitAnalyzer(toy_model, method="exact", n_boot=50).analyze(prompts=MANY)
    assert exact.provenance.method["gradient_precision"] is None
    with pytest.raises(ValueError, match="precision must be one of"):
        CircuitAnalyzer(toy_model, precision="half")


def test_mlp_attribution_against_exact_mlp_patching():
    from glassbox_jupyter.circuits.analyzer import MLPAttribution
    from glassbox_jupyter.teacher.transformer import TransformerAdapter
    from glassbox_jupyter.testing import check_measured

    from .conftest import make_model

    model = make_model(n_layers=4, attn_only=False)  # four MLPs: a correlation over layers that can fail
    analyzer = CircuitAnalyzer(model, n_steps=8)
    plain = analyzer.mlp_attribution(MANY, "taylor")
    assert isinstance(plain, np.ndarray) and plain.shape == (4,)  # the old return value is unchanged
    taylor = analyzer.mlp_attribution(MANY, "taylor", exact=True)
    ig = analyzer.mlp_attribution(MANY, "integrated_gradients", exact=True)
    assert isinstance(taylor, MLPAttribution)
    np.testing.assert_array_equal(taylor.scores, plain)
    np.testing.assert_allclose(taylor.exact, analyzer.activation_patching(MANY, "corrupted")["mlps"])
    # measured: Taylor r 0.989 (largest gap 0.066 of a largest effect 0.254), integrated gradients r 0.997 (0.015)
    assert taylor.correlation > 0.95 and ig.correlation > 0.99
    assert ig.max_abs_error < taylor.max_abs_error < 0.5 * np.abs(taylor.exact).max()
    assert taylor.max_abs_error == pytest.approx(np.abs(taylor.scores - taylor.exact).max())
    check_measured(ig, TransformerAdapter(model).describe()["sha256"], len(MANY))
    assert ig.provenance.method["n_steps"] == 8 and ig.provenance.method["exact"] == "activation_patching"
