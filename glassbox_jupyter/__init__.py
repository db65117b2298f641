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
    "load_hooked_transformer": "glassbox_jupyter.circuits.loading",
    "GlassboxError": "glassbox_jupyter.errors",
    "ShapeMismatchError": "glassbox_jupyter.errors",
    "UnsafeFileError": "glassbox_jupyter.errors",
    "EmptyProbeError": "glassbox_jupyter.errors",
    "ArchitectureImportError": "glassbox_jupyter.errors",
    "TeacherOutputError": "glassbox_jupyter.errors",
}
_SUBMODULES = ("demos", "testing", "magics", "cli", "report")

__all__ = [
    "ArchitectureImportError",
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
    "ParetoPicker",
    "Probe",
    "ProbeSet",
    "Provenance",
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
    "attribution_stability",
    "bootstrap_metrics",
    "demos",
    "distill",
    "functional_circuit_alignment",
    "load_hooked_transformer",
    "load_ipython_extension",
    "readable_twin",
    "response",
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
    from glassbox_jupyter.circuits.loading import load_hooked_transformer
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
    from glassbox_jupyter.probe import Probe, ProbeSet
    from glassbox_jupyter.response import ResponseFinding, response
    from glassbox_jupyter.rules.finding import Rule, RuleFinding
    from glassbox_jupyter.symbolic.equation import Equation
    from glassbox_jupyter.symbolic.finding import SymbolicFinding, SymbolicFindings
    from glassbox_jupyter.teacher.spec import InputSpec
    from glassbox_jupyter.teacher.teacher import Teacher
    from glassbox_jupyter.twin.build import readable_twin
    from glassbox_jupyter.twin.finding import TwinFinding
    from glassbox_jupyter.widgets.circuit_heatmap import CircuitHeatmap
    from glassbox_jupyter.widgets.flow_graph_explorer import FlowGraphExplorer
    from glassbox_jupyter.widgets.pareto_picker import ParetoPicker
    from glassbox_jupyter.widgets.response_view import ResponseView
    from glassbox_jupyter.widgets.rules_view import RulesView
