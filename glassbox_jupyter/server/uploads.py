"""Reading an uploaded file into memory, refusing it (413) as soon as it passes the server's limit.

The upload is read in chunks of ``CHUNK`` bytes, so an oversized one is refused after at most one
chunk past the limit, not after all of it arrived (``tests/server/test_datasets.py`` checks the 413).

Example:
    >>> CHUNK // 1024, "KiB per read"
    (1024, 'KiB per read')
"""

from __future__ import annotations

from fastapi import HTTPException, UploadFile

CHUNK = 1 << 20


async def read_upload(file: UploadFile, max_mb: float) -> bytes:
    """The upload's bytes; HTTP 413 naming the limit when it is larger than ``max_mb`` megabytes."""
    limit = int(max_mb * (1 << 20))
    data = bytearray()
    while chunk := await file.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise HTTPException(413, f"{file.filename} is over the server's upload limit of {max_mb:g} MB")
    return bytes(data)
