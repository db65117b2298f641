"""Black-box models: adapters for models that can only be queried, one prompt in, one decision out.

A :class:`Provider` is a :class:`~glassbox_jupyter.teacher.adapters.ModelAdapter` whose calls are prompts:
it turns a prompt into a :class:`Decision` (``"positive"``, ``"negative"`` or ``"unparsed"``, with the
probability of the positive decision when the model gives one). Like every adapter it describes itself
for provenance: its :meth:`~Provider.identity` (kind, name, address; never a secret) plus ``"sha256"``,
the hash of that identity (a local model's identity includes its weights' hash). The concrete providers
(a Python function, a local language model, an HTTP endpoint) live in :mod:`glassbox_jupyter.audit`.

Example:
    >>> class Always(Provider):
    ...     kind = "constant"
    ...     def decide(self, prompt, positive, negative):
    ...         return Decision("positive", 1.0, positive)
    ...     def identity(self):
    ...         return {"kind": self.kind}
    >>> provider = Always()
    >>> [d.label for d in provider.decide_batch(["a", "b"], "approve", "deny")]
    ['positive', 'positive']
    >>> provider.describe()["sha256"] == identity_hash({"kind": "constant"})
    True
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from glassbox_jupyter.teacher.adapters import ModelAdapter, identity_hash

__all__ = ["LABELS", "Decision", "Provider", "identity_hash"]

LABELS = ("positive", "negative", "unparsed")


@dataclass(frozen=True)
class Decision:
    """One provider answer: ``label`` is ``"positive"``, ``"negative"`` or ``"unparsed"``.

    Example:
        >>> Decision("positive", 0.9, "approve").label
        'positive'
    """

    label: str
    p_positive: float | None = None
    answer: str | None = None

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"a decision label is one of {LABELS}, got {self.label!r}")


class Provider(ModelAdapter, abc.ABC):
    """A model reached only through its answers: turns prompts into decisions.

    Subclasses implement :meth:`decide` and :meth:`identity` (kind, name, where; never a secret). Those that
    score several prompts at once faster set ``batch_size`` and override :meth:`decide_batch`.
    ``max_concurrency`` is how many calls the auditor runs at the same time by default.

    :meth:`describe` (from :class:`~glassbox_jupyter.teacher.adapters.ModelAdapter`) is the identity plus
    ``"sha256"``: a black box has no weights to read, so it is named by the hash of its identity, computed
    afresh each time (the identity is small, and may change with the provider's settings).
    """

    kind = "provider"
    max_concurrency: int = 1
    batch_size: int = 1

    @abc.abstractmethod
    def decide(self, prompt: str, positive: str, negative: str) -> Decision:
        """The decision for one prompt."""

    def decide_batch(self, prompts: Sequence[str], positive: str, negative: str) -> list[Decision]:
        """Decisions for several prompts (one :meth:`decide` each unless overridden)."""
        return [self.decide(p, positive, negative) for p in prompts]

    @abc.abstractmethod
    def identity(self) -> dict[str, Any]:
        """JSON-ready description for provenance: kind, name, address. Never a key or token."""

    def redact(self, text: str) -> str:
        """``text`` with any secret this provider knows replaced (used on every error message it records)."""
        return text

    # ---------------------------------------------------------------- cancellation (Ctrl-C in the auditor)
    @property
    def cancelled(self) -> threading.Event:
        """Set by the auditor when the user interrupts: waits (e.g. retry back-off) end early."""
        event = self.__dict__.get("_cancelled")
        if not isinstance(event, threading.Event):
            event = self.__dict__["_cancelled"] = threading.Event()
        return event

    def __repr__(self) -> str:
        described = ", ".join(f"{k}={v!r}" for k, v in self.identity().items() if k != "kind")
        return f"{type(self).__name__}({described})"
