"""The linear probe: a single-layer softmax classifier on flattened, standardised codes (SPEC §6)."""

from __future__ import annotations

import warnings

import numpy as np

from .inputs import check_same_width, checked_labels, common_scale, flat_codes

__all__ = ["linear_probe", "DEFAULT_MAX_ITER", "DEFAULT_C"]

DEFAULT_MAX_ITER = 1000
DEFAULT_C = 1.0  # scikit-learn's inverse L2 strength; mild on standardised codes


def linear_probe(
    train_codes: np.ndarray,
    train_labels: np.ndarray,
    test_codes: np.ndarray,
    test_labels: np.ndarray,
    *,
    seed: int,
    max_iter: int = DEFAULT_MAX_ITER,
    c: float = DEFAULT_C,
) -> float:
    """Test accuracy (%) of multinomial logistic regression fitted on the training codes.

    Codes of any shape are flattened per item; each feature is standardised with the
    training mean and standard deviation (constant features are left at zero).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    y_train = checked_labels(train_labels, "training")
    y_test = checked_labels(test_labels, "test")
    x_train = flat_codes(train_codes, y_train, "training")
    x_test = flat_codes(test_codes, y_test, "test")
    check_same_width(x_train, x_test)
    x_train, x_test = common_scale(x_train, x_test)
    if np.unique(y_train).size < 2:
        # One class only: softmax is degenerate; predicting it is the classifier's whole answer.
        return 100.0 * float(np.mean(y_test == y_train[0]))
    scaler = StandardScaler().fit(x_train)
    model = LogisticRegression(C=c, max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings():
        # Not converging within max_iter still yields a usable classifier; the accuracy says how good.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(scaler.transform(x_train), y_train)
    return 100.0 * float(np.mean(model.predict(scaler.transform(x_test)) == y_test))
