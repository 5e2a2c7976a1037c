"""How much work one request may ask for: every reader of options, records and API arguments checks these.

A number past one of these limits is a typo or a crafted file (``--steps 100000``, a baseline
asking for 200,000 seeds, ``batch_size=100000000``), never a benchmark: refusing it up front is
one sentence instead of hours of work or a process the kernel kills for memory.
"""

from __future__ import annotations

from .spec import DEFAULT_STEPS, TEST_SET_SIZE

__all__ = ["MAX_SEEDS", "MAX_SEED", "MAX_PAIRS", "MAX_STEPS", "MAX_KIMG", "MAX_SECONDS", "MAX_RATE", "MAX_BATCH_SIZE",
           "MAX_WIDTH", "MAX_THREADS"]

# Each protocol seed is a full scoring pass (512 images encoded, 4,096 decoded by default).
MAX_SEEDS = 1000
# Seeds are stored as JSON integers; keep them within int64 so every reader of a record can hold them.
MAX_SEED = 2**63 - 1
# Pairs are drawn without replacement from the 5,000-image test set (SPEC §3).
MAX_PAIRS = TEST_SET_SIZE // 2
# 64× the spec's 16 steps: finer than any figure can show, and pairs × steps stays within what a
# run's chunked scoring does in minutes.
MAX_STEPS = 64 * DEFAULT_STEPS
# Training budgets: the paper trained for 2¹⁴ kimg; 2²⁰ kimg (a billion images) is past any run.
MAX_KIMG = 2.0**20
# Durations in seconds (wall clock, --minutes × 60): a century.
MAX_SECONDS = 100 * 365.25 * 86400
# Rates (samples/s) and resource counts: far beyond any hardware, still a number every format holds.
MAX_RATE = 1e12
# Training batch: the paper's 64, 1,024× over; 10⁸ grew to 23 GB before the kernel killed it.
MAX_BATCH_SIZE = 65_536
# Channels, latent sizes, hidden widths and codebook entries of a reference model.
MAX_WIDTH = 2**16
# --threads: far above any machine's cores, far below what would exhaust a process table.
MAX_THREADS = 4096
