"""GlassBox for Jupyter: readable, fidelity-measured explanations of neural networks.

Importing the package is cheap: heavy libraries (torch, scikit-learn, transformer_lens, pyoperon)
load only when a name that needs them is first used.

Example:
    >>> import glassbox
    >>> teacher = glassbox.demos.load("friedman_mlp")
    >>> probes = glassbox.Probe(teacher, n=256, method="sobol", seed=0).run()
    >>> probes.X.shape
    (256, 5)
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from glassbox_jupyter._version import __version__

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "InputSpec": "glassbox_jupyter.teacher.spec",
    "Teacher": "glassbox_jupyter.teacher.teacher",
    "Probe": "glassbox_jupyter.probe",
    "ProbeSet": "glassbox_jupyter.probe",
    "Finding": "glassbox_jupyter.finding.base",
    "Fidelity": "glassbox_jupyter.finding.fidelity",
    "Provenance": "glassbox_jupyter.finding.provenance",
    "EvidenceItem": "glassbox_jupyter.finding.evidence",
    "ResponseFinding": "glassbox_jupyter.response",
    "response": "glassbox_jupyter.response",
    "ResponseView": "glassbox_jupyter.widgets.response_view",
    "distill": "glassbox_jupyter.distill",
    "SymbolicFinding": "glassbox_jupyter.symbolic.finding",
    "SymbolicFindings": "glassbox_jupyter.symbolic.finding",
    "Equation": "glassbox_jupyter.symbolic.equation",
    "RuleFinding": "glassbox_jupyter.rules.finding",
    "Rule": "glassbox_jupyter.rules.finding",
    "ParetoPicker": "glassbox_jupyter.widgets.pareto_picker",
    "RulesView": "glassbox_jupyter.widgets.rules_view",
    "CircuitAnalyzer": "glassbox_jupyter.circuits.analyzer",
    "GlassboxV2": "glassbox_jupyter.circuits.analyzer",
    "CircuitFinding": "glassbox_jupyter.circuits.finding",
    "CircuitHeatmap": "glassbox_jupyter.widgets.circuit_heatmap",
    "readable_twin": "glassbox_jupyter.twin.build",
    "FlowGraphExplorer": "glassbox_jupyter.widgets.flow_graph_explorer",
    "TwinFinding": "glassbox_jupyter.twin.finding",
    "HeadCompositionAnalyzer": "glassbox_jupyter.circuits.composition",
    "SAEFeatureAttributor": "glassbox_jupyter.circuits.sae",
    "attribution_stability": "glassbox_jupyter.circuits.stability",
    "bootstrap_metrics": "glassbox_jupyter.circuits.stability",
    "functional_circuit_alignment": "glassbox_jupyter.circuits.stability",
    "load_hooked_transformer": "glassbox_jupyter.teacher.hf_loading",
    "neuron_graph": "glassbox_jupyter.neurons.build",
    "compare_neuron_graphs": "glassbox_jupyter.neurons.topics",
    "NeuronGraphFinding": "glassbox_jupyter.neurons.finding",
    "NeuronGraphComparison": "glassbox_jupyter.neurons.comparison_finding",
    "NeuronGraphView": "glassbox_jupyter.widgets.neuron_graph_view",
    "latent_laws": "glassbox_jupyter.latent.laws",
    "LatentLawsFinding": "glassbox_jupyter.latent.finding",
    "reconstruction_law": "glassbox_jupyter.latent.reconstruction",
    "ReconstructionLawFinding": "glassbox_jupyter.latent.reconstruction",
    "mlp_autoencoder": "glassbox_jupyter.latent.reconstruction",
    "LatentUsageHeatmap": "glassbox_jupyter.widgets.latent_usage_heatmap",
    "run_tasks": "glassbox_jupyter.parallel",
    "AnnexIVReport": "glassbox_jupyter.report.annex",
    "BlackBoxAuditor": "glassbox_jupyter.audit.auditor",
    "AuditFinding": "glassbox_jupyter.audit.finding",
    "AuditView": "glassbox_jupyter.widgets.audit_view",
    "OpenAIProvider": "glassbox_jupyter.audit.endpoint",
    "LogprobProvider": "glassbox_jupyter.audit.logprob",
    "CallableProvider": "glassbox_jupyter.audit.providers",
    "as_provider": "glassbox_jupyter.audit.providers",
    "GlassboxError": "glassbox_jupyter.errors",
    "ShapeMismatchError": "glassbox_jupyter.errors",
    "UnsafeFileError": "glassbox_jupyter.errors",
    "EmptyProbeError": "glassbox_jupyter.errors",
    "ArchitectureImportError": "glassbox_jupyter.errors",
    "TeacherOutputError": "glassbox_jupyter.errors",
}
_SUBMODULES = ("demos", "testing", "magics", "cli", "report")

__all__ = [
    "AnnexIVReport",
    "ArchitectureImportError",
    "AuditFinding",
    "AuditView",
    "BlackBoxAuditor",
    "CallableProvider",
    "CircuitAnalyzer",
    "CircuitFinding",
    "CircuitHeatmap",
    "EmptyProbeError",
    "Equation",
    "EvidenceItem",
    "Fidelity",
    "Finding",
    "FlowGraphExplorer",
    "GlassboxError",
    "GlassboxV2",
    "HeadCompositionAnalyzer",
    "InputSpec",
    "LatentLawsFinding",
    "LatentUsageHeatmap",
    "LogprobProvider",
    "NeuronGraphComparison",
    "NeuronGraphFinding",
    "NeuronGraphView",
    "OpenAIProvider",
    "ParetoPicker",
    "Probe",
    "ProbeSet",
    "Provenance",
    "ReconstructionLawFinding",
    "ResponseFinding",
    "ResponseView",
    "Rule",
    "RuleFinding",
    "RulesView",
    "SAEFeatureAttributor",
    "ShapeMismatchError",
    "SymbolicFinding",
    "SymbolicFindings",
    "Teacher",
    "TeacherOutputError",
    "TwinFinding",
    "UnsafeFileError",
    "__version__",
    "as_provider",
    "attribution_stability",
    "bootstrap_metrics",
    "compare_neuron_graphs",
    "demos",
    "distill",
    "functional_circuit_alignment",
    "latent_laws",
    "load_hooked_transformer",
    "load_ipython_extension",
    "mlp_autoencoder",
    "neuron_graph",
    "readable_twin",
    "reconstruction_law",
    "response",
    "run_tasks",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"glassbox_jupyter.{name}")
    raise AttributeError(f"module 'glassbox_jupyter' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# `glassbox.response` and `glassbox.distill` are functions living in modules of the same name. Importing such a
# module (`from glassbox_jupyter.response import ...`) makes Python set the package attribute to the module, which
# would hide the function; the package keeps the function instead.
_SHADOWED = frozenset(name for name, module in _LAZY.items() if module == f"glassbox_jupyter.{name}")


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%glassbox`` magics (``%load_ext glassbox``)."""
    from glassbox_jupyter.magics import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Forget the magics' configurable state (``%unload_ext glassbox``)."""
    from glassbox_jupyter.magics import unregister

    unregister(ipython)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from glassbox_jupyter import demos
    from glassbox_jupyter.circuits.analyzer import CircuitAnalyzer, GlassboxV2
    from glassbox_jupyter.circuits.composition import HeadCompositionAnalyzer
    from glassbox_jupyter.circuits.finding import CircuitFinding
    from glassbox_jupyter.circuits.sae import SAEFeatureAttributor
    from glassbox_jupyter.circuits.stability import (
        attribution_stability,
        bootstrap_metrics,
        functional_circuit_alignment,
    )
    from glassbox_jupyter.distill import distill
    from glassbox_jupyter.errors import (
        ArchitectureImportError,
        EmptyProbeError,
        GlassboxError,
        ShapeMismatchError,
        TeacherOutputError,
        UnsafeFileError,
    )
    from glassbox_jupyter.finding.base import Finding
    from glassbox_jupyter.finding.evidence import EvidenceItem
    from glassbox_jupyter.finding.fidelity import Fidelity
    from glassbox_jupyter.finding.provenance import Provenance
    from glassbox_jupyter.latent.finding import LatentLawsFinding
    from glassbox_jupyter.latent.laws import latent_laws
    from glassbox_jupyter.latent.reconstruction import ReconstructionLawFinding, mlp_autoencoder, reconstruction_law
    from glassbox_jupyter.neurons.build import neuron_graph
    from glassbox_jupyter.neurons.topics import NeuronGraphComparison, compare_neuron_graphs
    from glassbox_jupyter.neurons.finding import NeuronGraphFinding
    from glassbox_jupyter.parallel import run_tasks
    from glassbox_jupyter.probe import Probe, ProbeSet
    from glassbox_jupyter.report.annex import AnnexIVReport
    from glassbox_jupyter.response import ResponseFinding, response
    from glassbox_jupyter.rules.finding import Rule, RuleFinding
    from glassbox_jupyter.symbolic.equation import Equation
    from glassbox_jupyter.symbolic.finding import SymbolicFinding, SymbolicFindings
    from glassbox_jupyter.teacher.hf_loading import load_hooked_transformer
    from glassbox_jupyter.teacher.spec import InputSpec
    from glassbox_jupyter.teacher.teacher import Teacher
    from glassbox_jupyter.twin.build import readable_twin
    from glassbox_jupyter.twin.finding import TwinFinding
    from glassbox_jupyter.widgets.circuit_heatmap import CircuitHeatmap
    from glassbox_jupyter.widgets.flow_graph_explorer import FlowGraphExplorer
    from glassbox_jupyter.widgets.latent_usage_heatmap import LatentUsageHeatmap
    from glassbox_jupyter.widgets.neuron_graph_view import NeuronGraphView
    from glassbox_jupyter.widgets.pareto_picker import ParetoPicker
    from glassbox_jupyter.widgets.response_view import ResponseView
    from glassbox_jupyter.widgets.rules_view import RulesView
