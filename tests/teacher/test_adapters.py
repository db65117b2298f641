"""The model-adapter protocol, checked once on every kind of adapter; layer hooks; Provenance.capture on each."""

from __future__ import annotations

import hashlib
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier
from torch import nn

from glassbox_jupyter.audit import CallableProvider
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.latent.encoding import EncoderAdapter, LatentEncoder
from glassbox_jupyter.teacher import InputSpec, Teacher
from glassbox_jupyter.teacher.adapters import (
    ArrayAdapter,
    CallableAdapter,
    ModelAdapter,
    OnnxAdapter,
    SklearnAdapter,
    TorchAdapter,
    identity_hash,
    model_adapter,
)
from glassbox_jupyter.teacher.blackbox import Decision, Provider
from glassbox_jupyter.teacher.layers import LayerError, hook_layer, resolve_layers
from glassbox_jupyter.teacher.transformer import TransformerAdapter, is_hooked_transformer, module_adapter
from tests.teacher.onnx_models import linear_onnx_bytes

SHA256 = re.compile(r"[0-9a-f]{64}")
X3 = np.random.default_rng(0).random((5, 3))


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


def _onnx_session():
    import onnxruntime as ort

    raw = linear_onnx_bytes()
    return ort.InferenceSession(raw, providers=["CPUExecutionProvider"]), raw


def _transformer():
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    cfg = HookedTransformerConfig(
        n_layers=2, d_model=16, n_heads=2, d_head=8, d_mlp=32, n_ctx=8, d_vocab=12, act_fn="relu", seed=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return HookedTransformer(cfg, move_to_device=False).eval()


class Always(Provider):
    """A minimal black box: approves everything."""

    kind = "always"

    def decide(self, prompt: str, positive: str, negative: str) -> Decision:
        return Decision("positive", 1.0, positive)

    def identity(self) -> dict[str, object]:
        return {"kind": self.kind, "name": "always"}


def _encoder_adapter() -> EncoderAdapter:
    encoder = LatentEncoder(_mlp())
    return EncoderAdapter(encoder, encoder.describe(X3, encoder(X3)))


# (name, factory of the adapter, a batch it takes or None for prompt-driven adapters)
ADAPTERS = {
    "callable": (lambda: CallableAdapter(lambda X: X.sum(axis=1)), X3),
    "sklearn": (lambda: SklearnAdapter(LinearRegression().fit(X3, X3[:, 0])), X3),
    "torch": (lambda: TorchAdapter(_mlp()), X3),
    "torchscript": (lambda: TorchAdapter(torch.jit.script(_mlp())), X3),
    "onnx": (lambda: OnnxAdapter(*_onnx_session()), X3),
    "hooked_transformer": (lambda: TransformerAdapter(_transformer()), None),
    "latent_encoder": (_encoder_adapter, X3),
    "provider": (Always, None),
    "callable_provider": (lambda: CallableProvider(lambda prompt: "approve"), None),
}


@pytest.fixture(params=sorted(ADAPTERS))
def adapter_and_batch(request):
    make, batch = ADAPTERS[request.param]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script, HookedTransformer
        return make(), batch


def test_every_adapter_describes_itself_with_a_stable_sha256(adapter_and_batch):
    adapter, _ = adapter_and_batch
    assert isinstance(adapter, ModelAdapter)
    first, second = adapter.describe(), adapter.describe()
    assert SHA256.fullmatch(first["sha256"]) and first == second
    assert first["sha256"] == adapter.sha256
    assert first["kind"] and {k: v for k, v in first.items() if k != "sha256"} == adapter.identity()
    digest = adapter.weights_hash()
    assert first["sha256"] == (digest or adapter.fingerprint())


def test_every_adapter_answers_a_batch(adapter_and_batch):
    adapter, batch = adapter_and_batch
    if isinstance(adapter, Provider):
        decisions = adapter.decide_batch(["a", "b", "c"], "approve", "deny")
        assert [d.label for d in decisions] == ["positive"] * 3
    elif isinstance(adapter, TransformerAdapter):
        tokens = torch.randint(0, 12, (3, 5))
        acts = adapter.capture(tokens, [adapter.mlp_hook(0), "blocks.1.hook_resid_post"])
        assert acts[adapter.mlp_hook(0)].shape == (3, 5, 32) and acts["blocks.1.hook_resid_post"].shape == (3, 5, 16)
    else:
        assert isinstance(adapter, ArrayAdapter)
        assert len(np.asarray(adapter(batch))) == len(batch)


def test_provenance_capture_on_every_adapter(adapter_and_batch):
    adapter, _ = adapter_and_batch
    prov = Provenance.capture(adapter, probe={"method": "data", "rows": 5}, seed=7, method={"name": "test"})
    assert prov.teacher_hash == adapter.sha256 == prov.teacher["sha256"]
    assert prov.teacher == adapter.describe() and prov.spec is None
    assert prov.probe == {"method": "data", "rows": 5} and prov.seed == 7 and prov.method == {"name": "test"}
    assert set(prov.to_dict()) == {
        "teacher_hash",
        "teacher",
        "spec",
        "probe",
        "seed",
        "method",
        "versions",
        "created",
        "machine",
    }


def test_provenance_capture_on_a_teacher_with_probes(friedman, friedman_probes):
    prov = Provenance.capture(friedman, friedman_probes, seed=3, method={"name": "m"})
    assert prov.teacher_hash == friedman.hash == prov.teacher["sha256"]
    assert prov.spec == friedman.spec.to_dict() and prov.probe == friedman_probes.settings
    explicit = Provenance.capture(friedman, probe={"n": 1}, spec={"names": ["x"]})
    assert explicit.spec == {"names": ["x"]} and explicit.probe == {"n": 1}
    with pytest.raises(ValueError, match="not both"):
        Provenance.capture(friedman, friedman_probes, probe={"n": 1})


def test_provenance_capture_refuses_a_model_without_a_hash():
    class Nameless:
        def describe(self) -> dict[str, object]:
            return {"kind": "mystery"}

    with pytest.raises(ValueError, match="no 'sha256'"):
        Provenance.capture(Nameless())


# ---------------------------------------------------------------------------------------------- hashes
def test_torch_hash_is_the_state_dict_hash_as_before():
    module = _mlp()
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(-1).view(torch.uint8).numpy().tobytes())
    assert TorchAdapter(module).sha256 == digest.hexdigest() == Teacher(module).hash
    assert TransformerAdapter(_transformer()).sha256 == TorchAdapter(_transformer()).sha256


def test_the_hash_is_computed_once():
    calls = []

    class Counting(TorchAdapter):
        def weights_hash(self) -> str:
            calls.append(1)
            return super().weights_hash()

    adapter = Counting(_mlp())
    assert adapter.describe()["sha256"] == adapter.describe()["sha256"] == adapter.sha256
    assert len(calls) == 1


def test_describing_a_module_leaves_it_alone():
    module = _mlp().train()
    TorchAdapter(module, name="m").describe()
    assert module.training  # only calling it switches it to eval mode
    TorchAdapter(module)(X3)
    assert not module.training


def test_callables_sklearn_and_onnx_hashes():
    fn = CallableAdapter(np.sin)
    assert fn.weights_hash() is None and fn.sha256 == fn.fingerprint() != identity_hash(fn.identity())
    wrapped = CallableAdapter(np.sin, sha256="a" * 64)
    assert wrapped.sha256 == "a" * 64
    tree = DecisionTreeClassifier(random_state=0).fit(X3, [0, 1, 0, 1, 0])
    assert SklearnAdapter(tree).is_classifier and SklearnAdapter(tree).sha256 == SklearnAdapter(tree).sha256
    session, raw = _onnx_session()
    assert OnnxAdapter(session, model_bytes=raw).sha256 == hashlib.sha256(raw).hexdigest()
    assert OnnxAdapter(session).weights_hash() is None  # no file bytes: named by its identity


def test_provider_hash_is_its_identity_hash():
    provider = Always()
    assert provider.weights_hash() is None
    assert provider.describe() == {"kind": "always", "name": "always", "sha256": identity_hash(provider.identity())}


def test_model_adapter_picks_one_per_kind_and_refuses_the_rest():
    assert isinstance(model_adapter(_mlp()), TorchAdapter)
    assert isinstance(model_adapter(LinearRegression()), SklearnAdapter)
    assert isinstance(model_adapter(np.sin), CallableAdapter)
    adapter = CallableAdapter(np.cos)
    assert model_adapter(adapter) is adapter and Teacher(adapter).adapter is adapter
    with pytest.raises(TypeError, match="not called on arrays"):
        model_adapter(Always())
    with pytest.raises(TypeError, match="Teacher.load"):
        model_adapter("model.pt")
    with pytest.raises(TypeError, match="cannot use a int"):
        model_adapter(3)


def test_a_teacher_over_a_wrapping_adapter_is_named_by_the_wrapped_hash():
    spec = InputSpec(["a", "b", "c"], low=0, high=1)
    teacher = Teacher(CallableAdapter(lambda X: X[:, :1], sha256="b" * 64), spec)
    assert teacher.hash == "b" * 64 == teacher.describe()["sha256"]
    plain = Teacher(lambda X: X[:, :1], spec)
    assert SHA256.fullmatch(plain.hash) and plain.hash != "b" * 64  # the behaviour fingerprint


def test_encoder_adapter_columns_share_the_encoders_hash():
    encoder = _encoder_adapter()
    column = encoder.column(1, "z1")
    assert column.sha256 == encoder.sha256 and column.describe()["latent"] == "z1"
    assert column(X3).shape == (5,) and encoder(X3).shape == (5, 2)
    assert encoder.describe()["role"] == "encoder"


# ---------------------------------------------------------------------------------------------- layers
def test_module_adapter_and_transformer_description():
    model = _transformer()
    adapter = module_adapter(model, name="tiny")
    assert isinstance(adapter, TransformerAdapter) and is_hooked_transformer(model)
    described = adapter.describe()
    assert {k: described[k] for k in ("kind", "name", "n_layers", "n_heads", "d_model")} == {
        "kind": "hooked_transformer",
        "name": "tiny",
        "n_layers": 2,
        "n_heads": 2,
        "d_model": 16,
    }
    assert adapter.mlp_hooks() == ["blocks.0.mlp.hook_post", "blocks.1.mlp.hook_post"]
    assert "blocks.0.attn.hook_z" in adapter.hook_names()
    with pytest.raises(KeyError, match="no hook point 'blocks.9.mlp.hook_post'"):
        adapter.capture(torch.zeros(1, 3, dtype=torch.long), ["blocks.9.mlp.hook_post"])
    assert type(module_adapter(_mlp())) is TorchAdapter
    with pytest.raises(TypeError, match="HookedTransformer"):
        TransformerAdapter(_mlp())


def test_transformer_capture_matches_run_with_cache_and_keeps_the_mode():
    model = _transformer().train()
    tokens = torch.randint(0, 12, (2, 6))
    got = TransformerAdapter(model).capture(tokens, ["blocks.1.mlp.hook_post"], stop_at_layer=2)
    assert model.training
    model.eval()
    _, cache = model.run_with_cache(tokens, names_filter="blocks.1.mlp.hook_post")
    torch.testing.assert_close(got["blocks.1.mlp.hook_post"], cache["blocks.1.mlp.hook_post"])


def test_hook_layer_reads_outputs_and_inputs_by_layer_name():
    model = _mlp()
    (_, first), (_, last) = resolve_layers(model, "0, 2")
    outputs: list[torch.Tensor] = []
    inputs: list[torch.Tensor] = []
    handles = [hook_layer(first, outputs), hook_layer(last, inputs, read="input")]
    batch = torch.as_tensor(X3, dtype=torch.float32)
    with torch.no_grad():
        model(batch)
    for handle in handles:
        handle.remove()
    torch.testing.assert_close(outputs[0], model[0](batch).detach())
    torch.testing.assert_close(inputs[0], torch.tanh(model[0](batch)).detach())
    with pytest.raises(ValueError, match="read must be"):
        hook_layer(first, outputs, read="weights")  # type: ignore[arg-type]
    with pytest.raises(LayerError, match="no layer named '5'"):
        resolve_layers(model, ["5"])


def test_a_torch_weights_hash_is_remembered_until_a_weight_changes_in_place_or_is_replaced() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    first = TorchAdapter(net).weights_hash()
    assert TorchAdapter(net).weights_hash() == first  # a new adapter on the same module: remembered
    with torch.no_grad():
        net[0].weight[0, 0] += 1.0  # an in-place write advances the tensor's version
    changed = TorchAdapter(net).weights_hash()
    assert changed != first
    net[2].weight = nn.Parameter(net[2].weight.detach().clone() * 2)  # a replaced tensor: a new address
    assert TorchAdapter(net).weights_hash() not in (first, changed)
    fresh = hashlib.sha256()  # what is remembered is the hash of the current bytes, not a stale one
    for name, t in sorted(net.state_dict().items()):
        fresh.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        fresh.update(t.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    assert TorchAdapter(net).weights_hash() == fresh.hexdigest()
