"""EU AI Act Annex IV technical documentation: sections, evidence and exporters."""

from glassbox_jupyter.report.sections import ANNEX_IV_SECTIONS

__all__ = ["ANNEX_IV_SECTIONS"]
