from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def reference() -> dict[str, np.ndarray]:
    """Test vectors computed with the paper's original code (SPEC §9)."""
    with np.load(FIXTURES / "reference_v1.npz") as data:
        return {k: data[k] for k in data.files}


