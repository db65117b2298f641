"""Safe loading of model files and architectures.

Weights come from safetensors, ``torch.load(weights_only=True)``, TorchScript or ONNX. A plain
pickle can run arbitrary code when it is loaded, so it is refused unless the caller passes
``trust=True``. Architectures come from an object already in the session or an import path
``"package.module:Class"``, never from a string of source code.
"""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path
from typing import Any

from glassbox_jupyter.errors import ArchitectureImportError, UnsafeFileError

TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".torchscript", ".jit")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
SUPPORTED = (".safetensors", ".onnx", *TORCH_SUFFIXES, *PICKLE_SUFFIXES)


def resolve_import_path(path: str) -> Any:  # whatever the path names (a class, a factory...)
    """Resolve ``"package.module:Attribute"`` (or ``"package.module.Attribute"``) to the object.

    Example:
        >>> resolve_import_path("collections:OrderedDict").__name__
        'OrderedDict'
    """
    if not isinstance(path, str) or not path.strip():
        raise ArchitectureImportError(f"architecture must be 'package.module:Class', got {path!r}")
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ArchitectureImportError(
            f"architecture {path!r} is not an import path; write it as 'package.module:Class'"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ArchitectureImportError(
            f"cannot import module {module_name!r} named in architecture={path!r} ({exc}); "
            "install the package or add its folder to sys.path, or pass the class itself"
        ) from exc
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            public = sorted(n for n in dir(module) if not n.startswith("_"))[:20]
            raise ArchitectureImportError(
                f"module {module_name!r} has no attribute {attribute!r} (from architecture="
                f"{path!r}); it defines: {', '.join(public) or 'nothing public'}"
            )
        target = getattr(target, part)
    return target


def build_architecture(architecture: Any, kwargs: dict[str, Any] | None = None) -> Any:  # what the factory builds
    """Instantiate an architecture given as an import path, a class, a factory or a module."""
    from glassbox_jupyter.teacher.adapters import is_torch_module

    if isinstance(architecture, str):
        architecture = resolve_import_path(architecture)
    if is_torch_module(architecture):
        if kwargs:
            raise TypeError("architecture is already an nn.Module instance; drop architecture_kwargs")
        return architecture
    if not callable(architecture):
        raise TypeError(f"architecture must be a class, factory or import path, got {architecture!r}")
    return architecture(**(kwargs or {}))


def _is_torchscript_archive(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return any(n.endswith("constants.pkl") for n in names) and any("/code/" in n for n in names)


def _unwrap_state_dict(obj: Any) -> dict[str, Any]:
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            state: dict[str, Any] = obj[key]
            return state
    if not isinstance(obj, dict):
        raise TypeError(f"expected a state_dict (a dict of tensors), found {type(obj).__name__}")
    return obj


def _refuse_pickle(path: Path, detail: str) -> UnsafeFileError:
    return UnsafeFileError(
        f"refused to load {path.name}: {detail} Loading a pickle can run arbitrary code. If you "
        "trust where this file came from, pass trust=True; better, save the weights with "
        "safetensors or model.state_dict() and load them with architecture='package.module:Class'."
    )


def load_model(
    path: str | Path,
    architecture: Any = None,
    architecture_kwargs: dict[str, Any] | None = None,
    trust: bool = False,
) -> tuple[Any, bytes | None]:
    """Load a model file safely; returns ``(model, raw_bytes_or_None)``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        from safetensors.torch import load_file

        if architecture is None:
            raise TypeError(
                f"{path.name} holds weights only; pass architecture='package.module:Class' "
                "(or the class) so GlassBox can build the network"
            )
        model = build_architecture(architecture, architecture_kwargs)
        model.load_state_dict(load_file(str(path)))
        return model, None
    if suffix == ".onnx":
        import onnxruntime

        raw = path.read_bytes()
        return onnxruntime.InferenceSession(raw, providers=["CPUExecutionProvider"]), raw
    if suffix in TORCH_SUFFIXES:
        import pickle

        import torch

        if _is_torchscript_archive(path):
            return torch.jit.load(str(path), map_location="cpu"), None  # type: ignore[no-untyped-call]  # unannotated upstream
        try:
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            if not trust:
                raise _refuse_pickle(path, "it holds pickled Python objects, not only weights.") from exc
            obj = torch.load(str(path), map_location="cpu", weights_only=False)
        if hasattr(obj, "forward") and hasattr(obj, "state_dict"):  # a whole module (trusted)
            return obj, None
        if architecture is None:
            raise TypeError(
                f"{path.name} holds a state_dict (weights only); pass "
                "architecture='package.module:Class' (or the class) to build the network"
            )
        model = build_architecture(architecture, architecture_kwargs)
        model.load_state_dict(_unwrap_state_dict(obj))
        return model, None
    if suffix in PICKLE_SUFFIXES:
        if not trust:
            raise _refuse_pickle(path, "it is a pickle file.")
        import joblib

        return joblib.load(path), None
    raise ValueError(f"unsupported model file {path.name}; GlassBox loads {', '.join(SUPPORTED)}")
