"""Findings displayed in this kernel, remembered (weakly) so ``%glassbox export`` uses their final state.

A widget click changes a Finding after its output was written; exporting from inside the kernel
re-renders each remembered Finding with its current selection instead of the stale output.

Example:
    >>> from glassbox_jupyter.report.live import live_findings
    >>> isinstance(live_findings(), dict)
    True
"""

from __future__ import annotations

import weakref
from typing import Any

_LIVE: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def remember(finding: Any, data: dict[str, Any]) -> None:
    """Note that ``finding`` (whose JSON is ``data``) was displayed."""
    from glassbox_jupyter.report.notebook import finding_key

    try:
        _LIVE[finding_key(data)] = finding
    except TypeError:  # objects without weakref support are simply not tracked
        pass


def live_findings() -> dict[str, Any]:
    """Displayed Findings still alive in this process, by :func:`~glassbox_jupyter.report.notebook.finding_key`."""
    return dict(_LIVE.items())
