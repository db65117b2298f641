"""Reading an uploaded file into memory, refusing it (413) as soon as it passes the server's limit.

Example:
    >>> import asyncio, io
    >>> from starlette.datastructures import UploadFile
    >>> asyncio.run(read_upload(UploadFile(io.BytesIO(b"abc"), filename="a.csv"), 1.0))
    b'abc'
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
