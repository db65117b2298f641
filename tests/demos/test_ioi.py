"""The ``ioi`` demo: a HookedTransformer with its own tokenizer, trained on indirect-object identification."""

from __future__ import annotations

import json
import re
import socket

import pytest
import torch

import glassbox
from glassbox_jupyter.demos import ioi as task
from glassbox_jupyter.demos.training import ioi as training

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.fixture(scope="module")
def model():
    return glassbox.demos.load("ioi")


def _final_logits(model, texts: list[str]) -> torch.Tensor:
    """Logits at each text's last token (texts of any length, run one length at a time)."""
    out = torch.empty(len(texts), model.cfg.d_vocab)
    by_length: dict[int, list[int]] = {}
    tokens = [model.to_tokens(t)[0] for t in texts]
    for i, t in enumerate(tokens):
        by_length.setdefault(len(t), []).append(i)
    with torch.no_grad():
        for rows in by_length.values():
            out[rows] = model(torch.stack([tokens[i] for i in rows]))[:, -1]
    return out


def _scores(model, prompts) -> tuple[float, torch.Tensor, torch.Tensor]:
    clean = _final_logits(model, [p.prompt for p in prompts])
    corrupted = _final_logits(model, [p.corrupted_prompt for p in prompts])
    io = torch.tensor([model.to_single_token(p.correct) for p in prompts])
    s = torch.tensor([model.to_single_token(p.incorrect) for p in prompts])
    rows = torch.arange(len(prompts))
    accuracy = float((clean.argmax(-1) == io).float().mean())
    return accuracy, clean[rows, io] - clean[rows, s], corrupted[rows, io] - corrupted[rows, s]


# ---------------------------------------------------------------- card and listing
def test_ioi_is_listed_as_a_hooked_transformer_and_the_others_as_teachers():
    entries = {d["name"]: d for d in glassbox.demos.list()}
    assert entries["ioi"]["kind"] == "hooked_transformer"
    assert entries["ioi"]["inputs"] == ["prompt"] and entries["ioi"]["task"] == "next_token_prediction"
    assert entries["ioi"]["train_script"] == "glassbox_jupyter/demos/training/ioi.py"
    assert {name for name, d in entries.items() if d["kind"] != "teacher"} == {"ioi"}
    assert "ioi_tokenizer" not in entries  # the tokenizer's JSON is not a card


def test_card_documents_config_tokenizer_task_metrics_and_circuit():
    card = glassbox.demos.card("ioi")
    assert card["kind"] == "hooked_transformer" and card["seed"] == training.SEED
    assert card["config"] == training.CONFIG | {"d_vocab": card["config"]["d_vocab"]}
    assert (task.MODELS / card["tokenizer"]).is_file()
    assert card["task_description"]["held_out_names"] == list(task.TEST_NAMES)
    assert card["task_description"]["held_out_templates"] == list(task.TEST_TEMPLATES)
    metrics = card["metrics"]
    assert metrics["test_accuracy"] >= 0.95 and metrics["test_accuracy_io_vs_s"] >= 0.95
    assert metrics["test_mean_logit_diff"] > 5
    assert card["circuit_notes"] and all(isinstance(line, str) for line in card["circuit_notes"])
    assert set(card["circuit"]["heads"]) == {f"L{layer}H{head}" for layer in range(2) for head in range(4)}


def test_weights_and_tokenizer_are_small():
    assert glassbox.demos.model_path("ioi").stat().st_size < 5 * 2**20
    assert task.tokenizer_path().stat().st_size < 200 * 2**10


# ---------------------------------------------------------------- loading
def test_loads_offline_as_an_eval_mode_hooked_transformer(monkeypatch):
    from transformer_lens import HookedTransformer

    def no_network(*args, **kwargs):
        raise AssertionError("loading the ioi demo tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = glassbox.demos.load("ioi")
    assert isinstance(model, HookedTransformer) and not model.training
    assert model.tokenizer is not None and model.cfg.d_vocab == len(model.tokenizer)
    assert model.cfg.n_layers == glassbox.demos.card("ioi")["config"]["n_layers"]


def test_load_takes_no_teacher_arguments():
    with pytest.raises(TypeError, match="HookedTransformer"):
        glassbox.demos.load("ioi", output_units=["logit"])


def test_loading_twice_gives_the_same_model(model):
    again = glassbox.demos.load("ioi")
    tokens = model.to_tokens(PROMPT)
    with torch.no_grad():
        assert torch.equal(model(tokens), again(tokens))


# ---------------------------------------------------------------- tokenizer
def test_tokenizer_prepends_bos_and_keeps_the_leading_space_on_words(model):
    tokens = model.to_tokens(PROMPT)
    assert tokens[0, 0] == model.tokenizer.bos_token_id
    words = model.to_str_tokens(PROMPT)
    assert words == [
        "<|endoftext|>", "When", " Mary", " and", " John", " went", " to", " the", " store", ",",
        " John", " gave", " a", " drink", " to",
    ]  # fmt: skip
    assert model.to_string(tokens[0, 1:]) == PROMPT


@pytest.mark.parametrize("name", task.NAMES)
def test_every_name_is_one_token(model, name):
    token = model.to_single_token(" " + name)
    assert model.to_string([token]) == " " + name


def test_places_and_objects_are_one_token(model):
    for word in task.PLACES + task.OBJECTS:
        assert model.to_tokens(" " + word, prepend_bos=False).shape == (1, 1), word


@pytest.mark.parametrize("text", [" Bartholomew", " Maryanne", " Mary John", " the store"])
def test_multi_token_strings_are_detectable(model, text):
    tokens = model.to_tokens(text, prepend_bos=False)
    assert tokens.shape[1] > 1
    assert model.to_string(tokens[0]) == text  # pieces, never an <unk>
    with pytest.raises(AssertionError, match="not a single token"):
        model.to_single_token(text)


def test_the_script_builds_the_shipped_tokenizer(tmp_path):
    training.build_tokenizer(tmp_path / task.TOKENIZER_FILE)
    built = json.loads((tmp_path / task.TOKENIZER_FILE).read_text(encoding="utf-8"))
    assert built == json.loads(task.tokenizer_path().read_text(encoding="utf-8"))


# ---------------------------------------------------------------- prompts
def test_prompts_are_seeded_tuples():
    prompts = glassbox.demos.ioi_prompts(20, seed=4)
    assert prompts == glassbox.demos.ioi_prompts(20, seed=4) != glassbox.demos.ioi_prompts(20, seed=5)
    prompt, correct, incorrect, corrupted = prompts[0]
    assert (prompt, correct, incorrect, corrupted) == tuple(prompts[0])
    assert prompts[0].correct == correct and correct.startswith(" ") and incorrect.startswith(" ")


@pytest.mark.parametrize("split", sorted(task.SPLITS))
def test_splits_hold_out_names_and_templates(split):
    names, _templates = task.SPLITS[split]
    for p in task.ioi_prompts(200, seed=1, split=split):
        io, s = p.correct.strip(), p.incorrect.strip()
        assert io in names and s in names and io != s
        words = re.findall(r"\w+", p.prompt)
        assert words.count(io) == 1 and words.count(s) == 2 and p.prompt.endswith(" to")  # S is repeated, IO not
    train_names, train_templates = task.SPLITS["train"]
    assert not set(train_names) & set(task.TEST_NAMES)
    assert not set(train_templates) & set(task.TEST_TEMPLATES)


@pytest.mark.parametrize("corruption", ["abc", "io"])
@pytest.mark.parametrize("split", ["test", "train"])
def test_corrupted_prompts_have_equal_token_length(model, split, corruption):
    for p in task.ioi_prompts(100, seed=2, split=split, corruption=corruption):
        clean, corrupted = model.to_tokens(p.prompt)[0], model.to_tokens(p.corrupted_prompt)[0]
        assert clean.shape == corrupted.shape
        changed = (clean != corrupted).nonzero()[:, 0].tolist()
        assert len(changed) == 1  # exactly one name differs
        assert model.to_string(clean[changed]) == (p.incorrect if corruption == "abc" else p.correct)


def test_prompt_arguments_are_checked():
    with pytest.raises(ValueError, match="split"):
        glassbox.demos.ioi_prompts(1, split="validation")
    with pytest.raises(ValueError, match="corruption"):
        glassbox.demos.ioi_prompts(1, corruption="swap")


# ---------------------------------------------------------------- behaviour
@pytest.mark.parametrize("split", ["test", "test_names", "test_templates"])
def test_held_out_accuracy_on_fresh_prompts(model, split):
    """Argmax over the whole vocabulary is the IO for ≥ 95 % of prompts never used in training or scoring."""
    accuracy, diff, corrupted = _scores(model, task.ioi_prompts(300, seed=777, split=split))
    assert accuracy >= 0.95
    assert float((diff > 0).float().mean()) >= 0.95
    assert float(diff.mean()) > 5
    assert abs(float(corrupted.mean())) < 1.5  # the ABC corruption leaves no preference between IO and S


def test_the_example_prompt(model):
    logits = _final_logits(model, [PROMPT])[0]
    assert model.to_string([int(logits.argmax())]) == " Mary"


def test_card_circuit_numbers_are_what_the_shipped_model_gives(model):
    card = glassbox.demos.card("ioi")["circuit"]
    again = training.circuit_analysis(model, n=card["n_prompts"], seed=card["seed"], split=card["split"])
    assert again["logit_diff_clean"] == pytest.approx(card["logit_diff_clean"], abs=0.01)
    for head, values in card["heads"].items():
        for key, value in values.items():
            assert again["heads"][head][key] == pytest.approx(value, abs=0.01), (head, key)


def test_the_circuit_notes_hold(model):
    """The roles the card's notes name: L1 name movers, L0H0 reading the subject, layer-0 previous-name heads."""
    heads = glassbox.demos.card("ioi")["circuit"]["heads"]
    movers = [heads[f"L1H{h}"] for h in range(4)]
    assert all(
        m["dla"] > 2 and m["end->IO"] + m["end->IO+1"] > 0.8 and m["end->S1"] + m["end->S1+1"] < 0.1 for m in movers
    )
    assert max(heads, key=lambda h: heads[h]["patch_abc"]) == "L0H0"
    assert heads["L0H0"]["patch_abc"] > 0.8 and heads["L0H0"]["end->S2"] > 0.8 and abs(heads["L0H0"]["dla"]) < 0.1
    for h in range(4):
        layer0 = heads[f"L0H{h}"]
        assert layer0["IO+1->IO"] > 0.9 and layer0["patch_io"] > 0.2 and layer0["patch_end_io"] < 0.05


@pytest.mark.slow
def test_training_script_reproduces_a_model_that_generalises(model):
    """The seeded script trains the model again (checked on behaviour, not bits)."""
    retrained, metrics = training.train()
    assert metrics["test_accuracy"] >= 0.95
    prompts = task.ioi_prompts(300, seed=99, split="test")
    accuracy, _, _ = _scores(retrained, prompts)
    assert accuracy >= 0.95
    shipped, again = (
        _final_logits(model, [p.prompt for p in prompts]),
        _final_logits(retrained, [p.prompt for p in prompts]),
    )
    assert float((shipped.argmax(-1) == again.argmax(-1)).float().mean()) >= 0.95


def test_the_shipped_sae_loads_through_demos_and_unknown_names_are_refused():
    import glassbox

    sae = glassbox.demos.load_sae("ioi")
    assert sae.cfg.metadata.hook_name == "blocks.0.hook_resid_post" and sae.cfg.d_in == 64
    with pytest.raises(KeyError, match=r"SAEs are shipped for \['ioi', 'smollm2'\]"):
        glassbox.demos.load_sae("friedman_mlp")
