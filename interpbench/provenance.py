"""What produced a result (SPEC §8): versions, hardware, date."""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from functools import lru_cache
from importlib import metadata
from typing import Any

from ._version import __version__
from .spec import EXTENSIONS_VERSION, SPEC_VERSION

__all__ = ["environment", "hardware_description"]

_LIBRARIES = ("numpy", "scipy", "torch", "scikit-learn", "pandas")


@lru_cache(maxsize=1)
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_description(device: str | None = None) -> str:
    """A human-readable name of the hardware a result was computed on."""
    torch = sys.modules.get("torch")
    if device and device.startswith("cuda") and torch is not None and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    import os

    return f"{_cpu_model()} ({os.cpu_count()} logical cores)"


def _version_of(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment(device: str | None = None) -> dict[str, Any]:
    """Spec and package versions, library versions, hardware and UTC date."""
    return {
        "spec_version": SPEC_VERSION,
        "extensions_version": EXTENSIONS_VERSION,
        "package_version": __version__,
        "python": platform.python_version(),
        "libraries": {name: _version_of(name) for name in _LIBRARIES},
        "platform": platform.platform(),
        "hardware": hardware_description(device),
        "device": device or "cpu",
        "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
