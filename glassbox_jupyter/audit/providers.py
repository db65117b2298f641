"""Providers turn prompts into decisions: a Python callable, a local language model, or an HTTP endpoint.

:func:`as_provider` picks the right one:

- a :class:`Provider` is used as it is;
- a callable ``fn(prompt) -> str`` (a text answer: the decision is the expected word it contains) or
  ``fn(prompt) -> float`` (the probability of the positive decision) becomes a :class:`CallableProvider`;
- a Hugging Face causal LM (with ``tokenizer=``), a folder holding one, or a TransformerLens
  ``HookedTransformer`` becomes a :class:`~glassbox_jupyter.audit.logprob.LogprobProvider`;
- an HTTP API is reached with :class:`~glassbox_jupyter.audit.endpoint.OpenAIProvider` (build it yourself:
  it needs a model name and the environment variable holding the key).

Example:
    >>> provider = as_provider(lambda prompt: "approve" if "income 90000" in prompt else "deny")
    >>> provider.decide("income 90000. Decision:", "approve", "deny").label
    'positive'
"""

from __future__ import annotations

import hashlib
import inspect
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glassbox_jupyter.audit.answers import match_decision
from glassbox_jupyter.audit.endpoint import OpenAIProvider, retry_delay
from glassbox_jupyter.audit.errors import ProviderResponseError, ProviderTypeError
from glassbox_jupyter.audit.logprob import LogprobProvider
from glassbox_jupyter.teacher.blackbox import Decision, Provider, identity_hash

__all__ = [
    "CallableProvider",
    "Decision",
    "LogprobProvider",
    "OpenAIProvider",
    "Provider",
    "as_provider",
    "identity_hash",
    "match_decision",
    "retry_delay",
]


class CallableProvider(Provider):
    """A Python function as a provider: ``fn(prompt)`` returns the text answer or ``p(positive)``.

    Args:
        fn: ``fn(prompt: str) -> str | float | bool``. A bool is the decision itself (``True`` = positive).
        name: how the function is named in findings (default: its qualified name).
        threshold: a probability at or above it is a positive decision.
        max_concurrency: calls run at once by the auditor (raise it for functions that wait on I/O).
    """

    kind = "callable"

    def __init__(
        self, fn: Callable[[str], Any], *, name: str | None = None, threshold: float = 0.5, max_concurrency: int = 1
    ):
        if not callable(fn):
            raise ProviderTypeError(f"CallableProvider needs a function fn(prompt) -> str | float, got {fn!r}")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")
        self.fn = fn
        self.name = name or getattr(fn, "__qualname__", None) or type(fn).__name__
        self.threshold = float(threshold)
        self.max_concurrency = max(1, int(max_concurrency))

    def identity(self) -> dict[str, Any]:
        try:
            source_hash: str | None = hashlib.sha256(inspect.getsource(self.fn).encode("utf-8")).hexdigest()
        except (OSError, TypeError):
            source_hash = None
        return {
            "kind": self.kind,
            "name": str(self.name),
            "module": getattr(self.fn, "__module__", None),
            "source_sha256": source_hash,
            "threshold": self.threshold,
        }

    def decide(self, prompt: str, positive: str, negative: str) -> Decision:
        value = self.fn(prompt)
        if isinstance(value, str):
            return Decision(match_decision(value, positive, negative), None, value)
        if isinstance(value, bool):
            return Decision("positive" if value else "negative", None, str(value))
        try:
            p = float(value)
        except (TypeError, ValueError):
            raise ProviderResponseError(
                f"{self.name} returned {type(value).__name__}; return the text answer (str) or p(positive) (float)"
            ) from None
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            raise ProviderResponseError(f"{self.name} returned {p!r}; a probability must lie in [0, 1]")
        return Decision("positive" if p >= self.threshold else "negative", p, f"p = {p:.4g}")


def as_provider(obj: Any, **kwargs: Any) -> Provider:
    """Turn ``obj`` into a :class:`Provider` (see the module docstring); ``kwargs`` go to the provider."""
    if isinstance(obj, Provider):
        if kwargs:
            raise TypeError(f"{type(obj).__name__} is already a provider; it takes no options {sorted(kwargs)}")
        return obj
    if isinstance(obj, str) and obj.startswith(("http://", "https://")):
        raise ProviderTypeError(
            f"for an HTTP endpoint build OpenAIProvider({obj!r}, model=..., api_key_env=...) and pass that"
        )
    if isinstance(obj, (str, Path)):
        return LogprobProvider(obj, **kwargs)
    if hasattr(obj, "to_tokens") and hasattr(obj, "cfg"):
        return LogprobProvider(obj, **kwargs)
    if hasattr(obj, "config") and hasattr(obj, "parameters") and "tokenizer" in kwargs:
        return LogprobProvider(obj, **kwargs)
    if hasattr(obj, "config") and hasattr(obj, "parameters"):
        raise ProviderTypeError(
            f"{type(obj).__name__} looks like a Hugging Face model: pass its tokenizer too, "
            "as_provider(model, tokenizer=tokenizer)"
        )
    if callable(obj):
        return CallableProvider(obj, **kwargs)
    raise ProviderTypeError(
        f"cannot audit a {type(obj).__name__}: give a function fn(prompt) -> str | float, a Hugging Face causal LM "
        "(with tokenizer=), a model folder, a TransformerLens HookedTransformer, or an OpenAIProvider"
    )
