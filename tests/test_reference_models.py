"""Reference models: registry, SPEC §5 architecture and initialisation, per-model behaviour."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from torch import nn

import interpbench
import reference_models as rm
from interpbench.errors import OptionError
from reference_models.networks import Decoder, Encoder
from reference_models.training.render import render_torch

ALL = list(rm.MODELS)
# Small variants keep per-model training tests fast; the architecture code is the same.
TINY = {"vqvae": {"codebook_size": 256}}


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_registry_has_the_seven_models() -> None:
    assert ALL == ["baseline", "dropout", "denoising", "vae", "aae", "vqvae", "acai"]
    for name, entry in rm.MODELS.items():
        assert dataclasses.is_dataclass(entry.config)
        assert issubclass(entry.model, rm.ReferenceModel)


def test_parameter_counts_match_spec() -> None:
    # SPEC §5: encoder ≈ 627k, decoder ≈ 314k parameters.
    model = rm.build("baseline")
    assert _count(model.encoder) == 627_472
    assert _count(model.decoder) == 313_985
    # ACAI's critic has the encoder's architecture.
    acai = rm.build("acai")
    assert _count(acai.critic) == _count(acai.encoder) == 627_472
    # AAE discriminator 64 → 100 → 100 → 1.
    assert _count(rm.build("aae").discriminator) == 64 * 100 + 100 + 100 * 100 + 100 + 100 + 1


def test_vqvae_parameter_counts_match_the_papers_code() -> None:
    """SPEC §5 (corrected): three scales, dense 256 → 2,560 → codebook → 512 → 256; the codebook is a buffer."""
    model = rm.build("vqvae")
    assert _count(model.encoder) == 166_288
    assert _count(model.decoder) == 83_329
    assert _count(model.project) + _count(model.expand) + _count(model.to_code) == 2_100_480
    assert _count(model) == 2_350_097
    assert sum(p.numel() for g in model.param_groups().values() for p in g) == 2_350_097  # one Adam trains them all
    names = dict(model.named_buffers())
    assert names["codebook"].shape == (2**14, 256) and "codebook" not in dict(model.named_parameters())


@pytest.mark.parametrize("name", ALL)
def test_every_model_plugs_into_the_adapter_api(name: str) -> None:
    model = rm.build(name, **TINY.get(name, {}))
    assert isinstance(model.encoder, nn.Module) and isinstance(model.decoder, nn.Module)
    x = torch.from_numpy(interpbench.render(np.linspace(0, 6, 5)).astype(np.float32))[:, None]
    with torch.no_grad():
        out = model.decode(model.encode(x))
    assert out.shape == (5, 1, 32, 32)
    result = interpbench.score(model, seeds=[0], pairs=3, keep_images=False)
    assert math.isfinite(result.mean_distance)


def test_spec_initialisation() -> None:
    """Convs: N(0, σ²), σ = 1/√((1 + 0.2²)·fan_in), zero biases: PyTorch's default is ~0.58× that σ."""
    model = rm.build("acai", seed=3)
    layers = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert layers
    for layer in layers:
        fan_in = layer.weight[0].numel()
        sigma = 1 / math.sqrt(1.04 * fan_in)
        w = layer.weight.detach().double()
        assert torch.all(layer.bias == 0)
        if w.numel() >= 2000:  # enough samples for a tight estimate
            assert abs(w.std().item() / sigma - 1) < 0.08, (layer, w.std().item(), sigma)
            assert abs(w.mean().item()) < 4 * sigma / math.sqrt(w.numel())
            # Gaussian, not uniform: the kurtosis of a normal is 3, of a uniform 1.8.
            kurt = ((w - w.mean()) ** 4).mean() / w.var() ** 2
            assert 2.6 < kurt.item() < 3.4


@pytest.mark.parametrize("name", ["vae", "aae", "vqvae"])
def test_dense_layers_are_glorot_uniform(name: str) -> None:
    """TensorFlow's default for dense layers, as the paper's code used: U(±√(6/(fan_in + fan_out))), zero biases."""
    dense = [m for m in rm.build(name, seed=4).modules() if isinstance(m, nn.Linear)]
    assert dense
    for layer in dense:
        bound = math.sqrt(6 / (layer.in_features + layer.out_features))
        w = layer.weight.detach().double()
        assert torch.all(layer.bias == 0)
        assert w.abs().max() <= bound
        if w.numel() >= 2000:
            assert abs(w.std().item() / (bound / math.sqrt(3)) - 1) < 0.08
            kurt = ((w - w.mean()) ** 4).mean() / w.var() ** 2
            assert 1.7 < kurt.item() < 1.9  # uniform, not Gaussian (3)


def test_build_is_seeded_and_overridable() -> None:
    a, b, c = rm.build("baseline", seed=1), rm.build("baseline", seed=1), rm.build("baseline", seed=2)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))
    small = rm.build("acai", depth=8, reg_lambda=0.25)
    assert small.config.depth == 8 and small.config.reg_lambda == 0.25 and _count(small.encoder) < 627_472
    with pytest.raises(OptionError, match="no config field"):
        rm.build("baseline", not_a_field=1)
    with pytest.raises(OptionError, match="unknown model"):
        rm.build("gan")
    assert rm.canonical_name("VQ-VAE") == "vqvae"


def test_vqvae_latent_and_quantised_decode() -> None:
    model = rm.build("vqvae", codebook_size=64).eval()
    x = torch.from_numpy(interpbench.render([0.3, 2.0]).astype(np.float32))[:, None]
    with torch.no_grad():
        h = model.encode(x)
        assert h.shape == (2, 16, 4, 4)  # SPEC: the benchmark interpolates h, 4×4×16
        assert rm.make_config("vqvae").codebook_size == 2**14
        decoder_in, v, q, idx = model.bottleneck(h)
        assert v.shape == (20, 256) and idx.shape == (20,)  # ten 256-d vectors per image
        assert torch.equal(q, model.codebook[idx])
        # Forward value: the quantised vectors. The straight-through v + (q − v) equals q up to two
        # float32 roundings, |st − q| ≤ u·(|q − v| + |st|) with u = 2⁻²⁴; each Linear passes an input
        # difference δ on as |W|·δ and rounds each of its two evaluations by ≤ γ_k·(|W|·|x| + |b|),
        # γ_k = k·u/(1 − k·u) for k summands (ReLU is 1-Lipschitz).
        expected = model.to_code(torch.relu(model.expand(torch.relu(q.view(2, -1))))).view_as(h)
        u = 2.0**-24
        qd, vd = q.double().view(2, -1), v.double().view(2, -1)
        delta = u * ((qd - vd).abs() + qd.abs() + u * (qd - vd).abs())
        x = qd.relu()
        for layer in (model.expand, model.to_code):
            w, b, k = layer.weight.double().abs(), layer.bias.double().abs(), layer.in_features
            gamma = k * u / (1 - k * u)
            delta = delta @ w.T + 2 * gamma * (x.abs() @ w.T + b)
            x = torch.nn.functional.linear(x, layer.weight.double(), layer.bias.double()).relu()
        assert bool(((decoder_in - expected).double().abs().view(2, -1) <= delta).all())
        from_v = model.to_code(torch.relu(model.expand(torch.relu(v.view(2, -1))))).view_as(h)
        assert bool(((from_v - expected).double().abs().view(2, -1) > delta).any())  # the bound can tell v from q
        assert torch.equal(model.decode(h), model.decoder(decoder_in))


def test_vqvae_codebook_initialisation() -> None:
    model = rm.build("vqvae", seed=2)
    bound = math.sqrt(3 / 2**14)
    assert model.codebook.abs().max() <= bound and model.codebook.std() > 0.5 * bound / math.sqrt(3)
    assert torch.equal(model.ema_sum, model.codebook)
    assert torch.count_nonzero(model.ema_count) == 0


def test_vqvae_ema_update_and_commitment_follow_the_papers_formulas() -> None:
    """One step against the paper's bottleneck written out in NumPy float64."""
    torch.manual_seed(0)
    model = rm.build("vqvae", seed=1, codebook_size=32, depth=4, batch_size=8)
    book0, count0, sum0 = (b.detach().double().numpy().copy() for b in (model.codebook, model.ema_count, model.ema_sum))
    x = torch.from_numpy(interpbench.render(np.linspace(0, 6, 8)).astype(np.float32))[:, None]
    losses = model.losses(x, model.noise(x, torch.Generator().manual_seed(0)))
    with torch.no_grad():
        v = model.project_vectors(model.encode(x)).double().numpy()
    dist = ((v[:, None, :] - book0[None]) ** 2).sum(-1)
    idx = dist.argmin(1)
    commit = ((v - book0[idx]) ** 2).mean()
    assert losses["commit"].item() == pytest.approx(commit, rel=1e-5)
    assert losses["ae"].item() == pytest.approx(losses["mse"].item() + 10 * commit, rel=1e-5)
    model.update_buffers(losses, dict(model.named_buffers()))
    k, decay, eps = 32, 0.999, 1e-5
    hot = np.eye(k)[idx]
    count = decay * count0 + (1 - decay) * hot.sum(0)
    sums = decay * sum0 + (1 - decay) * hot.T @ v
    n = count.sum()
    smoothed = (count + eps) / (n + k * eps) * n
    np.testing.assert_allclose(model.ema_count.double().numpy(), count, rtol=1e-5)
    np.testing.assert_allclose(model.codebook.double().numpy(), sums / smoothed[:, None], rtol=2e-4, atol=1e-6)


@pytest.mark.parametrize("regime", ["init", "early", "late"])
def test_vqvae_pruned_search_finds_the_exhaustive_nearest_codes(regime: str) -> None:
    """Scoring's pruned search picks the same codes as comparing every code, whatever the codebook looks like."""
    from reference_models.models.vqvae import nearest_exhaustive

    gen = torch.Generator().manual_seed(0)
    model = rm.build("vqvae", codebook_size=4096).eval()
    live = torch.randperm(4096, generator=gen)[:24]
    with torch.no_grad():
        if regime != "init":  # unused entries blow up early in training and shrink to ~0 late (SPEC §5's EMA)
            model.codebook.mul_(1000.0 if regime == "early" else 1e-6)
            model.codebook[live] = torch.randn(24, 256, generator=gen) * 0.5
            model.ema_count[live] = 1.0
    centres = model.codebook[live][torch.randint(0, 24, (3000,), generator=gen)]
    vectors = centres + 0.05 * torch.randn(3000, 256, generator=gen)
    vectors[:50] = torch.randn(50, 256, generator=gen)  # some far from every live code
    assert torch.equal(model.nearest_codes(vectors), nearest_exhaustive(vectors, model.codebook))


def test_vqvae_search_index_follows_an_ema_update_that_autograd_never_saw() -> None:
    """A CUDA graph replay rewrites the codebook without bumping its ``_version`` (finding 1).

    ``.data`` views share the storage but not the version counter, so an EMA update through them
    is, to the cache, what a replayed one is: the next eval-mode search must use the new
    codebook, not the norm-sorted copy of the old one.
    """
    from reference_models.models.vqvae import nearest_exhaustive

    gen = torch.Generator().manual_seed(3)
    k = 4096
    model = rm.build("vqvae", codebook_size=k, decay=0.0).eval()  # decay 0: one update replaces the codebook
    old_live, new_live = torch.randperm(k, generator=gen)[:48].split(24)
    with torch.no_grad():  # trained-like: unused codes far away, so the pruned search really prunes
        model.codebook.mul_(1000.0)
        model.codebook[old_live] = torch.randn(24, 256, generator=gen) * 0.5
        model.ema_count[old_live] = 1.0
    near_old = model.codebook[old_live].repeat(20, 1) + 0.01 * torch.randn(480, 256, generator=gen)
    assert torch.equal(model.nearest_codes(near_old), nearest_exhaustive(near_old, model.codebook))  # index built

    targets = torch.randn(24, 256, generator=gen) * 0.5
    update = {"ema_vectors": targets.repeat(4, 1), "ema_index": new_live.repeat(4)}
    versions = (model.codebook._version, model.ema_count._version)
    model.update_buffers(update, {name: b.data for name, b in model.named_buffers()})
    assert (model.codebook._version, model.ema_count._version) == versions  # invisible to autograd's counter
    near_new = model.codebook[new_live].repeat(20, 1) + 0.01 * torch.randn(480, 256, generator=gen)
    expected = nearest_exhaustive(near_new, model.codebook)
    assert torch.equal(expected, new_live.repeat(20))
    assert torch.equal(model.nearest_codes(near_new), expected)
    assert "codebook_generation" not in model.state_dict()  # checkpoints keep their format


def test_vae_encode_is_a_posterior_sample_seeded_by_the_protocol_seed() -> None:
    model = rm.build("vae").eval()
    x = torch.from_numpy(interpbench.render(np.linspace(0, 6, 4)).astype(np.float32))[:, None]
    with torch.no_grad():
        model.on_protocol_seed(3)
        first, second = model.encode(x), model.encode(x)
        model.on_protocol_seed(3)
        again = model.encode(x)
        model.on_protocol_seed(4)
        other_seed = model.encode(x)
        mu = model.posterior(x)[0].view_as(first)
    assert not torch.equal(first, second)  # independent samples within one scoring
    assert torch.equal(first, again) and not torch.equal(first, other_seed)
    assert not torch.allclose(first, mu)
    mean_model = rm.build("vae", encode_sample=False).eval()
    with torch.no_grad():
        assert torch.equal(mean_model.encode(x), mean_model.posterior(x)[0].view_as(first))
    assert model.decode(first).abs().max() <= 1  # images = 2·sigmoid(logits) − 1
    # The benchmark reseeds per protocol seed: each seed's score repeats, seeds differ, and results say which codes were used.
    a, b = (interpbench.score(model, seeds=[0, 1], pairs=4, keep_images=False) for _ in range(2))
    assert a.per_seed("mean_distance") == b.per_seed("mean_distance")
    assert a.model["codes"].startswith("posterior sample")
    assert interpbench.score(mean_model, seeds=[0], pairs=4).model["codes"] == "posterior mean"


@pytest.mark.parametrize("name", ALL)
def test_each_model_trains_with_a_decreasing_loss(name: str) -> None:
    """A few steps on one fixed batch of lines: the reconstruction loss must fall."""
    torch.manual_seed(0)
    model = rm.build(name, seed=0, batch_size=32, **TINY.get(name, {}))  # the paper's lr 1e-4
    trainer = rm.Trainer(model, seed=0)
    x = trainer.batch()
    key = "mse" if name in ("aae", "acai", "vqvae") else ("nll" if name == "vae" else "ae")
    history = [float(trainer.step(x)[key]) for _ in range(12)]
    assert all(math.isfinite(v) for v in history)
    assert all(b < a for a, b in zip(history[:-3], history[3:])), history  # falls, not just wobbles
    assert np.mean(history[-3:]) < 0.99 * np.mean(history[:3]), history


def test_adversarial_losses_only_move_their_own_networks() -> None:
    model = rm.build("acai", depth=4, batch_size=8)
    trainer = rm.Trainer(model, seed=0)
    before = {k: v.clone() for k, v in model.critic.state_dict().items()}
    enc_before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    trainer.optimizers["ae"].step = lambda *a, **k: None  # type: ignore[method-assign]  # freeze the AE
    trainer.step()
    assert all(torch.equal(enc_before[k], v) for k, v in model.encoder.state_dict().items())
    assert not all(torch.equal(before[k], v) for k, v in model.critic.state_dict().items())
    assert set(trainer.optimizers) == {"ae", "critic"}
    assert not set(map(id, trainer.groups["ae"])) & set(map(id, trainer.groups["critic"]))


def test_torch_renderer_matches_interpbench_render() -> None:
    rng = np.random.default_rng(5)
    angles = np.concatenate([rng.uniform(0, 2 * np.pi, 3000), np.arange(16) * np.pi / 8, [1e-9, -1e-9, 2 * np.pi - 1e-12]])
    expected = interpbench.render(angles)
    got = render_torch(torch.from_numpy(angles), dtype=torch.float64)[:, 0].numpy()
    assert np.abs(got - expected).max() < 1e-6


def test_networks_shapes_follow_scales() -> None:
    assert Encoder(scales=3)(torch.zeros(1, 1, 32, 32)).shape == (1, 16, 4, 4)
    assert Decoder(scales=3)(torch.zeros(1, 16, 4, 4)).shape == (1, 1, 32, 32)


@pytest.mark.parametrize("name", ["vqvae", "acai"])
def test_bf16_autocast_step(name: str) -> None:
    model = rm.build(name, depth=4, batch_size=8, **TINY.get(name, {}))
    losses = rm.Trainer(model, seed=0, bf16=True).step()
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert all(p.dtype == torch.float32 for p in model.parameters())  # autocast, weights stay fp32


def test_device_is_picked_automatically() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert rm.pick_device().type == expected
    if not torch.cuda.is_available():
        with pytest.raises(OptionError, match="CUDA is not available"):
            rm.pick_device("cuda")
