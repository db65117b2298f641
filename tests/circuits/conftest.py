"""Tiny transformers built here (offline) with a word-level tokenizer, for circuit tests."""

from __future__ import annotations

import itertools
import warnings

import pytest
import torch

WORDS = [
    "<bos>",
    "<pad>",
    "When",
    " Mary",
    " and",
    " John",
    " went",
    " to",
    " the",
    " store",
    ",",
    " gave",
    " a",
    " drink",
    " Tom",
    " Anna",
]
PROMPT = "When Mary and John went to the store, John gave a drink to"
CORRUPTED = "When Tom and John went to the store, John gave a drink to"
#: 12 IOI prompts over four names, each with a third-name corruption
NAMES = ["Mary", "John", "Tom", "Anna"]
MANY = [
    (
        f"When {io} and {s} went to the store, {s} gave a drink to",
        f" {io}",
        f" {s}",
        f"When {c} and {s} went to the store, {s} gave a drink to",
    )
    for io, s, c in itertools.permutations(NAMES, 3)
][:12]


def make_tokenizer():
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(WORDS)}, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(" ?[A-Za-z]+|,"), behavior="isolated")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<bos>",
        pad_token="<pad>",
        add_bos_token=True,
        name_or_path="glassbox-test-words",
    )


def make_model(n_layers: int = 2, seed: int = 0, only_head: tuple[int, int] | None = None, attn_only: bool = True):
    """A random attention-only transformer; with ``only_head`` every other head's W_O is zeroed,
    so that head alone can move the logits (a circuit whose answer is known). ``attn_only=False``
    adds an MLP (d_mlp 64) to every block."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    cfg = HookedTransformerConfig(
        n_layers=n_layers,
        d_model=32,
        n_heads=4,
        d_head=8,
        n_ctx=24,
        d_vocab=len(WORDS),
        act_fn="gelu",
        attn_only=attn_only,
        d_mlp=None if attn_only else 64,
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HookedTransformer(cfg, tokenizer=make_tokenizer(), move_to_device=False)
    if only_head is not None:
        with torch.no_grad():
            for layer in range(n_layers):
                for head in range(4):
                    if (layer, head) != only_head:
                        model.blocks[layer].attn.W_O[head] = 0.0
    model.eval()
    return model


@pytest.fixture(scope="module")
def toy_model():
    return make_model()


@pytest.fixture(scope="module")
def single_head_model():
    return make_model(only_head=(1, 2))


@pytest.fixture(scope="module")
def mlp_model():
    """The toy model with an MLP in every block (``attn_only=False``)."""
    return make_model(attn_only=False)
