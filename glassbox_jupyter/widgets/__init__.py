"""anywidget views of Findings. Built JS lives in ``glassbox_jupyter/static/`` (generated)."""

from glassbox_jupyter.widgets.base import GlassboxWidget

__all__ = ["GlassboxWidget"]
