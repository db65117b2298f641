"""``glassbox.audit``: Glassbox 2.0's black-box audit API (:mod:`glassbox_jupyter.compat.audit`).

``BlackBoxAuditor`` here is Glassbox 2.0's (``model_provider=``, ``model_name=``, ``api_key=``, a dict result);
GlassBox's own auditor, which returns an ``AuditFinding``, stays at ``glassbox_jupyter.audit.BlackBoxAuditor``.
Every other name of :mod:`glassbox_jupyter.audit` (``OpenAIProvider``, ``AuditFinding``, ...) is reachable here
too, as it was through the ``glassbox`` alias.

Example:
    >>> from glassbox.audit import BlackBoxAuditor, ModelProvider
    >>> ModelProvider.ANTHROPIC.value
    'anthropic'
"""

from typing import Any

import glassbox_jupyter.audit as _native
from glassbox_jupyter.compat.audit import BlackBoxAuditor, ModelProvider, faithfulness_category

__all__ = ["BlackBoxAuditor", "ModelProvider", "faithfulness_category"]


def __getattr__(name: str) -> Any:
    return getattr(_native, name)
