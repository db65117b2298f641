"""Offline loading of a user's own Hugging Face checkpoint folder as a HookedTransformer.

The checkpoints are tiny random GPT-2 / Llama models written here with ``save_pretrained``; every load
runs with Hugging Face offline mode on and socket connections refused, so nothing can be fetched.
"""

import json
import shutil
import socket

import pytest
import torch

from glassbox_jupyter.circuits.analyzer import CircuitAnalyzer
from glassbox_jupyter.teacher.hf_loading import (
    SUPPORTED_ARCHITECTURES,
    CheckpointError,
    CheckpointNotFoundError,
    load_hooked_transformer,
)

from .conftest import CORRUPTED, PROMPT, WORDS, make_tokenizer


def _gpt2(folder, seed=0):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    cfg = GPT2Config(
        n_layer=2, n_embd=32, n_head=4, vocab_size=len(WORDS), n_positions=32, bos_token_id=0, eos_token_id=0,
        initializer_range=0.3,  # large weights: log-probabilities far from uniform, so a wrong load shows
    )  # fmt: skip
    model = GPT2LMHeadModel(cfg).eval()
    model.save_pretrained(folder)
    make_tokenizer().save_pretrained(folder)
    return model


def _llama(folder, seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
        vocab_size=len(WORDS), max_position_embeddings=32, bos_token_id=0, eos_token_id=0, pad_token_id=1,
        initializer_range=0.3,
    )  # fmt: skip
    model = LlamaForCausalLM(cfg).eval()
    model.save_pretrained(folder)
    make_tokenizer().save_pretrained(folder)
    return model


@pytest.fixture()
def no_network(monkeypatch):
    """Offline mode on and every socket connection refused (a download attempt would fail loudly)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _same_log_probs(hooked, hf_model):
    tokens = hooked.to_tokens(PROMPT)
    with torch.no_grad():
        ours = hooked(tokens).log_softmax(-1)
        theirs = hf_model(tokens).logits.log_softmax(-1)
    assert theirs.std(dim=-1).min() > 0.1  # far from uniform: the comparison can tell weights apart
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=0)


def test_gpt2_folder_loads_offline_with_the_same_log_probs(tmp_path, no_network):
    folder = tmp_path / "my-gpt2"
    hf_model = _gpt2(folder)
    hooked = load_hooked_transformer(folder)
    assert hooked.cfg.n_layers == 2 and hooked.cfg.n_heads == 4 and hooked.cfg.d_model == 32
    assert hooked.cfg.original_architecture == "GPT2LMHeadModel" and hooked.cfg.model_name == "my-gpt2"
    assert hooked.cfg.normalization_type == "LNPre"  # fold_ln was applied
    _same_log_probs(hooked, hf_model)
    finding = CircuitAnalyzer(hooked, n_boot=20).analyze(PROMPT, " Mary", " John", CORRUPTED)
    assert finding.scores.shape == (2, 4) and finding.circuit


def test_unprocessed_load_matches_raw_logits(tmp_path, no_network):
    folder = tmp_path / "raw"
    hf_model = _gpt2(folder, seed=1)
    hooked = load_hooked_transformer(
        str(folder), fold_ln=False, center_writing_weights=False, center_unembed=False, fold_value_biases=False
    )
    tokens = hooked.to_tokens(PROMPT)
    with torch.no_grad():
        torch.testing.assert_close(hooked(tokens), hf_model(tokens).logits, atol=1e-4, rtol=0)


def test_a_folder_named_like_llama_is_read_from_its_config(tmp_path, no_network):
    """TransformerLens guesses the architecture from names containing 'llama'; the loader must not."""
    hf_gpt2 = _gpt2(tmp_path / "llama-named-gpt2")
    _same_log_probs(load_hooked_transformer(tmp_path / "llama-named-gpt2"), hf_gpt2)
    hf_llama = _llama(tmp_path / "my-llama")
    hooked = load_hooked_transformer(tmp_path / "my-llama")
    assert hooked.cfg.original_architecture == "LlamaForCausalLM" and hooked.cfg.d_mlp == 64
    _same_log_probs(hooked, hf_llama)


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="save_pretrained") as info:
        load_hooked_transformer(tmp_path / "nowhere")
    assert isinstance(info.value, FileNotFoundError) and "glassbox.demos.load" in str(info.value)


def test_a_file_instead_of_a_folder(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="is a file"):
        load_hooked_transformer(tmp_path / "model.safetensors")


def test_no_config_json(tmp_path):
    folder = tmp_path / "ckpt"
    _gpt2(folder)
    (folder / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"no config.json.*save_pretrained"):
        load_hooked_transformer(folder)


def test_unsupported_architecture(tmp_path):
    folder = tmp_path / "ckpt"
    _gpt2(folder)
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["MambaForCausalLM"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="'MambaForCausalLM'") as info:
        load_hooked_transformer(folder)
    message = str(info.value)
    assert "GPT2LMHeadModel" in message and "TransformerBridge" in message
    assert "GPT2LMHeadModel" in SUPPORTED_ARCHITECTURES


def test_missing_weights(tmp_path):
    folder = tmp_path / "ckpt"
    _gpt2(folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"no weights.*save_pretrained"):
        load_hooked_transformer(folder)


def test_missing_tokenizer_and_passing_one(tmp_path, no_network):
    folder = tmp_path / "ckpt"
    hf_model = _gpt2(folder)
    shutil.copy(folder / "tokenizer.json", tmp_path / "tokenizer.json")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError, match=r"no tokenizer files.*tokenizer="):
        load_hooked_transformer(folder)
    _same_log_probs(load_hooked_transformer(folder, tokenizer=make_tokenizer()), hf_model)


def test_corrupt_weights(tmp_path, no_network):
    folder = tmp_path / "ckpt"
    _gpt2(folder)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="could not load the weights"):
        load_hooked_transformer(folder)


def test_offline_mode_is_restored(tmp_path, monkeypatch):
    import huggingface_hub.constants as hub_constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    before = hub_constants.HF_HUB_OFFLINE
    _gpt2(tmp_path / "ckpt")
    load_hooked_transformer(tmp_path / "ckpt")
    import os

    assert hub_constants.HF_HUB_OFFLINE == before and "HF_HUB_OFFLINE" not in os.environ


def test_cli_analyze_reads_a_local_checkpoint_folder(tmp_path, no_network, capsys):
    from glassbox_jupyter.cli import main

    _gpt2(tmp_path / "my-gpt2")
    code = main(
        ["analyze", "--model", str(tmp_path / "my-gpt2"), "--prompt", PROMPT, "--correct", " Mary", "--incorrect",
         " John", "--corrupted", CORRUPTED]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "sufficiency" in out and "L1H" in out


def test_loaded_weights_are_laid_out_so_each_forward_pass_rearranges_them_without_a_copy(smollm2) -> None:
    """TransformerLens 3.9 rearranges W_Q/W_K/W_V to [(head d_head) d_model], W_O to [d_model (head d_head)]
    and transposes the MLP and unembedding weights in every pass; the loader stores them so those are views."""
    import einops

    attn, mlp = smollm2.blocks[3].attn, smollm2.blocks[3].mlp
    for w in (attn.W_Q, attn._W_K, attn._W_V):  # grouped-query keys and values are stored per key/value head
        view = einops.rearrange(w, "head_index d_model d_head -> (head_index d_head) d_model")
        assert view.is_contiguous() and view.data_ptr() == w.data_ptr()
    out = einops.rearrange(attn.W_O, "head_index d_head d_model -> d_model (head_index d_head)")
    assert out.contiguous().data_ptr() == attn.W_O.data_ptr()
    for w in (mlp.W_in, mlp.W_gate, mlp.W_out, smollm2.unembed.W_U):
        assert w.T.contiguous().data_ptr() == w.data_ptr()
