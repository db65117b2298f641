"""Findings displayed in this process, remembered weakly so an export uses their final state.

A widget click changes a Finding after its output was written; exporting from inside the kernel
re-renders each remembered Finding with its current selection instead of the stale output.

Example:
    >>> data = {"kind": "rules", "provenance": {"teacher_hash": "ab", "created": "2026-01-01", "seed": 0}}
    >>> finding_key(data)
    'rules|ab|2026-01-01|0'
    >>> isinstance(live_findings(), dict)
    True
"""

from __future__ import annotations

import weakref
from typing import Any

_LIVE: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def finding_key(data: dict[str, Any]) -> str:
    """Identity of a Finding across displays (from its JSON): kind, model hash, creation time and seed."""
    prov = data.get("provenance", {})
    return f"{data.get('kind')}|{prov.get('teacher_hash')}|{prov.get('created')}|{prov.get('seed')}"


def remember(finding: object, data: dict[str, Any]) -> None:
    """Note that ``finding`` (whose JSON is ``data``) was displayed."""
    try:
        _LIVE[finding_key(data)] = finding
    except TypeError:  # objects without weakref support are simply not tracked
        pass


def live_findings() -> dict[str, Any]:
    """Displayed Findings still alive in this process, by :func:`finding_key`."""
    return dict(_LIVE.items())
