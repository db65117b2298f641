"""teacher/layers.py: activations by forward hooks on real small torch models, checked against a manual pass."""

from __future__ import annotations

import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from glassbox_jupyter.errors import EmptyProbeError, GlassboxError, ShapeMismatchError
from glassbox_jupyter.teacher.layers import (
    LayerError,
    available_layers,
    collect_activations,
    forward_with_activations,
    resolve_layers,
)


def small_cnn() -> nn.Sequential:
    """Conv → ReLU → Conv → ReLU → Flatten → Linear → ReLU → Linear on 1×8×8 images (the paper's shape)."""
    torch.manual_seed(0)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, 4, 3),  # → 4×6×6
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(4, 4, 3),  # → 4×4×4
            relu2=nn.ReLU(),
            flatten=nn.Flatten(),
            fc1=nn.Linear(64, 16),
            relu3=nn.ReLU(),
            fc2=nn.Linear(16, 3),
        )
    )


class Residual(nn.Module):
    """stem → block (fc_a → ReLU → fc_b, plus the skip connection) → head."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.stem = nn.Linear(6, 8)
        self.block = nn.ModuleDict({"fc_a": nn.Linear(8, 8), "fc_b": nn.Linear(8, 8)})
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.stem(x))
        h = torch.relu(self.block["fc_b"](torch.relu(self.block["fc_a"](h))) + h)
        return self.head(h)


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.randn(20, 1, 8, 8, generator=torch.Generator().manual_seed(2))


def manual_forward(model: nn.Sequential, x: torch.Tensor) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        conv1 = F.conv2d(x, model.conv1.weight, model.conv1.bias)
        relu2 = F.conv2d(conv1.clamp(min=0), model.conv2.weight, model.conv2.bias).clamp(min=0)
        fc1 = relu2.reshape(len(x), -1) @ model.fc1.weight.T + model.fc1.bias
        fc2 = fc1.clamp(min=0) @ model.fc2.weight.T + model.fc2.bias
    return {"conv1": conv1, "relu2": relu2, "fc1": fc1, "relu3": fc1.clamp(min=0), "fc2": fc2}


def test_dense_and_conv_layers_match_a_manual_forward_pass(images):
    model = small_cnn()
    expected = manual_forward(model, images)
    layers = ["conv1", "relu2", "fc1", "relu3", "fc2"]
    pooled = collect_activations(model, images, layers)
    per_filter = collect_activations(model, images, layers, conv="per_filter")
    for name in ("fc1", "relu3", "fc2"):  # dense: [n, features], the same either way
        np.testing.assert_allclose(pooled[name], expected[name].numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(per_filter[name], expected[name].numpy(), rtol=1e-5, atol=1e-6)
    for name in ("conv1", "relu2"):
        maps = expected[name].flatten(2).numpy()  # [n, channels, h·w]
        np.testing.assert_allclose(per_filter[name], maps, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(pooled[name], maps.mean(axis=2), rtol=1e-5, atol=1e-5)
    assert list(pooled) == layers  # the given order


def test_pooled_and_per_filter_shapes(images):
    model = small_cnn()
    pooled = collect_activations(model, images, ["conv1", "conv2", "fc1"])
    per_filter = collect_activations(model, images, ["conv1", "conv2", "fc1"], conv="per_filter")
    assert {k: v.shape for k, v in pooled.items()} == {"conv1": (20, 4), "conv2": (20, 4), "fc1": (20, 16)}
    assert {k: v.shape for k, v in per_filter.items()} == {"conv1": (20, 4, 36), "conv2": (20, 4, 16), "fc1": (20, 16)}
    assert all(v.dtype == np.float32 for v in per_filter.values())


def test_numpy_and_torch_inputs_give_the_same_activations(images):
    model = small_cnn()
    from_torch = collect_activations(model, images, ["conv2", "fc2"])
    from_numpy = collect_activations(model, images.numpy().astype(np.float64), ["conv2", "fc2"])  # float64 is cast
    in_batches = collect_activations(model, images, ["conv2", "fc2"], batch_size=7)  # 7 + 7 + 6 rows
    for name in ("conv2", "fc2"):
        np.testing.assert_allclose(from_numpy[name], from_torch[name], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(in_batches[name], from_torch[name], rtol=1e-5, atol=1e-6)


def test_forward_with_activations_returns_the_model_output(images):
    model = small_cnn()
    activations, output = forward_with_activations(model, images, "conv1, fc2", batch_size=8)  # comma string
    with torch.no_grad():
        np.testing.assert_allclose(output, model(images).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(activations["fc2"], output, rtol=1e-6)


def test_eval_mode_for_collection_and_the_mode_is_restored(images):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    model.train()
    first = collect_activations(model, images, ["2"])["2"]
    second = collect_activations(model, images, ["2"])["2"]
    np.testing.assert_array_equal(first, second)  # dropout off: eval mode while collecting
    assert model.training  # and training mode back afterwards


def test_wrong_input_shape_names_the_expected_shape(images):
    model = small_cnn()
    flat = images.reshape(20, 64)
    with pytest.raises(ShapeMismatchError, match=r"expects input of shape \[n, 1, H, W\], but X has shape \[n, 64\]"):
        collect_activations(model, flat, ["fc1"])
    with pytest.raises(ShapeMismatchError, match=r"X\.reshape\(-1, 1, 8, 8\)"):
        collect_activations(model, flat.numpy(), ["fc1"])
    with pytest.raises(ShapeMismatchError, match=r"'conv1' \(Conv2d\) expects input of shape \[n, 1, H, W\]"):
        collect_activations(model, torch.randn(4, 3, 8, 8), ["fc1"])
    mlp = nn.Sequential(nn.Linear(6, 4), nn.ReLU())
    with pytest.raises(ShapeMismatchError, match=r"expects input of shape \[n, 6\], but X has shape \[n, 5\]"):
        collect_activations(mlp, np.zeros((3, 5)), ["1"])
    with pytest.raises(ShapeMismatchError, match=r"Flatten it"):
        collect_activations(mlp, np.zeros((3, 2, 3)), ["1"])


def test_a_shape_error_deeper_in_the_model_is_reported_with_the_input_shape():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(72, 2))  # needs 8×8 images
    with pytest.raises(ShapeMismatchError, match=r"the model failed on X of shape \[n, 1, 10, 10\]"):
        collect_activations(model, torch.zeros(2, 1, 10, 10), ["2"])


def test_unknown_layer_lists_the_available_names():
    model = small_cnn()
    with pytest.raises(LayerError, match=r"no layer named 'conv9'") as info:
        collect_activations(model, torch.zeros(2, 1, 8, 8), ["conv1", "conv9"])
    message = str(info.value)
    for name in ("conv1", "relu1", "conv2", "flatten", "fc1", "fc2"):
        assert repr(name) in message
    assert "did you mean" in message
    assert isinstance(info.value, (GlassboxError, ValueError))
    assert available_layers(model) == ["conv1", "relu1", "conv2", "relu2", "flatten", "fc1", "relu3", "fc2"]
    with pytest.raises(LayerError, match="no layers chosen"):
        resolve_layers(model, [])
    with pytest.raises(LayerError, match="more than once"):
        resolve_layers(model, ["fc1", "fc1"])
    assert [name for name, _ in resolve_layers(Residual(), ["block.fc_a", "head"])] == ["block.fc_a", "head"]


def test_out_of_order_layers_in_a_residual_model_warn():
    model = Residual()
    X = torch.randn(10, 6)
    with pytest.warns(UserWarning, match=r"the information system follows the chosen layer order") as record:
        acts = collect_activations(model, X, ["block.fc_b", "stem", "head"])
    assert "run in the order ['stem', 'block.fc_b', 'head']" in str(record[0].message)
    assert record[0].filename == __file__  # points at the caller's line
    assert list(acts) == ["block.fc_b", "stem", "head"]  # still collected, in the chosen order


def test_a_skip_connection_around_a_chosen_layer_warns():
    with pytest.warns(UserWarning, match=r"skip connections .*'stem' reaches the output without passing through "
                      r"'block.fc_a'.*follows the chosen layer order"):  # fmt: skip
        collect_activations(Residual(), torch.randn(10, 6), ["stem", "block.fc_a", "head"])


class ViewingCNN(nn.Module):
    """A forward() that flattens with ``x.view(x.size(0), -1)``: the size query is no skip connection."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(4)
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.fc1 = nn.Linear(72, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv1(x))
        return self.fc1(h.view(x.size(0), -1))


def test_no_warning_when_data_flows_through_the_chosen_layers_in_order(images):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        collect_activations(Residual(), torch.randn(10, 6), ["stem", "head"])  # the skip stays between them
        collect_activations(small_cnn(), images, ["conv1", "conv2", "fc1", "fc2"])
        collect_activations(small_cnn(), images, ["conv2", "fc1"])  # starting at a later layer
        collect_activations(ViewingCNN(), images, ["conv1", "fc1"])


def test_a_layer_that_does_not_run_or_runs_twice_is_an_error():
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used = nn.Linear(3, 3)
            self.unused = nn.Linear(3, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.used(self.used(x))

    with pytest.raises(LayerError, match=r"'unused' did not run"):
        collect_activations(Odd(), torch.zeros(2, 3), ["unused"])
    with pytest.raises(LayerError, match=r"'used' runs 2 times in one forward pass"):
        collect_activations(Odd(), torch.zeros(2, 3), ["used"])


def test_other_bad_input():
    model = small_cnn()
    with pytest.raises(EmptyProbeError, match="no rows"):
        collect_activations(model, np.zeros((0, 1, 8, 8)), ["fc1"])
    with pytest.raises(ValueError, match="conv must be"):
        collect_activations(model, np.zeros((2, 1, 8, 8)), ["fc1"], conv="flat")
    with pytest.raises(ValueError, match="batch_size"):
        collect_activations(model, np.zeros((2, 1, 8, 8)), ["fc1"], batch_size=0)
