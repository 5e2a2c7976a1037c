"""scikit-learn estimators as interpbench adapters: ``interpbench.score(from_sklearn(pca))``.

Two kinds are understood:

- a fitted transformer with ``transform`` and ``inverse_transform`` (PCA, TruncatedSVD, NMF,
  FastICA, KernelPCA with ``fit_inverse_transform=True``…): the code is ``transform(x)``;
- an ``MLPRegressor`` fitted X → X (an autoencoder): the code is its narrowest hidden layer's
  activation, decoded by the layers after it, exactly as ``predict`` computes them.

scikit-learn is a core dependency, so ``from_sklearn`` needs no extra. A fitted estimator saved
with skops (``skops.io.dump(est, "model.skops")``, the ``sklearn`` extra) scores from the
command line as ``--adapter sklearn:model.skops``: skops reads it as data and builds only types
it knows to be safe (pickle and joblib files run code when loaded, so they are refused).
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy as np

from ..errors import AdapterError, SpecError
from . import require

__all__ = ["from_sklearn", "load_sklearn", "SklearnTransformerAdapter", "MLPAutoencoderAdapter"]

EXTRA = "sklearn"
# Beyond skops' own safe list: the optimiser state an MLPRegressor keeps after fit. Both are
# plain scikit-learn classes holding arrays; trusting them lets a fitted MLP autoencoder load.
_TRUSTED_BEYOND_SKOPS = ("sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
                         "sklearn.neural_network._stochastic_optimizers.SGDOptimizer")
# A PCA or MLP of 32×32 images is megabytes; a file declaring more is not one of them (or a zip bomb).
_MAX_SKOPS_BYTES = 1 << 30

# scikit-learn's activation names -> the function (scikit-learn's MLP uses the same definitions).
_ACTIVATIONS = {
    "identity": lambda x: x,
    "logistic": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
}
_PIXELS = 32 * 32


def _fitted_features(estimator: Any) -> int:
    features = getattr(estimator, "n_features_in_", None)
    if features is None:
        raise AdapterError(f"{type(estimator).__name__} is not fitted yet (no n_features_in_): fit it on flattened 32×32 images first")
    if int(features) != _PIXELS:
        raise AdapterError(
            f"{type(estimator).__name__} was fitted on {features} features; the benchmark's images are 32×32 grey, "
            f"so it must be fitted on {_PIXELS}-pixel rows (images.reshape(n, -1))"
        )
    return int(features)


class SklearnTransformerAdapter:
    """``transform`` encodes, ``inverse_transform`` decodes (flat 1,024-pixel rows, float64)."""

    layout = "flat"
    dtype = "float64"

    def __init__(self, estimator: Any, value_range: str) -> None:
        _fitted_features(estimator)
        self.model = estimator
        self.value_range = value_range
        self.name = type(estimator).__name__

    def encode(self, images: np.ndarray) -> np.ndarray:
        return self.model.transform(images)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.model.inverse_transform(codes)

    def scoring_info(self) -> dict[str, Any]:
        return {"library": "scikit-learn", "estimator": type(self.model).__name__, "code": "transform(x)"}


class MLPAutoencoderAdapter:
    """An ``MLPRegressor`` fitted X → X, split at its narrowest hidden layer (the first, among equals)."""

    layout = "flat"
    dtype = "float64"

    def __init__(self, mlp: Any, value_range: str) -> None:
        _fitted_features(mlp)
        if int(getattr(mlp, "n_outputs_", 0)) != _PIXELS:
            raise AdapterError(f"the MLPRegressor predicts {getattr(mlp, 'n_outputs_', None)} outputs; an autoencoder fitted X → X predicts {_PIXELS}")
        widths = [w.shape[1] for w in mlp.coefs_[:-1]]
        if not widths:
            raise AdapterError("the MLPRegressor has no hidden layer to take a code from")
        self.model = mlp
        self.code_layer = int(np.argmin(widths))  # index among hidden layers
        self.value_range = value_range
        self.name = f"MLPRegressor {'-'.join(map(str, widths))}"
        self._hidden = _ACTIVATIONS[mlp.activation]
        self._out = _ACTIVATIONS[mlp.out_activation_]

    def _layers(self, x: np.ndarray, first: int, last: int) -> np.ndarray:
        """Apply layers ``first`` … ``last - 1`` (layer i maps activations i to i + 1)."""
        n_layers = len(self.model.coefs_)
        for i in range(first, last):
            x = x @ self.model.coefs_[i] + self.model.intercepts_[i]
            x = self._out(x) if i == n_layers - 1 else self._hidden(x)
        return x

    def encode(self, images: np.ndarray) -> np.ndarray:
        return self._layers(images, 0, self.code_layer + 1)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self._layers(codes, self.code_layer + 1, len(self.model.coefs_))

    def scoring_info(self) -> dict[str, Any]:
        return {"library": "scikit-learn", "estimator": "MLPRegressor",
                "code": f"hidden layer {self.code_layer + 1} of {len(self.model.coefs_) - 1} (the narrowest, width {self.model.coefs_[self.code_layer].shape[1]})"}


def from_sklearn(estimator: Any, *, value_range: str = "auto") -> Any:
    """An adapter for a fitted scikit-learn estimator.

    Parameters
    ----------
    estimator
        A fitted transformer with ``transform`` and ``inverse_transform`` (PCA, …) or an
        ``MLPRegressor`` fitted with its inputs as targets, on images flattened to 1,024 pixels.
    value_range
        The pixel range it was fitted on: ``"-1,1"``, ``"0,1"``, ``"0,255"``, or ``"auto"``
        (default: tried on the first endpoints, recorded in the result).

    Raises
    ------
    AdapterError
        Not fitted, fitted on other than 1,024 features, or neither kind above.
    """
    from sklearn.neural_network import MLPRegressor

    if isinstance(estimator, MLPRegressor):
        return MLPAutoencoderAdapter(estimator, value_range)
    if callable(getattr(estimator, "transform", None)) and callable(getattr(estimator, "inverse_transform", None)):
        return SklearnTransformerAdapter(estimator, value_range)
    raise AdapterError(
        f"from_sklearn() needs a fitted transformer with transform() and inverse_transform() (PCA, …) or an "
        f"MLPRegressor fitted X → X; {type(estimator).__name__} is neither"
    )


def load_sklearn(path: str) -> Any:
    """The adapter of an estimator saved with ``skops.io.dump(est, "FILE.skops")`` (``sklearn:FILE.skops`` specs).

    The file is read by skops as data: only types on skops' safe list (and an MLP's optimiser
    state) are built, so a file cannot run code. Pickle and joblib files are refused unread.
    """
    if path.lower().endswith((".pkl", ".pickle", ".joblib")):
        raise SpecError(
            f"{path!r} is a pickle or joblib file, and loading one runs any code it holds; save the estimator "
            "with skops.io.dump(est, 'model.skops') and pass sklearn:model.skops, or load the file yourself "
            "in Python if you trust it and score interpbench.adapters.from_sklearn(est)"
        )
    if not os.path.isfile(path):
        raise SpecError(f"scikit-learn model file {path!r} does not exist (write one with skops.io.dump(est, 'model.skops'))")
    skops_io = require("skops.io", EXTRA, f"the spec 'sklearn:{path}'")
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
        if declared > _MAX_SKOPS_BYTES:
            raise SpecError(f"{path!r} declares {declared:,} bytes of content, more than any estimator of 32×32 images holds")
        untrusted = skops_io.get_untrusted_types(file=path)
        refused = [t for t in untrusted if t not in _TRUSTED_BEYOND_SKOPS]
        if refused:
            raise SpecError(
                f"{path!r} holds types skops does not trust ({', '.join(refused)}); if you trust the file, load it "
                "in Python with skops.io.load(path, trusted=[...]) and score interpbench.adapters.from_sklearn(est)"
            )
        estimator = skops_io.load(path, trusted=untrusted)
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - a file skops cannot read is the spec's problem
        raise SpecError(f"cannot load a scikit-learn model from {path!r} (not a skops file?): {type(exc).__name__}: {exc}") from None
    return from_sklearn(estimator)
