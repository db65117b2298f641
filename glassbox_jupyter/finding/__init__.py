"""The Finding protocol shared by every capability: artifact, fidelity, provenance, evidence, views.

``finding/`` is the bottom layer of the package: it imports no other GlassBox folder. The report,
the widgets and every capability build on it.
"""

from glassbox_jupyter.finding.base import FINDING_CLASSES, Finding, finding_payload
from glassbox_jupyter.finding.display import in_kernel
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import SPLITS, Fidelity, agreement_fidelity, r2_fidelity
from glassbox_jupyter.finding.jsonable import jsonable
from glassbox_jupyter.finding.mime import FINDING_MIME, REPORT_MIME
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS
from glassbox_jupyter.finding.stats import bootstrap_ci

__all__ = [
    "ANNEX_IV_SECTIONS",
    "FINDING_CLASSES",
    "FINDING_MIME",
    "REPORT_MIME",
    "SPLITS",
    "EvidenceItem",
    "Fidelity",
    "Finding",
    "Provenance",
    "agreement_fidelity",
    "bootstrap_ci",
    "finding_payload",
    "in_kernel",
    "jsonable",
    "r2_fidelity",
]
