"""The one encoder/decoder definition every reference model shares (SPEC §5), with its initialisation.

Encoder: 1×1 conv to ``depth`` channels, then per scale two 3×3 convs (LeakyReLU 0.2) and 2×2
average pooling, then a 3×3 conv (LeakyReLU) and a linear 3×3 conv to ``latent`` channels.
The decoder mirrors it with nearest-neighbour upsampling. Variants change the numbers
(scales, latent channels), never the code.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["Encoder", "Decoder", "Critic", "MLP", "spec_init_", "LEAK"]

LEAK = 0.2


def spec_init_(module: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """Initialise every conv and dense layer of ``module`` as the paper's code did, in place.

    Convolutions: weights ~ N(0, σ²) with σ = 1/√((1 + 0.2²)·fan_in) (He init for LeakyReLU
    0.2); PyTorch's default (Kaiming-uniform with a = √5) is ~3× smaller and makes the lines
    autoencoder collapse to the mean image. Dense layers (VAE heads, AAE discriminator, VQ-VAE
    bottleneck): TensorFlow's default, Glorot-uniform U(±√(6/(fan_in + fan_out))). Biases 0.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            fan_in = layer.weight[0].numel()
            std = 1.0 / math.sqrt((1.0 + LEAK**2) * fan_in)
            with torch.no_grad():
                layer.weight.normal_(0.0, std, generator=generator)
        elif isinstance(layer, nn.Linear):
            bound = math.sqrt(6.0 / (layer.in_features + layer.out_features))
            with torch.no_grad():
                layer.weight.uniform_(-bound, bound, generator=generator)
        else:
            continue
        if layer.bias is not None:
            with torch.no_grad():
                layer.bias.zero_()
    return module


def _conv(c_in: int, c_out: int, k: int = 3) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, padding=k // 2)


def _act() -> nn.LeakyReLU:
    return nn.LeakyReLU(LEAK)


class Encoder(nn.Sequential):
    """Images (n, 1, 32, 32) → codes (n, latent, 32/2^scales, 32/2^scales)."""

    def __init__(self, depth: int = 16, scales: int = 4, latent: int = 16, channels: int = 1) -> None:
        layers: list[nn.Module] = [_conv(channels, depth, 1)]
        c = depth
        for s in range(scales):
            width = depth << s
            layers += [_conv(c, width), _act(), _conv(width, width), _act(), nn.AvgPool2d(2)]
            c = width
        top = depth << scales
        layers += [_conv(c, top), _act(), _conv(top, latent)]
        super().__init__(*layers)


class Decoder(nn.Sequential):
    """Codes (n, latent, h, w) → images (n, channels, h·2^scales, w·2^scales), linear output."""

    def __init__(self, depth: int = 16, scales: int = 4, latent: int = 16, channels: int = 1) -> None:
        layers: list[nn.Module] = []
        c = latent
        for s in reversed(range(scales)):
            width = depth << s
            layers += [_conv(c, width), _act(), _conv(width, width), _act(), nn.Upsample(scale_factor=2, mode="nearest")]
            c = width
        layers += [_conv(c, depth), _act(), _conv(depth, channels)]
        super().__init__(*layers)


class Critic(nn.Module):
    """ACAI's critic: the encoder architecture, its output averaged to one scalar per image."""

    def __init__(self, depth: int = 16, scales: int = 4, latent: int = 16, channels: int = 1) -> None:
        super().__init__()
        self.net = Encoder(depth, scales, latent, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).mean(dim=(1, 2, 3))


class MLP(nn.Sequential):
    """Dense layers with LeakyReLU between them (the AAE discriminator: 64 → 100 → 100 → 1)."""

    def __init__(self, sizes: tuple[int, ...]) -> None:
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(_act())
        super().__init__(*layers)
