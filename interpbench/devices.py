"""Checking a torch device name before any work is done, so a device this machine lacks is one sentence.

Without the check, ``--device cuda`` on a CPU-only machine fails inside torch with a traceback
(after the model was loaded), ``gpu0`` is a parse error, and ``meta`` "works" until the first
decoded image turns out to hold no values.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from .errors import OptionError

__all__ = ["check_device", "full_fp32", "tf32"]


@contextmanager
def tf32(on: bool) -> Iterator[None]:
    """torch's TF32 switches (cuDNN convolutions, CUDA matrix products) set to ``on`` inside, as before outside."""
    torch = sys.modules.get("torch")
    if torch is None:  # nothing to switch: no torch model can be running
        yield
        return
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = bool(on)
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


def full_fp32() -> AbstractContextManager[None]:
    """torch's float32 convolutions and matrix products in full fp32 (no TF32) inside, as before outside.

    PyTorch lets cuDNN convolutions use TF32 by default, with a 10-bit mantissa: the same weights
    then score differently on a GPU than on a CPU (measured on an H200: ACAI's Mean Distance
    6.7e-4 apart, relative). A benchmark's numbers should not depend on such a default.
    """
    return tf32(False)


def check_device(device: str | None) -> str | None:
    """``device`` unchanged if torch can put a tensor there; otherwise an :class:`OptionError`.

    ``None`` (let the model stay where it is) passes. ``meta`` is refused: its tensors have a
    shape but no values, so nothing placed there can be scored or trained.
    """
    if device is None:
        return None
    text = str(device).strip()
    if not text:
        raise OptionError("the device is empty; name one such as cpu, cuda or cuda:0")
    if text == "cpu" and "torch" not in sys.modules:
        return text  # NumPy adapters run on the CPU; importing torch just to say so is not needed
    try:
        import torch
    except ImportError:
        raise OptionError(f"device {text!r} needs torch, which is not installed") from None
    try:
        parsed = torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        raise OptionError(f"{text!r} is not a torch device; use cpu, cuda, cuda:N or another torch device name") from None
    if parsed.type == "meta":
        raise OptionError("device 'meta' holds no values, so nothing can be scored or trained on it; use cpu or cuda")
    if parsed.type == "cpu":
        return text
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise OptionError(f"device {text!r} was asked for, but CUDA is not available on this machine")
    try:  # the one test that covers every backend (cuda:7 of 1 GPU, mps without Metal, xpu, ...)
        torch.empty(0, device=parsed)
    except Exception as exc:  # noqa: BLE001 - torch raises RuntimeError, AssertionError or others here
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OptionError(f"device {text!r} is not usable on this machine: {reason}") from None
    return text
