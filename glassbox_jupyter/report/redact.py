"""Redaction of secrets (API keys, bearer tokens) from anything a report exports.

Patterns: OpenAI-style ``sk-…`` keys, ``Bearer <token>``, ``api_key = …``-style assignments, and the
values of environment variables whose names say they hold a secret (``*KEY*``, ``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*``) when they are set where the export runs.

Example:
    >>> redact("key is sk-abcdefghijklmnopqrstuvwx")
    'key is [REDACTED]'
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

REDACTED = "[REDACTED]"
_PATTERNS = (
    re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9_\-\.=]{12,}"),
    re.compile(r"(?i)\b(api[_-]?key|access[_-]?token|secret)\b(\s*[:=]\s*)(['\"]?)[^\s'\"<>,]{8,}\3"),
    re.compile(r"\b(?:ghp|gho|hf|xox[bp])_[A-Za-z0-9]{16,}"),
)
_SECRET_NAME = re.compile(r"(?i)(KEY|TOKEN|SECRET|PASSWORD)")


def secret_values() -> list[str]:
    """Values of secret-looking environment variables (8+ characters) set in this process."""
    return sorted(
        {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 8 and not v.isdigit()},
        key=len,
        reverse=True,
    )


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``."""
    for value in secret_values():
        text = text.replace(value, REDACTED)
    for i, pattern in enumerate(_PATTERNS):
        if i == 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def count_redactions(before: str, after: str) -> int:
    """How many secrets were replaced (for the report's notes)."""
    return after.count(REDACTED) - before.count(REDACTED)


def redact_notebook(nb: NotebookNode) -> NotebookNode:
    """Redact secrets from every text output of notebook node ``nb`` (in place; returns it)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = redact(_joined(output["text"]))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith(("+xml", "javascript")):
                    output["data"][mime] = redact(_joined(value))
            if "evalue" in output:
                output["evalue"] = redact(output["evalue"])
    return nb


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
