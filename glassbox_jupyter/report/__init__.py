"""EU AI Act Annex IV technical documentation: sections, evidence and exporters."""

from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS

__all__ = ["ANNEX_IV_SECTIONS"]
