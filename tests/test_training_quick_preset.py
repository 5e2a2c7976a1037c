"""The quick preset really trains: a Baseline reconstructs lines instead of collapsing to the mean image.

Slow (about 2–3 minutes on 2 CPU cores), so left out of the default run:
    pytest tests/test_training_quick_preset.py -m slow
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import interpbench
import reference_models as rm


@pytest.mark.slow
def test_quick_preset_baseline_reconstructs_lines(tmp_path: Path) -> None:
    run = rm.train("baseline", tmp_path, preset="quick", seed=0, progress=False)
    model, info = rm.load_trained("baseline", run.checkpoint)
    assert info["preset"] == "quick" and info["kimg"] == 64
    angles = np.random.default_rng(1).uniform(0, 2 * np.pi, 256)
    x = torch.from_numpy(interpbench.render(angles).astype(np.float32))[:, None]
    with torch.no_grad():
        recon = model.decode(model.encode(x))[:, 0].double().numpy()
    # Collapse = every input decodes to (nearly) one mean image.
    spread = recon.std(axis=0).mean()
    assert spread > 0.1, spread
    _, estimated = interpbench.nearest_line(recon.reshape(256, -1))
    error = np.abs(np.angle(np.exp(1j * (estimated - angles))))
    assert np.median(error) < 0.1, np.median(error)
    assert run.trail[-1]["n_undefined"] < run.trail[-1]["pairs"]
