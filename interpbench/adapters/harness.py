"""The harness between the benchmark and any encode/decode pair.

A third party implements two methods, ``encode(images) -> codes`` and ``decode(codes) ->
images``. The harness does the rest: batching, tensor layouts, the declared value range,
dtypes and torch devices, and it turns every way a model can misbehave into one clear error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..errors import AdapterError, ModelOutputError

__all__ = ["Harness", "LAYOUTS", "VALUE_RANGES", "AUTO", "user_code"]

# How a batch of n images is laid out when handed to ``encode``.
LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "NCHW": lambda x: x[:, None, :, :],
    "NHWC": lambda x: x[:, :, :, None],
    "NHW": lambda x: x,
    "flat": lambda x: x.reshape(x.shape[0], -1),
}
# Per-item output shapes ``decode`` may return; all are unambiguous.
_OUTPUT_SHAPES = {(1, 32, 32), (32, 32, 1), (32, 32), (1024,)}
VALUE_RANGES = {"-1,1": (-1.0, 1.0), "0,1": (0.0, 1.0)}
# value_range="auto": try each of VALUE_RANGES on the first endpoints and keep the one that reconstructs them best.
AUTO = "auto"
_AUTO_PROBE_IMAGES = 64


@contextmanager
def user_code(call: str) -> Iterator[None]:
    """Run adapter code; anything it raises becomes an :class:`AdapterError` naming ``call``.

    ``SystemExit`` is included: raised inside an adapter it would otherwise end the CLI silently,
    with an exit status of the adapter's choosing. ``KeyboardInterrupt`` is not the adapter's
    fault: Ctrl-C lands wherever the process happens to be, usually inside the model's code, so
    it passes through and the CLI exits 130 having written nothing.
    """
    try:
        yield
    except SystemExit as exc:
        raise AdapterError(f"{call} called exit({exc.code!r}); an adapter must raise an exception, not end the process") from None
    except Exception as exc:  # noqa: BLE001 - any failure inside user code is reported, named
        raise AdapterError(f"{call} raised {type(exc).__name__}: {exc}") from exc


def _value_kind(result: Any) -> str | None:
    """'complex values' or 'text' when a non-tensor output holds them (what float64 conversion would hide)."""
    try:
        raw = np.asarray(result)
    except Exception:  # noqa: BLE001 - unconvertible outputs are reported by the float conversion
        return None
    if raw.dtype.kind == "c":
        return f"complex values ({raw.dtype})"
    if raw.dtype.kind in "USa":
        return "text, not numbers"
    if raw.dtype.kind == "O" and raw.size <= 1 << 20:
        if any(isinstance(v, (str, bytes)) for v in raw.flat):
            return "text, not numbers"
        if any(isinstance(v, complex) or (isinstance(v, np.generic) and np.iscomplexobj(v)) for v in raw.flat):
            return "complex values"
    return None


def _torch():
    """torch if it is already imported, else None: an adapter cannot hand us tensors without it."""
    return sys.modules.get("torch")


def _torch_modules_of(adapter: Any) -> list[Any] | None:
    """The torch modules an adapter runs, or None when it works on NumPy arrays.

    A module is its own list; any other adapter opts in to tensors with a ``torch_modules``
    attribute (see :class:`Harness`).
    """
    torch = _torch()
    if torch is not None and isinstance(adapter, torch.nn.Module):
        return [adapter]
    declared = getattr(adapter, "torch_modules", None)
    if declared is None:
        return None
    if torch is None:
        raise AdapterError("the adapter declares torch_modules but torch is not imported")
    modules = list(declared)
    if not all(isinstance(m, torch.nn.Module) for m in modules):
        raise AdapterError("an adapter's torch_modules must all be torch.nn.Module instances")
    return modules


class Harness:
    """Wraps an object with ``encode``/``decode`` so the benchmark can call it on NumPy batches.

    Parameters
    ----------
    adapter: an ``nn.Module`` or any object with ``encode`` and ``decode`` methods. An adapter
        whose methods take torch tensors but that is not a module itself (a pair of torch
        functions, a wrapper around a third-party model) says so with a ``torch_modules``
        attribute: the modules it runs (possibly none); they are put in eval mode and moved to
        ``device``, and the methods get tensors, under ``no_grad``.
    name: how errors and results refer to the model.
    layout: ``NCHW`` (default), ``NHWC``, ``NHW`` or ``flat``; the adapter's ``input_layout``
        attribute is used when not given.
    value_range: ``"-1,1"`` (default), ``"0,1"`` or ``"auto"``: the pixel range the model
        expects and returns; the adapter's ``value_range`` attribute is used when not given.
        ``"auto"`` is settled by :meth:`settle_value_range` on the first endpoints.
    batch_size: items per call to ``encode``/``decode``.
    device: torch device for a module (moved there); default: where its parameters are.
    dtype: NumPy dtype of inputs for non-torch adapters; the adapter's ``input_dtype`` attribute
        is used when not given, else float32. A module gets the dtype of its parameters.
    """

    def __init__(
        self,
        adapter: Any,
        *,
        name: str = "model",
        layout: str | None = None,
        value_range: str | None = None,
        batch_size: int = 256,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        for method in ("encode", "decode"):
            if not callable(getattr(adapter, method, None)):
                raise AdapterError(f"adapter {name!r} has no callable {method}() method")
        layout = layout or getattr(adapter, "input_layout", None) or "NCHW"
        if layout not in LAYOUTS:
            raise AdapterError(f"layout {layout!r} is not one of {', '.join(LAYOUTS)}")
        value_range = value_range or getattr(adapter, "value_range", None) or "-1,1"
        if value_range not in VALUE_RANGES and value_range != AUTO:
            raise AdapterError(f"value range {value_range!r} is not one of {', '.join([*VALUE_RANGES, AUTO])}")
        if int(batch_size) < 1:
            raise AdapterError(f"batch size must be a positive integer, got {batch_size}")
        self.adapter = adapter
        self.name = name
        self.layout = layout
        self.value_range = value_range
        self.value_range_choice: dict[str, Any] | None = None
        self.batch_size = int(batch_size)
        modules = _torch_modules_of(adapter)
        self._module = modules is not None
        self._modules: list[Any] = modules or []
        if not self._module and device is not None and str(device).strip() != "cpu":
            # Only a module can be moved; recording the device anyway would make the provenance lie.
            raise AdapterError(
                f"device {device!r} applies to torch modules, and adapter {name!r} is not one: it runs wherever its "
                "own code puts it (leave out --device)"
            )
        self.device = device
        self._numpy_dtype = np.dtype(dtype or getattr(adapter, "input_dtype", None) or np.float32)
        if self._module:
            self._prepare_modules(device)

    @property
    def _zero_one(self) -> bool:
        return self.value_range == "0,1"

    def _prepare_modules(self, device: str | None) -> None:
        from ..devices import check_device

        torch = _torch()
        if device is not None:
            check_device(device)
            try:
                target = torch.device(device)
                for module in self._modules:
                    module.to(target)
            except (RuntimeError, AssertionError, ValueError) as exc:
                raise AdapterError(f"cannot move {self.name!r} to device {device!r}: {exc}") from None
        params = [p for m in self._modules for p in m.parameters() if p.is_floating_point()]
        self._torch_device = params[0].device if params else torch.device(device or "cpu")
        self._torch_dtype = params[0].dtype if params else torch.float32
        self.device = str(self._torch_device)
        for module in self._modules:
            module.eval()

    # ------------------------------------------------------------------ public
    def start_seed(self, seed: int) -> None:
        """Tell the adapter a protocol seed begins: its optional ``on_protocol_seed(seed)`` is called.

        A stochastic encoder (a VAE that interpolates posterior samples) reseeds there, so its
        score is repeatable and each protocol seed draws afresh.
        """
        hook = getattr(self.adapter, "on_protocol_seed", None)
        if callable(hook):
            with user_code(f"{self.name}.on_protocol_seed()"):
                hook(int(seed))

    def settle_value_range(self, images: np.ndarray) -> str:
        """Resolve ``value_range="auto"``: the range under which ``images`` come back closest to themselves.

        Each candidate of :data:`VALUE_RANGES` encodes and decodes up to 64 of ``images`` (benchmark
        convention, [-1, 1]); the one with the lower reconstruction MSE is kept and recorded in
        :attr:`value_range_choice`. A declared range is returned unchanged.
        """
        if self.value_range != AUTO:
            return self.value_range
        probe = np.asarray(images, dtype=np.float64)[:_AUTO_PROBE_IMAGES]
        errors = {}
        for candidate in VALUE_RANGES:
            self.value_range = candidate
            errors[candidate] = float(np.mean((self.decode(self.encode(probe)) - probe) ** 2))
        self.value_range = min(errors, key=errors.__getitem__)
        self.value_range_choice = {"chosen": self.value_range, "reconstruction_mse": errors, "images": int(len(probe))}
        return self.value_range

    def describe(self) -> dict[str, Any]:
        """What the adapter's optional ``scoring_info()`` says about how it encodes, and the
        value range ``"auto"`` chose (stored in the result's model record)."""
        out: dict[str, Any] = {}
        info = getattr(self.adapter, "scoring_info", None)
        if callable(info):
            with user_code(f"{self.name}.scoring_info()"):
                out = dict(info())
        if self.value_range_choice is not None:
            out["value_range"] = self.value_range
            out["value_range_auto"] = dict(self.value_range_choice)
        return out

    def _require_range(self) -> None:
        if self.value_range == AUTO:
            raise AdapterError(f"{self.name}: value_range 'auto' is settled by settle_value_range() before encoding")

    def encode(self, images: np.ndarray, on_batch: Callable[[], None] | None = None) -> np.ndarray:
        """Codes of benchmark images (n, 32, 32) in [-1, 1], as one float64 array (n, ...)."""
        self._require_range()
        images = np.asarray(images, dtype=np.float64)
        if self._zero_one:
            images = (images + 1.0) / 2.0
        batches = []
        for lo in range(0, images.shape[0], self.batch_size):
            batch = LAYOUTS[self.layout](images[lo : lo + self.batch_size])
            codes = self._call("encode", batch, what="codes")
            if codes.ndim == 0 or codes.shape[0] != batch.shape[0]:
                raise ModelOutputError(
                    f"{self.name}.encode() returned {self._length(codes)} codes for a batch of {batch.shape[0]} images"
                )
            batches.append(codes)
            if on_batch:
                on_batch()
        codes = np.concatenate(batches, axis=0)
        if any(b.shape[1:] != codes.shape[1:] for b in batches):
            raise ModelOutputError(f"{self.name}.encode() returned codes of different shapes for different batches")
        return codes

    def decode(self, codes: np.ndarray, on_batch: Callable[[], None] | None = None) -> np.ndarray:
        """Images (n, 32, 32) float64 in the benchmark's [-1, 1] convention, raw (no clipping)."""
        self._require_range()
        out = []
        for lo in range(0, codes.shape[0], self.batch_size):
            batch = codes[lo : lo + self.batch_size]
            images = self._call("decode", batch, what="images")
            if images.ndim == 0 or images.shape[0] != batch.shape[0]:
                raise ModelOutputError(
                    f"{self.name}.decode() returned {self._length(images)} images for a batch of {batch.shape[0]} codes"
                )
            if images.shape[1:] not in _OUTPUT_SHAPES:
                raise ModelOutputError(
                    f"{self.name}.decode() returned images of shape {tuple(images.shape[1:])}; expected 32×32 "
                    "pixels laid out as 1×32×32, 32×32×1, 32×32 or 1024"
                )
            out.append(images.reshape(images.shape[0], 32, 32))
            if on_batch:
                on_batch()
        images = np.concatenate(out, axis=0)
        if not self._zero_one:
            return images
        mapped = 2.0 * images - 1.0
        if not np.all(np.isfinite(mapped)):  # finite near 1.8e308, doubled to inf
            raise ModelOutputError(f"{self.name}.decode() returned values too large to map from 0,1 to the benchmark's -1,1 range")
        return mapped

    def model_range(self, images: np.ndarray) -> np.ndarray:
        """Benchmark-convention images mapped back to the pixel values the model itself produced."""
        return (np.asarray(images) + 1.0) / 2.0 if self._zero_one else np.asarray(images)

    # ----------------------------------------------------------------- helpers
    @staticmethod
    def _length(x: np.ndarray) -> int | str:
        return x.shape[0] if x.ndim else "a scalar instead of"

    def _call(self, method: str, batch: np.ndarray, *, what: str) -> np.ndarray:
        arg = self._to_model(batch)
        with user_code(f"{self.name}.{method}()"):
            if self._module:
                with _torch().no_grad():
                    result = getattr(self.adapter, method)(arg)
            else:
                result = getattr(self.adapter, method)(arg)
        array = self._from_model(result, method, what)
        if not np.all(np.isfinite(array)):
            bad = int(np.sum(~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1))) if array.ndim else 1
            raise ModelOutputError(f"{self.name}.{method}() returned NaN or inf in {bad} of {len(batch)} {what}")
        return array

    def _to_model(self, batch: np.ndarray) -> Any:
        # Always a fresh copy: a model that changes its input in place (x *= 0.5) must not reach
        # the benchmark's own endpoints or codes, which are scored against afterwards.
        if self._module:
            torch = _torch()
            return torch.tensor(np.ascontiguousarray(batch), device=self._torch_device, dtype=self._torch_dtype)
        return np.array(batch, dtype=self._numpy_dtype, order="C", copy=True)

    def _from_model(self, result: Any, method: str, what: str) -> np.ndarray:
        if result is None:  # np.asarray(None, float) is a NaN scalar, which would be reported as "NaN"
            raise ModelOutputError(f"{self.name}.{method}() returned None instead of an array of {what}")
        if isinstance(result, Mapping):  # a dict, or a library's ModelOutput (a dict subclass)
            fields = ", ".join(map(str, list(result)[:8])) or "no fields"
            raise ModelOutputError(f"{self.name}.{method}() returned a {type(result).__name__} with fields {fields}, "
                                   f"not an array of {what}; return the field that holds them")
        torch = _torch()
        if torch is not None and isinstance(result, torch.Tensor):
            if result.device.type == "meta":
                raise ModelOutputError(f"{self.name}.{method}() returned a tensor on the meta device, which holds no values")
            if result.is_complex():
                raise ModelOutputError(f"{self.name}.{method}() returned complex values ({result.dtype}); {what} must be real numbers")
            try:
                result = result.detach().to("cpu", torch.float64).numpy()
            except (RuntimeError, TypeError, NotImplementedError) as exc:
                raise ModelOutputError(f"{self.name}.{method}() returned a tensor that cannot be read back: {exc}") from None
        kind = _value_kind(result)
        if kind is not None:
            # np.asarray(..., float64) would silently drop an imaginary part or parse "0.5".
            raise ModelOutputError(f"{self.name}.{method}() returned {kind}; {what} must be real numbers")
        try:
            array = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ModelOutputError(
                f"{self.name}.{method}() returned {type(result).__name__}, not an array of {what}: {exc}"
            ) from None
        return array
