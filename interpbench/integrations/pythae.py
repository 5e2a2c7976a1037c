"""pythae models (https://github.com/clementchadebec/benchmark_VAE) as interpbench adapters.

``from_pythae(model)`` scores any pythae model whose encoder returns a ``ModelOutput`` with
``embedding`` (and, for a Gaussian VAE, ``log_covariance``) and whose decoder returns one with
``reconstruction``. ``pythae:FOLDER`` spec strings load a model saved with ``model.save(FOLDER)``.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import AdapterError, SpecError
from . import require

__all__ = ["PythaeAdapter", "from_pythae", "load_pythae"]

EXTRA = "pythae"

# pythae's input_dim -> the layout interpbench hands the encoder.
_LAYOUT_OF_INPUT_DIM: dict[tuple[int, ...], str] = {
    (1, 32, 32): "NCHW",
    (32, 32, 1): "NHWC",
    (32, 32): "NHW",
    (1024,): "flat",
}
# A decoder's last activation fixes the range of what it returns (pythae's default MLP/ConvNet
# decoders end in a Sigmoid). Keyed by class name so torch is not imported to build the table.
_FINAL_ACTIVATION_RANGE: dict[str, str] = {"Sigmoid": "0,1", "Tanh": "-1,1"}
# A reconstruction loss that only accepts targets in 0..1 fixes the data's range as well.
_LOSS_RANGE: dict[str, str] = {"bce": "0,1"}


def _quantised(model: Any, codes: Any) -> Any:
    """A VQ-VAE's codes snapped to its codebook, reshaped as pythae's ``VQVAE.forward`` does."""
    flat = codes.dim() == 2
    grid = codes.reshape(codes.shape[0], 1, 1, -1) if flat else codes
    quantised = model.quantizer(grid.permute(0, 2, 3, 1)).quantized_vector
    return quantised.reshape(codes.shape[0], -1) if flat else quantised


def _through_iaf(model: Any, codes: Any) -> Any:
    """VAE_IAF: pythae's forward passes the posterior code through ``iaf_flow.inverse`` before decoding."""
    return model.iaf_flow.inverse(codes).out


def _through_linear_flows(model: Any, codes: Any) -> Any:
    """VAE_LinNF: pythae's forward passes the posterior code through each planar/radial layer of ``net``."""
    for layer in model.net:
        codes = layer(codes).out
    return codes


# What a pythae model does to a code between its encoder and its decoder in its own forward(),
# by model_name: the interpolated code must take the same path, or the decoder sees codes it was
# never trained on (a VQ-VAE's unquantised embeddings, a flow VAE's pre-flow z0). Models not
# listed decode the code as it is (AE, VAE, beta-VAE, WAE, RAE, ...).
_CODE_PATHS: dict[str, tuple[Any, str]] = {
    "VQVAE": (_quantised, "embedding interpolated, quantised to the codebook before decoding (as VQVAE.forward)"),
    "VAE_IAF": (_through_iaf, "posterior code interpolated, passed through the IAF flow before decoding (as VAE_IAF.forward)"),
    "VAE_LinNF": (_through_linear_flows, "posterior code interpolated, passed through the linear flows before decoding (as VAE_LinNF.forward)"),
}
# Models whose forward() needs the input image again to decode (Hamiltonian steps use x): a code
# alone cannot be decoded their way.
_NEEDS_INPUT = {"HVAE", "RHVAE"}


def _declared_range(model: Any) -> tuple[str, str]:
    """(value range, why) of a pythae model's decoder; "auto" when nothing in the model says."""
    leaves = [m for m in model.decoder.modules() if not list(m.children())]
    if leaves and type(leaves[-1]).__name__ in _FINAL_ACTIVATION_RANGE:
        name = type(leaves[-1]).__name__
        return _FINAL_ACTIVATION_RANGE[name], f"the decoder's final {name}"
    loss = getattr(getattr(model, "model_config", None), "reconstruction_loss", None)
    if loss in _LOSS_RANGE:
        return _LOSS_RANGE[loss], f"reconstruction_loss={loss!r}"
    return "auto", "inferred from the decoded endpoints (the decoder does not fix its range)"


class PythaeAdapter:
    """A pythae model as an adapter: ``encode`` reads ``encoder(x).embedding``, ``decode`` reads
    ``decoder(z).reconstruction``. Build it with :func:`from_pythae`.

    For a Gaussian VAE (its encoder returns ``log_covariance``), the code is the posterior mean,
    or with ``sample=True`` a draw ``mean + exp(log_covariance / 2) · ε``, ε seeded by the protocol
    seed so the score is repeatable.
    """

    def __init__(self, model: Any, *, sample: bool = False, value_range: str | None = None, layout: str | None = None) -> None:
        torch = require("torch", "torch", "a pythae adapter")
        if not isinstance(model, torch.nn.Module) or not hasattr(model, "encoder") or not hasattr(model, "decoder"):
            raise AdapterError(
                f"from_pythae() needs a pythae model (an nn.Module with .encoder and .decoder), got {type(model).__name__}"
            )
        self.model = model
        self.sample = bool(sample)
        self.name = f"pythae {getattr(model, 'model_name', type(model).__name__)}"
        input_dim = tuple(int(d) for d in (getattr(model, "input_dim", None) or ()))
        self.input_layout = layout or _LAYOUT_OF_INPUT_DIM.get(input_dim)
        if self.input_layout is None:
            raise AdapterError(
                f"the pythae model's input_dim is {input_dim or None}; the benchmark's images are 32×32 grey, so it "
                f"must be one of {', '.join(str(k) for k in _LAYOUT_OF_INPUT_DIM)} (or pass layout=)"
            )
        if value_range is None:
            self.value_range, self._range_source = _declared_range(model)
        else:
            self.value_range, self._range_source = value_range, "given"
        model_name = str(getattr(model, "model_name", type(model).__name__))
        if model_name in _NEEDS_INPUT:
            raise AdapterError(
                f"a pythae {model_name} decodes through Hamiltonian steps that need the input image, so a code alone "
                "cannot be decoded as its forward() does; interpbench cannot score it faithfully"
            )
        self._code_path = _CODE_PATHS.get(model_name)
        self.torch_modules = [model]  # read by the Harness: tensors, eval mode, no_grad, device
        self._generator = torch.Generator().manual_seed(0)

    def on_protocol_seed(self, seed: int) -> None:
        import torch

        self._generator = torch.Generator().manual_seed(int(seed))

    def encode(self, images: Any) -> Any:
        out = self.model.encoder(images)
        mean = out["embedding"]
        if not self.sample:
            return mean
        log_var = out.get("log_covariance") if hasattr(out, "get") else None
        if log_var is None:
            raise AdapterError(
                f"sample=True needs a Gaussian posterior, but the {self.model.model_name} encoder returns no "
                "log_covariance; score its embedding (sample=False)"
            )
        import torch

        # Drawn on the CPU from the seeded generator, then moved: the same ε on every device.
        eps = torch.randn(mean.shape, generator=self._generator, dtype=mean.dtype).to(mean.device)
        return mean + torch.exp(0.5 * log_var) * eps

    def decode(self, codes: Any) -> Any:
        if self._code_path is not None:
            codes = self._code_path[0](self.model, codes)
        return self.model.decoder(codes)["reconstruction"]

    def scoring_info(self) -> dict[str, Any]:
        vae = "log_covariance" in _encoder_keys(self.model)
        code = ("posterior sample, seeded by the protocol seed" if self.sample else "posterior mean") if vae else "embedding"
        return {
            "library": "pythae",
            "pythae_model": str(getattr(self.model, "model_name", type(self.model).__name__)),
            "code": code,
            **({"decode_path": self._code_path[1]} if self._code_path is not None else {}),
            "declared_value_range": self.value_range,
            "value_range_source": self._range_source,
        }


def _encoder_keys(model: Any) -> tuple[str, ...]:
    """Names the encoder's ModelOutput carries, from one forward pass on a blank image."""
    import torch

    params = [p for p in model.parameters() if p.is_floating_point()]
    device, dtype = (params[0].device, params[0].dtype) if params else (torch.device("cpu"), torch.float32)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model.encoder(torch.zeros((1, *model.input_dim), device=device, dtype=dtype))
    finally:
        model.train(was_training)
    return tuple(out.keys())


def from_pythae(model: Any, *, sample: bool = False, value_range: str | None = None, layout: str | None = None) -> PythaeAdapter:
    """An adapter for a pythae model: ``interpbench.score(from_pythae(model))``.

    Parameters
    ----------
    model
        A pythae model (``pythae.models.AE``, ``VAE``, ``BetaVAE``, …, or
        ``AutoModel.load_from_folder(...)``) with ``input_dim`` (1, 32, 32), (32, 32, 1),
        (32, 32) or (1024,).
    sample
        For a Gaussian VAE, interpolate posterior samples instead of posterior means (default).
        The samples are seeded by the protocol seed; the result records which code was used.
    value_range
        ``"0,1"``, ``"-1,1"`` or ``"auto"``. Default: what the model declares: its decoder's
        final Sigmoid (0..1, pythae's default networks) or Tanh (-1..1), else a BCE
        reconstruction loss (0..1), else ``"auto"``. The source is recorded in the result.
    layout
        Overrides the layout derived from ``input_dim``.

    Raises
    ------
    MissingDependencyError
        torch is not installed.
    AdapterError
        ``model`` has no encoder/decoder, or its ``input_dim`` is not a 32×32 grey image.
    """
    return PythaeAdapter(model, sample=sample, value_range=value_range, layout=layout)


def load_pythae(folder: str, *, allow_pickle: bool = False) -> PythaeAdapter:
    """The adapter of a pythae model saved with ``model.save(folder)`` (``pythae:FOLDER`` specs).

    A model with pythae's default networks loads from ``model_config.json`` and the weights in
    ``model.pt`` (read by torch's weights-only loader), which runs no code from the folder. A
    model with a custom encoder or decoder is saved by pythae as ``encoder.pkl``/``decoder.pkl``,
    pickles that run whatever code they hold when loaded: such a folder is refused unless
    ``allow_pickle=True``, which says you trust whoever wrote it (``pythae:FOLDER`` never does).
    """
    if not os.path.isdir(folder):
        raise SpecError(f"pythae model folder {folder!r} does not exist (write one with pythae's model.save(FOLDER))")
    models = require("pythae.models", EXTRA, f"the spec 'pythae:{folder}'")
    if not allow_pickle:
        pickled = _pickled_networks(folder)
        if pickled:
            raise SpecError(
                f"pythae model folder {folder!r} has a custom {' and '.join(pickled)}, saved as pickles that run any "
                "code in them when loaded, so it is not loaded from a spec string; if you trust the folder, score "
                "interpbench.integrations.pythae.load_pythae(FOLDER, allow_pickle=True) from Python"
            )
    try:
        model = models.AutoModel.load_from_folder(folder)
    except Exception as exc:  # noqa: BLE001 - any load failure is the folder's problem
        raise SpecError(f"cannot load a pythae model from {folder!r}: {type(exc).__name__}: {exc}") from None
    return from_pythae(model)


def _pickled_networks(folder: str) -> list[str]:
    """Which networks loading ``folder`` would unpickle: its config's word, and any .pkl file present."""
    import json

    try:
        with open(os.path.join(folder, "model_config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        config = {}  # pythae itself reports a missing or broken config
    config = config if isinstance(config, dict) else {}
    out = []
    for part in ("encoder", "decoder"):
        if config.get(f"uses_default_{part}") is False or os.path.exists(os.path.join(folder, f"{part}.pkl")):
            out.append(part)
    return out
