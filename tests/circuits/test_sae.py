"""SAE feature attribution: the splice is exact, the gradient is right, ablations agree where the model is near
linear, circuit scoping routes gradients through the chosen heads only, bad input is explained, and on the ioi demo
with its shipped SAE the top features have real effects."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, logit_diff
from glassbox_jupyter.circuits.sae import FeatureAttribution, SAEFeatureAttributor

from .conftest import CORRUPTED, PROMPT

OTHER = "When John and Mary went to the store, Mary gave a drink to"


def make_sae(hook: str | None, d_in: int = 32, d_sae: int = 64, seed: int = 0, decoder_scale: float = 1.0, **cfg):
    """A random sae-lens StandardSAE (sae-lens's own initialisation, seeded) with a small positive encoder bias
    so that most features fire."""
    from sae_lens import StandardSAE, StandardSAEConfig
    from sae_lens.saes.sae import SAEMetadata

    torch.manual_seed(seed)
    metadata = SAEMetadata(hook_name=hook) if hook else SAEMetadata()
    sae = StandardSAE(StandardSAEConfig(d_in=d_in, d_sae=d_sae, metadata=metadata, **cfg))
    with torch.no_grad():
        sae.b_enc.fill_(0.1)
        sae.W_dec.mul_(decoder_scale)
    return sae.eval()


@pytest.fixture(scope="module")
def toy_prompts(toy_model):
    return PromptSet.build(toy_model, [(PROMPT, " Mary", " John", CORRUPTED), (OTHER, " John", " Mary", None)])


def _ld(model, bucket, logits=None):
    with torch.no_grad():
        logits = model(bucket.clean) if logits is None else logits
    return logit_diff(logits, bucket.correct, bucket.incorrect).double()


# ---------------------------------------------------------------- the splice
@pytest.mark.parametrize(
    "hook, cfg",
    [("blocks.0.hook_resid_post", {}), ("blocks.1.attn.hook_z", {"reshape_activations": "hook_z"})],
)
def test_splicing_with_the_error_term_leaves_the_logits_unchanged(toy_model, toy_prompts, hook, cfg):
    sae = make_sae(hook, **cfg)
    attributor = SAEFeatureAttributor(toy_model, sae)
    tokens = toy_prompts.buckets[0].clean
    with torch.no_grad():
        plain = toy_model(tokens)
        spliced = attributor.spliced_logits(tokens)
        reconstructed = toy_model.run_with_hooks(tokens, fwd_hooks=[(hook, lambda x, hook: sae(x))])
    assert torch.equal(spliced, plain)
    assert (reconstructed - plain).abs().max() > 1e-2  # the random SAE alone is a poor copy: the error term matters


def test_gradient_attribution_matches_a_finite_difference(toy_model, toy_prompts):
    """attribution_i = Σ_pos f_i ∂M/∂f_i = dM(f with f_i scaled by t)/dt at t = 1, averaged over prompts."""
    attributor = SAEFeatureAttributor(toy_model, make_sae("blocks.0.hook_resid_post"))
    result = attributor.attribute(toy_prompts, top_k=3)
    eps = 1e-2
    for feature in result.feature_ids:

        def scaled(t: float, feature: int = int(feature)) -> float:
            def edit(f):
                f = f.clone()
                f[..., feature] *= t
                return f

            total = 0.0
            for b in toy_prompts.buckets:
                with torch.no_grad():
                    total += float(_ld(toy_model, b, attributor.spliced_logits(b.clean, edit)).sum())
            return total / len(toy_prompts)

        derivative = (scaled(1 + eps) - scaled(1 - eps)) / (2 * eps)
        assert result.all_attribution[feature] == pytest.approx(derivative, rel=1e-2, abs=1e-4)
    assert abs(result.all_attribution[result.feature_ids[0]]) > 0.05  # a real gradient, not ~0 = ~0


def test_ablation_matches_the_gradient_where_the_model_is_near_linear(toy_model, toy_prompts):
    """SAE on the final residual stream (only ln_final and the unembedding follow) with small decoder rows:
    zeroing one feature is a small, near-linear change, so the exact effect ≈ the gradient estimate."""
    attributor = SAEFeatureAttributor(toy_model, make_sae("blocks.1.hook_resid_post", decoder_scale=0.05))
    result = attributor.attribute(toy_prompts, top_k=5)
    assert np.all(np.abs(result.attribution) > 1e-3)
    np.testing.assert_allclose(result.exact_effect, result.attribution, rtol=0.05)


def test_exact_effect_is_a_real_ablation(toy_model, toy_prompts):
    attributor = SAEFeatureAttributor(toy_model, make_sae("blocks.0.hook_resid_post"))
    result = attributor.attribute(toy_prompts, top_k=2)
    feature = int(result.feature_ids[1])

    def zero(f):
        f = f.clone()
        f[..., feature] = 0
        return f

    with torch.no_grad():
        drop = sum(
            float((_ld(toy_model, b) - _ld(toy_model, b, attributor.spliced_logits(b.clean, zero))).sum())
            for b in toy_prompts.buckets
        )
    assert result.exact_effect[1] == pytest.approx(drop / len(toy_prompts), rel=1e-5, abs=1e-6)
    assert isinstance(result, FeatureAttribution) and list(result.to_frame().columns)[:3] == [
        "feature",
        "attribution",
        "exact_effect",
    ]


# ---------------------------------------------------------------- circuit scoping
def test_scoping_to_a_head_that_writes_nothing_gives_zero(single_head_model, toy_prompts):
    """Only L1H2 writes (every other W_O is zero): features cannot act through L1H0, and everything that acts
    through layer 1 acts through L1H2."""
    attributor = SAEFeatureAttributor(single_head_model, make_sae("blocks.0.hook_resid_post"))
    silent = attributor.circuit_scoped(toy_prompts, [(1, 0)], top_k=3)
    assert np.all(silent.all_attribution == 0) and np.allclose(silent.exact_effect, 0, atol=1e-5)
    only = attributor.circuit_scoped(toy_prompts, [(1, 2)], top_k=3)
    layer = attributor.circuit_scoped(toy_prompts, [(1, h) for h in range(4)], top_k=3)
    np.testing.assert_allclose(only.all_attribution, layer.all_attribution, atol=1e-6)
    full = attributor.attribute(toy_prompts, top_k=3)
    assert np.abs(full.all_attribution - only.all_attribution).max() > 1e-3  # the direct path is left out
    assert only.heads == [(1, 2)] and full.heads is None
    assert not single_head_model.cfg.use_split_qkv_input  # the model's flags are restored


def test_bad_input_is_explained(toy_model, toy_prompts):
    good = make_sae("blocks.0.hook_resid_post")
    with pytest.raises(PromptError, match="no hook named 'blocks.9.hook_resid_post'.*did you mean"):
        SAEFeatureAttributor(toy_model, make_sae("blocks.9.hook_resid_post"))
    with pytest.raises(PromptError, match="names no hook"):
        SAEFeatureAttributor(toy_model, make_sae(None))
    with pytest.raises(PromptError, match="d_in is 16 but 'blocks.0.hook_resid_post' is 32 wide"):
        SAEFeatureAttributor(toy_model, make_sae("blocks.0.hook_resid_post", d_in=16))
    with pytest.raises(TypeError, match="sae-lens SAE"):
        SAEFeatureAttributor(toy_model, torch.nn.Linear(32, 64))
    attributor = SAEFeatureAttributor(toy_model, good)
    for top_k in (0, -3, 2.5, True):
        with pytest.raises(PromptError, match="top_k must be a whole number"):
            attributor.attribute(toy_prompts, top_k=top_k)
    with pytest.raises(PromptError, match="PromptSet"):
        attributor.attribute([(PROMPT, " Mary", " John")])
    with pytest.raises(PromptError, match="heads is empty"):
        attributor.circuit_scoped(toy_prompts, [], top_k=2)
    with pytest.raises(PromptError, match="before blocks.0.hook_resid_post"):
        attributor.circuit_scoped(toy_prompts, [(0, 1)], top_k=2)
    with pytest.raises(PromptError, match="not in the model"):
        attributor.circuit_scoped(toy_prompts, [(1, 7)], top_k=2)
    z = SAEFeatureAttributor(toy_model, make_sae("blocks.1.attn.hook_z", reshape_activations="hook_z"))
    with pytest.raises(PromptError, match="residual stream"):
        z.circuit_scoped(toy_prompts, [(1, 0)], top_k=2)
    # the hook may be given explicitly, overriding the SAE's own
    assert SAEFeatureAttributor(toy_model, good, hook_name="blocks.1.hook_resid_pre").hook_name.endswith("pre")


# ---------------------------------------------------------------- the ioi demo and its shipped SAE
@pytest.fixture(scope="module")
def demo():
    import glassbox
    from glassbox_jupyter.demos.ioi_sae import load_ioi_sae, sae_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, sae = glassbox.demos.load("ioi"), load_ioi_sae()
    prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(40, seed=7, split="test"))
    return model, sae, prompts, sae_path()


def test_shipped_sae_loads_offline_with_its_recipe_and_metrics(demo):
    _, sae, _, folder = demo
    from sae_lens import StandardSAE

    assert isinstance(sae, StandardSAE) and sae.cfg.d_in == 64 and sae.cfg.d_sae == 256
    assert sae.cfg.metadata.hook_name == "blocks.0.hook_resid_post"
    metrics = sae.cfg.metadata.metrics
    assert metrics["held_out_fve"] > 0.9 and metrics["test_fve"] > 0.85 and metrics["held_out_l0"] < 20
    assert sae.cfg.metadata.training["train_script"] == "glassbox_jupyter/demos/training/ioi_sae.py"
    assert sum(p.stat().st_size for p in folder.iterdir()) < 5 * 2**20


def test_top_features_on_the_demo_have_real_exact_effects(demo):
    """40 held-out-split prompts (held-out names in held-out frames). Measured: FVE 0.896, fidelity 0.911; the top 5
    by |attribution| have mean |exact effect| 1.80 (the average feature: 0.067) and 4 of 5 share the sign of their
    exact effect; Spearman(attribution, exact) over all 256 features 0.89. The top feature (116) is the honest
    exception: attribution −0.66 but zeroing it costs +3.66 — the model is saturated (logit difference ≈ 13), so
    first-order estimates can miss what a full ablation does; that is why the exact check is reported."""
    from scipy.stats import spearmanr

    model, sae, prompts, _ = demo
    result = SAEFeatureAttributor(model, sae).attribute(prompts, top_k=sae.cfg.d_sae)  # exact effect of every feature
    assert result.fve > 0.85 and result.fidelity > 0.85
    assert result.logit_diff > 10 and abs(result.logit_diff_sae - result.logit_diff) < 0.15 * result.logit_diff
    top = slice(0, 5)
    assert np.sum(np.sign(result.attribution[top]) == np.sign(result.exact_effect[top])) >= 4
    assert np.abs(result.exact_effect[top]).mean() > 10 * np.abs(result.exact_effect).mean()
    exact = np.zeros(sae.cfg.d_sae)
    exact[result.feature_ids] = result.exact_effect
    assert spearmanr(result.all_attribution, exact).statistic > 0.7


def test_circuit_scoped_attributions_add_up_over_heads(demo):
    """Gradients are sums over paths, so scoping to each name mover alone and adding gives the scoping to all
    four; the exact (path-ablation) effect of the top feature through the four name movers is positive."""
    model, sae, prompts, _ = demo
    attributor = SAEFeatureAttributor(model, sae)
    movers = [(1, h) for h in range(4)]
    together = attributor.circuit_scoped(prompts, movers, top_k=3)
    apart = sum(attributor.circuit_scoped(prompts, [head], top_k=1).all_attribution for head in movers)
    np.testing.assert_allclose(apart, together.all_attribution, atol=1e-5)
    assert together.heads == movers and np.abs(together.exact_effect).max() > 1.0


@pytest.mark.slow
def test_training_script_reproduces_the_shipped_sae(demo, tmp_path):
    """The seeded script (about 30 s on one thread) trains the same SAE again, saves it in sae-lens's format and
    the loader reads it back. Same features, not the same bits: CPUs with other vector units (AVX2 vs AVX-512
    kernels) round matmuls differently and 2,500 Adam steps carry that into the weights (seen: up to 5 % of a
    weight's scale), so each feature's encoder and decoder direction must match the shipped one (cosine > 0.98),
    the reconstructions must agree, and the measured metrics must match the card."""
    from glassbox_jupyter.demos.ioi_sae import load_ioi_sae
    from glassbox_jupyter.demos.training import ioi_sae as training

    model, shipped, _, _ = demo
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        trained, metrics = training.train(model=model)  # seeds, one thread, deterministic algorithms
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    training.save(trained, metrics, tmp_path / "again")
    again = load_ioi_sae(tmp_path / "again")
    shapes = {name: weight.shape for name, weight in shipped.state_dict().items()}
    assert {name: weight.shape for name, weight in again.state_dict().items()} == shapes
    decoder_cos = torch.nn.functional.cosine_similarity(again.W_dec, shipped.W_dec, dim=1)
    encoder_cos = torch.nn.functional.cosine_similarity(again.W_enc.T, shipped.W_enc.T, dim=1)
    assert decoder_cos.min() > 0.98 and encoder_cos.min() > 0.98
    torch.testing.assert_close(again.b_dec, shipped.b_dec, rtol=0, atol=0.01 * float(shipped.b_dec.abs().max()))
    acts = training.collect(model, training.ioi_texts(training.task.ioi_prompts(30, seed=7, split="test")))
    with torch.no_grad():
        ours, theirs = again.decode(again.encode(acts)), shipped.decode(shipped.encode(acts))
    assert float((ours - theirs).norm() / theirs.norm()) < 0.02
    card = shipped.cfg.metadata.metrics
    for key in ("held_out_fve", "held_out_l0", "test_fve", "test_logit_diff_fidelity"):
        assert metrics[key] == pytest.approx(card[key], abs=0.01)
    assert again.cfg.metadata.training == shipped.cfg.metadata.training


def test_feature_attribution_says_how_it_was_measured(toy_model, toy_prompts):
    from glassbox_jupyter.teacher.transformer import TransformerAdapter
    from glassbox_jupyter.testing import check_measured

    sae = make_sae("blocks.0.hook_resid_post")
    attributor = SAEFeatureAttributor(toy_model, sae)
    digest = TransformerAdapter(toy_model).describe()["sha256"]
    every_path = attributor.attribute(toy_prompts, top_k=3)
    scoped = attributor.circuit_scoped(toy_prompts, [(1, 2)], top_k=3)
    for result in (every_path, scoped):
        check_measured(result, digest, len(toy_prompts))
    method = scoped.provenance.method
    assert method["scope"] == "through the heads" and method["heads"] == [[1, 2]] and method["top_k"] == 3
    assert every_path.provenance.method["heads"] is None
    assert method["sae"]["d_sae"] == 64 and len(method["sae"]["sha256"]) == 64
    other = SAEFeatureAttributor(toy_model, make_sae("blocks.0.hook_resid_post", seed=1)).attribute(toy_prompts, 3)
    assert other.provenance.method["sae"]["sha256"] != method["sae"]["sha256"]  # names which SAE it was
    exported = every_path.to_dict()["result"]
    assert exported["feature_ids"] == every_path.feature_ids.tolist() and exported["heads"] is None
