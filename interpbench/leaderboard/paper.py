"""The ACAI paper's Table 1 (SPEC §7) as data: what interpbench's reference models are compared with."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PaperRow", "PAPER_TABLE1", "PAPER_CITATION", "paper_key"]

PAPER_CITATION = (
    "Berthelot, Raffel, Roy, Goodfellow, “Understanding and Improving Interpolation in Autoencoders "
    "via an Adversarial Regularizer”, ICLR 2019 (arXiv:1807.07543), Table 1"
)


@dataclass(frozen=True)
class PaperRow:
    """One model's published lines score: Mean Distance ×10⁻³ and Smoothness, mean ± std over ≥ 3 runs."""

    model: str
    mean_distance_e3: float
    mean_distance_e3_std: float
    smoothness: float
    smoothness_std: float


# Mean Distance is kept in the paper's printed unit (×10⁻³) so these lines read like the table.
PAPER_TABLE1: tuple[PaperRow, ...] = (
    PaperRow("Baseline", 6.88, 0.21, 0.44, 0.04),
    PaperRow("Dropout", 2.85, 0.54, 0.74, 0.02),
    PaperRow("Denoising", 4.21, 0.32, 0.66, 0.02),
    PaperRow("VAE", 1.21, 0.17, 0.49, 0.13),
    PaperRow("AAE", 3.26, 0.19, 0.14, 0.02),
    PaperRow("VQ-VAE", 5.41, 0.49, 0.77, 0.02),
    PaperRow("ACAI", 0.24, 0.01, 0.10, 0.01),
)


def paper_key(name: str) -> str:
    """Normalise a model name so 'VQ-VAE', 'vq_vae' and 'vqvae' match ('baseline_ae' → 'baseline')."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return "baseline" if key in ("ae", "baselineae") else key
