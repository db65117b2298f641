"""Keys the server keeps for its users (an audited endpoint's API key), encrypted at rest.

A key is sent once (``POST /projects/{id}/endpoint-keys``) and never leaves the server again: no
answer, log line, job parameter or finding carries it. The database holds only its Fernet
ciphertext (AES-128-CBC with an HMAC-SHA256, from the ``cryptography`` package), so a copy of
the database alone does not reveal a key. The server's own key that encrypts them comes from
``$GLASSBOX_SECRET_KEY`` or, when that is unset, from ``secret.key`` in the data folder (made on
the first start, readable by its owner only); job workers read the same file.

Example:
    >>> import tempfile, pathlib
    >>> box = SecretBox.open(pathlib.Path(tempfile.mkdtemp()) / "secret.key")
    >>> box.decrypt(box.encrypt("sk-example")) == "sk-example"
    True
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

SECRET_ENV = "GLASSBOX_SECRET_KEY"


class SecretError(RuntimeError):
    """A stored key cannot be read back (the server's secret changed since it was stored)."""


class SecretBox:
    """Encrypts and decrypts the keys the server stores, with the server's own secret."""

    def __init__(self, secret: bytes):
        try:
            self._fernet = Fernet(secret)
        except ValueError as exc:
            raise SecretError(
                f"${SECRET_ENV} (or secret.key) must be 32 url-safe base64-encoded bytes; make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
            ) from exc

    @classmethod
    def open(cls, path: Path) -> SecretBox:
        """The box of ``$GLASSBOX_SECRET_KEY``, else of the file at ``path`` (created, mode 0600, if missing)."""
        env = os.environ.get(SECRET_ENV)
        if env:
            return cls(env.encode())
        path = Path(path)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretError(
                "a stored endpoint key cannot be decrypted: the server's secret (secret.key or "
                f"${SECRET_ENV}) changed since it was stored; store the key again"
            ) from exc
