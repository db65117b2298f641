"""Glassbox 2.0's ``glassbox.audit``: ``BlackBoxAuditor(model_provider=..., model_name=..., api_key=...)`` and
``auditor.audit(decision_prompt=..., expected_positive=..., expected_negative=..., context_variables={...})``
returning its dict, run by GlassBox's own :class:`~glassbox_jupyter.audit.BlackBoxAuditor`.

The prompt and values are translated as :mod:`glassbox_jupyter.compat.audit_values` describes. The audit then
asks ``n_contexts`` base contexts (every variable at one of its values), each variable swapped alone to each of
its other values, and ``n_rephrases`` rewordings, and the dict is read off the native finding
(``auditor.finding_``, also in the dict as ``"glassbox_finding"``, its JSON):

- ``attributions[v]``: the share of v's single-variable swaps that flip the decision (its flip rate);
- ``counterfactual_probes``: per variable, the swap between its value in the prompt and its counterfactual;
  ``causal_impact`` is the share of those swaps (either way, over the contexts where one was asked) that flipped
  the decision, ``output_changed`` whether that share is at least one half (both ``None`` when none was asked);
- ``sensitivity_by_variable[v]``: ``4·p·(1 − p)`` for the share ``p`` of positive decisions across v's values in
  one context (1 when half go each way, 0 when v never matters), averaged over contexts (``mlp_attributions``),
  with ``direction`` the majority decision and the flip rate's CI;
- ``consistency_score``: the share of base contexts where every wording gets the same decision (``None`` with
  ``n_rephrases=0``);
- ``faithfulness``: ``sufficiency`` = mean sensitivity, ``comprehensiveness`` = consistency, ``f1`` their harmonic
  mean, ``category`` from :func:`faithfulness_category`, ``suff_is_approx`` True (behavioural proxies, not
  causal measurements of a mechanism);
- ``circuit``: the variables whose flip-rate CI lies above 0 (GlassBox's test), most flips first;
  ``top_heads`` lists every variable as ``{"layer": 0, "head": 0, "variable", "attr", "rel_depth": 0.0}`` (no
  layers in a black box); ``clean_ld`` the mean attribution;
- ``total_api_calls``: decisions asked of the model (retries of one request not counted).

Example:
    >>> auditor = BlackBoxAuditor(ModelProvider.CUSTOM, "rule", http_fn=lambda p, s: (
    ...     "approved" if "score of 7" in p else "denied"), rate_limit_rps=1000)
    >>> result = auditor.audit("Credit score of 620; the loan should be", "approved", "denied",
    ...                        context_variables={"credit_score": 620})
    >>> result["circuit"], result["attributions"]["credit_score"] > 0
    (['credit_score'], True)
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from glassbox_jupyter._version import __version__
from glassbox_jupyter.audit import BlackBoxAuditor as NativeAuditor
from glassbox_jupyter.audit import CallableProvider, MissingAPIKeyError, OpenAIProvider
from glassbox_jupyter.audit.anthropic_provider import AnthropicProvider
from glassbox_jupyter.audit.errors import AuditInputError
from glassbox_jupyter.audit.templates import default_paraphrases
from glassbox_jupyter.compat.audit_result import faithfulness_category, result_dict
from glassbox_jupyter.compat.audit_values import literal_template, uses_placeholders, values_to_try
from glassbox_jupyter.teacher.blackbox import Decision, Provider

__all__ = ["BlackBoxAuditor", "ModelProvider", "faithfulness_category"]

logger = logging.getLogger(__name__)


class ModelProvider(str, Enum):
    """Where the audited model is served (the values of Glassbox 2.0, plus ``LOCAL``)."""

    OPENAI = "openai"  # api.openai.com, or any OpenAI-compatible base_url
    ANTHROPIC = "anthropic"  # the Anthropic Messages API
    TOGETHER = "together"  # api.together.xyz (OpenAI-compatible)
    GROQ = "groq"  # api.groq.com (OpenAI-compatible)
    AZURE = "azure"  # an Azure OpenAI deployment's URL in base_url
    CUSTOM = "custom"  # your own http_fn(prompt, system) -> str
    LOCAL = "local"  # an OpenAI-compatible server at base_url (vLLM, llama.cpp, Ollama, glassbox's own); key optional


_ROOTS = {
    ModelProvider.OPENAI: "https://api.openai.com/v1",
    ModelProvider.ANTHROPIC: "https://api.anthropic.com/v1",
    ModelProvider.TOGETHER: "https://api.together.xyz/v1",
    ModelProvider.GROQ: "https://api.groq.com/openai/v1",
}
_KEY_ENV = {
    ModelProvider.OPENAI: "OPENAI_API_KEY",
    ModelProvider.ANTHROPIC: "ANTHROPIC_API_KEY",
    ModelProvider.TOGETHER: "TOGETHER_API_KEY",
    ModelProvider.GROQ: "GROQ_API_KEY",
    ModelProvider.AZURE: "AZURE_OPENAI_API_KEY",
}


def _provider_value(model_provider: Any) -> ModelProvider:
    try:
        return ModelProvider(model_provider.value if isinstance(model_provider, Enum) else model_provider)
    except ValueError:
        known = ", ".join(f"ModelProvider.{p.name} ({p.value!r})" for p in ModelProvider)
        raise ValueError(f"unknown model_provider {model_provider!r}; use one of {known}") from None


def _api_root(url: str, suffix: str) -> str:
    """Glassbox 2.0 took the full endpoint URL; GlassBox's providers take the API root they append to."""
    trimmed = url.rstrip("/")
    return trimmed[: -len(suffix)] if trimmed.endswith(suffix) else trimmed


class _Paced(Provider):
    """A provider that starts calls at most ``rate`` per second and counts them."""

    def __init__(self, inner: Provider, rate: float, verbose: bool):
        self.inner, self.interval, self.verbose = inner, 1.0 / max(rate, 0.1), verbose
        self.max_concurrency = inner.max_concurrency
        self.calls = 0
        self._lock = threading.Lock()
        self._next = 0.0

    def decide(self, prompt: str, positive: str, negative: str) -> Decision:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
            self.calls += 1
            number = self.calls
        if start > now:
            time.sleep(start - now)
        if self.verbose:
            logger.info("[call %d] %s", number, self.redact(prompt[:80]))
        return self.inner.decide(prompt, positive, negative)

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def redact(self, text: str) -> str:
        return self.inner.redact(text)

    @property
    def cancelled(self) -> threading.Event:
        return self.inner.cancelled


class BlackBoxAuditor:
    """Glassbox 2.0's black-box auditor (see the module docstring for what each number means).

    Args:
        model_provider: a :class:`ModelProvider` (or its value, ``"openai"``).
        model_name: the model name sent with each request.
        api_key: the key; empty reads the provider's usual variable (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``,
            ``TOGETHER_API_KEY``, ``GROQ_API_KEY``, ``AZURE_OPENAI_API_KEY``). Kept private and redacted from
            every error, log line and result. ``LOCAL`` needs none.
        base_url: the endpoint (``.../v1/chat/completions`` or ``.../v1/messages`` as in Glassbox 2.0, or the API
            root ``.../v1``); required for ``AZURE`` and ``LOCAL``.
        http_fn: for ``CUSTOM``, ``http_fn(prompt, system) -> str``.
        max_tokens, temperature: sent with each request.
        rate_limit_rps: the most calls started per second.
        verbose: log each call.
        max_retries, max_concurrency: as for :class:`~glassbox_jupyter.audit.OpenAIProvider`.
        seed: seeds the base contexts and every bootstrap.
    """

    def __init__(
        self,
        model_provider: ModelProvider | str = ModelProvider.OPENAI,
        model_name: str = "gpt-4",
        api_key: str = "",
        base_url: str = "",
        http_fn: Callable[[str, str], str] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        rate_limit_rps: float = 2.0,
        verbose: bool = False,
        *,
        max_retries: int = 5,
        max_concurrency: int = 4,
        seed: int = 0,
    ):
        self.model_provider = _provider_value(model_provider)
        self.model_name = str(model_name)
        self.base_url = str(base_url or "")
        self.http_fn = http_fn
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.rate_limit_rps = float(rate_limit_rps)
        self.verbose = bool(verbose)
        self.max_retries = int(max_retries)
        self.max_concurrency = int(max_concurrency)
        self.seed = int(seed)
        kind = self.model_provider
        if kind is ModelProvider.CUSTOM and not callable(http_fn):
            raise ValueError("ModelProvider.CUSTOM needs http_fn=, a function http_fn(prompt, system) -> str")
        if kind in (ModelProvider.AZURE, ModelProvider.LOCAL) and not self.base_url:
            raise ValueError(f"ModelProvider.{kind.name} needs base_url=, the endpoint's URL")
        env = _KEY_ENV.get(kind)
        self.__key = api_key or (os.environ.get(env) if env else None) or None
        if self.__key is None and env is not None:
            raise MissingAPIKeyError(
                f"ModelProvider.{kind.name} needs an API key: pass api_key=... or set ${env} "
                f"(`export {env}=...`, or `os.environ[{env!r}] = getpass.getpass()` in a notebook)"
            )
        self.finding_: Any = None
        self._provider(None)  # a bad base_url fails now, not at the first probe

    def __repr__(self) -> str:
        return f"BlackBoxAuditor(model_provider={self.model_provider}, model_name={self.model_name!r})"

    def _provider(self, system_prompt: str | None) -> Provider:
        kind = self.model_provider
        if kind is ModelProvider.CUSTOM:
            http_fn = self.http_fn
            assert http_fn is not None
            name = getattr(http_fn, "__qualname__", "http_fn")
            return CallableProvider(lambda prompt: http_fn(prompt, system_prompt or ""), name=name)
        options: dict[str, Any] = {
            "api_key": self.__key,
            "api_key_env": None,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "system_prompt": system_prompt or None,
            "max_retries": self.max_retries,
            "max_concurrency": self.max_concurrency,
        }
        if kind is ModelProvider.ANTHROPIC:
            root = _api_root(self.base_url or _ROOTS[kind], "/messages")
            return AnthropicProvider(root, self.model_name, **options)
        root = _api_root(self.base_url or _ROOTS.get(kind, ""), "/chat/completions")
        return OpenAIProvider(root, self.model_name, **options)

    def audit(
        self,
        decision_prompt: str,
        expected_positive: str,
        expected_negative: str,
        context_variables: Mapping[str, Any] | None = None,
        n_rephrases: int = 3,
        n_sensitivity_steps: int = 5,
        system_prompt: str = "You are a decision-making AI system. Respond concisely.",
        *,
        n_contexts: int = 20,
        n_boot: int = 1000,
    ) -> dict[str, Any]:
        """Audit the model's decision and return Glassbox 2.0's result dict (see the module docstring).

        Args:
            decision_prompt: the prompt, with the variables' values written in it (or ``{name}`` placeholders).
            expected_positive, expected_negative: the two decision words (``"approved"``, ``"denied"``).
            context_variables: ``{name: value in the prompt}`` (or ``{name: [values]}``, the first in the prompt).
            n_rephrases: rewordings asked in every context (at most 3: GlassBox's default paraphrases).
            n_sensitivity_steps: values per numeric variable.
            system_prompt: the system message sent with each prompt.
            n_contexts: base contexts asked (fewer calls when lower; at least 2).
            n_boot: bootstrap resamples per CI.
        """
        variables = dict(context_variables or {})
        if not variables:
            raise AuditInputError(
                "context_variables is empty: name at least one value written in decision_prompt, e.g. "
                "{'credit_score': 620}, so that it can be varied (GlassBox measures what changing it does)"
            )
        originals = {k: (v[0] if isinstance(v, (list, tuple)) and v else v) for k, v in variables.items()}
        tries: dict[str, tuple[list[Any], Any]] = {}
        skipped = []
        for name, value in variables.items():
            found = values_to_try(name, value, n_sensitivity_steps)
            if found is None:
                skipped.append(name)  # an arbitrary string: nothing to swap it with
            else:
                tries[name] = found
        if uses_placeholders(decision_prompt, list(variables)):
            template = decision_prompt
        else:
            template, _, missing = literal_template(decision_prompt, {k: originals[k] for k in tries})
            skipped += missing
            tries = {k: v for k, v in tries.items() if k not in missing}
        if not tries:
            raise AuditInputError(
                f"none of the context variables {list(variables)} can be varied: each value must be written in "
                "decision_prompt (e.g. 'credit score of 620' for {'credit_score': 620}) and be a number, a bool, a "
                "word with an opposite (yes/no, high/low, ...) or a list of values to try"
            )
        paraphrases = dict(default_paraphrases(template)[: max(0, int(n_rephrases))])
        paced = _Paced(self._provider(system_prompt), self.rate_limit_rps, self.verbose)
        finding = NativeAuditor(paced, seed=self.seed, progress=False).audit(
            template,
            expected_positive,
            expected_negative,
            context_variables={k: v for k, (v, _) in tries.items()},
            paraphrases=paraphrases,
            n_contexts=n_contexts,
            n_boot=n_boot,
        )
        self.finding_ = finding
        return result_dict(
            finding,
            tries,
            skipped=skipped,
            prompt=decision_prompt,
            calls=paced.calls,
            metadata={
                "model_name": self.model_name,
                "provider": self.model_provider.value,
                "n_layers": None,
                "n_heads": None,
                "d_model": None,
                "d_head": None,
                "glassbox_version": __version__,
            },
        )
