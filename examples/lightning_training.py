"""A Lightning training script with the benchmark as a callback (pip install 'interpbench[lightning]').

    python examples/lightning_training.py

InterpBenchCallback scores the LightningModule's encode/decode at the end of every epoch (eval
mode, no grad, on the module's device), logs interpbench/mean_distance, interpbench/smoothness
and interpbench/n_undefined to trainer.callback_metrics and every logger, and keeps the trail.
Two short epochs leave the model near the mean image; train longer for a real score.
"""

import tempfile

import lightning as L
import torch
from torch import nn

import interpbench
from interpbench.integrations.lightning import InterpBenchCallback


class LineAE(L.LightningModule):
    def __init__(self, code: int = 16) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, code))
        self.decoder = nn.Sequential(nn.Linear(code, 256), nn.ReLU(), nn.Linear(256, 1024), nn.Tanh())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, 1, 32, 32)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        loss = torch.mean((self.decode(self.encode(batch)) - batch) ** 2)
        self.log("train/mse", loss, prog_bar=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def lines(n: int, seed: int = 0) -> torch.utils.data.DataLoader:
    images = torch.as_tensor(next(interpbench.training_stream(seed, n)), dtype=torch.float32)[:, None]
    return torch.utils.data.DataLoader(images, batch_size=64, shuffle=True)


if __name__ == "__main__":
    torch.manual_seed(0)
    callback = InterpBenchCallback(every_n_epochs=1, pairs=32)
    logger = L.pytorch.loggers.CSVLogger(tempfile.mkdtemp(prefix="lightning-logs-"))  # any logger gets the metrics
    trainer = L.Trainer(max_epochs=2, callbacks=[callback], accelerator="cpu", logger=logger,
                        enable_checkpointing=False, enable_model_summary=False, enable_progress_bar=False)
    trainer.fit(LineAE(), lines(512))
    for entry in callback.trail:
        smooth = "undefined" if entry["smoothness"] is None else f"{entry['smoothness']:.3f}"
        print(f"epoch {entry['epoch']}: Mean Distance {entry['mean_distance'] * 1e3:.2f}e-3, Smoothness {smooth}")
    print("logged:", {k: round(float(v), 4) for k, v in trainer.callback_metrics.items() if k.startswith("interpbench/")})
    print("paper-style figure (median of the last 20 evaluations):", callback.paper_figure())
