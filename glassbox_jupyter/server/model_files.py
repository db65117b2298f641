"""Checking an uploaded model file before it is stored: name, size, format, and that it loads.

The server loads uploads with the library's own safe loaders (``teacher.loading``): safetensors
with an architecture card, ONNX, TorchScript, and ``torch.save`` state dicts read with
``weights_only=True``. Pickle files run code when loaded, so they are refused unless the server
was started with ``--allow-pickle``. An architecture card may only name a ``torch.nn.Module``
subclass from an allowed module (the demo architectures and ``torch.nn`` by default): an import
path from a request must never reach an arbitrary callable.

Example:
    >>> safe_file_name("weights.safetensors")
    'weights.safetensors'
    >>> safe_file_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    glassbox_jupyter.server.model_files.ModelFileError: file name '../etc/passwd' ...
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ALLOWED_ARCHITECTURE_MODULES = ("glassbox_jupyter.demos.architectures", "torch.nn")
# torch files are read with weights_only=True (or as TorchScript): a pickled object in one is refused
SAFE_FORMATS = {
    ".safetensors": "safetensors",
    ".onnx": "onnx",
    **dict.fromkeys((".pt", ".pth", ".bin", ".ckpt", ".torchscript", ".jit"), "torch"),
}
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,200}$")


class ModelFileError(ValueError):
    """An upload the server will not store; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def safe_file_name(name: str) -> str:
    """``name`` if it is a plain file name (no folder, no ``..``); ModelFileError otherwise."""
    if not name or "/" in name or "\\" in name or "\x00" in name or ".." in name or not _NAME.match(name):
        raise ModelFileError(
            f"file name {name!r} is not a plain file name: use letters, digits, '_', '-', '.' and no folders"
        )
    return name


def model_format(name: str, allow_pickle: bool) -> str:
    """The format an upload named ``name`` is read as: safetensors, onnx, torch or pickle."""
    suffix = Path(name).suffix.lower()
    if suffix in SAFE_FORMATS:
        return SAFE_FORMATS[suffix]
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise ModelFileError(
                f"{name} is a pickle format: loading it runs code from the file. Upload safetensors (with an "
                "architecture card), ONNX or TorchScript instead, or start the server with --allow-pickle "
                "if you trust every uploader",
                status=415,
            )
        return "pickle"
    raise ModelFileError(
        f"{name}: unknown model format {suffix or '(no suffix)'}; the server reads "
        f"{', '.join(sorted(SAFE_FORMATS))} (and pickle with --allow-pickle)",
        status=415,
    )


def allowed_architecture(path: str, modules: tuple[str, ...] = ALLOWED_ARCHITECTURE_MODULES) -> type:
    """The ``torch.nn.Module`` subclass an architecture card names, from an allowed module only."""
    import torch

    from glassbox_jupyter.teacher.loading import resolve_import_path

    module = path.partition(":")[0] if ":" in path else path.rpartition(".")[0]
    if not any(module == m or module.startswith(m + ".") for m in modules):
        raise ModelFileError(
            f"architecture {path!r} is not from a module this server allows ({', '.join(modules)}); "
            "ask the admin to allow its module, or upload ONNX or TorchScript, which carry their own graph"
        )
    try:
        target = resolve_import_path(path)
    except ImportError as exc:
        raise ModelFileError(str(exc)) from exc
    if not (isinstance(target, type) and issubclass(target, torch.nn.Module)):
        raise ModelFileError(f"architecture {path!r} is not a torch.nn.Module class")
    return target


def check_loads(path: Path, fmt: str, card: dict[str, Any], allow_pickle: bool) -> dict[str, Any]:
    """Load the stored upload at ``path`` the way jobs will; returns facts for the model record.

    A safetensors file needs ``card["architecture"]`` (and ``architecture_kwargs``); its weights
    must match the architecture (missing, unexpected or mis-shaped tensors are named)."""
    from glassbox_jupyter.errors import UnsafeFileError
    from glassbox_jupyter.teacher.loading import load_model

    architecture = None
    if fmt == "safetensors":
        if not isinstance(card.get("architecture"), str):
            raise ModelFileError(
                "a safetensors file holds weights only: send an architecture card "
                '{"architecture": "package.module:Class", "architecture_kwargs": {...}}'
            )
        architecture = allowed_architecture(card["architecture"])
        kwargs = card.get("architecture_kwargs") or {}
        if not isinstance(kwargs, dict):
            raise ModelFileError("architecture_kwargs must be a JSON object")
    try:
        model, _ = load_model(
            path, architecture=architecture, architecture_kwargs=card.get("architecture_kwargs"), trust=allow_pickle
        )
    except UnsafeFileError as exc:
        raise ModelFileError(
            f"{exc} The server refuses pickled objects unless started with --allow-pickle", status=415
        ) from exc
    except RuntimeError as exc:  # load_state_dict: missing / unexpected keys, size mismatch
        first = str(exc).strip().splitlines()
        raise ModelFileError(
            f"the weights do not match architecture {card.get('architecture')!r}: "
            + " ".join(line.strip() for line in first[:6])
        ) from exc
    except (TypeError, ValueError, OSError) as exc:
        raise ModelFileError(f"the file does not load as {fmt}: {exc}") from exc
    except Exception as exc:  # a corrupt ONNX or safetensors file raises its library's own errors
        raise ModelFileError(f"the file does not load as {fmt}: {type(exc).__name__}: {exc}") from exc
    facts: dict[str, Any] = {"format": fmt}
    if hasattr(model, "parameters"):
        facts["parameters"] = int(sum(p.numel() for p in model.parameters()))
    return facts
