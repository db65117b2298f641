"""``glassbox.sae_attribution``: Glassbox 2.0's SAE feature attribution API (:mod:`glassbox_jupyter.compat.v2_sae`).

``SAEFeatureAttributor`` here is Glassbox 2.0's (``attribute(tokens, target, distractor, layers=[...])``,
``attribute_circuit_heads(circuit, ...)``, dicts; the SAEs are passed as ``sae=``), the same class as
``glassbox.SAEFeatureAttributor``, which also takes GlassBox's own calls (``SAEFeatureAttributor(model, sae)``,
``attribute(prompts, top_k)``, ``circuit_scoped(...)``, answered by :mod:`glassbox_jupyter.circuits.sae`). Every
other name of that native module is reachable here too.

Example:
    >>> from glassbox.sae_attribution import SAEFeatureAttributor
    >>> SAEFeatureAttributor.__module__
    'glassbox_jupyter.compat.v2_sae'
"""

from typing import Any

import glassbox_jupyter.circuits.sae as _native
from glassbox_jupyter.compat.v2_sae import SAEFeatureAttributor

__all__ = ["SAEFeatureAttributor"]


def __getattr__(name: str) -> Any:
    return getattr(_native, name)
