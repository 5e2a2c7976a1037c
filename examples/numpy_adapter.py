"""A NumPy adapter file: PCA as an autoencoder, no torch.

    python examples/numpy_adapter.py                                   # fit, score, print
    interpbench run --adapter examples/numpy_adapter.py:make --seeds 0-2   # the same from the CLI

Any object with encode(images) -> codes and decode(codes) -> images is a model; `make` is a
zero-argument factory, so a spec string can build it.
"""

import numpy as np

import interpbench


class PCAAutoencoder:
    input_layout = "flat"  # encode() gets (n, 1024) vectors
    value_range = "-1,1"  # pixels in, pixels out, in the benchmark's own range

    def __init__(self, components: int = 16, seed: int = 0) -> None:
        images = next(interpbench.training_stream(seed, 2048)).reshape(2048, -1)
        self.mean = images.mean(axis=0)
        centred = images - self.mean
        # Principal axes: eigenvectors of the covariance, largest eigenvalues first.
        self.basis = np.linalg.eigh(centred.T @ centred)[1][:, ::-1][:, :components].T

    def encode(self, images: np.ndarray) -> np.ndarray:
        return (images - self.mean) @ self.basis.T

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return codes @ self.basis + self.mean  # (n, 1024) is an accepted image layout


def make() -> PCAAutoencoder:
    return PCAAutoencoder()


if __name__ == "__main__":
    result = interpbench.score(make(), seeds=[0], pairs=32)
    print(result.table())
