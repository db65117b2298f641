"""``glassbox.composition``: Glassbox 2.0's head-composition API (:mod:`glassbox_jupyter.compat.v2_composition`).

``HeadCompositionAnalyzer`` here is Glassbox 2.0's (``q_composition_score(...)``, ``composition_matrix(...)``,
dicts), the same class as ``glassbox.HeadCompositionAnalyzer``, which also answers GlassBox's own calls
(``scores(kind)``, ``for_circuit(circuit)``) through :mod:`glassbox_jupyter.circuits.composition`. Every other
name of that native module is reachable here too.

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
