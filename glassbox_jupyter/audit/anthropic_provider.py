"""AnthropicProvider: decisions from the Anthropic Messages API (``POST {base_url}/messages``).

The same machinery as :class:`~glassbox_jupyter.audit.endpoint.OpenAIProvider` (retries with back-off on 429 and
5xx, honouring ``Retry-After``; a refused key stops at once; at most ``max_concurrency`` requests in flight; the
key read at each request and redacted from every message); only the request and the answer differ: the key goes
in ``x-api-key`` with an ``anthropic-version`` header, the system prompt is a top-level field, ``max_tokens`` is
required, and the answer is the text of the response's content blocks.

Example:
    >>> import os
    >>> os.environ["DEMO_ANTHROPIC_KEY"] = "sk-ant-not-a-real-key"
    >>> provider = AnthropicProvider("http://127.0.0.1:8000/v1", "claude-demo", api_key_env="DEMO_ANTHROPIC_KEY")
    >>> provider.url, "not-a-real" in repr(provider)
    ('http://127.0.0.1:8000/v1/messages', False)
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from glassbox_jupyter.audit.endpoint import OpenAIProvider
from glassbox_jupyter.audit.errors import ProviderResponseError

#: The API version sent in the ``anthropic-version`` header.
ANTHROPIC_VERSION = "2023-06-01"


class AnthropicProvider(OpenAIProvider):
    """Ask a model behind the Anthropic Messages API; the decision is the expected word it answers with.

    Args:
        base_url: the API root, e.g. ``"https://api.anthropic.com/v1"``; requests go to ``{base_url}/messages``.
        model: the model name sent with each request.
        api_key_env: name of the environment variable holding the key (default ``ANTHROPIC_API_KEY``).
        api_key: the key itself (replaces ``api_key_env``; never recorded, redacted from errors).
        max_tokens: cap on the answer's length (the Messages API requires one; default 64).
        anthropic_version: the ``anthropic-version`` header.
        **options: ``timeout``, ``max_retries``, ``backoff``, ``max_concurrency``, ``temperature`` and
            ``system_prompt``, as for :class:`~glassbox_jupyter.audit.endpoint.OpenAIProvider`.
    """

    kind = "anthropic"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "ANTHROPIC_API_KEY",
        api_key: str | None = None,
        max_tokens: int = 64,
        anthropic_version: str = ANTHROPIC_VERSION,
        **options: Any,
    ):
        if int(max_tokens) < 1:
            raise ValueError(f"max_tokens must be at least 1 (the Messages API requires it), got {max_tokens}")
        super().__init__(
            base_url, model, api_key_env=api_key_env, api_key=api_key, max_tokens=int(max_tokens), **options
        )
        self.anthropic_version = str(anthropic_version)

    @property
    def url(self) -> str:
        path = self._parts.path.rstrip("/") + "/messages"
        return urllib.parse.urlunsplit((self._parts.scheme, self._parts.netloc, path, self._parts.query, ""))

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "anthropic_version": self.anthropic_version}

    def _auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key, "anthropic-version": self.anthropic_version}

    def complete(self, prompt: str) -> str:
        """The model's text answer to ``prompt`` (its text content blocks joined)."""
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": int(self.max_tokens or 64),
            "messages": [{"role": "user", "content": prompt}],
            "temperature": self.temperature,
        }
        if self.system_prompt:
            body["system"] = self.system_prompt
        return self._content(self._post(json.dumps(body).encode("utf-8")))

    def _content(self, raw: bytes) -> str:
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProviderResponseError(f"{self.url} returned a body that is not JSON: {self._excerpt(raw)}") from None
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise ProviderResponseError(f"{self.url} returned JSON without a content list: {self._excerpt(raw)}")
        texts = [b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text" and "text" in b]
        if not texts and data.get("stop_reason") != "refusal":
            raise ProviderResponseError(f"{self.url} returned no text content block: {self._excerpt(raw)}")
        return "".join(str(t) for t in texts)  # a refusal without text is an answer that will count as unparsed
