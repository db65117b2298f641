"""API tokens: made at random, shown once, stored only as their SHA-256.

A token carries 256 bits of randomness, so a plain SHA-256 (no salt, no slow hash) is enough to
make a stolen database useless for logging in, and lets a request find its token by one index
lookup. Tokens start with ``gbx_`` so secret scanners can spot a leaked one.

Example:
    >>> token = new_token()
    >>> token.startswith("gbx_") and len(token_hash(token)) == 64
    True
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "gbx_"


def new_token() -> str:
    """A fresh API token (``gbx_`` + 43 URL-safe characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
