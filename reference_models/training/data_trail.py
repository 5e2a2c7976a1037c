"""The evaluation trail of a run on a labelled data set: reconstruction error and probe accuracies.

Line metrics mean nothing on digits, MNIST, SVHN or CIFAR-10, so each evaluation of such a run
records instead the reconstruction error on held-out images of the test part, and the linear
and k-means probe accuracies (interpbench's probes, on the codes the paper's probes saw; see
:meth:`reference_models.base.ReferenceModel.probe_encode`). To keep evaluations cheap on large
data sets, the probes train on a fixed seeded subset of the training part and score a fixed
subset of the test part, the same at every evaluation of a run (sizes recorded in each entry).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

__all__ = ["DatasetEvaluator", "dataset_evaluation_line", "dataset_figure", "EVAL_TRAIN_SIZE", "EVAL_TEST_SIZE",
           "EVAL_RESTARTS"]

EVAL_TRAIN_SIZE = 5000  # probe training codes per evaluation (all of them for smaller data sets)
EVAL_TEST_SIZE = 2000  # probe test codes and reconstructed images per evaluation
EVAL_RESTARTS = 3  # k-means restarts per evaluation (the final probe uses more)
_BATCH = 512


class DatasetEvaluator:
    """Scores a model on data set ``name``'s evaluation subsets; built once per run, loads lazily."""

    def __init__(self, name: str, data_dir: str | os.PathLike[str] | None, channels: int, seed: int = 0,
                 train_size: int = EVAL_TRAIN_SIZE, test_size: int = EVAL_TEST_SIZE, restarts: int = EVAL_RESTARTS) -> None:
        self.name, self.data_dir, self.channels, self.seed = name, data_dir, int(channels), int(seed)
        self.train_size, self.test_size, self.restarts = int(train_size), int(test_size), int(restarts)
        self._split: Any = None

    def split(self) -> Any:
        if self._split is None:
            from interpbench.datasets import DataSplit, Labelled, load_dataset

            full = load_dataset(self.name, self.data_dir, colour=self.channels == 3)
            rng = np.random.default_rng([self.seed, 22])
            train = _subset(full.train, min(self.train_size, len(full.train)), rng, Labelled)
            test = _subset(full.test, min(self.test_size, len(full.test)), rng, Labelled)
            self._split = DataSplit(full.name, train, test, full.n_classes, full.info)
        return self._split

    @torch.no_grad()
    def __call__(self, model: Any, kimg: float, step: int) -> dict[str, Any]:
        from interpbench.probes import probe_codes

        split = self.split()
        device = next(model.parameters()).device
        was_training = model.training
        model.eval()
        try:
            if hasattr(model, "on_protocol_seed"):
                model.on_protocol_seed(self.seed)  # a VAE reconstructs from seeded posterior samples
            view = model.for_probes()
            train_codes = _run(view.encode, split.train.images, device)
            test_codes = _run(view.encode, split.test.images, device)
            recon = _run(lambda x: model.decode(model.encode(x)), split.test.images, device)
        finally:
            model.train(was_training)
        target = _nchw(split.test.images)
        mse = float(np.mean((recon.reshape(target.shape) - target) ** 2, dtype=np.float64))
        accuracy, _ = probe_codes(train_codes, split.train.labels, test_codes, split.test.labels, seed=self.seed,
                                  restarts=self.restarts)
        spread = float(recon.reshape(len(recon), -1).std(axis=0).mean() / max(target.reshape(len(target), -1).std(axis=0).mean(), 1e-12))
        return {"kimg": float(kimg), "step": int(step), "dataset": self.name,
                "reconstruction_mse": mse, "linear": float(accuracy["linear"]), "kmeans": float(accuracy["kmeans"]),
                "output_spread": spread, "probe_train_size": len(split.train), "probe_test_size": len(split.test),
                "kmeans_restarts": self.restarts}


def _subset(part: Any, n: int, rng: np.random.Generator, cls: Any) -> Any:
    if n >= len(part):
        return part
    keep = np.sort(rng.choice(len(part), size=n, replace=False))
    return cls(part.images[keep], part.labels[keep])


def _nchw(images: np.ndarray) -> np.ndarray:
    return images[:, None] if images.ndim == 3 else images


def _run(fn: Any, images: np.ndarray, device: torch.device) -> np.ndarray:
    x = _nchw(images).astype(np.float32, copy=False)
    out = [fn(torch.from_numpy(x[lo : lo + _BATCH]).to(device)).float().cpu().numpy().reshape(min(_BATCH, len(x) - lo), -1)
           for lo in range(0, len(x), _BATCH)]
    return np.concatenate(out)


def dataset_evaluation_line(entry: dict[str, Any]) -> str:
    """A data-set trail record as one progress line."""
    return (f"{entry['kimg']:g} kimg: reconstruction MSE {entry['reconstruction_mse']:.4f}, linear probe {entry['linear']:.2f} %, "
            f"k-means {entry['kmeans']:.2f} % ({entry['probe_train_size']} train / {entry['probe_test_size']} test codes); "
            f"output spread {entry['output_spread']:.3f}")


def dataset_figure(trail: list[dict[str, Any]], last: int = 20) -> dict[str, Any]:
    """Medians of the last ``last`` data-set evaluations (the counterpart of the paper's line figure)."""
    tail = trail[-last:]
    med = {k: float(np.median([e[k] for e in tail])) if tail else None for k in ("reconstruction_mse", "linear", "kmeans")}
    return {**med, "evaluations": len(tail), "complete": len(tail) >= last}
