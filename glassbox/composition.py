"""``glassbox.composition``: Glassbox 2.0's head-composition API (:mod:`glassbox_jupyter.compat.v2_composition`).

``HeadCompositionAnalyzer`` here is Glassbox 2.0's (``q_composition_score(...)``, ``composition_matrix(...)``,
dicts); GlassBox's own analyzer (``scores(kind)``, ``for_circuit(circuit)``) stays at
``glassbox.HeadCompositionAnalyzer`` and ``glassbox_jupyter.circuits.composition``. Every other name of that
native module is reachable here too.

Example:
    >>> from glassbox.composition import HeadCompositionAnalyzer
    >>> HeadCompositionAnalyzer.__module__
    'glassbox_jupyter.compat.v2_composition'
"""

from typing import Any

import glassbox_jupyter.circuits.composition as _native
from glassbox_jupyter.compat.v2_composition import HeadCompositionAnalyzer

__all__ = ["HeadCompositionAnalyzer"]


def __getattr__(name: str) -> Any:
    return getattr(_native, name)
