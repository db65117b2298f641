"""``glassbox``: a thin alias of :mod:`glassbox_jupyter` so ``import glassbox`` and
``%load_ext glassbox`` work.

Example:
    >>> import glassbox, glassbox_jupyter
    >>> glassbox.Teacher is glassbox_jupyter.Teacher
    True
"""

from __future__ import annotations

from typing import Any

import glassbox_jupyter as _package
from glassbox_jupyter import (  # noqa: F401 - re-exported
    __all__,
    __version__,
    load_ipython_extension,
    unload_ipython_extension,
)


def __getattr__(name: str) -> Any:
    return getattr(_package, name)


def __dir__() -> list[str]:
    return dir(_package)


__all__ = list(__all__)  # the same public surface as glassbox_jupyter
