"""Seeded scripts that train the shipped demo models again: ``python -m glassbox_jupyter.demos.training.<name>``."""
