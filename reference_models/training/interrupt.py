"""Ctrl-C during training: stop at the next step boundary, so the checkpoint written is a clean one.

A ``KeyboardInterrupt`` raised wherever the signal lands could fall between one optimiser's step
and the next, leaving weights no uninterrupted run ever had. Instead, while training runs, the
first SIGINT only sets a flag; the engine checks it after every step, checkpoints that step and
raises :class:`TrainingInterrupted`. A second Ctrl-C interrupts at once, as usual (the last
periodic checkpoint is then what a resume continues from).

SIGTERM (``kill``, a batch scheduler's preemption, ``docker stop``) is handled the same way: a
run told to stop checkpoints its step and says how to resume, instead of dying with nothing saved.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from interpbench.errors import InterpbenchError

__all__ = ["StopOnInterrupt", "TrainingInterrupted", "STOP_SIGNALS"]


class TrainingInterrupted(InterpbenchError):
    """Training stopped on Ctrl-C after checkpointing the step it had reached."""

    def __init__(self, checkpoint: str, step: int, kimg: float) -> None:
        self.checkpoint, self.step, self.kimg = checkpoint, step, kimg
        super().__init__(f"training interrupted at step {step} ({kimg:g} kimg); checkpoint saved to {checkpoint}")


# The signals that ask a run to stop: Ctrl-C, and the polite kill.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnInterrupt:
    """Within ``with``: the first SIGINT or SIGTERM sets ``requested``; a second raises ``KeyboardInterrupt``.

    Signal handlers can only be set from the main thread; elsewhere the signals keep their usual effect.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            for sig, previous in self._previous.items():
                signal.signal(sig, previous)  # type: ignore[arg-type]
            self._installed = False
