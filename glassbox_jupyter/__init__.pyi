"""The public surface of GlassBox for Jupyter: the one list of it.

Type checkers read the names from here; at run time ``lazy_loader.attach_stub`` reads the same imports and
loads each module only when one of its names is first used (``glassbox_jupyter/__init__.py``).
"""

from . import demos as demos
from ._version import __version__ as __version__
from .audit.auditor import BlackBoxAuditor as BlackBoxAuditor
from .audit.endpoint import OpenAIProvider as OpenAIProvider
from .audit.finding import AuditFinding as AuditFinding
from .audit.logprob import LogprobProvider as LogprobProvider
from .audit.providers import CallableProvider as CallableProvider
from .audit.providers import as_provider as as_provider
from .circuits.alignment import (
    functional_circuit_alignment as functional_circuit_alignment,
)
from .circuits.analyzer import CircuitAnalyzer as CircuitAnalyzer
from .circuits.finding import CircuitFinding as CircuitFinding
from .circuits.stability import (
    attribution_stability as attribution_stability,
)
from .circuits.stability import (
    bootstrap_metrics as bootstrap_metrics,
)
from .compat.v2 import GlassboxV2 as GlassboxV2
from .compat.v2_composition import HeadCompositionAnalyzer as HeadCompositionAnalyzer
from .compat.v2_sae import SAEFeatureAttributor as SAEFeatureAttributor
from .distill import distill as distill
from .errors import (
    ArchitectureImportError as ArchitectureImportError,
)
from .errors import (
    EmptyProbeError as EmptyProbeError,
)
from .errors import (
    GlassboxError as GlassboxError,
)
from .errors import (
    ShapeMismatchError as ShapeMismatchError,
)
from .errors import (
    TeacherOutputError as TeacherOutputError,
)
from .errors import (
    UnsafeFileError as UnsafeFileError,
)
from .finding.base import Finding as Finding
from .finding.evidence import EvidenceItem as EvidenceItem
from .finding.fidelity import Fidelity as Fidelity
from .finding.provenance import Provenance as Provenance
from .latent.finding import LatentLawsFinding as LatentLawsFinding
from .latent.laws import latent_laws as latent_laws
from .latent.reconstruction import mlp_autoencoder as mlp_autoencoder
from .latent.reconstruction import reconstruction_law as reconstruction_law
from .latent.reconstruction_finding import ReconstructionLawFinding as ReconstructionLawFinding
from .neurons.build import neuron_graph as neuron_graph
from .neurons.comparison_finding import NeuronGraphComparison as NeuronGraphComparison
from .neurons.finding import NeuronGraphFinding as NeuronGraphFinding
from .neurons.topics import compare_neuron_graphs as compare_neuron_graphs
from .parallel import run_tasks as run_tasks
from .probe import Probe as Probe
from .probe import ProbeSet as ProbeSet
from .report.annex import AnnexIVReport as AnnexIVReport
from .response import ResponseFinding as ResponseFinding
from .response import response as response
from .rules.finding import Rule as Rule
from .rules.finding import RuleFinding as RuleFinding
from .symbolic.equation import Equation as Equation
from .symbolic.finding import SymbolicFinding as SymbolicFinding
from .symbolic.finding import SymbolicFindings as SymbolicFindings
from .teacher.hf_loading import load_hooked_transformer as load_hooked_transformer
from .teacher.spec import InputSpec as InputSpec
from .teacher.teacher import Teacher as Teacher
from .twin.build import readable_twin as readable_twin
from .twin.finding import TwinFinding as TwinFinding
from .widgets.audit_view import AuditView as AuditView
from .widgets.circuit_heatmap import CircuitHeatmap as CircuitHeatmap
from .widgets.flow_graph_explorer import FlowGraphExplorer as FlowGraphExplorer
from .widgets.latent_usage_heatmap import LatentUsageHeatmap as LatentUsageHeatmap
from .widgets.neuron_graph_view import NeuronGraphView as NeuronGraphView
from .widgets.pareto_picker import ParetoPicker as ParetoPicker
from .widgets.response_view import ResponseView as ResponseView
from .widgets.rules_view import RulesView as RulesView

def load_ipython_extension(ipython: object) -> None: ...
def unload_ipython_extension(ipython: object) -> None: ...
