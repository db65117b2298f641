"""OpenAIProvider: decisions from an OpenAI-compatible ``/chat/completions`` endpoint, politely and safely.

The API key is read from the environment variable you name, at each request; it is never stored on the
provider, and every error message is redacted before it is raised or recorded. Rate limits (429, honouring
``Retry-After``), server errors (5xx), timeouts and dropped connections are retried with exponential back-off
and jitter; a refused key (401/403) or a wrong address (404, unreachable host) stops at once with a clear
error. At most ``max_concurrency`` requests are in flight at any time, however many threads call it.

Example:
    >>> import os
    >>> os.environ["DEMO_KEY"] = "sk-not-a-real-key"
    >>> provider = OpenAIProvider("http://127.0.0.1:8000/v1", "my-model", api_key_env="DEMO_KEY")
    >>> provider.identity()["base_url"], "sk-not" in repr(provider)
    ('http://127.0.0.1:8000/v1', False)
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from email.utils import parsedate_to_datetime
from typing import Any

from glassbox_jupyter._version import __version__
from glassbox_jupyter.audit.answers import match_decision
from glassbox_jupyter.audit.errors import (
    MissingAPIKeyError,
    ProviderAuthError,
    ProviderCancelledError,
    ProviderHTTPError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from glassbox_jupyter.teacher.blackbox import Decision, Provider

#: The longest wait between retries, whatever the server's Retry-After says.
MAX_RETRY_WAIT = 60.0
EXCERPT = 200
_SECRET_NAME = re.compile(r"key|token|secret|passw|sig|auth", flags=re.IGNORECASE)
_SECRETISH = re.compile(r"(Bearer\s+)\S+|\bsk-[A-Za-z0-9_\-]{8,}", flags=re.IGNORECASE)


def retry_delay(attempt: int, retry_after: str | None, backoff: float, rng: random.Random) -> float:
    """Seconds to wait before retry ``attempt + 1``: the server's ``Retry-After`` (seconds or an HTTP date) when
    it sent one, else ``backoff × 2**attempt`` with ±50 % jitter; never more than :data:`MAX_RETRY_WAIT`.

    Example:
        >>> retry_delay(0, "2", 0.5, random.Random(0))
        2.0
        >>> 0.25 <= retry_delay(0, None, 0.5, random.Random(0)) <= 0.75
        True
    """
    wait = _parse_retry_after(retry_after)
    if wait is None:
        wait = backoff * 2**attempt * (0.5 + rng.random())
    return float(min(MAX_RETRY_WAIT, max(0.0, wait)))


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        from datetime import datetime, timezone

        return (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds()
    except (TypeError, ValueError):
        return None


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class OpenAIProvider(Provider):
    """Ask a chat model behind an OpenAI-compatible HTTP API; the decision is the expected word it answers with.

    Args:
        base_url: the API root, e.g. ``"https://api.openai.com/v1"`` or ``"http://127.0.0.1:8000/v1"``;
            requests go to ``{base_url}/chat/completions``.
        model: the model name sent with each request.
        api_key_env: name of the environment variable holding the key (``None``: send no key, for local servers).
        api_key: the key itself, for a caller that keeps keys elsewhere (the GlassBox server decrypts a
            stored key into it); it then replaces ``api_key_env``. In a notebook prefer ``api_key_env``, so
            the key never lands in the notebook. It is never part of ``identity()`` and is redacted from errors.
        timeout: seconds to wait for one response.
        max_retries: retries after a 429, a 5xx, a timeout or a dropped connection (``0``: none).
        backoff: first back-off in seconds (doubles each retry, ±50 % jitter) when no ``Retry-After`` is sent.
        max_concurrency: the most requests in flight at once.
        temperature: sampling temperature (0: as repeatable as the endpoint allows).
        max_tokens: cap on the answer's length (``None``: the endpoint's default).
        system_prompt: an optional system message sent before each prompt.
    """

    kind = "openai-compatible"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        api_key: str | None = None,
        timeout: float = 30,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_concurrency: int = 4,
        temperature: float = 0,
        max_tokens: int | None = None,
        system_prompt: str | None = None,
    ):
        parts = urllib.parse.urlsplit(str(base_url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL such as 'https://api.openai.com/v1', got {base_url!r}")
        secretish = [k for k, _ in urllib.parse.parse_qsl(parts.query) if _SECRET_NAME.search(k)]
        if parts.username or parts.password or secretish:
            raise ValueError(
                "base_url must not carry credentials (user:password@ or a key in the query string: "
                f"{', '.join(secretish) or 'userinfo'}); put the key in an environment variable and name it with "
                "api_key_env=..."
            )
        if max_concurrency < 1 or max_retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("max_concurrency must be >= 1, max_retries >= 0, timeout > 0 and backoff >= 0")
        self._parts = parts
        self.model = str(model)
        self.api_key_env = None if api_key is not None else api_key_env
        self.__key = api_key
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.max_concurrency = int(max_concurrency)
        self.temperature = float(temperature)
        self.max_tokens = max_tokens
        self.system_prompt = system_prompt
        self._slots = threading.BoundedSemaphore(self.max_concurrency)
        self._rng = random.Random()
        self._api_key()  # fail now, not after the first probe, when the variable is missing

    # ------------------------------------------------------------------ identity and secrets
    @property
    def base_url(self) -> str:
        """The API root without credentials, query or fragment (safe to print and to record)."""
        host = self._parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if self._parts.port:
            netloc += f":{self._parts.port}"
        return urllib.parse.urlunsplit((self._parts.scheme, netloc, self._parts.path.rstrip("/"), "", ""))

    @property
    def url(self) -> str:
        path = self._parts.path.rstrip("/") + "/chat/completions"
        return urllib.parse.urlunsplit((self._parts.scheme, self._parts.netloc, path, self._parts.query, ""))

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "base_url": self.base_url,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "system_prompt": self.system_prompt,
        }

    def _api_key(self) -> str | None:
        if self.__key is not None:
            return self.__key
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            name = self.api_key_env
            raise MissingAPIKeyError(
                f"the environment variable ${name} that should hold the API key is not set. Set it before starting "
                f"Jupyter (`export {name}=...`) or in the notebook with "
                f"`os.environ[{name!r}] = getpass.getpass()`; pass api_key_env=None for an endpoint without a key"
            )
        return key

    def redact(self, text: str) -> str:
        key = self.__key if self.__key is not None else os.environ.get(self.api_key_env) if self.api_key_env else None
        if key and len(key) >= 4:
            text = text.replace(key, "[redacted]")
        return _SECRETISH.sub(lambda m: (m.group(1) or "") + "[redacted]", text)

    def _excerpt(self, raw: bytes) -> str:
        return repr(self.redact(raw.decode("utf-8", errors="replace"))[:EXCERPT])

    # ------------------------------------------------------------------ requests
    def decide(self, prompt: str, positive: str, negative: str) -> Decision:
        answer = self.complete(prompt)
        return Decision(match_decision(answer, positive, negative), None, answer)

    def complete(self, prompt: str) -> str:
        """The model's text answer to ``prompt`` (retried as described in the class docstring)."""
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [*messages, {"role": "user", "content": prompt}],
            "temperature": self.temperature,
        }
        if self.max_tokens is not None:
            body["max_tokens"] = int(self.max_tokens)
        return self._content(self._post(json.dumps(body).encode("utf-8")))

    def _post(self, body: bytes) -> bytes:
        attempt = 0
        while True:
            if self.cancelled.is_set():
                raise ProviderCancelledError("the audit stopped before this request was sent")
            try:
                return self._send(body)
            except _Retryable as exc:
                if attempt >= self.max_retries:
                    tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                    raise ProviderUnavailableError(
                        f"{self.url} failed after {tries} ({exc.reason}); try again later, raise max_retries or "
                        "timeout, or lower max_concurrency"
                    ) from None
                if self.cancelled.wait(retry_delay(attempt, exc.retry_after, self.backoff, self._rng)):
                    raise ProviderCancelledError("the audit stopped while this request waited to be retried") from None
                attempt += 1

    def _auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry the key (a provider for another API, such as Anthropic's, overrides this)."""
        return {"Authorization": f"Bearer {key}"}

    def _send(self, body: bytes) -> bytes:
        headers = {"Content-Type": "application/json", "User-Agent": f"glassbox-jupyter/{__version__}"}
        key = self._api_key()
        if key is not None:
            headers.update(self._auth_headers(key))
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with self._slots:
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as exc:
                self._http_error(exc)
            except TimeoutError:
                raise _Retryable(f"no response within {self.timeout:g} s") from None
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                    raise _Retryable(f"no response within {self.timeout:g} s") from None
                raise ProviderHTTPError(
                    f"could not reach {self.base_url}: {self.redact(str(exc.reason))}; check base_url and that the "
                    "server is running"
                ) from None
            except (ConnectionError, http.client.HTTPException) as exc:
                raise _Retryable(f"connection dropped: {type(exc).__name__}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _http_error(self, exc: urllib.error.HTTPError) -> None:
        status = exc.code
        try:
            raw = exc.read()
        except (OSError, http.client.HTTPException):
            raw = b""
        if status == 429 or 500 <= status < 600:
            raise _Retryable(f"HTTP {status}", exc.headers.get("Retry-After") if exc.headers else None) from None
        if status in (401, 403):
            where = (
                "the key given"
                if self.__key is not None
                else f"the key in ${self.api_key_env}"
                if self.api_key_env
                else "the request without a key"
            )
            raise ProviderAuthError(
                f"{where} was refused by {self.base_url} (HTTP {status}); check the key, or that it may use "
                f"model {self.model!r}"
            ) from None
        hint = "; check base_url (it usually ends in /v1)" if status == 404 else ""
        raise ProviderHTTPError(
            f"{self.url} answered HTTP {status}: {self._excerpt(raw)}{hint}", status=status
        ) from None

    def _content(self, raw: bytes) -> str:
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProviderResponseError(f"{self.url} returned a body that is not JSON: {self._excerpt(raw)}") from None
        try:
            message = data["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise ProviderResponseError(
                f"{self.url} returned JSON without choices[0].message: {self._excerpt(raw)}"
            ) from None
        content = message.get("content") if isinstance(message, dict) else None
        if content is None and isinstance(message, dict) and isinstance(message.get("refusal"), str):
            return message["refusal"]  # a refusal is an answer; it will count as unparsed
        if not isinstance(content, str):
            raise ProviderResponseError(
                f"{self.url} returned no text in choices[0].message.content: {self._excerpt(raw)}"
            )
        return content
