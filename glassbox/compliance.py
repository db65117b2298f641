"""``glassbox.compliance``: Glassbox 2.0's Annex IV report API on GlassBox's own report
(:mod:`glassbox_jupyter.compat.compliance`).

Example:
    >>> from glassbox.compliance import AnnexIVReport, DeploymentContext
    >>> DeploymentContext.FINANCIAL_SERVICES.value
    'financial_services'
"""

from glassbox_jupyter.compat.compliance import AnnexIVReport, DeploymentContext, RiskClassification

__all__ = ["AnnexIVReport", "DeploymentContext", "RiskClassification"]
