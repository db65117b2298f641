"""Display bundles: the static view always, the live widget when a kernel can render it.

Front ends that can render the widget (JupyterLab with a kernel) show it; exports and GitHub fall back
to the static SVG. JupyterLab itself never falls back: a notebook reopened there shows the widget from
the state saved in the notebook (GlassBox turns widget-state saving on by default, see DEVELOPERS.md).
The Finding's JSON travels in the same bundle under :data:`~glassbox_jupyter.finding.mime.FINDING_MIME`.

Example:
    >>> bundle = display_bundle("<Finding>", "<svg></svg>", payload={"kind": "rules"})
    >>> sorted(bundle)
    ['application/vnd.glassbox.finding+json', 'text/html', 'text/plain']
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from glassbox_jupyter.finding.mime import FINDING_MIME


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can render), False in scripts and terminals."""
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return False
    shell = ipython_module.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def display_bundle(
    plain: str,
    static_html: str,
    widget_factory: Callable[[], Any] | None = None,
    payload: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Mime bundle with the static view, the Finding's JSON when given, and the live widget when a factory is."""
    bundle: dict[str, Any] = {"text/plain": plain, "text/html": static_html}
    if payload is not None:
        bundle[FINDING_MIME] = payload
    if widget_factory is not None:
        live = anywidget_bundle(widget_factory())
        bundle.update({k: v for k, v in live.items() if k != "text/plain"})
    return bundle


def anywidget_bundle(widget: Any) -> dict[str, Any]:
    """The ipywidgets mime bundle of ``widget`` (without GlassBox's static additions)."""
    import anywidget

    live = anywidget.AnyWidget._repr_mimebundle_(widget)
    bundle: dict[str, Any] = live[0] if isinstance(live, tuple) else (live or {})
    return bundle
