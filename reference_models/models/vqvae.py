"""VQ-VAE as the paper's code built it (``vqvae.py`` + ``lib/discretization.py``; SPEC §5).

The encoder has three scales, so its output h is 4×4×16. Decoding h: flatten (256) → dense to
``vectors · 256`` → ``vectors`` vectors of 256 dimensions, each replaced by its nearest entry of
one 2¹⁴ × 256 codebook → straight-through → ReLU → dense 512 → ReLU → dense 256 → reshape to
h's shape → the decoder. The codebook moves only by an exponential moving average of the
vectors assigned to each entry; the encoder is pulled towards its codes by the commitment term.

``encode`` returns h, so the benchmark interpolates *before* the projection and quantisation,
as the paper did; ``decode`` projects and quantises.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..base import ModelConfig, ReferenceModel


@dataclass
class VQVAEConfig(ModelConfig):
    scales: int = 3
    codebook_size: int = 2**14
    vectors: int = 10  # discrete latents per image, each of latent·(32 >> scales)² dimensions
    hidden: int = 512  # width of the dense layer after quantisation (the paper's filter_size)
    decay: float = 0.999
    commitment: float = 10.0
    epsilon: float = 1e-5  # Laplace smoothing of the EMA counts, so no code divides by 0


# Vectors per chunk of the nearest-code search: bounds the distance matrix to 1024 × 2¹⁴ (64 MB).
_SEARCH_CHUNK = 1024
# Codes whose distances seed the pruned search's bound: the most used ones are usually nearest.
_PROBES = 64


def nearest_exhaustive(vectors: torch.Tensor, book: torch.Tensor) -> torch.Tensor:
    """argmin_k ‖v − c_k‖² for each row v of ``vectors``, comparing every code (first index on ties).

    No in-place writes, so it also runs under ``vmap`` (several runs' codebooks at once).
    """
    book_sq = book.square().sum(1)
    # ‖v‖² is the same for every code of a row, so it cannot change the argmin.
    return torch.cat([torch.addmm(book_sq, chunk, book.T, alpha=-2.0).argmin(1) for chunk in vectors.split(_SEARCH_CHUNK)])


@dataclass
class CodebookIndex:
    """The codebook sorted by norm, for :func:`nearest_pruned`; rebuilt whenever the codebook changes."""

    key: tuple[int, ...]
    book: torch.Tensor  # the codebook itself, original order
    norms: torch.Tensor  # ascending
    order: torch.Tensor  # original index of each sorted row
    sorted_book: torch.Tensor
    sorted_sq: torch.Tensor
    probes: torch.Tensor  # indices of the most used codes

    @classmethod
    def build(cls, book: torch.Tensor, counts: torch.Tensor, key: tuple[int, ...]) -> CodebookIndex:
        norms, order = torch.sort(book.norm(dim=1), stable=True)
        sorted_book = book[order].contiguous()
        probes = torch.topk(counts, min(_PROBES, counts.numel())).indices
        return cls(key, book, norms, order, sorted_book, sorted_book.square().sum(1), probes)


def nearest_pruned(vectors: torch.Tensor, index: CodebookIndex) -> torch.Tensor:
    """The nearest codes of :func:`nearest_exhaustive`, skipping codes that cannot be nearest.

    By the triangle inequality ‖v − c‖ ≥ |‖v‖ − ‖c‖|, so once the distance r to some code is
    known (the most used codes give a tight one), only codes with ‖c‖ within ‖v‖ ± r can win:
    one contiguous run of the norm-sorted codebook. Vectors are taken in order of norm so a
    chunk's runs overlap. A trained codebook's unused entries sit far from the data (large
    norms early in training, near 0 late), so the run is short; where it is not, the chunk is
    searched exhaustively. Either way the answer is the exhaustive one (up to fp32 rounding
    of distances that differ in the last bits).
    """
    out = torch.empty(vectors.shape[0], dtype=torch.long, device=vectors.device)
    vec_norms = vectors.norm(dim=1)
    by_norm = torch.argsort(vec_norms)
    probe_book = index.book[index.probes]
    n_codes = index.norms.numel()
    for lo in range(0, vectors.shape[0], _SEARCH_CHUNK):
        rows = by_norm[lo : lo + _SEARCH_CHUNK]
        chunk, chunk_norms = vectors[rows], vec_norms[rows]
        bound = torch.cdist(chunk, probe_book).min(1).values
        # Slack for fp32 rounding of the norms and distances: a wider run only costs time.
        slack = 1e-4 * (chunk_norms + bound) + 1e-6
        first = int(torch.searchsorted(index.norms, (chunk_norms - bound - slack).min()))
        last = int(torch.searchsorted(index.norms, (chunk_norms + bound + slack).max(), right=True))
        if last - first > n_codes // 4:
            out[rows] = nearest_exhaustive(chunk, index.book)
            continue
        dist = torch.addmm(index.sorted_sq[first:last], chunk, index.sorted_book[first:last].T, alpha=-2.0)
        best = dist.min(1, keepdim=True).values
        # Ties go to the lowest original index, as in the exhaustive search.
        candidates = torch.where(dist == best, index.order[first:last], n_codes)
        out[rows] = candidates.min(1).values
    return out


@contextmanager
def _full_fp32_matmul(device: torch.device) -> Iterator[None]:
    """Full fp32 matrix products on CUDA (no TF32, whatever the run's ``tf32`` setting): the
    exact code search compares 2¹⁴ near-equal distances, which TF32's 10-bit mantissa would blur.
    The switch is host state read at each launch, so a captured graph keeps what it was then."""
    if device.type != "cuda":
        yield
        return
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


class VQVAE(ReferenceModel):
    config_class = VQVAEConfig
    config: VQVAEConfig
    log_keys = ("ae", "mse")

    def __init__(self, config: VQVAEConfig) -> None:
        super().__init__(config)
        size = 32 >> config.scales
        self._code_shape = (config.latent, size, size)
        self.dim = math.prod(self._code_shape)  # 256 at the paper's scale: each vector has h's size
        k = config.codebook_size
        self.project = nn.Linear(self.dim, config.vectors * self.dim)
        self.expand = nn.Linear(config.vectors * self.dim, config.hidden)
        self.to_code = nn.Linear(config.hidden, self.dim)
        self.register_buffer("codebook", torch.zeros(k, self.dim))
        self.register_buffer("ema_count", torch.zeros(k))
        self.register_buffer("ema_sum", torch.zeros(k, self.dim))
        # Counts EMA updates, for the search index's cache key. Autograd's ``_version`` is no key:
        # a CUDA graph replay rewrites the codebook without bumping it. This counter is advanced by
        # the update itself (inside the graph too). Not persistent: checkpoints stay as they were.
        self.register_buffer("codebook_generation", torch.zeros((), dtype=torch.long), persistent=False)
        self._index: CodebookIndex | None = None

    def reset_parameters(self, generator: torch.Generator) -> None:
        super().reset_parameters(generator)
        bound = math.sqrt(3.0 / self.config.codebook_size)  # TF's uniform_unit_scaling over the codebook
        with torch.no_grad():
            self.codebook.uniform_(-bound, bound, generator=generator)
            self.ema_sum.copy_(self.codebook)
            self.ema_count.zero_()

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"ae": list(self.parameters())}

    # ------------------------------------------------------------ quantisation
    @torch.no_grad()
    def nearest_codes(self, vectors: torch.Tensor) -> torch.Tensor:
        """Index of the nearest codebook entry (squared Euclidean) of each row of ``vectors`` (n, dim).

        Exact, in fp32 even under autocast (2¹⁴ near-equal distances need the precision). While
        training it compares every code, as the paper did. In eval mode (scoring) the same
        nearest codes come from a pruned search: see :func:`nearest_pruned`.
        """
        with torch.autocast(vectors.device.type, enabled=False), _full_fp32_matmul(vectors.device):
            # Half precision is widened; a float64 model (the exactness tests) keeps its precision.
            flat = vectors.to(torch.promote_types(vectors.dtype, torch.float32))
            if self.training:
                return nearest_exhaustive(flat, self.codebook)
            return nearest_pruned(flat, self._search_index())

    def _search_index(self) -> CodebookIndex:
        # The generation catches EMA updates (also graph-replayed ones); the versions catch
        # load_state_dict and any other in-place write dispatched eagerly.
        key = (self.codebook.data_ptr(), self.codebook._version, self.ema_count._version, int(self.codebook_generation))
        if self._index is None or self._index.key != key:
            self._index = CodebookIndex.build(self.codebook, self.ema_count, key)
        return self._index

    def project_vectors(self, h: torch.Tensor) -> torch.Tensor:
        """h (n, latent, s, s) → the (n·vectors, dim) vectors that are quantised."""
        return self.project(h.flatten(1)).view(-1, self.dim)

    def bottleneck(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Quantise h: returns (decoder input shaped like h, projected vectors, their codes, code indices)."""
        v = self.project_vectors(h)
        idx = self.nearest_codes(v)
        q = self.codebook[idx]
        st = v + (q - v).detach()  # straight-through: the gradient of q flows to v
        out = self.to_code(F.relu(self.expand(F.relu(st.view(h.shape[0], -1)))))
        return out.view(h.shape), v, q, idx

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.bottleneck(z.reshape(-1, *self._code_shape))[0])

    # The paper's probes read VQ-VAE's quantised code (the codebook vectors its h maps to), not h.
    probe_code_description = "quantised code: the codebook vectors h maps to (vectors × dim values), as the paper's probes"

    @torch.no_grad()
    def probe_encode(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encode(x)
        return self.codebook[self.nearest_codes(self.project_vectors(h))].view(h.shape[0], -1)

    def probe_decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Images from quantised codes (:meth:`probe_encode`'s): the bottleneck's path after the code search."""
        q = codes.reshape(codes.shape[0], -1)
        out = self.to_code(F.relu(self.expand(F.relu(q))))
        return self.decoder(out.view(-1, *self._code_shape))

    def code_diagnostics(self, codes: torch.Tensor) -> dict[str, Any]:
        """How many codebook entries the codes ``codes`` (n, latent, s, s) use when decoded."""
        idx = self.nearest_codes(self.project_vectors(codes))
        return {"codes_in_use": int(torch.unique(idx).numel())}

    # ------------------------------------------------------------------ bundle
    def compact_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Shrink the 2¹⁴ × 256 codebook for shipping: 48 MB of buffers become ~8 MB.

        Entries the EMA has ever counted (``ema_count`` > 0) are kept exactly; the never-used
        rest, which sit far from the data (SPEC §5's EMA blows them up early and shrinks them
        towards 0 late), are stored in float16. ``ema_sum`` is left out: only training needs it,
        and it follows from the codebook and counts (:meth:`expand_state`).
        """
        state = dict(state)
        book = state.pop("codebook")
        state.pop("ema_sum")
        live = torch.nonzero(state["ema_count"] > 0).flatten()
        state["codebook_live_index"] = live
        state["codebook_live"] = book[live].clone()
        state["codebook_fp16"] = book.half()
        return state

    def expand_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if "codebook_fp16" not in state:
            return dict(state)
        state = dict(state)
        book = state.pop("codebook_fp16").float()
        book[state.pop("codebook_live_index")] = state.pop("codebook_live")
        counts = state["ema_count"]
        n = counts.sum()
        eps, k = self.config.epsilon, counts.numel()  # invert the EMA's codebook = ema_sum / smoothed count
        state["codebook"] = book
        state["ema_sum"] = book * ((counts + eps) / (n + k * eps) * n)[:, None]
        return state

    # ---------------------------------------------------------------- training
    def losses(self, x: torch.Tensor, noise: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        h = self.encode(x)
        decoder_in, v, q, idx = self.bottleneck(h)
        mse = F.mse_loss(self.decoder(decoder_in), x)
        commit = (v - q.detach()).square().mean()
        return {"ae": mse + self.config.commitment * commit, "mse": mse.detach(), "commit": commit.detach(),
                "ema_vectors": v.detach().to(torch.promote_types(v.dtype, torch.float32)), "ema_index": idx}

    @torch.no_grad()
    def update_buffers(self, outputs: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor]) -> None:
        """EMA codebook update from the vectors of the batch just trained on (the codebook has no gradient)."""
        flat, idx = outputs["ema_vectors"], outputs["ema_index"]
        codebook, ema_count, ema_sum = buffers["codebook"], buffers["ema_count"], buffers["ema_sum"]
        decay, k, eps = self.config.decay, self.config.codebook_size, self.config.epsilon
        # index_add_, not bincount: a fixed-size output, so the update can be captured in a CUDA graph.
        counts = torch.zeros(k, device=flat.device, dtype=flat.dtype).index_add_(0, idx, torch.ones_like(idx, dtype=flat.dtype))
        sums = torch.zeros_like(ema_sum).index_add_(0, idx, flat)
        ema_count.mul_(decay).add_(counts, alpha=1 - decay)
        ema_sum.mul_(decay).add_(sums, alpha=1 - decay)
        n = ema_count.sum()
        smoothed = (ema_count + eps) / (n + k * eps) * n
        codebook.copy_(ema_sum / smoothed[:, None])
        buffers["codebook_generation"].add_(1)
