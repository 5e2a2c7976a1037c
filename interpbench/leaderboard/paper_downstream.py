"""The ACAI paper's downstream tables as data: Table 2 (single-layer classifier) and Table 3 (clustering).

Values are accuracies in %, per (model, data set, d_z). Only values whose source could be
checked are filled in; every other cell is None and prints as "n/f" (not found), with the
reason in :data:`NOT_FOUND`. Nothing here is a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PaperCell", "PAPER_TABLE2", "PAPER_TABLE3", "TABLE_COLUMNS", "PAPER_MODELS", "NOT_FOUND", "paper_value",
           "DOWNSTREAM_CITATION"]

DOWNSTREAM_CITATION = (
    "Berthelot, Raffel, Roy, Goodfellow, arXiv:1807.07543 v2, Table 2 (single-layer classifier accuracy, %) "
    "and Table 3 (clustering accuracy, %)"
)

# The paper's model order and its (data set, d_z) columns: the run scripts (brain-research/acai,
# runs/*.sh) train MNIST and SVHN at latent 2 and 16 (d_z 32 and 256) and CIFAR-10 at latent 16
# and 64 (d_z 256 and 1024), all with a 4×4 code.
PAPER_MODELS = ("baseline", "dropout", "denoising", "vae", "aae", "vqvae", "acai")
TABLE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("mnist", 32), ("mnist", 256), ("svhn", 32), ("svhn", 256), ("cifar10", 256), ("cifar10", 1024),
)


@dataclass(frozen=True)
class PaperCell:
    model: str
    dataset: str
    d_z: int
    accuracy: float
    source: str


_ISSUE_22 = ("quoted from the paper's Table 2 in interpbench issue 22; the paper's full text was not "
             "retrievable from this machine, so not re-checked against it")

PAPER_TABLE2: tuple[PaperCell, ...] = (
    PaperCell("acai", "svhn", 256, 85.14, _ISSUE_22),
    PaperCell("baseline", "svhn", 256, 22.74, _ISSUE_22),
)
PAPER_TABLE3: tuple[PaperCell, ...] = ()

NOT_FOUND = (
    "Every other cell of Tables 2 and 3: the paper's text (arXiv:1807.07543 v2) could not be read on this "
    "machine (no network; the stored copies of the paper reachable here give only its opening pages), and "
    "the public code repository holds no results. Fill them in from the paper's Tables 2-3, with their source."
)


def paper_value(table: tuple[PaperCell, ...], model: str, dataset: str, d_z: int) -> float | None:
    """The paper's accuracy for one cell, or None where it was not found."""
    for cell in table:
        if (cell.model, cell.dataset, cell.d_z) == (model, dataset, int(d_z)):
            return cell.accuracy
    return None
