"""Scores are reproducible: identical three times in a row at one thread count, and at 1, 2 and 4
threads equal within what float32 arithmetic allows (issue 18: "the suite passes three times in a
row ... with 1 and with 2 threads").

Every tolerance is derived, none is tuned on one machine:

* the float32 network's images differ from a float64 evaluation of the same network by at most
  ``n·u·max(1, |x|)``, u = 2⁻²⁴ the unit roundoff and n the sum of the reduction lengths of its
  convolutions and linear layers (the classic γₙ bound of a chain of dot products; the real error
  is a random walk far inside it). Another thread count only sums in another order, so it obeys
  the same bound;
* the cosine to a line moves by at most 2‖Δx‖/‖x‖ when an image moves by Δx, so Mean Distance moves
  by at most the mean of that over the images, and a nearest line can only change where two lines
  were within twice that of each other (a near tie); where no nearest line changes, Smoothness and
  the geodesic error, functions of the nearest lines' angles alone, are equal exactly.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import interpbench
from interpbench.bank import line_bank

THREADS = (1, 2, 4)
U = 2.0**-24  # float32 unit roundoff
PAIRS = 16


def _reduction_length(model: torch.nn.Module) -> int:
    """Sum over the convolutions and linear layers of the terms each output value sums."""
    n = 0
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            n += m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, torch.nn.ConvTranspose2d):
            n += m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, torch.nn.Linear):
            n += m.in_features
    return n


@pytest.fixture(scope="module")
def scored():  # type: ignore[no-untyped-def]
    """The bundled baseline (deterministic: no sampling) scored three times at each thread count, and once in float64."""
    import reference_models as rm

    model, _ = rm.load_trained("baseline")
    runs = {t: [interpbench.score(model, seeds=[0], pairs=PAIRS, threads=t, progress=False, checks=False) for _ in range(3)]
            for t in THREADS}
    exact = interpbench.score(copy.deepcopy(model).double(), seeds=[0], pairs=PAIRS, threads=1, progress=False, checks=False,
                              dtype=torch.float64)
    return model, runs, exact


def _scores(result: interpbench.Result) -> dict:  # type: ignore[type-arg]
    record = result.to_dict()
    return {"metrics": record["metrics"], "seeds": record["seeds"]}


def test_three_times_in_a_row_at_each_thread_count_is_identical(scored) -> None:  # type: ignore[no-untyped-def]
    _, runs, _ = scored
    for t, (first, *again) in runs.items():
        for other in again:
            assert np.array_equal(other.images, first.images), f"{t} threads: decoded images differ between runs"
            assert _scores(other) == _scores(first), f"{t} threads: scores differ between runs"


def test_each_thread_count_is_within_float32_rounding_of_the_exact_images(scored) -> None:  # type: ignore[no-untyped-def]
    model, runs, exact = scored
    bound = _reduction_length(model) * U * max(1.0, float(np.abs(exact.images).max()))
    for t, (run, *_) in runs.items():
        error = float(np.abs(run.images - exact.images).max())
        assert error <= bound, f"{t} threads: images {error:.3g} from the float64 ones, over the float32 bound {bound:.3g}"


def test_scores_at_1_2_and_4_threads_agree_within_what_their_images_allow(scored) -> None:  # type: ignore[no-untyped-def]
    _, runs, _ = scored
    base = runs[1][0]
    x1 = base.images.reshape(-1, 1024)
    bank = line_bank()
    unit_lines = bank.lines / bank.norms[:, None]
    found1 = bank.nearest(x1)
    for t in THREADS[1:]:
        run = runs[t][0]
        xt = run.images.reshape(-1, 1024)
        moved = 2.0 * np.linalg.norm(xt - x1, axis=1) / np.linalg.norm(x1, axis=1)  # bound on each cosine's change
        rounding = 64 * 1024 * 2.0**-53  # the float64 cosine itself
        tolerance = float(moved.mean()) + rounding
        assert abs(run.mean_distance - base.mean_distance) <= tolerance
        foundt = bank.nearest(xt)
        changed = np.flatnonzero(foundt.indices != found1.indices)
        for i in changed:  # only a near tie may change: the two lines' cosines to x1 within 2·moved
            unit = x1[i] / np.linalg.norm(x1[i])
            gap = abs(unit @ unit_lines[foundt.indices[i]] - unit @ unit_lines[found1.indices[i]])
            assert gap <= 2 * moved[i] + rounding, f"{t} threads: image {i} changed its nearest line without a near tie"
        if changed.size == 0:
            assert run.smoothness == base.smoothness and run.geodesic_error == base.geodesic_error
            assert [s.scores.path_smoothness.tolist() for s in run.seeds] == [s.scores.path_smoothness.tolist() for s in base.seeds]
