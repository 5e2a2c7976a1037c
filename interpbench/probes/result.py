"""Probe results as records (SPEC §8): accuracies, settings, data, model and provenance, to and from JSON."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..atomic import write_text_atomic
from ..errors import DataError
from ..jsonfile import read_json_object

__all__ = ["ProbeResult", "PROBE_RESULT_FORMAT", "PROBE_LABELS"]

PROBE_RESULT_FORMAT = "interpbench-probe-result"
PROBE_RESULT_FORMAT_VERSION = 1
PROBE_LABELS = {"linear": "linear", "kmeans": "k-means"}


@dataclass
class ProbeResult:
    """What :func:`interpbench.probes.probe` returns.

    ``accuracy`` maps probe name (``linear``, ``kmeans``) to test accuracy in %; ``reference``
    holds the raw-pixel (``pixels`` adapter) accuracies on the same data and settings, if asked for.
    """

    model: dict[str, Any]
    dataset: dict[str, Any]
    settings: dict[str, Any]
    accuracy: dict[str, float]
    code_shape: list[int]
    timings: dict[str, float] = field(default_factory=dict)
    reference: dict[str, Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    # The sanity checks' findings on the model's bridge (value range, layout), as {code, message}.
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.model.get("name", "model"))

    # ------------------------------------------------------------------ output
    def table(self) -> str:
        """A readable table: one row per model (the model, then the raw-pixel reference), one column per probe."""
        d, s = self.dataset, self.settings
        probes = list(self.accuracy)
        lines = [
            f"data set: {d.get('name')} (train {d.get('train_size')}, test {d.get('test_size')}, "
            f"{d.get('n_classes')} classes, chance ≈ {100.0 / max(int(d.get('n_classes') or 1), 1):.0f}%)",
            f"probe seed {s.get('seed')}" + (f", k-means restarts {s.get('kmeans_restarts')}" if "kmeans" in probes else ""),
            "",
            f"{'model':<24}{'code':>8}" + "".join(f"{PROBE_LABELS.get(p, p) + ' (%)':>15}" for p in probes),
        ]
        rows = [(self.name, self.code_shape, self.accuracy)]
        if self.reference:
            rows.append(("pixels (reference)", self.reference.get("code_shape", []), self.reference.get("accuracy", {})))
        for name, shape, acc in rows:
            dim = 1
            for n in shape:
                dim *= int(n)
            cells = "".join(f"{acc[p]:>15.2f}" if p in acc else f"{'-':>15}" for p in probes)
            lines.append(f"{name[:23]:<24}{dim:>8}" + cells)
        lines += [f"warning: {w.get('message')}" for w in self.warnings]
        prov = self.provenance
        if prov:
            lines += ["", f"interpbench {prov.get('package_version')} · spec {prov.get('spec_version')} · {prov.get('hardware')}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROBE_RESULT_FORMAT,
            "format_version": PROBE_RESULT_FORMAT_VERSION,
            "model": self.model,
            "dataset": self.dataset,
            "settings": self.settings,
            "accuracy": {k: float(v) for k, v in self.accuracy.items()},
            "code_shape": list(self.code_shape),
            "timings": self.timings,
            "reference": self.reference,
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        # default=str: model info from a checkpoint may hold paths or other non-JSON values.
        return json.dumps(self.to_dict(), indent=1, allow_nan=False, default=str)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the record as JSON atomically (never a half-written file)."""
        write_text_atomic(path, self.to_json() + "\n")

    # ------------------------------------------------------------------- input
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeResult:
        if data.get("format") != PROBE_RESULT_FORMAT:
            raise DataError(f"not an interpbench probe result (format is {data.get('format')!r})")
        try:
            return cls(
                model=dict(data["model"]),
                dataset=dict(data["dataset"]),
                settings=dict(data["settings"]),
                accuracy={str(k): float(v) for k, v in data["accuracy"].items()},
                code_shape=[int(n) for n in data["code_shape"]],
                timings=dict(data.get("timings") or {}),
                reference=data.get("reference"),
                provenance=dict(data.get("provenance") or {}),
                warnings=[dict(w) for w in data.get("warnings") or []],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"malformed probe result record: {type(exc).__name__}: {exc}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ProbeResult:
        return cls.from_dict(read_json_object(path, "probe result file"))
