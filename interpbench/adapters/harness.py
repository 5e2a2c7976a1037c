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

from ..devices import full_fp32
from ..errors import AdapterError, ModelOutputError
from .outputs import unwrap_output

__all__ = ["Harness", "LAYOUTS", "VALUE_RANGES", "AUTO", "DEFAULT_BATCH_SIZE", "OPTION_ATTRIBUTES", "user_code", "adapter_option",
           "declared_layout"]

DEFAULT_BATCH_SIZE = 256
# Each harness option, given neither as a keyword nor on the command line, is read from these
# adapter attributes (first found wins). The README's options list is this table.
OPTION_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "layout": ("layout", "input_layout"),
    "value_range": ("value_range",),
    "batch_size": ("batch_size",),
    "device": ("device",),
    "dtype": ("dtype", "input_dtype"),
    "name": ("name",),
    "threads": ("threads",),
}


def adapter_option(adapter: Any, option: str) -> Any:
    """The value an adapter declares for a harness ``option`` through its attributes, or None."""
    for attribute in OPTION_ATTRIBUTES[option]:
        value = getattr(adapter, attribute, None)
        if value is not None and not callable(value):
            return value
    return None

def _nhw(x: np.ndarray) -> np.ndarray:
    if x.ndim == 4:
        raise AdapterError("layout NHW has no channel axis, so it cannot take colour (n, 3, 32, 32) images; use NCHW or NHWC")
    return x


# How a batch of n images is laid out when handed to ``encode``. Benchmark images are grey
# (n, 32, 32); colour images of a data set (n, 3, 32, 32) keep their channel axis.
LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "NCHW": lambda x: x if x.ndim == 4 else x[:, None, :, :],
    "NHWC": lambda x: x.transpose(0, 2, 3, 1) if x.ndim == 4 else x[:, :, :, None],
    "NHW": _nhw,
    "flat": lambda x: x.reshape(x.shape[0], -1),
}
# Per-item output shapes ``decode`` may return; all are unambiguous.
_OUTPUT_SHAPES = {(1, 32, 32), (32, 32, 1), (32, 32), (1024,)}
VALUE_RANGES = {"-1,1": (-1.0, 1.0), "0,1": (0.0, 1.0), "0,255": (0.0, 255.0)}
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


def _numpy_dtype(dtype: Any, name: str) -> np.dtype:
    """The NumPy dtype of inputs: a NumPy dtype or its name, or a torch dtype (float32 when None)."""
    if dtype is None:
        return np.dtype(np.float32)
    torch = _torch()
    if torch is not None and isinstance(dtype, torch.dtype):
        return torch.zeros(0, dtype=dtype).numpy().dtype if dtype != torch.bfloat16 else np.dtype(np.float32)
    try:
        out = np.dtype(dtype)
    except TypeError:
        out = None
    if out is None or out.kind != "f":
        raise AdapterError(f"dtype {dtype!r} of {name!r} is not a floating-point dtype (float16, float32, float64)")
    return out


# A model's declared input shape (one item) -> the layout that matches it.
_LAYOUT_OF_SHAPE: dict[tuple[int, ...], str] = {(1, 32, 32): "NCHW", (32, 32, 1): "NHWC", (32, 32): "NHW", (1024,): "flat"}


def _item_shape(adapter: Any) -> tuple[int, ...] | None:
    """One input item's shape, where the model declares it: Keras' ``input_shape`` (batch axis
    first), pythae's ``input_dim``, scikit-learn's ``n_features_in_``; on the adapter or its ``model``."""
    for owner in (adapter, getattr(adapter, "model", None)):
        if owner is None:
            continue
        try:
            keras_shape = getattr(owner, "input_shape", None)
            if isinstance(keras_shape, (tuple, list)) and keras_shape and keras_shape[0] is None:
                return tuple(int(d) for d in keras_shape[1:] if d is not None)
            input_dim = getattr(owner, "input_dim", None)
            if isinstance(input_dim, (tuple, list)):
                return tuple(int(d) for d in input_dim)
            features = getattr(owner, "n_features_in_", None)
            if isinstance(features, (int, np.integer)):
                return (int(features),)
        except (TypeError, ValueError, AttributeError):  # a declared shape that is not one is no declaration
            continue
    return None


def declared_layout(adapter: Any) -> str | None:
    """The layout a model's declared input shape implies, or None (see :func:`_item_shape`)."""
    shape = _item_shape(adapter)
    return None if shape is None else _LAYOUT_OF_SHAPE.get(shape)


def _held_modules(adapter: Any) -> list[Any]:
    """torch modules a plain object keeps in its attributes (``self.model = nn.Module``)."""
    torch = _torch()
    if torch is None or not hasattr(adapter, "__dict__") or getattr(adapter, "takes_numpy", False):
        return []
    held = [v for v in vars(adapter).values() if isinstance(v, torch.nn.Module)]
    held += [m for m in getattr(adapter, "held_torch_modules", None) or () if all(m is not h for h in held)]
    return held


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
    layout: ``NCHW``, ``NHWC``, ``NHW``, ``flat`` or ``auto``; when not given, the adapter's
        ``layout``/``input_layout`` attribute, else the layout its declared input shape implies,
        else ``auto`` (settled by :meth:`settle_layout` on the first endpoints).
    value_range: ``"-1,1"`` (default), ``"0,1"`` or ``"auto"``: the pixel range the model
        expects and returns; the adapter's ``value_range`` attribute is used when not given.
        ``"auto"`` is settled by :meth:`settle_value_range` on the first endpoints.
    batch_size: items per call to ``encode``/``decode``.
    device: torch device for a module (moved there); default: where its parameters are.
    dtype: floating-point dtype of inputs (NumPy or torch); the adapter's ``dtype`` or
        ``input_dtype`` attribute is used when not given, else float32, or for a module the dtype
        of its parameters.
    An adapter that is a plain object holding torch modules in its attributes gets tensors too
    (NumPy arrays if its first call fails on tensors); ``takes_numpy = True`` on it says it wants
    NumPy arrays whatever it holds (Keras' torch backend layers are torch modules).
    sample: where the model returns a distribution (diffusers' ``latent_dist``), take a sample
        seeded by the protocol seed instead of its mean.

    Outputs wrapped in a known kind (:data:`interpbench.adapters.outputs.OUTPUT_KINDS`: diffusers'
    and pythae's output objects, a NamedTuple or dataclass with one array field) are unwrapped,
    and which was recorded in :meth:`describe`. Each option the keyword leaves unset is read from
    the adapter's attributes (:data:`OPTION_ATTRIBUTES`).
    """

    def __init__(
        self,
        adapter: Any,
        *,
        name: str = "model",
        layout: str | None = None,
        value_range: str | None = None,
        batch_size: int | None = None,
        device: str | None = None,
        dtype: Any = None,
        sample: bool = False,
    ) -> None:
        for method in ("encode", "decode"):
            if not callable(getattr(adapter, method, None)):
                raise AdapterError(f"adapter {name!r} has no callable {method}() method")
        # Keyword first, then the adapter's own attribute (OPTION_ATTRIBUTES), then what the model's
        # declared input shape says, else "auto": tried on the first endpoints (settle_layout).
        layout = layout or adapter_option(adapter, "layout") or declared_layout(adapter) or AUTO
        if layout not in LAYOUTS and layout != AUTO:
            raise AdapterError(f"layout {layout!r} is not one of {', '.join([*LAYOUTS, AUTO])}")
        self.layout_choice: dict[str, Any] | None = None
        self._trying_layouts = False
        value_range = value_range or adapter_option(adapter, "value_range") or "-1,1"
        if value_range not in VALUE_RANGES and value_range != AUTO:
            raise AdapterError(f"value range {value_range!r} is not one of {', '.join([*VALUE_RANGES, AUTO])}")
        if batch_size is None:
            batch_size = adapter_option(adapter, "batch_size")
        if batch_size is None:
            batch_size = DEFAULT_BATCH_SIZE
        try:
            batch_size = int(batch_size)
        except (TypeError, ValueError):
            batch_size = 0
        if batch_size < 1:
            raise AdapterError(f"batch size must be a positive integer, got {batch_size!r}")
        if device is None:
            own = adapter_option(adapter, "device")
            device = None if own is None else str(own)
        self.adapter = adapter
        self.name = name
        self.layout = layout
        self.value_range = value_range
        self.declared_value_range = value_range
        self.value_range_choice: dict[str, Any] | None = None
        self.batch_size = batch_size
        self.sample = bool(sample)
        self._generator: Any = None
        self.unwrapped: dict[str, str] = {}
        modules = _torch_modules_of(adapter)
        # A plain wrapper object holding torch modules in its attributes, which declares nothing: it
        # gets tensors unless its first call fails on them and succeeds on NumPy arrays (_call).
        self._inputs_undecided = False
        if modules is None:
            held = _held_modules(adapter)
            if held:
                modules, self._inputs_undecided = held, True
        self._module = modules is not None
        self._modules: list[Any] = modules or []
        if not self._module and device is not None and str(device).strip() != "cpu":
            # Only a module can be moved; recording the device anyway would make the provenance lie.
            raise AdapterError(
                f"device {device!r} applies to torch modules, and adapter {name!r} is not one: it runs wherever its "
                "own code puts it (leave out --device)"
            )
        self.device = device
        dtype = dtype if dtype is not None else adapter_option(adapter, "dtype")
        self._numpy_dtype = _numpy_dtype(dtype, name)
        self._modes: list[tuple[Any, bool]] = []
        if self._module:
            self._prepare_modules(device, dtype)

    @property
    def _scaled(self) -> bool:
        return self.value_range != "-1,1"

    def restore_modes(self) -> None:
        """Put every torch module (and submodule) back in the train/eval mode it had before scoring."""
        for module, training in self._modes:
            module.train(training)

    def _prepare_modules(self, device: str | None, dtype: Any = None) -> None:
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
        if dtype is not None:
            # A given dtype is what the module's inputs are cast to (its parameters stay as they are).
            self._torch_dtype = torch.from_numpy(np.zeros(0, dtype=self._numpy_dtype)).dtype if not isinstance(dtype, torch.dtype) else dtype
        self.device = str(self._torch_device)
        self._modes = [(m, m.training) for module in self._modules for m in module.modules()]
        for module in self._modules:
            module.eval()

    # ------------------------------------------------------------------ public
    def start_seed(self, seed: int) -> None:
        """Tell the adapter a protocol seed begins: its optional ``on_protocol_seed(seed)`` is called.

        A stochastic encoder (a VAE that interpolates posterior samples) reseeds there, so its
        score is repeatable and each protocol seed draws afresh.
        """
        torch = _torch()
        if self.sample and torch is not None:
            # Seeded draws from distributions the model returns (diffusers' latent_dist); drawn on the CPU so
            # every device draws the same.
            self._generator = torch.Generator().manual_seed(int(seed))
        hook = getattr(self.adapter, "on_protocol_seed", None)
        if callable(hook):
            with user_code(f"{self.name}.on_protocol_seed()"):
                hook(int(seed))

    def settle_layout(self, images: np.ndarray) -> str:
        """Resolve ``layout="auto"``: hand up to 64 of ``images`` to ``encode`` in each layout of
        :data:`LAYOUTS` and keep the one whose round trip runs and reconstructs them best (the
        first, in table order, among equals); recorded in :attr:`layout_choice`. When no layout
        runs, the error names what each one raised."""
        if self.layout != AUTO:
            return self.layout
        probe = np.asarray(images, dtype=np.float64)[:_AUTO_PROBE_IMAGES]
        declared_range = self.value_range
        if declared_range == AUTO:
            self.value_range = "-1,1"  # the range is settled after the layout; shapes do not depend on it
        tried: dict[str, Any] = {}
        output_errors: list[ModelOutputError] = []
        self._trying_layouts = True
        try:
            for candidate in LAYOUTS:
                self.layout = candidate
                try:
                    tried[candidate] = float(np.mean((self.decode(self.encode(probe)) - probe) ** 2))
                except (AdapterError, ModelOutputError) as exc:
                    tried[candidate] = str(exc)
                    if isinstance(exc, ModelOutputError):
                        output_errors.append(exc)
        finally:
            self.value_range = declared_range
            self._trying_layouts = False
        working = {k: v for k, v in tried.items() if isinstance(v, float)}
        if not working:
            self.layout = AUTO
            if output_errors:  # the model ran and returned something unscorable: that is its error, not the layout's
                raise output_errors[0]
            raise AdapterError(
                f"{self.name} ran in none of the layouts tried (" + "; ".join(f"{k}: {v}" for k, v in tried.items())
                + "); fix the model, or declare its layout (layout= / --layout) to see its error alone"
            )
        best = min(working.values())
        self.layout = next(k for k, v in working.items() if v <= best + 1e-12 * max(best, 1.0))
        self.layout_choice = {"chosen": self.layout, "tried": tried, "images": int(len(probe))}
        return self.layout

    def settle(self, images: np.ndarray) -> None:
        """Resolve every ``"auto"`` declaration (layout, then value range) on ``images``."""
        self.settle_layout(images)
        self.settle_value_range(images)

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
        # What the model was declared as (and what "auto" settled on): `check` reuses both.
        out.setdefault("layout", self.layout)
        out["value_range"] = self.value_range
        if self.value_range_choice is not None:
            out["value_range_auto"] = dict(self.value_range_choice)
        if self.layout_choice is not None:
            out["layout"] = self.layout
            out["layout_auto"] = dict(self.layout_choice)
        if self.unwrapped:
            out["outputs_unwrapped"] = dict(self.unwrapped)
        return out

    def _require_range(self) -> None:
        if self.value_range == AUTO:
            raise AdapterError(f"{self.name}: value_range 'auto' is settled by settle() or settle_value_range() before encoding")

    def encode(self, images: np.ndarray, on_batch: Callable[[], None] | None = None) -> np.ndarray:
        """Codes of benchmark images (n, 32, 32), or a data set's colour images (n, 3, 32, 32), in [-1, 1], as one float64 array (n, ...).

        A layout still ``"auto"`` is settled on these images first (:meth:`settle_layout`)."""
        if self.layout == AUTO:
            self.settle_layout(images)
        self._require_range()
        images = np.asarray(images, dtype=np.float64)
        if self._scaled:
            lo, hi = VALUE_RANGES[self.value_range]
            images = lo + (images + 1.0) / 2.0 * (hi - lo)
        batches = []
        for lo in range(0, images.shape[0], self.batch_size):
            batch = LAYOUTS[self.layout](images[lo : lo + self.batch_size])
            try:
                codes = self._call("encode", batch, what="codes")
            except AdapterError as exc:
                if lo or self._trying_layouts or self.layout_choice is not None or "layout" in str(exc):
                    raise
                others = "|".join(k for k in LAYOUTS if k != self.layout)
                raise AdapterError(
                    f"{exc} (it was given {self.layout} batches of shape {tuple(batch.shape)}; if the model expects "
                    f"another layout, declare it: layout='NHWC' / --layout {others}, or leave it unset to have it found)"
                ) from exc
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
        if not self._scaled:
            return images
        lo, hi = VALUE_RANGES[self.value_range]
        mapped = 2.0 * ((images - lo) / (hi - lo)) - 1.0
        if not np.all(np.isfinite(mapped)):  # finite near 1.8e308, doubled to inf
            raise ModelOutputError(
                f"{self.name}.decode() returned values too large to map from {self.value_range} to the benchmark's -1,1 range"
            )
        return mapped

    def model_range(self, images: np.ndarray) -> np.ndarray:
        """Benchmark-convention images mapped back to the pixel values the model itself produced."""
        if not self._scaled:
            return np.asarray(images)
        lo, hi = VALUE_RANGES[self.value_range]
        return lo + (np.asarray(images) + 1.0) / 2.0 * (hi - lo)

    # ----------------------------------------------------------------- helpers
    @staticmethod
    def _length(x: np.ndarray) -> int | str:
        return x.shape[0] if x.ndim else "a scalar instead of"

    def _invoke(self, method: str, batch: np.ndarray) -> Any:
        self._check_fits(method, batch)
        arg = self._to_model(batch)
        with user_code(f"{self.name}.{method}()"):
            if self._module:
                with _torch().no_grad(), full_fp32():
                    return getattr(self.adapter, method)(arg)
            return getattr(self.adapter, method)(arg)

    def _call(self, method: str, batch: np.ndarray, *, what: str) -> np.ndarray:
        if self._inputs_undecided:
            try:
                result = self._invoke(method, batch)
                self._inputs_undecided = False
            except AdapterError as on_tensors:
                self._module = False
                try:
                    result = self._invoke(method, batch)
                except AdapterError:
                    self._module = True
                    raise on_tensors from None
                self._inputs_undecided = False
                self.unwrapped.setdefault("inputs", "NumPy arrays (its torch modules failed on tensors)")
        else:
            result = self._invoke(method, batch)
        array = self._from_model(result, method, what)
        if not np.all(np.isfinite(array)):
            bad = int(np.sum(~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1))) if array.ndim else 1
            raise ModelOutputError(f"{self.name}.{method}() returned NaN or inf in {bad} of {len(batch)} {what}")
        return array

    def _check_fits(self, method: str, batch: np.ndarray) -> None:
        """Refuse, in one sentence, values the model's input dtype cannot hold (codes of 1e300 for a float32
        decoder), rather than hand it inf after a storm of overflow warnings."""
        dtype = self._numpy_dtype
        if batch.dtype.kind != "f" or np.finfo(batch.dtype).max <= np.finfo(dtype).max or not batch.size:
            return
        peak = float(np.max(np.abs(batch)))
        if peak > float(np.finfo(dtype).max):
            what = "codes" if method == "decode" else "inputs"
            raise ModelOutputError(
                f"{self.name}.{method}() would be given {what} as large as {peak:.3g}, beyond what its {dtype} inputs hold "
                f"({float(np.finfo(dtype).max):.3g}); the encoder's codes are too large for this model "
                "(declare dtype float64 if the model takes it)")

    def _to_model(self, batch: np.ndarray) -> Any:
        # Always a fresh copy: a model that changes its input in place (x *= 0.5) must not reach
        # the benchmark's own endpoints or codes, which are scored against afterwards.
        if self._module:
            torch = _torch()
            return torch.tensor(np.ascontiguousarray(batch), device=self._torch_device, dtype=self._torch_dtype)
        return np.array(batch, dtype=self._numpy_dtype, order="C", copy=True)

    def _draw(self, dist: Any) -> Any:
        """A seeded sample of a distribution the model returned (``sample=True``)."""
        if self._generator is None:
            self._generator = _torch().Generator().manual_seed(0)
        with user_code(f"{self.name}: sampling its {type(dist).__name__}"):
            return dist.sample(generator=self._generator)

    def _from_model(self, result: Any, method: str, what: str) -> np.ndarray:
        result, kind = unwrap_output(result, f"{self.name}.{method}()", what, self._draw if self.sample else None)
        if kind is not None:
            self.unwrapped[method] = kind + (" (seeded sample)" if kind == ".latent_dist" and self.sample else
                                             " (mean)" if kind == ".latent_dist" else "")
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
