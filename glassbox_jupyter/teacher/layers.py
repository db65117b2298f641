"""Layers of any PyTorch ``nn.Module`` by name: resolving ``named_modules()`` names and reading them with forward hooks.

Every capability that looks inside a model (the readable twin, neuron graphs) names layers the same way
and gets the same errors (:class:`LayerError` lists the available names and suggests close ones).

Dense outputs come back as ``[n, features]``. Outputs with more than two dimensions are read in PyTorch's
convolution layout ``[n, channels, *spatial]``: ``conv="pooled"`` averages over the spatial positions
(``[n, channels]``) and ``conv="per_filter"`` keeps every filter's map (``[n, channels, positions]``) so the
caller can cluster each filter on its own, as the HuReTEx paper does.

Activations are returned in the order the user chose the layers. When that is not how data flows
through the model (layers given out of execution order, or a skip connection that carries a chosen layer's
output around the next chosen layer), a ``UserWarning`` says so.

Example
-------
>>> import torch
>>> from glassbox_jupyter.teacher.layers import collect_activations
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<...>
>>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
>>> acts = collect_activations(model, torch.randn(32, 4), ["1", "2"])
>>> {name: a.shape for name, a in acts.items()}
{'1': (32, 8), '2': (32, 3)}
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from glassbox_jupyter.errors import EmptyProbeError, GlassboxError, ShapeMismatchError

if TYPE_CHECKING:
    import torch
    from torch import nn
    from torch.utils.hooks import RemovableHandle

__all__ = [
    "ConvMode",
    "LayerError",
    "LayerRead",
    "available_layers",
    "collect_activations",
    "forward_with_activations",
    "hook_layer",
    "resolve_layers",
]

ConvMode = Literal["pooled", "per_filter"]
LayerRead = Literal["output", "input"]  # what a hook takes: the layer's output or its first input
_MAX_LISTED = 80  # names listed in an error message before "… and N more"


class LayerError(GlassboxError, ValueError):
    """A chosen layer does not exist, does not run, runs more than once per forward pass, or outputs no tensor."""


def available_layers(model: nn.Module) -> list[str]:
    """Names of every submodule of ``model`` (what ``layers=`` accepts), in ``named_modules()`` order.

    Example:
        >>> import torch
        >>> available_layers(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()))
        ['0', '1']
    """
    return [name for name, _ in model.named_modules() if name]


def resolve_layers(model: nn.Module, names: Sequence[str] | str) -> list[tuple[str, nn.Module]]:
    """Look up layers by their ``named_modules()`` names (a list, or one comma-separated string).

    Raises :class:`LayerError` listing the available names when one does not exist.

    Example:
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
        >>> [name for name, _ in resolve_layers(model, "0, 1")]
        ['0', '1']
    """
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    names = [str(name) for name in names]
    available = available_layers(model)
    if not names:
        raise LayerError(f"no layers chosen; pick one or more of: {_listing(available)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise LayerError(f"layer(s) {repeated} chosen more than once; give each layer once")
    modules = dict(model.named_modules())
    missing = [name for name in names if name not in modules or not name]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, available, n=3)
            if close:
                hints.append(f"for {name!r} did you mean {' or '.join(map(repr, close))}?")
        raise LayerError(
            f"the model has no layer named {', '.join(map(repr, missing))}. "
            + (" ".join(hints) + " " if hints else "")
            + f"Available layers: {_listing(available)}"
        )
    return [(name, modules[name]) for name in names]


def hook_layer(module: nn.Module, sink: list[torch.Tensor], read: LayerRead = "output") -> RemovableHandle:
    """Register a forward hook that appends the layer's output (or its first input) to ``sink``.

    Tuples (an RNN's ``(output, hidden)``) give their first tensor; values are detached, float32, on the CPU.
    Returns the hook handle: call ``handle.remove()`` when done.

    Example:
        >>> import torch
        >>> layer, sink = torch.nn.Linear(2, 3), []
        >>> handle = hook_layer(layer, sink)
        >>> _ = layer(torch.zeros(4, 2)); handle.remove()
        >>> sink[0].shape
        torch.Size([4, 3])
    """
    import torch

    def take(value: Any) -> None:
        if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
            value = value[0]
        sink.append(value.detach().float().cpu())

    if read == "input":
        return module.register_forward_pre_hook(lambda m, args: take(args[0]))
    if read != "output":
        raise ValueError(f"read must be 'output' or 'input', not {read!r}")
    return module.register_forward_hook(lambda m, args, output: take(output))


def collect_activations(
    model: nn.Module,
    X: Any,
    layers: Sequence[str] | str,
    *,
    batch_size: int = 1024,
    conv: ConvMode = "pooled",
    device: str | torch.device | None = None,
) -> dict[str, np.ndarray]:
    """Activations of the chosen layers for every row of ``X`` (numpy array or torch tensor), as float32 numpy.

    Runs under ``torch.no_grad()`` with the model in eval mode (its mode is restored afterwards). ``X`` is
    checked against the model's first layer; a wrong shape raises
    :class:`~glassbox_jupyter.errors.ShapeMismatchError` naming the expected shape.

    Example
    -------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
    >>> collect_activations(model, torch.zeros(5, 1, 8, 8), ["1"], conv="per_filter")["1"].shape
    (5, 4, 36)
    """
    activations, _ = _run(model, X, layers, batch_size, conv, device, stacklevel=4)
    return activations


def forward_with_activations(
    model: nn.Module,
    X: Any,
    layers: Sequence[str] | str,
    *,
    batch_size: int = 1024,
    conv: ConvMode = "pooled",
    device: str | torch.device | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Like :func:`collect_activations`, and also return the model's output for every row (one pass).

    Example
    -------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    >>> acts, out = forward_with_activations(model, torch.zeros(4, 2), ["0"])
    >>> acts["0"].shape, out.shape
    ((4, 3), (4, 2))
    """
    return _run(model, X, layers, batch_size, conv, device, stacklevel=4)


def _run(
    model: nn.Module,
    X: Any,
    layers: Sequence[str] | str,
    batch_size: int,
    conv: ConvMode,
    device: str | torch.device | None,
    stacklevel: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    import torch

    if conv not in ("pooled", "per_filter"):
        raise ValueError(f"conv must be 'pooled' or 'per_filter', not {conv!r}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    chosen = resolve_layers(model, layers)
    inputs = input_tensor(model, X)
    n = len(inputs)
    target = torch.device(device) if device is not None else _model_device(model)

    store: dict[str, list[np.ndarray]] = {name: [] for name, _ in chosen}
    calls: list[str] = []

    def make_hook(name: str) -> Any:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            calls.append(name)
            store[name].append(_summarise(name, output, conv))

        return hook

    was_training = model.training
    handles = [module.register_forward_hook(make_hook(name)) for name, module in chosen]
    outputs: list[np.ndarray] = []
    execution_order: list[str] = []
    try:
        model.eval()
        with torch.no_grad():
            for start in range(0, n, int(batch_size)):
                batch = inputs[start : start + int(batch_size)].to(target)
                calls.clear()
                output = _first_forward(model, batch, tuple(inputs.shape)) if start == 0 else model(batch)
                _check_calls(chosen, calls)
                if start == 0:
                    execution_order = list(calls)
                outputs.append(_output_numpy(output))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)

    given = [name for name, _ in chosen]
    _warn_about_order(model, given, execution_order, stacklevel)
    return {name: np.concatenate(store[name]) for name in given}, np.concatenate(outputs)


def name_listing(names: Sequence[str], limit: int = _MAX_LISTED, empty: str = "(none)") -> str:
    """Names for an error message: the first ``limit`` of them, then "… and N more".

    Example:
        >>> name_listing(["fc1", "fc2", "fc3"], limit=2)
        'fc1, fc2, … and 1 more'
    """
    if not names:
        return empty
    shown = ", ".join(map(str, names[:limit]))
    return shown + (f", … and {len(names) - limit} more" if len(names) > limit else "")


def _listing(names: list[str]) -> str:
    return name_listing([repr(n) for n in names], empty="(the model has no submodules)") + (
        " (see glassbox_jupyter.teacher.layers.available_layers)" if len(names) > _MAX_LISTED else ""
    )


def _model_device(model: nn.Module) -> torch.device:
    import torch

    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _model_dtype(model: nn.Module) -> torch.dtype:
    import torch

    for param in model.parameters():
        if param.is_floating_point():
            return param.dtype
    return torch.float32


def input_tensor(model: nn.Module, X: Any) -> torch.Tensor:
    """``X`` (numpy array or tensor, one row per sample) as a tensor in the model's floating dtype; a clear
    error for an object array, a single number or no rows.

    Example:
        >>> import torch
        >>> input_tensor(torch.nn.Linear(2, 1).double(), [[1, 2]]).dtype
        torch.int64
        >>> input_tensor(torch.nn.Linear(2, 1).double(), [[1.0, 2.0]]).dtype
        torch.float64
    """
    import torch

    if isinstance(X, torch.Tensor):
        tensor = X.detach()
    else:
        array = np.asarray(X)
        if array.dtype == object:
            raise ShapeMismatchError("X must be a numeric array or tensor (got an object array); stack it first")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.ndim == 0:
        raise ShapeMismatchError("X is a single number; pass a batch of inputs, one row per sample")
    if len(tensor) == 0:
        raise EmptyProbeError("X has no rows; pass at least one input")
    if tensor.is_floating_point():
        tensor = tensor.to(_model_dtype(model))
    return tensor


def _first_forward(model: nn.Module, batch: torch.Tensor, x_shape: tuple[int, ...]) -> Any:
    """Run the first batch, checking the input the first weighted layer receives against what it expects."""
    seen: list[bool] = []

    def check(name: str) -> Any:
        def pre_hook(module: nn.Module, args: Any) -> None:
            if seen:
                return
            seen.append(True)
            if args and hasattr(args[0], "shape"):
                problem = _shape_problem(module, tuple(args[0].shape))
                if problem:
                    raise ShapeMismatchError(_shape_message(name, module, problem, x_shape))

        return pre_hook

    handles = [
        module.register_forward_pre_hook(check(name))
        for name, module in model.named_modules()
        if hasattr(module, "in_features") or (hasattr(module, "in_channels") and hasattr(module, "kernel_size"))
    ]
    try:
        return model(batch)
    except ShapeMismatchError:
        raise
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        raise ShapeMismatchError(
            f"the model failed on X of shape {_shape_str(x_shape)}: {exc}. Check that X has the shape the model "
            "expects (one row per sample)."
        ) from exc
    finally:
        for handle in handles:
            handle.remove()


def _shape_problem(module: Any, shape: tuple[int, ...]) -> str | None:
    """What the layer expects, when ``shape`` (batched) does not fit it; ``None`` when it fits."""
    if hasattr(module, "in_channels") and hasattr(module, "kernel_size"):
        spatial = len(module.kernel_size) if isinstance(module.kernel_size, tuple) else 1
        channels = int(module.in_channels)
        names = ["L"] if spatial == 1 else ["H", "W"] if spatial == 2 else ["D", "H", "W"][-spatial:]
        expected = f"[n, {channels}, {', '.join(names)}]"
        if len(shape) != spatial + 2 or shape[1] != channels:
            return expected
        return None
    if hasattr(module, "in_features"):
        features = int(module.in_features)
        if len(shape) < 2 or shape[-1] != features:
            return f"[n, {features}]"
    return None


def _shape_message(name: str, module: Any, expected: str, x_shape: tuple[int, ...]) -> str:
    message = (
        f"wrong input shape: the model's first layer {name!r} ({type(module).__name__}) expects input of shape "
        f"{expected}, but X has shape {_shape_str(x_shape)}."
    )
    per_row = math.prod(x_shape[1:]) if len(x_shape) > 1 else 1
    if hasattr(module, "in_channels") and hasattr(module, "kernel_size") and len(x_shape) == 2:
        spatial = len(module.kernel_size) if isinstance(module.kernel_size, tuple) else 1
        channels = int(module.in_channels)
        side = round((per_row / channels) ** (1 / spatial)) if per_row % channels == 0 else 0
        if side and channels * side**spatial == per_row:
            message += f" Reshape it, e.g. X.reshape(-1, {channels}, {', '.join([str(side)] * spatial)})."
    elif hasattr(module, "in_features") and len(x_shape) > 2 and per_row == int(module.in_features):
        message += " Flatten it, e.g. X.reshape(len(X), -1)."
    return message


def _shape_str(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(["n", *map(str, shape[1:])]) + "]"


def _summarise(name: str, output: Any, conv: ConvMode) -> np.ndarray:
    import torch

    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        output = output[0]  # e.g. an RNN's (output, hidden)
    if not isinstance(output, torch.Tensor):
        raise LayerError(
            f"layer {name!r} returns {type(output).__name__}, not a tensor; choose a layer whose output is a tensor"
        )
    values = output.detach().float()
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim > 2:
        values = values.flatten(2)  # [n, channels, positions]
        if conv == "pooled":
            values = values.mean(dim=2)
    return values.cpu().numpy()


def _output_numpy(output: Any) -> np.ndarray:
    import torch

    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        output = output[0]
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"the model returned {type(output).__name__}; a tensor of outputs is needed")
    return output.detach().float().cpu().numpy()


def _check_calls(chosen: list[tuple[str, nn.Module]], calls: list[str]) -> None:
    for name, _ in chosen:
        count = calls.count(name)
        if count == 0:
            raise LayerError(
                f"layer {name!r} did not run during the forward pass, so it has no activations; choose a layer that "
                "the model's forward() uses"
            )
        if count > 1:
            raise LayerError(
                f"layer {name!r} runs {count} times in one forward pass (a shared module), so its activations are "
                "ambiguous; choose a layer that runs once, or give each use its own module"
            )


def _warn_about_order(model: nn.Module, given: list[str], execution_order: list[str], stacklevel: int) -> None:
    if execution_order and execution_order != given:
        warnings.warn(
            f"the layers run in the order {execution_order} but were given as {given}; the information system "
            "follows the chosen layer order, so the flow graph links layers that are not consecutive in the model "
            f"(pass layers={execution_order} to follow the model)",
            UserWarning,
            stacklevel=stacklevel,
        )
        return
    bypass = _skip_connections(model, given)
    if bypass:
        text = "; ".join(f"{src!r} reaches the output without passing through {dst!r}" for src, dst in bypass)
        warnings.warn(
            f"the model has skip connections around the chosen layers ({text}); the information system follows "
            "the chosen layer order and ignores the skipped paths",
            UserWarning,
            stacklevel=stacklevel,
        )


_SHAPE_METHODS = {"size", "dim", "numel", "type", "get_device"}


def _is_shape_query(node: Any) -> bool:
    """``x.size(0)``, ``x.shape``, ``len(x)``: these pass along no activation values, only sizes."""
    if node.op == "call_method":
        return node.target in _SHAPE_METHODS
    if node.op == "call_function":
        return node.target is len or (node.target is getattr and node.args[1:2] in (("shape",), ("dtype",)))
    return False


def _skip_connections(model: nn.Module, given: list[str]) -> list[tuple[str, str]]:
    """Pairs (earlier, next chosen layer) where data flows from ``earlier`` to the output around ``next``.

    Uses ``torch.fx`` with the chosen layers kept as leaves; models fx cannot trace are not checked.
    """
    try:
        import torch.fx as fx

        chosen = set(given)

        class Tracer(fx.Tracer):
            def is_leaf_module(self, module: Any, qualified_name: str) -> bool:
                return qualified_name in chosen or super().is_leaf_module(module, qualified_name)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = Tracer().trace(model)
    except Exception:  # dynamic control flow and the like: fx cannot trace it, so we cannot tell
        return []
    nodes = {node.target: node for node in graph.nodes if node.op == "call_module" and node.target in chosen}
    if set(nodes) != set(given):
        return []
    sources: list[tuple[str, list[Any]]] = [("input", [n for n in graph.nodes if n.op == "placeholder"])]
    sources += [(name, [nodes[name]]) for name in given[:-1]]
    found = []
    for (label, starts), blocker in zip(sources, given):
        stack = [user for start in starts for user in start.users]
        visited: set[Any] = set()
        while stack:
            node = stack.pop()
            if node in visited or node is nodes[blocker] or _is_shape_query(node):
                continue
            visited.add(node)
            if node.op == "output":
                found.append((label, blocker))
                break
            stack.extend(node.users)
    return found
