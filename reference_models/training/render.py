"""The SPEC §1 line rasteriser in torch, so training batches are rendered where the model runs.

It mirrors :func:`interpbench.render` operation for operation in float64 (tests check they agree
to 1e-6) but uses a fixed number of scanlines, so it never syncs with the device and can be
captured by CUDA graphs / ``torch.compile``.
"""

from __future__ import annotations

import torch

from interpbench.spec import IMAGE_SIZE, LINE_CENTRE, LINE_RADIUS, LINE_WIDTH

__all__ = ["render_torch", "DEVICE_RENDERERS"]

# A segment spans at most LINE_RADIUS along its major axis, so trunc(u0)..ceil(u1) has ≤ R + 2 rows.
_MAX_STEPS = int(LINE_RADIUS) + 2
_SPAN_PIXELS = int(LINE_WIDTH) + 2


def render_torch(angles: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Lines at ``angles`` (1-d tensor, radians) as (n, 1, 32, 32) images in [-1, 1] on the same device."""
    theta = angles.to(torch.float64)
    n = theta.shape[0]
    dev = theta.device
    centre = torch.full_like(theta, LINE_CENTRE)
    end_row = LINE_CENTRE - LINE_RADIUS * torch.sin(theta)
    end_col = LINE_CENTRE + LINE_RADIUS * torch.cos(theta)

    row_major = (end_row - centre).abs() >= (end_col - centre).abs()  # ties: rows are major
    ua = centre
    va = centre
    ub = torch.where(row_major, end_row, end_col)
    vb = torch.where(row_major, end_col, end_row)
    swap = ua > ub
    u0 = torch.where(swap, ub, ua)
    u1 = torch.where(swap, ua, ub)
    v0 = torch.where(swap, vb, va) - LINE_WIDTH / 2
    v1 = torch.where(swap, va, vb) - LINE_WIDTH / 2
    du = u1 - u0
    slope = torch.where(du != 0, (v1 - v0) / torch.where(du != 0, du, torch.ones_like(du)), torch.zeros_like(du))

    u_first = torch.trunc(u0)
    u_stop = torch.ceil(u1)
    u = u_first[:, None] + torch.arange(_MAX_STEPS, device=dev, dtype=torch.float64)[None, :]
    in_segment = u < u_stop[:, None]
    ceil_u0 = torch.ceil(u0)[:, None]
    trunc_u1 = torch.trunc(u1)[:, None]
    one = torch.ones_like(u)
    weight = torch.where(u < ceil_u0, ceil_u0 - u0[:, None], torch.where(u > trunc_u1, u1[:, None] - trunc_u1, one))
    weight = torch.where(in_segment, weight, torch.zeros_like(weight))

    a = v0[:, None] + (u - u0[:, None] - 0.5) * slope[:, None]
    b = a + LINE_WIDTH
    trunc_a, ceil_a, trunc_b = torch.trunc(a), torch.ceil(a), torch.trunc(b)
    a_frac = (a != trunc_a)[..., None]
    b_frac = (b != trunc_b)[..., None]

    k = torch.arange(_SPAN_PIXELS, device=dev, dtype=torch.float64)[None, None, :]
    v = trunc_a[..., None] + k
    zero = torch.zeros((), device=dev, dtype=torch.float64)
    amount = ((ceil_a[..., None] <= v) & (v < trunc_b[..., None])).to(torch.float64)
    amount = amount + torch.where((k == 0) & a_frac, (ceil_a - a)[..., None], zero)
    amount = amount + torch.where((v == trunc_b[..., None]) & b_frac, (b - trunc_b)[..., None], zero)
    amount = amount * weight[..., None]

    u_pix = u[..., None].expand_as(v)
    rows = torch.where(row_major[:, None, None], u_pix, v).long()
    cols = torch.where(row_major[:, None, None], v, u_pix).long()
    inside = (rows >= 0) & (rows < IMAGE_SIZE) & (cols >= 0) & (cols < IMAGE_SIZE)
    # Outside pixels add 0 to a dummy slot instead of being filtered: keeps shapes static.
    image = torch.arange(n, device=dev)[:, None, None].expand_as(v)
    flat = (image * IMAGE_SIZE + rows.clamp(0, IMAGE_SIZE - 1)) * IMAGE_SIZE + cols.clamp(0, IMAGE_SIZE - 1)
    amount = torch.where(inside, amount, zero)
    ink = torch.zeros(n * IMAGE_SIZE * IMAGE_SIZE, device=dev, dtype=torch.float64)
    ink.index_add_(0, flat.reshape(-1), amount.reshape(-1))
    images = (2.0 * ink - 1.0).clamp(-1.0, 1.0)
    return images.view(n, 1, IMAGE_SIZE, IMAGE_SIZE).to(dtype)


# Suites whose training images can be rendered on the accelerator (name -> factors tensor -> images).
# A suite missing here still trains on any device: its stream renders on the host (training/stream.py).
DEVICE_RENDERERS = {"lines": render_torch}
