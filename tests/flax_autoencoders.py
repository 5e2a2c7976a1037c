"""Two small Flax autoencoders (linen and nnx) for tests/test_flax_integration.py, also loaded by path as ``flax:`` specs."""

import jax
from flax import linen, nnx


class LinenAE(linen.Module):
    def setup(self):
        self.enc = linen.Dense(8)
        self.dec = linen.Dense(1024)

    def encode(self, x):
        return self.enc(x.reshape(x.shape[0], -1))

    def decode(self, z):
        return jax.numpy.tanh(self.dec(z)).reshape(z.shape[0], 32, 32)

    def __call__(self, x):
        return self.decode(self.encode(x))


class NnxAE(nnx.Module):
    def __init__(self, rngs):
        self.enc = nnx.Linear(1024, 8, rngs=rngs)
        self.dec = nnx.Linear(8, 1024, rngs=rngs)

    def encode(self, x):
        return self.enc(x.reshape(x.shape[0], -1))

    def decode(self, z):
        return jax.numpy.tanh(self.dec(z)).reshape(z.shape[0], 32, 32)
