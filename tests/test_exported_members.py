"""The public surface is what we mean it to be, and `glassbox` is a faithful alias."""

import importlib

import glassbox
import glassbox_jupyter

EXPECTED = {
    "BlackBoxAuditor",
    "AuditFinding",
    "AuditView",
    "OpenAIProvider",
    "LogprobProvider",
    "CallableProvider",
    "as_provider",
    "ArchitectureImportError",
    "EmptyProbeError",
    "EvidenceItem",
    "Fidelity",
    "Finding",
    "GlassboxError",
    "InputSpec",
    "Probe",
    "ProbeSet",
    "Provenance",
    "ResponseFinding",
    "ResponseView",
    "ShapeMismatchError",
    "Teacher",
    "TeacherOutputError",
    "UnsafeFileError",
    "__version__",
    "demos",
    "load_ipython_extension",
    "response",
    "unload_ipython_extension",
    "distill",
    "Equation",
    "SymbolicFinding",
    "SymbolicFindings",
    "RuleFinding",
    "Rule",
    "ParetoPicker",
    "RulesView",
    "CircuitAnalyzer",
    "GlassboxV2",
    "CircuitFinding",
    "CircuitHeatmap",
    "HeadCompositionAnalyzer",
    "SAEFeatureAttributor",
    "attribution_stability",
    "bootstrap_metrics",
    "functional_circuit_alignment",
    "load_hooked_transformer",
    "readable_twin",
    "TwinFinding",
    "FlowGraphExplorer",
    "neuron_graph",
    "compare_neuron_graphs",
    "NeuronGraphFinding",
    "NeuronGraphComparison",
    "NeuronGraphView",
    "latent_laws",
    "LatentLawsFinding",
    "reconstruction_law",
    "ReconstructionLawFinding",
    "mlp_autoencoder",
    "LatentUsageHeatmap",
    "run_tasks",
    "AnnexIVReport",
}


def test_public_names_are_exactly_the_documented_ones():
    assert set(glassbox_jupyter.__all__) == EXPECTED


def test_every_public_name_resolves():
    for name in glassbox_jupyter.__all__:
        assert getattr(glassbox_jupyter, name) is not None, name


def test_alias_exposes_the_same_objects():
    assert glassbox.__all__ == glassbox_jupyter.__all__
    for name in ("Teacher", "Probe", "InputSpec", "response", "demos", "load_ipython_extension"):
        assert getattr(glassbox, name) is getattr(glassbox_jupyter, name)


def test_unknown_attribute_is_an_attribute_error():
    try:
        glassbox_jupyter.not_a_thing  # noqa: B018
    except AttributeError as exc:
        assert "not_a_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_submodules_import():
    for module in ("teacher", "probe", "finding", "response", "magics", "cli", "testing", "report.notebook_html"):
        importlib.import_module(f"glassbox_jupyter.{module}")


def test_functions_named_like_their_module_stay_functions_after_the_module_is_imported():
    import subprocess
    import sys

    code = (
        "import glassbox_jupyter.response, glassbox_jupyter.distill, glassbox\n"
        "assert callable(glassbox.response) and callable(glassbox.distill), (glassbox.response, glassbox.distill)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
