#!/usr/bin/env python3
"""Write the Keras fixtures used by tests/test_interop.py (needs Keras 3; any backend).

Usage: ``KERAS_BACKEND=torch python tools/make_keras_fixtures.py [OUT_DIR]``
(default ``tests/fixtures/keras``).

For each model in :func:`models` it writes ``NAME.json`` (``model.to_json()``, key order as
Keras writes it), ``NAME.expected.json`` (Keras's ``count_params()``, ``output_shape`` and layer
classes) and, for the small ones, ``NAME.keras`` (the zip Keras saves) plus
``NAME.expected.npz`` (an input batch and Keras's ``predict`` on it), so the tests can compare cnnlab with Keras without Keras installed.
Weights are seeded (``keras.utils.set_random_seed``), so the arrays are the same every run;
the ``.keras`` zip itself carries a timestamp in its metadata, so the test compares the JSON,
weights and predictions, not the zip bytes.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")


def models(keras):
    """Name -> (builder, write the weights too?)."""
    from keras import layers

    def q1():  # the question's model (q1-cnn-as-a-formula), with Flatten before Dense as Keras
        return keras.Sequential([
            keras.Input((32, 32, 3)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Dense(10, activation="softmax"),
        ], name="q1_as_asked")

    def small():  # every supported layer kind once
        return keras.Sequential([
            keras.Input((12, 10, 2)),
            layers.ZeroPadding2D(((1, 0), (2, 1))),
            layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="tanh"),
            layers.AveragePooling2D((2, 2), strides=(1, 2)),
            layers.Conv2D(3, 3, padding="valid", use_bias=False),
            layers.ReLU(),
            layers.MaxPooling2D((2, 2), padding="same"),
            layers.Flatten(),
            layers.Dropout(0.25),
            layers.Dense(6, activation="sigmoid"),
            layers.Dense(3),
            layers.Activation("softmax"),
        ], name="every_layer")

    def q2():  # the q2 question's code model (50 million weights: JSON only)
        return keras.Sequential([
            keras.Input((100, 100, 1)),
            layers.Conv2D(60, (7, 7), padding="same", activation="relu"),
            layers.Conv2D(100, (5, 5), padding="same", activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(250),
            layers.Dense(200),
            layers.Dense(1, activation="sigmoid"),
        ], name="q2_code")

    def unsupported():
        return keras.Sequential([
            keras.Input((8, 8, 1)),
            layers.Conv2D(2, 3),
            layers.BatchNormalization(),
            layers.Flatten(),
            layers.Dense(2),
        ], name="with_batchnorm")

    return {"q1": (q1, True), "small": (small, True), "q2": (q2, False),
            "unsupported": (unsupported, False)}


def main(out="tests/fixtures/keras"):
    import keras
    import numpy as np

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for i, (name, (build, with_weights)) in enumerate(models(keras).items()):
        keras.utils.set_random_seed(i)
        model = build()
        (out / f"{name}.json").write_text(model.to_json() + "\n")
        (out / f"{name}.expected.json").write_text(json.dumps(
            {"count_params": int(model.count_params()),
             "output_shape": list(model.output_shape),
             "layers": [layer.__class__.__name__ for layer in model.layers]}) + "\n")
        if with_weights:
            model.save(out / f"{name}.keras")
            x = np.random.default_rng(i).standard_normal((4,) + model.input_shape[1:]).astype("float32")
            np.savez(out / f"{name}.expected.npz", x=x, y=np.asarray(model.predict(x, verbose=0)))
        print(f"{name}: {model.count_params():,} parameters -> {out}")
    print(f"Keras {keras.__version__} ({keras.backend.backend()} backend)")


if __name__ == "__main__":
    main(*sys.argv[1:])
