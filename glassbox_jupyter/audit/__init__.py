"""Black-box audit: counterfactual, paraphrase and parity probes of a model you can only ask.

Example:
    >>> from glassbox_jupyter.audit import BlackBoxAuditor
    >>> finding = BlackBoxAuditor(lambda p: "approve" if "high" in p else "deny", progress=False).audit(
    ...     "Income {income}, age {age}. Decision:", "approve", "deny",
    ...     context_variables={"income": ["low", "high"], "age": [30, 70]}, protected="age")
    >>> finding.sensitive_variables()
    ['income']
"""

from glassbox_jupyter.audit.answers import match_decision
from glassbox_jupyter.audit.auditor import BlackBoxAuditor
from glassbox_jupyter.audit.endpoint import OpenAIProvider
from glassbox_jupyter.audit.errors import (
    AuditError,
    AuditInputError,
    MissingAPIKeyError,
    ProviderAuthError,
    ProviderError,
    ProviderHTTPError,
    ProviderResponseError,
    ProviderTypeError,
    ProviderUnavailableError,
    TemplateError,
)
from glassbox_jupyter.audit.finding import AuditFinding
from glassbox_jupyter.audit.logprob import LogprobProvider
from glassbox_jupyter.audit.measures import Estimate
from glassbox_jupyter.audit.providers import CallableProvider, as_provider
from glassbox_jupyter.teacher.blackbox import Decision, Provider

__all__ = [
    "AuditError",
    "AuditFinding",
    "AuditInputError",
    "BlackBoxAuditor",
    "CallableProvider",
    "Decision",
    "Estimate",
    "LogprobProvider",
    "MissingAPIKeyError",
    "OpenAIProvider",
    "Provider",
    "ProviderAuthError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderResponseError",
    "ProviderTypeError",
    "ProviderUnavailableError",
    "TemplateError",
    "as_provider",
    "match_decision",
]
