"""A pythae model scored in five lines (pip install 'interpbench[pythae]').

    python examples/pythae_model.py

It first trains a small pythae VAE for a few seconds and saves it with pythae's model.save();
the five lines after "score it" are all a pythae user writes. (So short a training leaves the
VAE near the mean image: the score says so, and the reconstruction check warns.) The saved folder also scores from
the command line: interpbench run --adapter pythae:FOLDER
"""

import sys
import tempfile

import torch

import interpbench


def train_and_save(folder: str, steps: int = 60) -> None:
    from pythae.models import VAE, VAEConfig

    torch.manual_seed(0)
    model = VAE(VAEConfig(input_dim=(1, 32, 32), latent_dim=16))  # pythae's default MLP nets, Sigmoid output
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    stream = interpbench.training_stream(0, 64)
    for _ in range(steps):
        x = (torch.as_tensor(next(stream), dtype=torch.float32)[:, None] + 1) / 2  # pythae's data range: 0..1
        loss = model({"data": x}).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.save(folder)


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="pythae-vae-")
    train_and_save(folder)

    # score it: five lines
    from pythae.models import AutoModel
    from interpbench.adapters import from_pythae
    model = AutoModel.load_from_folder(folder)
    result = interpbench.score(from_pythae(model), seeds=[0], pairs=32)  # posterior mean; sample=True to sample
    print(result.table())
