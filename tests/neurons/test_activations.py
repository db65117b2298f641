import numpy as np
import pytest
import torch

from glassbox_jupyter.errors import GlassboxError
from glassbox_jupyter.neurons.activations import collect_neuron_activations, mlp_layers
from glassbox_jupyter.neurons.errors import EmptyTextError, NoMLPError
from glassbox_jupyter.teacher.layers import LayerError

from .conftest import SENTENCES

TEXTS = SENTENCES[:6]


def test_hooked_transformer_token_pooling_reads_hook_post_without_bos(hooked):
    acts = collect_neuron_activations(hooked, TEXTS, 1)
    assert acts.layer == "blocks.1.mlp.hook_post" and acts.source == "HookedTransformer"
    n_words = sum(len(t.split()) for t in TEXTS)
    assert acts.values.shape == (n_words, 32) and acts.values.dtype == np.float64
    assert [label.split(":")[0] for label in acts.sample_labels[:2]] == ["text[0] token 'the'", "text[0] token 'sun'"]
    assert acts.sample_labels[1].split(": ", 1)[1].startswith("the [sun]")  # the token in its context
    assert acts.sample_text_index.tolist()[:5] == [0, 0, 0, 0, 1]
    _, cache = hooked.run_with_cache(TEXTS[0])  # BOS at position 0 is left out
    np.testing.assert_allclose(acts.values[:4], cache["blocks.1.mlp.hook_post"][0, 1:].numpy(), atol=1e-5)
    by_name = collect_neuron_activations(hooked, TEXTS, "blocks.1.mlp.hook_post", batch_size=2)
    np.testing.assert_allclose(by_name.values, acts.values, atol=1e-5)  # right padding changes nothing


def test_sequence_and_max_pooling_summarise_each_text(hooked):
    tokens = collect_neuron_activations(hooked, TEXTS, 0)
    mean = collect_neuron_activations(hooked, TEXTS, 0, pooling="sequence")
    peak = collect_neuron_activations(hooked, TEXTS, 0, pooling="max")
    assert mean.values.shape == (6, 32) and mean.sample_labels == TEXTS
    rows = tokens.sample_text_index == 2
    np.testing.assert_allclose(mean.values[2], tokens.values[rows].mean(0), atol=1e-6)
    np.testing.assert_allclose(peak.values[2], tokens.values[rows].max(0), atol=1e-6)


def test_attention_only_model_has_no_mlp_neurons(attn_only_model):
    with pytest.raises(NoMLPError, match=r"no MLP neurons \(attn_only=True.*blocks\.0\.attn\.hook_z"):
        collect_neuron_activations(attn_only_model, TEXTS, 0)
    assert mlp_layers(attn_only_model) == []


def test_non_mlp_hook_and_unknown_layer(hooked):
    with pytest.raises(NoMLPError, match=r"'blocks\.0\.attn\.hook_z' is not an MLP.*blocks\.0\.mlp\.hook_post"):
        collect_neuron_activations(hooked, TEXTS, "blocks.0.attn.hook_z")
    with pytest.raises(LayerError, match="has 2 blocks"):
        collect_neuron_activations(hooked, TEXTS, 5)
    assert issubclass(NoMLPError, GlassboxError) and issubclass(NoMLPError, ValueError)


def test_texts_shorter_than_one_token_name_their_index(hooked):
    with pytest.raises(EmptyTextError, match=r"text\[1\] is empty"):
        collect_neuron_activations(hooked, ["the sun", "   "], 0)
    with pytest.raises(EmptyTextError, match=r"text\[2\] 'zebra quokka' tokenises to no token") as info:
        collect_neuron_activations(hooked, ["the sun", "the moon", "zebra quokka"], 0)  # unknown words → <pad>
    assert info.value.index == 2


def test_minilm_folder_layer_number_resolves_to_intermediate(minilm_folder, minilm):
    texts = ["The sun is a star.", "Bake the bread for twenty minutes."]
    model, tokenizer = minilm
    pieces = [len(tokenizer.tokenize(t)) for t in texts]
    acts = collect_neuron_activations(minilm_folder, texts, 2)
    assert acts.layer == "encoder.layer.2.intermediate" and acts.source == "transformers:BertModel"
    assert pieces[0] == 6 and acts.values.shape == (sum(pieces), 1536)  # [CLS] and [SEP] left out
    assert acts.sample_labels[0] == "text[0] token 'the': [the] sun is a…"
    assert "[SEP]" not in " ".join(acts.sample_labels)
    assert acts.values.min() > -0.2 and acts.values.max() > 1  # post-GELU: bounded below by ≈ -0.17
    one_by_one = collect_neuron_activations(model, texts, "encoder.layer.2.intermediate", tokenizer=tokenizer,
                                            batch_size=1)  # fmt: skip
    np.testing.assert_allclose(one_by_one.values, acts.values, atol=1e-4)  # padding is masked and left out
    mean = collect_neuron_activations(model, texts, 2, tokenizer=tokenizer, pooling="sequence")
    np.testing.assert_allclose(mean.values[1], acts.values[pieces[0] :].mean(0), atol=1e-4)


def test_minilm_attention_and_layernorm_are_not_mlp_layers(minilm):
    model, tokenizer = minilm
    for layer in ("encoder.layer.1.attention", "encoder.layer.1.output.LayerNorm", "encoder.layer.1"):
        with pytest.raises(NoMLPError, match=r"holds no MLP neurons; choose an MLP layer: encoder\.layer\.0\."):
            collect_neuron_activations(model, ["a star"], layer, tokenizer=tokenizer)
    with pytest.raises(EmptyTextError, match=r"text\[1\] '\[SEP\]' tokenises to no token"):
        collect_neuron_activations(model, ["a star", "[SEP]"], 1, tokenizer=tokenizer)
    with pytest.raises(ValueError, match="needs its tokenizer"):
        collect_neuron_activations(model, ["a star"], 1)


def test_plain_module_rows_and_layer_checks(sequential):
    X = torch.randn(40, 4)
    acts = collect_neuron_activations(sequential, X, "1")
    assert acts.values.shape == (40, 12) and acts.sample_labels[3] == "row 3"
    np.testing.assert_allclose(acts.values, torch.tanh(sequential[0](X)).detach().numpy(), atol=1e-6)
    with pytest.raises(NoMLPError, match=r"'2' is a LayerNorm, which holds no MLP neurons.*0, 1, 3"):
        collect_neuron_activations(sequential, X, "2")
    with pytest.raises(ValueError, match="texts need a tokenizer"):
        collect_neuron_activations(sequential, ["hello"], "1")
