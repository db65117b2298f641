"""Errors of the black-box audit. Each says what went wrong and how to fix it; none ever holds an API key.

Example:
    >>> from glassbox_jupyter.audit.errors import ProviderAuthError
    >>> issubclass(ProviderAuthError, RuntimeError)
    True
"""

from __future__ import annotations

from glassbox_jupyter.errors import GlassboxError, SelectionError


class TemplateError(GlassboxError, ValueError):
    """A decision prompt (or paraphrase) has a placeholder that is not a context variable, or misses one."""


class AuditInputError(GlassboxError, ValueError):
    """The audit's settings are unusable (too few values for a variable, an unknown protected variable, …)."""


class UnknownVariableError(AuditInputError, SelectionError):
    """A variable was named (to select it, or to list its flips) that the audit did not vary."""


class ProviderTypeError(GlassboxError, TypeError):
    """An object that cannot be turned into a provider (a callable, a local model or an HTTP endpoint)."""


class ProviderError(GlassboxError, RuntimeError):
    """A provider could not give a decision. ``fatal`` errors stop the audit: every later probe would fail too."""

    fatal: bool = False


class MissingAPIKeyError(ProviderError):
    """The environment variable that should hold the API key is not set."""

    fatal = True


class ProviderAuthError(ProviderError):
    """The endpoint refused the API key (HTTP 401 or 403)."""

    fatal = True


class ProviderHTTPError(ProviderError):
    """The endpoint answered with an HTTP error that retrying will not fix (404, 400, …), or could not be reached."""

    fatal = True

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class ProviderCancelledError(ProviderError):
    """The audit stopped (Ctrl-C or a fatal error) before this request was sent; it counts as not asked."""


class ProviderUnavailableError(ProviderError):
    """Rate limits (429), server errors (5xx) or timeouts persisted through every retry."""


class ProviderResponseError(ProviderError, ValueError):
    """The provider's answer is malformed: not JSON, a missing field, a probability outside [0, 1], …"""


class AuditError(GlassboxError, RuntimeError):
    """The audit could not measure anything (no probe was answered)."""
