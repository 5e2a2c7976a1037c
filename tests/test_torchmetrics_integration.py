"""InterpBenchMetric with the real torchmetrics: update(model) / compute() / reset() in a plain loop."""

import math

import pytest
import torch

import interpbench

pytest.importorskip("torchmetrics")
from interpbench.integrations.torchmetrics import InterpBenchMetric  # noqa: E402


class AE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.enc = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1024, 4))
        self.dec = torch.nn.Linear(4, 1024)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return torch.tanh(self.dec(z)).view(-1, 1, 32, 32)


def test_update_compute_reset_matches_score_and_restores_train_mode():
    model = AE().train()
    metric = InterpBenchMetric(pairs=4)
    metric.update(model)
    metric.update("pixels")
    assert model.training
    out = metric.compute()
    direct = [interpbench.score(m, pairs=4, checks=False) for m in (model, "pixels")]
    assert float(out["mean_distance"]) == pytest.approx(sum(r.mean_distance for r in direct) / 2, rel=1e-12)
    assert float(out["smoothness"]) == pytest.approx(sum(r.smoothness for r in direct) / 2, rel=1e-12)
    metric.reset()
    assert math.isnan(float(metric.compute()["mean_distance"]))
