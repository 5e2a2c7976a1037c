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
    """N(0, σ²), σ = 1/√((1 + 0.2²)·fan_in), zero biases: PyTorch's default is ~0.58× that σ."""
    model = rm.build("acai", seed=3)
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
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
    z = model.encode(x)
    assert z.shape == (2, 16, 4, 4)  # SPEC: 4×4×16 at paper scale
    assert rm.make_config("vqvae").codebook_size == 2**14
    q, idx = model.quantise(z)
    assert torch.equal(model.decode(z), model.decode(q))  # decode quantises, so codes already on the codebook are fixed points
    assert not torch.equal(z, q)


def test_vae_encode_is_a_repeatable_posterior_sample() -> None:
    model = rm.build("vae").eval()
    x = torch.from_numpy(interpbench.render(np.linspace(0, 6, 4)).astype(np.float32))[:, None]
    with torch.no_grad():
        first, second = model.encode(x), model.encode(x)
        model.eval()  # the benchmark calls eval() first: the sampler restarts
        again = model.encode(x)
        mu = model.posterior(x)[0].view_as(first)
    assert not torch.equal(first, second)  # independent samples within one scoring
    assert torch.equal(first, again)
    assert not torch.allclose(first, mu)
    mean_model = rm.build("vae", encode_sample=False).eval()
    with torch.no_grad():
        assert torch.equal(mean_model.encode(x), mean_model.posterior(x)[0].view_as(first))
    assert model.decode(first).abs().max() <= 1  # images = 2·sigmoid(logits) − 1


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
