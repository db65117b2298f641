import numpy as np
import pytest

from glassbox_jupyter.neurons.build import neuron_graph, split_samples
from glassbox_jupyter.neurons.errors import NeuronSelectionError
from glassbox_jupyter.neurons.selection import select_neurons, standardise

from .conftest import SENTENCES

VALUES = np.random.default_rng(0).normal(size=(200, 8)) * np.array([1, 6, 1, 4, 1, 1, 9, 1])
IDS = np.arange(8)


def test_top_variance_all_and_given_ids():
    assert select_neurons(VALUES, IDS, 3).tolist() == [1, 3, 6]
    assert select_neurons(VALUES, IDS, None, max_neurons=2).tolist() == [1, 6]
    assert select_neurons(VALUES, IDS, None).tolist() == list(range(8))
    assert select_neurons(VALUES, IDS, [5, 2, 7]).tolist() == [2, 5, 7]


def test_more_neurons_than_exist_and_bad_ids_are_clear_errors():
    with pytest.raises(NeuronSelectionError, match=r"neurons=9 asks for more neurons than the layer has \(8"):
        select_neurons(VALUES, IDS, 9)
    with pytest.raises(NeuronSelectionError, match="9 neurons requested but the layer has only 8"):
        select_neurons(VALUES, IDS, list(range(9)))
    with pytest.raises(NeuronSelectionError, match=r"has no neuron 12: its neuron ids run 0–7"):
        select_neurons(VALUES, IDS, [1, 12])
    with pytest.raises(NeuronSelectionError, match=r"\[3\] are listed more than once"):
        select_neurons(VALUES, IDS, [3, 3, 4])
    with pytest.raises(NeuronSelectionError, match="at least 2 neurons"):
        select_neurons(VALUES, IDS, 1)


def test_more_neurons_than_the_model_layer_has(hooked):
    with pytest.raises(NeuronSelectionError, match=r"neurons=40 asks for more neurons than the layer has \(32"):
        neuron_graph(hooked, SENTENCES, layer=0, neurons=40)


def test_standardise_and_text_split():
    z, mean, std = standardise(np.column_stack([np.arange(10.0), np.ones(10)]))
    assert mean[1] == 1 and std[1] == 1  # a constant column keeps z = 0
    assert abs(z[:, 0].mean()) < 1e-12 and abs(z[:, 0].std() - 1) < 1e-12 and np.all(z[:, 1] == 0)
    groups = np.repeat(np.arange(8), 3)  # 8 texts of 3 tokens
    train, held = split_samples(groups, 0.25, seed=0)
    assert set(groups[train]).isdisjoint(groups[held]) and len(set(groups[held])) == 2
    with pytest.raises(ValueError, match="test_size must be between 0 and 1"):
        split_samples(groups, 1.5, seed=0)
