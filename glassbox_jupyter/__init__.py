"""GlassBox for Jupyter: readable, fidelity-measured explanations of neural networks.

Importing the package is cheap: heavy libraries (torch, scikit-learn, transformer_lens, pyoperon)
load only when a name that needs them is first used. The public names are listed once, in
``__init__.pyi``; ``lazy_loader`` reads that stub at run time, and type checkers read it too.

Example:
    >>> import glassbox
    >>> teacher = glassbox.demos.load("friedman_mlp")
    >>> probes = glassbox.Probe(teacher, n=256, method="sobol", seed=0).run()
    >>> probes.X.shape
    (256, 5)
"""

from __future__ import annotations

import lazy_loader

from glassbox_jupyter._version import __version__ as __version__  # re-exported

# A function named like its module (``response``, ``distill``) stays the function after the module is
# imported: lazy_loader guards those names.
__getattr__, __dir__, _stub_names = lazy_loader.attach_stub(__name__, __file__)
__all__ = sorted({*_stub_names, "__version__", "load_ipython_extension", "unload_ipython_extension"})


def load_ipython_extension(ipython: object) -> None:
    """Register the ``%glassbox`` magics (``%load_ext glassbox``)."""
    from glassbox_jupyter.magics import register

    register(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """Forget the magics' configurable state (``%unload_ext glassbox``)."""
    from glassbox_jupyter.magics import unregister

    unregister(ipython)
