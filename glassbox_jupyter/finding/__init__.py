"""The Finding protocol shared by every capability: artifact, fidelity, provenance, evidence, views."""

from glassbox_jupyter.finding.base import Finding, in_kernel
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity, agreement_fidelity, r2_fidelity
from glassbox_jupyter.finding.provenance import Provenance

__all__ = ["EvidenceItem", "Fidelity", "Finding", "Provenance", "agreement_fidelity", "in_kernel", "r2_fidelity"]
