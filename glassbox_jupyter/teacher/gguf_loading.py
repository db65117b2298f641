"""GGUF files (llama.cpp's format) as local Hugging Face folders, so every loader here reads them.

A ``.gguf`` file holds a quantized model and its tokenizer. :func:`gguf_folder` checks it before
loading anything (the magic bytes and header, the architecture, the quantisation types, the memory
the float32 model will need), dequantizes it with transformers (which needs the ``gguf`` package),
copies the weights into a fresh model of the same config (the dequantized model itself refuses
``save_pretrained``), and saves that with its tokenizer into a folder under the user's cache
directory named by the file's SHA-256, so the next load reads the folder directly.
:func:`~glassbox_jupyter.teacher.hf_loading.load_hooked_transformer` calls it for a ``.gguf`` path.

Example:
    >>> gguf_cache_root().name
    'gguf'
    >>> folder = gguf_folder("SmolLM2-135M-Instruct.Q4_1.gguf")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from glassbox_jupyter.errors import GlassboxError

#: GGUF ``general.architecture`` values that transformers dequantizes *and* TransformerLens converts.
GGUF_ARCHITECTURES = {
    "llama": "LlamaForCausalLM",
    "mistral": "MistralForCausalLM",
    "qwen2": "Qwen2ForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "phi3": "Phi3ForCausalLM",
    "gpt2": "GPT2LMHeadModel",
    "bloom": "BloomForCausalLM",
}
#: Quantisation types the conversion accepts when gguf-py's table of dequantizers is not readable.
KNOWN_GGUF_TYPES = frozenset(
    {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}
)


def dequantizable_types() -> frozenset[str]:
    """The tensor types gguf-py (which transformers calls) dequantizes: plain floats and every type it
    has a dequantizer for (its ``quants`` module's table)."""
    try:
        from gguf import quants

        return frozenset({"F32", "F16", "F64"} | {t.name for t in quants._type_traits})
    except (ImportError, AttributeError):
        return KNOWN_GGUF_TYPES


#: Peak memory of a conversion per float32 parameter: the dequantized model, the fresh copy, and the
#: HookedTransformer built from it afterwards, with some slack for the state-dict copies.
BYTES_PER_PARAMETER = 4 * 3.5
CACHE_ENV = "GLASSBOX_CACHE_DIR"
INSTALL_GGUF = "pip install gguf"


class GGUFError(GlassboxError, ValueError):
    """A GGUF file that cannot be converted (the message says why and what to do)."""


def gguf_cache_root() -> Path:
    """Where converted GGUF folders are kept: ``$GLASSBOX_CACHE_DIR/gguf``, else ``$XDG_CACHE_HOME`` or
    ``~/.cache``, then ``glassbox/gguf``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser() / "gguf"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    return base / "glassbox" / "gguf"


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def available_memory() -> int | None:
    """Bytes of memory this process can still use (MemAvailable; None where that is unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def inspect_gguf(path: Path) -> dict[str, Any]:
    """The facts a conversion needs, read from the header without loading tensors: architecture,
    name, parameter count, tensor types. Raises :class:`GGUFError` for a file that is not one."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        raise GGUFError(f"{str(path)!r} is not a GGUF file (it does not start with b'GGUF'); give a .gguf model file")
    try:
        import gguf
    except ImportError as exc:
        raise GGUFError(f"reading GGUF files needs the gguf package: {INSTALL_GGUF}") from exc
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as exc:  # a truncated file fails as the reader runs past its end
        raise GGUFError(
            f"{str(path)!r} is not a complete GGUF file ({type(exc).__name__}: {exc}); it may be truncated: "
            "download or copy it again and compare its size or SHA-256 with the source"
        ) from exc

    def text(key: str) -> str | None:
        field = reader.fields.get(key)
        if field is None or not field.data:
            return None
        return bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")

    types = sorted({t.tensor_type.name for t in reader.tensors})
    return {
        "architecture": text("general.architecture"),
        "name": text("general.name"),
        "parameters": int(sum(int(t.n_elements) for t in reader.tensors)),
        "tensor_types": types,
    }


def check_gguf(path: Path, max_memory: int | None = None) -> dict[str, Any]:
    """Refuse, before any tensor is loaded, what cannot be converted here (see :func:`inspect_gguf`)."""
    if not path.exists():
        raise GGUFError(f"no GGUF file at {str(path)!r}")
    facts = inspect_gguf(path)
    arch = facts["architecture"]
    if arch not in GGUF_ARCHITECTURES:
        raise GGUFError(
            f"{path.name} holds a {arch!r} model; GlassBox converts GGUF files of these architectures only: "
            f"{', '.join(sorted(GGUF_ARCHITECTURES))}. Load other models from a Hugging Face folder "
            "(model.save_pretrained) with glassbox.load_hooked_transformer(folder)"
        )
    supported = dequantizable_types()
    unknown = [t for t in facts["tensor_types"] if t not in supported]
    if unknown:
        raise GGUFError(
            f"{path.name} uses quantisation types {', '.join(unknown)} that cannot be dequantized here "
            f"(supported: {', '.join(sorted(supported))}); convert the model again with one of those, e.g. "
            "llama.cpp's llama-quantize with Q8_0 or Q4_K_M"
        )
    need = int(facts["parameters"] * BYTES_PER_PARAMETER)
    have = available_memory() if max_memory is None else max_memory
    if have is not None and need > have:
        raise GGUFError(
            f"{path.name} has {facts['parameters'] / 1e6:.0f}M parameters; converting it to float32 and analysing "
            f"it needs about {need / 2**30:.1f} GiB, but only {have / 2**30:.1f} GiB is available. Use a smaller "
            "model, free memory, or pass max_memory_gb= to override the check"
        )
    return facts


def gguf_folder(path: str | os.PathLike[str], *, max_memory_gb: float | None = None) -> Path:
    """The Hugging Face folder (config, safetensors weights, tokenizer) converted from GGUF file
    ``path``, made once and kept under :func:`gguf_cache_root` by the file's SHA-256.

    ``max_memory_gb``: the memory the check may assume (default: what the machine has available).
    Raises :class:`GGUFError` naming the fix for a file that is not a complete GGUF, an architecture
    or quantisation that cannot be converted, or a model too large for memory.
    """
    source = Path(path).expanduser()
    max_memory = None if max_memory_gb is None else int(max_memory_gb * 2**30)
    facts = check_gguf(source, max_memory)
    folder = gguf_cache_root() / file_sha256(source)[:32]
    if (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
        return folder
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from glassbox_jupyter.teacher.hf_offline import offline, quiet_loading

    folder.parent.mkdir(parents=True, exist_ok=True)
    with offline(), quiet_loading(), tempfile.TemporaryDirectory(dir=folder.parent, prefix=".convert-") as tmp:
        try:
            loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name, local_files_only=True)
        except Exception as exc:
            raise GGUFError(
                f"transformers could not dequantize {source.name} ({type(exc).__name__}: {exc}); check that "
                f"`{INSTALL_GGUF}` is installed and that the file is a {facts['architecture']} model"
            ) from exc
        # the dequantized model refuses save_pretrained ("quantized with gguf"); a fresh one of the same
        # config takes its weights and saves like any other
        fresh = type(loaded)(loaded.config)
        fresh.load_state_dict(loaded.state_dict())
        del loaded
        staging = Path(tmp) / "model"
        fresh.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / "SOURCE").write_text(f"{source.name}\n{facts['name'] or ''}\n", encoding="utf-8")
        if folder.exists():  # a half-written folder from an interrupted run
            shutil.rmtree(folder, ignore_errors=True)
        try:
            staging.rename(folder)  # whole or not at all
        except OSError:
            if not (folder / "model.safetensors").is_file():  # not another process's finished conversion
                raise
    return folder
