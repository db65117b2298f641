"""Loading local Hugging Face model folders, offline: as a transformers model, or as a TransformerLens model.

Every capability that reads a saved folder (neuron graphs, the black-box audit's local language model,
circuits) loads it here, so the rules are the same everywhere: the folder must hold ``config.json``,
nothing is downloaded (Hugging Face offline mode, ``local_files_only``), no remote code runs, and
transformers' per-tensor progress bars stay quiet.

- :func:`load_hf_folder`: a ``transformers`` model (``AutoModel`` or ``AutoModelForCausalLM``) and its tokenizer.
- :func:`load_hooked_transformer`: a causal LM folder converted to a TransformerLens ``HookedTransformer``.

TransformerLens 3.9's ``HookedTransformer.from_pretrained`` wants an official model name: with a folder
path it stops at ``get_official_model_name``, and with an official name (``"gpt2"``) it reads that
model's config from the Hub, not the folder's own sizes. :func:`load_hooked_transformer` takes
TransformerLens's own lower-level path instead, which does read a local folder:

1. ``AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)`` and
   ``AutoTokenizer.from_pretrained(folder, local_files_only=True)``;
2. ``loading.get_pretrained_model_config(<folder's config.json>, hf_cfg=...)``: TransformerLens's
   conversion of the Hugging Face config to a ``HookedTransformerConfig``;
3. ``loading.get_pretrained_state_dict(..., hf_model)``: TransformerLens's weight conversion for the
   architecture;
4. ``HookedTransformer(cfg, tokenizer).load_and_process_state_dict(...)`` with the same processing
   flags as ``from_pretrained`` (``fold_ln``, ``center_writing_weights``, ...).

Step 2 reads a staged copy of ``config.json`` in a neutrally named temporary folder, because
TransformerLens guesses the architecture from the *name* when it contains "llama" or "gemma" (a
folder called ``my-llama-finetune`` would otherwise skip its config), and because transformers 5
saves GPT-2 configs without the ``n_ctx`` key TransformerLens reads (the staged copy gets
``n_ctx = n_positions``). The folder itself is never modified.

Example:
    >>> from glassbox_jupyter.teacher.hf_loading import quiet_loading
    >>> with quiet_loading():
    ...     pass
    >>> model = load_hooked_transformer("~/models/my-gpt2")  # doctest: +SKIP
    >>> model, tokenizer = load_hf_folder("~/models/minilm")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.errors import GlassboxError
from glassbox_jupyter.teacher.hf_offline import offline, quiet_loading

if TYPE_CHECKING:
    from transformer_lens import HookedTransformer
    from transformers import PreTrainedModel

__all__ = [
    "SUPPORTED_ARCHITECTURES",
    "CheckpointError",
    "CheckpointNotFoundError",
    "check_checkpoint",
    "load_hf_folder",
    "load_hooked_transformer",
    "offline",
    "quiet_loading",
]


def load_hf_folder(
    path: str | os.PathLike[str],
    *,
    causal_lm: bool = False,
    tokenizer: Any = None,
    safetensors_only: bool = False,
) -> tuple[PreTrainedModel, Any]:
    """A ``transformers`` model and its tokenizer from a local folder, offline (nothing is downloaded).

    Args:
        path: a folder written by ``model.save_pretrained(folder)`` and ``tokenizer.save_pretrained(folder)``.
        causal_lm: load with ``AutoModelForCausalLM`` (a language-model head) instead of ``AutoModel``.
        tokenizer: a tokenizer to use instead of the folder's.
        safetensors_only: refuse pickled ``pytorch_model.bin`` weights (load ``*.safetensors`` only).

    Raises:
        FileNotFoundError: the folder has no ``config.json``.

    Example:
        >>> model, tokenizer = load_hf_folder("~/models/minilm")  # doctest: +SKIP
        >>> model.training  # doctest: +SKIP
        False
    """
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"{str(path)!r} is not a Hugging Face model folder (no config.json there); pass the folder that "
            "model.save_pretrained(folder) and tokenizer.save_pretrained(folder) wrote (config.json, weights, "
            "tokenizer files)"
        )
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    auto = AutoModelForCausalLM if causal_lm else AutoModel
    options: dict[str, Any] = {"local_files_only": True}
    if safetensors_only:
        options["use_safetensors"] = True
    with offline(), quiet_loading():  # a "Loading weights" bar per tiny model is noise in a notebook
        model = auto.from_pretrained(folder, **options)
        if tokenizer is None:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return model.eval(), tokenizer


#: Causal-LM architectures (``config.json``'s ``architectures[0]``) whose config *and* weights
#: TransformerLens 3.9's HookedTransformer converts from a Hugging Face model without remote code.
#: (Gemma and OLMo 1/2 configs are built from the Hub model name only, so a local folder cannot use them.)
SUPPORTED_ARCHITECTURES = (
    "ApertusForCausalLM",
    "BloomForCausalLM",
    "GPT2LMHeadModel",
    "GPTJForCausalLM",
    "GPTNeoForCausalLM",
    "GPTNeoXForCausalLM",
    "GptOssForCausalLM",
    "LlamaForCausalLM",
    "MistralForCausalLM",
    "MixtralForCausalLM",
    "OPTForCausalLM",
    "Olmo3ForCausalLM",
    "OlmoeForCausalLM",
    "Phi3ForCausalLM",
    "PhiForCausalLM",
    "Qwen2ForCausalLM",
    "Qwen3ForCausalLM",
)

WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json", "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "tokenizer.model", "spiece.model", "vocab.txt")


class CheckpointError(GlassboxError, ValueError):
    """A checkpoint folder that cannot be loaded as a HookedTransformer (the message says how to fix it)."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint folder does not exist."""


def _torch_dtype(dtype: Any) -> Any:
    import torch

    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype).removeprefix("torch."), None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"dtype must be a torch dtype or its name (e.g. 'float32', 'bfloat16'), got {dtype!r}")
    return value


def check_checkpoint(folder: Path) -> dict[str, Any]:
    """Validate a checkpoint folder before loading anything; return its ``config.json``.

    Example:
        >>> check_checkpoint(Path("~/models/my-gpt2").expanduser())["architectures"]  # doctest: +SKIP
        ['GPT2LMHeadModel']
    """
    if not folder.exists():
        raise CheckpointNotFoundError(
            f"no checkpoint folder at {str(folder)!r}; give the folder you saved with model.save_pretrained(folder) "
            "and tokenizer.save_pretrained(folder) (a shipped demo loads with glassbox.demos.load(name))"
        )
    if not folder.is_dir():
        raise CheckpointError(
            f"{str(folder)!r} is a file; give the checkpoint *folder* that holds config.json, the weights and "
            "the tokenizer files"
        )
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise CheckpointError(
            f"{str(folder)!r} has no config.json, so it is not a Hugging Face checkpoint folder; save the model "
            "with model.save_pretrained(folder) (transformers) or point at the folder that holds config.json"
        )
    try:
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(
            f"{str(config_path)!r} is not valid JSON ({exc}); save it again with save_pretrained"
        ) from exc
    architectures = config.get("architectures") or []
    architecture = architectures[0] if architectures else None
    if architecture not in SUPPORTED_ARCHITECTURES:
        raise CheckpointError(
            f"config.json names architecture {architecture!r}, which TransformerLens's HookedTransformer cannot "
            f"convert from a local folder; supported: {', '.join(SUPPORTED_ARCHITECTURES)}. For another "
            "architecture, load it with transformer_lens.model_bridge.TransformerBridge.boot_transformers(...) "
            "(hooks, but not a HookedTransformer), or build a HookedTransformerConfig yourself and map the "
            "weights into HookedTransformer's state-dict names"
        )
    if not any(any(folder.glob(pattern)) for pattern in WEIGHT_PATTERNS):
        raise CheckpointError(
            f"{str(folder)!r} has config.json but no weights (model.safetensors, model-*.safetensors with its "
            "index, or pytorch_model.bin); save them with model.save_pretrained(folder)"
        )
    return config


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / name).is_file() for name in TOKENIZER_FILES)


def _stage_config(config: dict[str, Any], staging: Path) -> Path:
    """A copy of ``config.json`` in a neutrally named folder, with the keys TransformerLens reads filled in."""
    staged = dict(config)
    if staged["architectures"][0] == "GPT2LMHeadModel" and "n_ctx" not in staged and "n_positions" in staged:
        staged["n_ctx"] = staged["n_positions"]  # transformers 5 no longer saves n_ctx; TransformerLens reads it
    folder = staging / "checkpoint"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(staged), encoding="utf-8")
    return folder


def load_hooked_transformer(
    path: str | Path,
    *,
    device: str = "cpu",
    dtype: Any = None,
    fold_ln: bool = True,
    center_writing_weights: bool = True,
    center_unembed: bool = True,
    fold_value_biases: bool = True,
    refactor_factored_attn_matrices: bool = False,
    tokenizer: Any = None,
    default_prepend_bos: bool | None = None,
    max_memory_gb: float | None = None,
) -> HookedTransformer:
    """Load a local Hugging Face checkpoint folder, or a GGUF file, as an eval-mode HookedTransformer.

    Args:
        path: a folder written by ``model.save_pretrained(folder)`` and ``tokenizer.save_pretrained(folder)``
            (config.json, weights, tokenizer files), or a ``.gguf`` file (llama.cpp's format; needs the
            ``gguf`` package), dequantized to float32 and converted once into a folder cached under
            ``~/.cache/glassbox/gguf`` by the file's SHA-256 (see
            :mod:`~glassbox_jupyter.teacher.gguf_loading`). Shipped demos load with ``glassbox.demos.load(name)``.
        device, dtype: where and in what precision (default float32) to build the model.
        fold_ln, center_writing_weights, center_unembed, fold_value_biases, refactor_factored_attn_matrices:
            TransformerLens's weight processing, as in ``HookedTransformer.from_pretrained``. They leave the
            log-probabilities unchanged (``center_unembed`` shifts each position's logits by a constant).
        tokenizer: a tokenizer to use instead of the folder's (required if the folder has none).
        default_prepend_bos: override whether strings get a BOS token prepended (TransformerLens default: yes).
        max_memory_gb: for a GGUF file, the memory its size check may assume (default: what is available).

    Nothing is downloaded: Hugging Face offline mode is on for the whole call.

    Example:
        >>> model = load_hooked_transformer("~/models/my-gpt2")  # doctest: +SKIP
        >>> model.cfg.n_layers, model.training  # doctest: +SKIP
        (2, False)
    """
    folder = Path(path).expanduser()
    if folder.suffix.lower() == ".gguf" and not folder.is_dir():
        from glassbox_jupyter.teacher.gguf_loading import gguf_folder

        folder = gguf_folder(folder, max_memory_gb=max_memory_gb)
    config = check_checkpoint(folder)
    if tokenizer is None and not _has_tokenizer(folder):
        raise CheckpointError(
            f"{str(folder)!r} has no tokenizer files ({', '.join(TOKENIZER_FILES)}); save the tokenizer with "
            "tokenizer.save_pretrained(folder), or pass tokenizer=... to this function"
        )
    torch_dtype = _torch_dtype(dtype)
    from transformer_lens import HookedTransformer
    from transformer_lens import loading_from_pretrained as loading
    from transformer_lens.utilities.activation_functions import softcap_enabled
    from transformer_lens.utilities.architectures import POST_NORM_ARCHITECTURES
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with (
        offline(),
        quiet_loading(),
        warnings.catch_warnings(),
        tempfile.TemporaryDirectory(prefix="glassbox-") as staging,
    ):
        warnings.simplefilter("ignore", DeprecationWarning)  # "HookedTransformer is deprecated" (TL 3.x)
        try:
            hf_model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, dtype=torch_dtype)
        except Exception as exc:  # OSError, ValueError, safetensors' SafetensorError, ...
            raise CheckpointError(
                f"transformers could not load the weights in {str(folder)!r} ({type(exc).__name__}: {exc}); "
                "save the model again with "
                "model.save_pretrained(folder)"
            ) from exc
        hf_model.eval()  # type: ignore[no-untyped-call]  # unannotated upstream
        for param in hf_model.parameters():
            param.requires_grad = False
        if tokenizer is None:
            try:
                tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            except Exception as exc:
                raise CheckpointError(
                    f"transformers could not load the tokenizer in {str(folder)!r} ({type(exc).__name__}: {exc}); "
                    "save it again with "
                    "tokenizer.save_pretrained(folder), or pass tokenizer=..."
                ) from exc
        staged = str(_stage_config(config, Path(staging)))
        cfg = loading.get_pretrained_model_config(
            staged,
            hf_cfg=hf_model.config.to_dict(),
            fold_ln=fold_ln,
            device=device,
            default_prepend_bos=default_prepend_bos,
            dtype=torch_dtype,
            local_files_only=True,
        )
        n_inner = config.get("n_inner")
        if cfg.original_architecture == "GPT2LMHeadModel" and n_inner:
            cfg.d_mlp = int(n_inner)  # TransformerLens assumes 4 * n_embd
        cfg.model_name = folder.resolve().name
        cfg.tokenizer_name = str(folder.resolve())
        if cfg.original_architecture in POST_NORM_ARCHITECTURES:  # as from_pretrained does
            fold_ln = center_writing_weights = False
        if softcap_enabled(cfg.output_logits_soft_cap):
            center_unembed = False
        state_dict = loading.get_pretrained_state_dict(staged, cfg, hf_model, dtype=torch_dtype)
        model = HookedTransformer(cfg, tokenizer, move_to_device=False)
        model.load_and_process_state_dict(
            state_dict,
            fold_ln=fold_ln,
            center_writing_weights=center_writing_weights,
            center_unembed=center_unembed,
            fold_value_biases=fold_value_biases,
            refactor_factored_attn_matrices=refactor_factored_attn_matrices,
        )
    model.move_model_modules_to_device()  # type: ignore[no-untyped-call]  # unannotated upstream
    transposed_layout(model)
    return model.eval()


TRANSPOSED_WEIGHTS = ("W_in", "W_gate", "W_out", "W_U")
#: Attention weights ``[head d_model d_head]`` that TransformerLens 3.9 rearranges to ``[(head d_head) d_model]``
#: in every forward pass (a copy unless stored so that this is a view).
QKV_WEIGHTS = ("W_Q", "W_K", "W_V", "_W_K", "_W_V")


def transposed_layout(model: Any) -> None:
    """Store the MLP, attention and unembedding weights so that the layout each forward pass asks for is a view.

    TransformerLens 3.9 calls ``F.linear(x, W.T.contiguous())`` in every MLP and unembedding forward pass,
    rearranges ``W_Q``/``W_K``/``W_V`` ``[head d_model d_head]`` to ``[(head d_head) d_model]`` and ``W_O``
    ``[head d_head d_model]`` to ``[d_model (head d_head)]`` (``.contiguous()``) in every attention forward
    pass; each is a copy of the whole weight when the weight is stored contiguously. On SmolLM2-135M the
    MLP copies were a third of an ``analyze``, and the attention copies a fifth of a small patched run.
    Holding the same values with the strides of the layout asked for makes those steps views; every number
    stays identical (the same weight values reach ``F.linear``).
    """
    import torch

    with torch.no_grad():
        for name, param in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if leaf in TRANSPOSED_WEIGHTS and param.ndim == 2 and param.is_contiguous():
                param.data = param.data.T.contiguous().T
            elif leaf in QKV_WEIGHTS and param.ndim == 3 and param.is_contiguous():
                param.data = param.data.transpose(1, 2).contiguous().transpose(1, 2)  # [head d_head d_model] storage
            elif leaf == "W_O" and param.ndim == 3 and param.is_contiguous():
                param.data = param.data.permute(2, 0, 1).contiguous().permute(1, 2, 0)  # [d_model head d_head]
