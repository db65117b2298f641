"""Binary artifacts (model files, SVG views, PDFs) in a content-addressed folder.

A file is named by the SHA-256 of its bytes (``ab/abcdef…``), never by a name a user chose, so no
upload can reach outside the folder or overwrite another. A write goes to a temporary file in the
same folder, is flushed to disk, then renamed into place: a crash leaves either the whole file or
none, never half of one under its final name.

Example:
    >>> import tempfile
    >>> store = ArtifactStore(tempfile.mkdtemp())
    >>> sha = store.put(b"<svg/>")
    >>> store.read(sha)
    b'<svg/>'
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArtifactStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 artifact name: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 (storing the same bytes twice keeps one file)."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
