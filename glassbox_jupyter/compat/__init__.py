"""Compatibility with code written for Glassbox 2.0 (the ``glassbox-mech-interp`` package).

Its names, arguments and return shapes (dicts where it returned dicts), built on GlassBox's own engine: no
second implementation of any method. The native API (:class:`glassbox_jupyter.CircuitAnalyzer`, Findings)
stays the primary one; this layer translates calls and results.
"""
