"""Figures: the interpolation grid and angle-trajectory plot are valid PNGs of the expected size."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

import interpbench
from interpbench.cli import main
from interpbench.errors import OptionError
from interpbench.figures import figure_kind_for, grid_size, write_figure


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk; fails on anything that is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def result() -> interpbench.Result:
    return interpbench.score("pixels", seeds=[0], pairs=12, steps=10)


def test_grid_and_trajectory_pngs(result: interpbench.Result, tmp_path: Path) -> None:
    assert write_figure(result, tmp_path / "g.png") == "grid"
    assert png_size(tmp_path / "g.png") == grid_size(8, 10)
    assert write_figure(result, tmp_path / "angles.trajectory.png") == "trajectory"
    assert png_size(tmp_path / "angles.trajectory.png") == (1200, 530)  # 2 rows of 4 panels at 100 dpi
    assert sorted(p.name for p in tmp_path.iterdir()) == ["angles.trajectory.png", "g.png"]  # no temp files left


def test_grid_with_few_pairs(tmp_path: Path) -> None:
    small = interpbench.score("oracle", seeds=[3], pairs=3, steps=5)
    write_figure(small, tmp_path / "small.png")
    assert png_size(tmp_path / "small.png") == grid_size(3, 5)


def test_kind_from_name_or_option() -> None:
    assert figure_kind_for("a/grid.png") == "grid"
    assert figure_kind_for("a/Trajectory.png") == "trajectory"
    assert figure_kind_for("a/x.png", "trajectory") == "trajectory"
    with pytest.raises(OptionError):
        figure_kind_for("x.png", "histogram")


def test_no_images_kept_is_an_error(tmp_path: Path) -> None:
    bare = interpbench.score("oracle", seeds=[0], pairs=2, keep_images=False)
    with pytest.raises(OptionError, match="keep_images"):
        write_figure(bare, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_run_cli_writes_figures(tmp_path: Path) -> None:
    grid, traj, forced = tmp_path / "grid.png", tmp_path / "traj.png", tmp_path / "forced.png"
    args = ["run", "--adapter", "oracle", "--pairs", "8", "--steps", "6", "--seed", "2"]
    result = CliRunner().invoke(main, [*args, "--figure", str(grid), "--figure", str(traj)])
    assert result.exit_code == 0, result.output
    assert png_size(grid) == grid_size(8, 6)
    assert png_size(traj) == (1200, 530)
    result = CliRunner().invoke(main, [*args, "--figure", str(forced), "--figure-kind", "trajectory"])
    assert result.exit_code == 0 and png_size(forced) == (1200, 530)
