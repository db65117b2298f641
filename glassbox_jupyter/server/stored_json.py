"""Answering with JSON the server already holds as text, without parsing and re-validating it.

A Finding's JSON and a report version's JSON are stored once and never change, so a read can
splice the stored text into its answer instead of parsing it into Python objects and encoding them
again (which was most of a read's work). The answer is the same JSON the response model documents.

Example:
    >>> json_answer(spliced_text({"id": "a1"}, finding='{"kind": "rules"}')).body
    b'{"id":"a1","finding":{"kind": "rules"}}'
    >>> version_parts("v1", '{"report": {"missing": [], "status": {}}, "finding_ids": ["f"]}').finding_ids
    ['f']
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Response
from fastapi.encoders import jsonable_encoder


def _head(fields: dict[str, Any]) -> str:
    return json.dumps(jsonable_encoder(fields), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def spliced_text(fields: dict[str, Any], **stored: str) -> str:
    """``fields`` as a JSON object, then each ``stored`` JSON text under its name, unparsed."""
    head = _head(fields)
    tail = "".join(f",{json.dumps(name)}:{text}" for name, text in stored.items())
    return head[:-1] + tail + "}" if len(head) > 2 else "{" + tail[1:] + "}"


def json_answer(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response of JSON already encoded (by ``spliced_text``)."""
    return Response(text.encode("utf-8"), status_code=status, media_type="application/json", headers=headers)


def spliced_list(items: list[str]) -> Response:
    """A JSON array of objects already encoded by ``spliced_text``."""
    return json_answer("[" + ",".join(items) + "]")


@dataclass(frozen=True)
class VersionParts:
    """What a report's answer needs from one stored version: the report's JSON text, its missing
    fields and status counts, and the Findings filed in it."""

    report_text: str
    missing: list[str]
    status: dict[str, int]
    finding_ids: list[str]


@functools.lru_cache(maxsize=512)
def version_parts(version_id: str, body: str) -> VersionParts:
    """The parts of a stored version's body, parsed once per process (a version never changes; the
    body is part of the key, so a cached entry can never be served for other text)."""
    data = json.loads(body)
    report = data["report"]
    return VersionParts(
        json.dumps(report, ensure_ascii=False, separators=(",", ":")),
        list(report["missing"]),
        dict(report["status"]),
        list(data["finding_ids"]),
    )
