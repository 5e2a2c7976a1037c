"""Constants fixed by the benchmark specification (SPEC v1). Changing one changes every score."""

from __future__ import annotations

SPEC_VERSION = "v1"
# The project's own metrics beside the paper's (docs/SPEC.md): the geodesic error, defined-path Smoothness.
EXTENSIONS_VERSION = 1

IMAGE_SIZE = 32
LINE_WIDTH = 2.0
LINE_RADIUS = 15.0
LINE_CENTRE = 16.0

BANK_SIZE = 10_000
TEST_SET_SIZE = 5_000
N_CLASSES = 10

DEFAULT_PAIRS = 256
DEFAULT_STEPS = 16

# Smoothness is undefined for a path whose unwrapped total angle change is below this.
SMOOTHNESS_MIN_TOTAL = 1e-4

# The paper's training budget: 2²⁴ samples, counted in kimg of 1,024 images as its code does (SPEC §5).
IMAGES_PER_KIMG = 1024
PAPER_KIMG = 16_384
