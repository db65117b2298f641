"""Readable twin (HuReTEx): activation clusters per layer → rough-set flow graph → confident prediction paths.

The pieces, one job each (heavy libraries are imported inside functions, so importing this package is cheap):

- :mod:`~glassbox_jupyter.teacher.layers` (shared with neuron graphs): layer activations via forward hooks.
- :mod:`~glassbox_jupyter.twin.clustering`: one clusterer per layer (Ward, BIRCH or k-means; per-filter for conv).
- :mod:`~glassbox_jupyter.twin.flowgraph`: the sequential information system and Pawlak's flow graph.
- :mod:`~glassbox_jupyter.twin.paths`: t-norm path fitness, exact k-best search and the evolutionary search.

Example
-------
>>> from glassbox_jupyter.twin.flowgraph import flow_graph, information_system
>>> import numpy as np
>>> sis = information_system({"fc1": np.array([0, 0, 1])}, predicted=np.array([1, 1, 0]))
>>> sorted(flow_graph(sis).edges)
[('fc1:0', 'class:1'), ('fc1:1', 'class:0')]
"""
