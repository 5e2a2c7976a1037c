"""The small Keras 3 autoencoder the Keras tests score, trained one epoch on 0..1 lines (channels last).

Imported both in the test process (torch backend) and in a subprocess on the JAX backend: Keras fixes
its backend when first imported, so the caller sets KERAS_BACKEND before importing this module.
"""

import keras

import interpbench


def trained_autoencoder() -> keras.Model:
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(8)], name="encoder")
    decoder = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1024, activation="sigmoid"), keras.layers.Reshape((32, 32, 1))],
                               name="decoder")
    inputs = keras.Input((32, 32, 1))
    model = keras.Model(inputs, decoder(encoder(inputs)), name="ae")
    model.compile(optimizer="adam", loss="mse")
    x = ((next(interpbench.training_stream(0, 256)) + 1) / 2)[..., None].astype("float32")  # 0..1, channels last
    model.fit(x, x, epochs=1, batch_size=64, verbose=0)
    return model
