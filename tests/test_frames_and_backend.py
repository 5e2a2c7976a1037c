"""Result.to_frame (pandas) and figures that leave the user's matplotlib backend alone."""

import subprocess
import sys

import numpy as np
import pytest

import interpbench


def test_to_frame_per_seed_and_per_path():
    result = interpbench.score("oracle", seeds=[0, 1], pairs=4)
    seeds = result.to_frame()
    assert list(seeds["seed"]) == [0, 1] and seeds.attrs["model"] == "oracle" and seeds.attrs["protocol"]["pairs"] == 4
    assert seeds["mean_distance"].mean() == pytest.approx(result.mean_distance, rel=1e-12)
    paths = result.to_frame(per="path")
    assert len(paths) == 8 and set(paths.columns) >= {"seed", "pair", "smoothness", "geodesic_error", "start_angle"}
    assert np.nanmean(paths["smoothness"]) == pytest.approx(result.smoothness, rel=1e-12)
    with pytest.raises(ValueError, match="per must be"):
        result.to_frame(per="image")


def test_drawing_a_figure_keeps_the_backend_the_user_chose(tmp_path):
    code = (
        "import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt\n"
        "import interpbench\n"
        "from interpbench.figures import save_figure, grid_figure\n"
        "r = interpbench.score('oracle', pairs=2)\n"
        f"save_figure(grid_figure(r), {str(tmp_path / 'g.png')!r})\n"
        "print(matplotlib.get_backend())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "svg" and (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
