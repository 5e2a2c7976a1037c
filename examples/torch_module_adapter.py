"""A torch-module adapter: any nn.Module with encode() and decode() is scored as it is.

    python examples/torch_module_adapter.py

A linear autoencoder whose weights are the principal components of fresh lines (so it needs no
training loop here). The harness hands it NCHW float32 tensors in -1..1 (the defaults; see
`input_layout`/`value_range`) on the module's device, in eval mode, under no_grad.
"""

import numpy as np
import torch
from torch import nn

import interpbench


class LinearAE(nn.Module):
    def __init__(self, code: int = 16) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(1024, code))
        self.decoder = nn.Linear(code, 1024)
        images = next(interpbench.training_stream(0, 2048)).reshape(2048, -1)
        mean = images.mean(axis=0)
        basis = np.linalg.eigh((images - mean).T @ (images - mean))[1][:, ::-1][:, :code].T  # principal axes
        with torch.no_grad():
            self.encoder[1].weight.copy_(torch.as_tensor(basis.copy()))
            self.encoder[1].bias.copy_(torch.as_tensor(-basis @ mean))
            self.decoder.weight.copy_(torch.as_tensor(basis.T.copy()))
            self.decoder.bias.copy_(torch.as_tensor(mean))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, 1, 32, 32)


if __name__ == "__main__":
    result = interpbench.score(LinearAE(), seeds=[0], pairs=32)  # the module as it is: no wrapper
    print(result.table())
