"""%glassbox on a real IPython shell."""

import re

import pytest
from IPython.core.error import UsageError

import glassbox


def test_help_lists_every_subcommand(ipython, capsys):
    ipython.run_line_magic("glassbox", "--help")
    out = capsys.readouterr().out
    for name in ("probe", "response", "demos", "distill", "circuit", "twin", "audit"):
        assert f"  {name} " in out


def test_subcommand_help(ipython, capsys):
    ipython.run_line_magic("glassbox", "probe --help")
    out = capsys.readouterr().out
    assert out.startswith("%glassbox probe") and "--method" in out and "sobol" in out


def test_probe_returns_a_probeset(ipython, friedman):
    ipython.user_ns["teacher"] = friedman
    probes = ipython.run_line_magic("glassbox", "probe teacher --n 300 --method lhs --seed 4")
    assert isinstance(probes, glassbox.ProbeSet)
    assert len(probes) == 300 and probes.method == "lhs" and probes.seed == 4


def test_result_can_be_assigned_in_a_cell(ipython, friedman):
    ipython.user_ns["teacher"] = friedman
    result = ipython.run_cell("probes = %glassbox probe teacher --n 64")
    assert result.success and len(ipython.user_ns["probes"]) == 64


def test_config_changes_the_defaults(ipython, friedman):
    ipython.user_ns["teacher"] = friedman
    ipython.run_line_magic("config", "GlassboxMagics.n = 77")
    ipython.run_line_magic("config", "GlassboxMagics.method = 'uniform'")
    try:
        probes = ipython.run_line_magic("glassbox", "probe teacher")
        assert len(probes) == 77 and probes.method == "uniform"
    finally:
        ipython.run_line_magic("config", "GlassboxMagics.n = 2000")
        ipython.run_line_magic("config", "GlassboxMagics.method = 'sobol'")


AVAILABLE = "Available: annex, audit, circuit, demos, distill, export, latent, neurons, probe, publish, response, twin."


def test_unknown_subcommand_prints_the_list(ipython):
    expected = r"unknown %glassbox subcommand 'distil'. Did you mean 'distill'\? " + re.escape(AVAILABLE)
    with pytest.raises(UsageError, match=expected):
        ipython.run_line_magic("glassbox", "distil teacher")


def test_unknown_subcommand_in_a_cell_shows_the_list(ipython, capsys):
    ipython.run_cell("%glassbox frobnicate")
    captured = capsys.readouterr()
    assert AVAILABLE in captured.out + captured.err


def test_missing_variable(ipython):
    with pytest.raises(UsageError, match="no variable named 'ghost'"):
        ipython.run_line_magic("glassbox", "probe ghost")


def test_raw_model_needs_a_spec(ipython, small_mlp, spec3):
    ipython.user_ns["net"] = small_mlp
    with pytest.raises(UsageError, match="--spec"):
        ipython.run_line_magic("glassbox", "probe net")
    ipython.user_ns["spec"] = spec3
    probes = ipython.run_line_magic("glassbox", "probe net --spec spec --n 32")
    assert probes.X.shape == (32, 3)


def test_bad_option_value(ipython, friedman):
    ipython.user_ns["teacher"] = friedman
    with pytest.raises(UsageError):
        ipython.run_line_magic("glassbox", "probe teacher --method grid")


def test_response_subcommand(ipython, friedman):
    ipython.user_ns["teacher"] = friedman
    finding = ipython.run_line_magic("glassbox", "response teacher --features x3 --n 300")
    assert isinstance(finding, glassbox.ResponseFinding) and finding.features == ("x3",)


def test_demos_subcommand(ipython):
    names = [d["name"] for d in ipython.run_line_magic("glassbox", "demos")]
    assert "friedman_mlp" in names


def test_distill_subcommand_logic_and_math(ipython):
    import numpy as np

    spec = glassbox.InputSpec(names=["a", "b"], low=0, high=10)
    ipython.user_ns["clf"] = glassbox.Teacher(
        lambda X: np.stack([X[:, 0] <= 4, X[:, 0] > 4], 1).astype(float), spec, task="classification"
    )
    rules = ipython.run_line_magic("glassbox", "distill clf --mode logic --max-leaves 4 --n 1000")
    assert isinstance(rules, glassbox.RuleFinding) and rules.fidelity.value > 0.98
    ipython.user_ns["reg"] = glassbox.Teacher(lambda X: X[:, 0] * 3, spec)
    eqs = ipython.run_line_magic("glassbox", "distill reg --mode math --time 3 --features a")
    assert isinstance(eqs, glassbox.SymbolicFinding) and eqs.best.variables == ["a"]
    with pytest.raises(UsageError, match="time_limit"):
        ipython.run_line_magic("glassbox", "distill reg --time 0")


def _gas_teacher():
    import numpy as np

    spec = glassbox.InputSpec(names=["n", "T", "V"], low=[0.5, 250, 0.01], high=[2, 350, 0.05])
    rng = np.random.default_rng(0)
    wobble = rng.normal(0, 1, 3)  # a fixed, slightly imperfect "network": R = 8.314 plus a small smooth error

    def pressure(X):
        return 8.314 * X[:, 0] * X[:, 1] / X[:, 2] * (1 + 0.002 * np.tanh(X @ wobble))

    return glassbox.Teacher(pressure, spec, name="gas")


def _equations(finding):
    import sympy

    return [sympy.srepr(eq.expr) for eq in finding.pareto_front], str(finding.best)


def test_distill_with_the_same_seed_gives_the_same_equation(ipython, monkeypatch):
    """The default budget is counted in generations, so the magic is reproducible; --seed changes the search."""
    import glassbox_jupyter.symbolic.math_mode as math_mode

    monkeypatch.setattr(math_mode, "DEFAULT_GENERATIONS", 8)  # the default path, kept short
    ipython.user_ns["gas"] = _gas_teacher()
    first = ipython.run_line_magic("glassbox", "distill gas --n 600")
    second = ipython.run_line_magic("glassbox", "distill gas --n 600")
    assert _equations(first) == _equations(second)
    assert first.provenance.method["generations"] == 8 and first.provenance.method["time_limit"] is None
    seeded = ipython.run_line_magic("glassbox", "distill gas --n 600 --generations 8 --seed 5")
    again = ipython.run_line_magic("glassbox", "distill gas --n 600 --generations 8 --seed 5")
    assert _equations(seeded) == _equations(again) and seeded.provenance.seed == 5
    with pytest.raises(UsageError, match="not both"):
        ipython.run_line_magic("glassbox", "distill gas --generations 8 --time 3")
    with pytest.raises(UsageError, match="generations must be a positive"):
        ipython.run_line_magic("glassbox", "distill gas --generations 0")
    with pytest.raises(UsageError, match="logic mode"):
        ipython.run_line_magic("glassbox", "distill gas --mode logic --generations 8")


def test_twin_subcommand(ipython):
    ipython.user_ns["cnn"] = glassbox.demos.load("digits_cnn")
    ipython.user_ns["images"], ipython.user_ns["labels"] = glassbox.demos.load_digits_split("test")
    twin = ipython.run_line_magic("glassbox", "twin cnn images --layers conv1,fc1 --clusters 6 --y labels")
    assert isinstance(twin, glassbox.TwinFinding) and twin.layers == ["conv1", "fc1"]
    assert "true" in twin.sis.columns
    with pytest.raises(UsageError, match="conv1"):
        ipython.run_line_magic("glassbox", "twin cnn images --layers nope")


def test_annex_cell_magic_runs_the_cell_and_refuses_unknown_sections(ipython):
    result = ipython.run_cell("%%glassbox annex 2b 2g\nannexed = 6 * 7")
    assert result.success and ipython.user_ns["annexed"] == 42
    bad = ipython.run_cell("%%glassbox annex 2z\nnot_run = 1")
    assert isinstance(bad.error_in_exec, UsageError) and "valid tags are 1, 2, 2a" in str(bad.error_in_exec)
    assert "not_run" not in ipython.user_ns
    with pytest.raises(UsageError, match="cell magic"):
        ipython.run_line_magic("glassbox", "annex 2b")
    other = ipython.run_cell("%%glassbox distill teacher\nx = 1")
    assert isinstance(other.error_in_exec, UsageError)


def test_export_writes_the_report_with_live_findings(ipython, friedman, tmp_path, capsys):
    import nbformat

    finding = glassbox.response(friedman, features=["x4"], n=150)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("%%glassbox annex 2b\nfinding")
    bundle = finding._repr_mimebundle_()  # what the kernel writes into the output
    cell.outputs = [nbformat.v4.new_output("execute_result", data=bundle, execution_count=1)]
    nb.cells = [cell]
    path = tmp_path / "live.ipynb"
    nbformat.write(nb, path)
    report = ipython.run_line_magic("glassbox", f"export --to json html --notebook {path} --out {tmp_path / 'out'}")
    out = capsys.readouterr().out
    assert "fields still need human input" in out and (tmp_path / "out" / "live.annex-iv.html").is_file()
    assert report.field("2(b).logic").status == "automatic" and report.findings[0].data["kind"] == "response"
    with pytest.raises(UsageError, match="--notebook"):
        ipython.run_line_magic("glassbox", "export --to pdf")


def test_export_uses_a_widget_selection_made_after_the_output_was_saved(ipython, tmp_path):
    import nbformat

    model = glassbox.demos.load("ioi")
    prompt = glassbox.demos.ioi_prompts(1, seed=0)[0]
    finding = glassbox.CircuitAnalyzer(model).analyze(prompt.prompt, prompt.correct, prompt.incorrect)
    cell = nbformat.v4.new_code_cell("finding")
    cell.outputs = [nbformat.v4.new_output("execute_result", data=finding._repr_mimebundle_(), execution_count=1)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    path = tmp_path / "circuit.ipynb"
    nbformat.write(nb, path)
    saved = [list(h) for h in finding.circuit]
    finding.toggle(1, 3)  # a click in the CircuitHeatmap after the notebook was saved
    report = ipython.run_line_magic("glassbox", f"export --to json --notebook {path} --out {tmp_path}")
    exported = report.findings[0].data["artifact"]["circuit"]
    assert exported == [list(h) for h in finding.circuit] and exported != saved


def test_neurons_magic_builds_the_graph_and_checks_alpha(ipython):
    import torch

    torch.manual_seed(0)
    ipython.user_ns["mlp"] = torch.nn.Sequential(torch.nn.Linear(3, 12), torch.nn.Tanh(), torch.nn.Linear(12, 1))
    ipython.user_ns["X"] = torch.randn(400, 3)
    graph = ipython.run_line_magic("glassbox", "neurons mlp X --layer 1 --neurons 8 --alpha 1se")
    assert graph.kind == "neuron_graph" and len(graph.neuron_ids) == 8 and graph.result.method == "cv-1se"
    assert "one-standard-error rule" in graph.summary()
    with pytest.raises(UsageError, match="--alpha takes a positive number or 1se"):
        ipython.run_line_magic("glassbox", "neurons mlp X --layer 1 --alpha lots")


def _bank(prompt: str) -> str:
    return "approve" if "income high" in prompt and "age 70" not in prompt else "deny"


AUDIT_TEMPLATE = "Applicant age {age}, income {income}. Decision:"


def test_audit_subcommand_gives_the_auditors_finding(ipython):
    """%glassbox audit runs the black-box audit from a cell: the same measures as BlackBoxAuditor's own call."""
    ipython.user_ns["bank"] = _bank
    finding = ipython.run_line_magic(
        "glassbox",
        f'audit bank --prompt "{AUDIT_TEMPLATE}" --positive approve --negative deny '
        "--vary age=30,50,70 income=low,high --protected age --paraphrases none --seed 3",
    )
    assert isinstance(finding, glassbox.AuditFinding)
    assert finding.sensitive_variables() == ["age", "income"]
    direct = glassbox.BlackBoxAuditor(_bank, seed=3, progress=False).audit(
        AUDIT_TEMPLATE,
        "approve",
        "deny",
        context_variables={"age": ["30", "50", "70"], "income": ["low", "high"]},
        protected="age",
        paraphrases=[],
    )
    assert finding.artifact_dict() == direct.artifact_dict()
    bundle = finding._repr_mimebundle_()
    assert "age" in str(bundle)  # the Finding's own view, as for every other subcommand

    ipython.user_ns["contexts"] = {"age": [30, 70], "income": ["low", "high"]}
    again = ipython.run_line_magic(
        "glassbox",
        f"audit bank --prompt '{AUDIT_TEMPLATE}' --positive approve --negative deny --variables contexts "
        "--protected age --paraphrases none",
    )
    assert "age parity gap 0.50" in again.summary()  # 4 contexts: age 70 is always denied, age 30 with high income not


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--vary age", "NAME=V1,V2"),
        ("", "give the context variables"),
        ("--vary height=1,2", "height"),
        ("--variables missing", "no variable named 'missing'"),
        ("--variables bank", "must hold a dict"),
    ],
)
def test_audit_subcommand_names_the_fix(ipython, options, message):
    ipython.user_ns["bank"] = _bank
    with pytest.raises(UsageError, match=message):
        ipython.run_line_magic(
            "glassbox", f'audit bank --prompt "{AUDIT_TEMPLATE}" --positive approve --negative deny {options}'
        )


def test_distill_takes_held_out_rows_and_reports_the_error_floor(ipython):
    import numpy as np

    ipython.user_ns["gas"] = _gas_teacher()
    spec = ipython.user_ns["gas"].spec
    X = np.random.default_rng(1).uniform(spec.low, spec.high, (200, 3))
    ipython.user_ns["X_test"], ipython.user_ns["y_test"] = X, 8.314 * X[:, 0] * X[:, 1] / X[:, 2]
    finding = ipython.run_line_magic("glassbox", "distill gas --n 600 --generations 8 --held-out X_test y_test")
    floor = finding.error_floor
    assert (
        floor is not None and floor.n == 200 and 0 < floor.rms < 0.01 * float(np.abs(ipython.user_ns["y_test"]).mean())
    )
    assert "error floor" in finding.pick_rule()
    with pytest.raises(UsageError, match="no variable named 'nope'"):
        ipython.run_line_magic("glassbox", "distill gas --generations 8 --held-out X_test nope")
    with pytest.raises(UsageError, match="math mode"):
        ipython.run_line_magic("glassbox", "distill gas --mode logic --held-out X_test y_test")
