"""What a model's ``encode``/``decode`` may return besides a plain array, and how each is read.

Libraries wrap their outputs: diffusers returns ``AutoencoderKLOutput(latent_dist=...)`` and
``DecoderOutput(sample=...)``, pythae ``ModelOutput(embedding=..., reconstruction=...)``, many
models a NamedTuple or dataclass. :data:`OUTPUT_KINDS` lists the kinds the harness unwraps, in the
order they are tried; a library with another wrapper adds one entry (:func:`register_output_kind`).
Anything else gets an error naming its fields and what to return instead.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelOutputError

__all__ = ["OutputKind", "OUTPUT_KINDS", "register_output_kind", "unwrap_output", "is_array"]


def is_array(value: Any) -> bool:
    """A NumPy array, a torch tensor, or another array library's array (JAX, TensorFlow)."""
    if isinstance(value, np.ndarray):
        return True
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return True
    # jax.Array, tf.Tensor and friends: array-likes with a shape and a dtype that NumPy can read.
    return hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "__array__")


def _field(value: Any, name: str) -> Any:
    """``value.name`` or ``value[name]`` (pythae's ModelOutput is both a dict and an object), else None."""
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


@dataclass(frozen=True)
class OutputKind:
    """One known kind of wrapped output.

    ``match(value)`` says whether ``value`` is of this kind; ``read(value, sample)`` returns the array
    inside (``sample``: a callable drawing a seeded sample from a distribution, or None for its mean).
    """

    name: str
    match: Callable[[Any], bool]
    read: Callable[[Any, Callable[[Any], Any] | None], Any]


def _latent_dist(value: Any, sample: Callable[[Any], Any] | None) -> Any:
    dist = _field(value, "latent_dist")
    return dist.mean if sample is None else sample(dist)


def _array_field(name: str) -> OutputKind:
    return OutputKind(name=f".{name}", match=lambda v: is_array(_field(v, name)), read=lambda v, _s: _field(v, name))


def _one_array_field(value: Any) -> list[str]:
    """Names of the array fields of a NamedTuple or dataclass instance (empty for anything else)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value)]
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        names = list(value._fields)
    else:
        return []
    return [n for n in names if is_array(getattr(value, n))]


OUTPUT_KINDS: list[OutputKind] = [
    # diffusers' AutoencoderKL.encode: a diagonal Gaussian posterior. Its mean is the code; with
    # sample=True a seeded draw (the harness reseeds per protocol seed).
    OutputKind(
        name=".latent_dist",
        match=lambda v: _field(v, "latent_dist") is not None and hasattr(_field(v, "latent_dist"), "mean"),
        read=_latent_dist,
    ),
    _array_field("sample"),          # diffusers' DecoderOutput
    _array_field("reconstruction"),  # pythae's decoder ModelOutput
    _array_field("embedding"),       # pythae's encoder ModelOutput
    OutputKind(
        name="NamedTuple/dataclass with one array field",
        match=lambda v: len(_one_array_field(v)) == 1,
        read=lambda v, _s: getattr(v, _one_array_field(v)[0]),
    ),
]


def register_output_kind(kind: OutputKind, *, first: bool = False) -> None:
    """Teach the harness another wrapped output (tried last, or first with ``first=True``)."""
    OUTPUT_KINDS.insert(0, kind) if first else OUTPUT_KINDS.append(kind)


def _fields_of(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [f.name for f in dataclasses.fields(value)]
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return list(value._fields)
    return sorted(k for k in vars(value) if not k.startswith("_")) if hasattr(value, "__dict__") else []


def _shape(value: Any) -> str:
    return "×".join(map(str, value.shape)) if is_array(value) else type(value).__name__


def unwrap_output(value: Any, call: str, what: str, sample: Callable[[Any], Any] | None = None) -> tuple[Any, str | None]:
    """The array inside ``value`` and the name of the kind it was read as (None: already an array).

    Raises :class:`ModelOutputError` naming the fields and what to return for a wrapper that is
    none of :data:`OUTPUT_KINDS`, and for tuples and lists of arrays (a ``(mu, logvar)`` pair).
    """
    if value is None or is_array(value) or isinstance(value, (int, float, np.number)):
        return value, None
    for kind in OUTPUT_KINDS:
        try:
            matched = kind.match(value)
        except Exception:  # noqa: BLE001 - a property that raises just means "not this kind"
            matched = False
        if matched:
            return kind.read(value, sample), kind.name
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields") and value and all(is_array(v) for v in value):
        shapes = ", ".join(_shape(v) for v in value)
        hint = (
            f"if they are a Gaussian posterior's (mean, log-variance), return the mean: encode = lambda x: model.encode(x)[0]"
            if len(value) == 2 and what == "codes" else f"return the one array of {what}"
        )
        raise ModelOutputError(f"{call} returned a {type(value).__name__} of {len(value)} arrays ({shapes}), not one array of {what}; {hint}")
    fields = _fields_of(value)
    arrays = [f for f in fields if is_array(_field(value, f) if isinstance(value, Mapping) else getattr(value, f, None))]
    known = ", ".join(k.name for k in OUTPUT_KINDS)
    listing = f" with fields {', '.join(fields)}" if fields else ""
    example = (f"[{arrays[0]!r}]" if isinstance(value, Mapping) else f".{arrays[0]}") if arrays else ""
    pick = f" (array fields: {', '.join(arrays)}; return the one holding the {what}, e.g. `{example}`)" if arrays else ""
    raise ModelOutputError(
        f"{call} returned {type(value).__name__}{listing}, not an array of {what}{pick}; return an array or tensor, "
        f"or an output interpbench unwraps: {known}"
    )
