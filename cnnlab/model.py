"""``Sequential``: a Keras-like stack of layers, channels last.

Usage::

    from cnnlab import Sequential
    from cnnlab.layers import Conv2D, MaxPooling2D, Flatten, Dense

    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(10, activation="softmax"),
    ])
    model.summary()                 # Keras-like table + a column with the arithmetic
    model.count_params()            # as Keras
    probs = model.predict(x)        # x: (N, 32, 32, 3)
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=cnnlab.optim.SGD(0.05, momentum=0.9), metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, batch_size=32, seed=0)
    print(model.formula())          # the network as one LaTeX formula

Weights are created when the input shape is known (``input_shape`` on the first layer, an
explicit ``model.build(input_shape)`` or the first ``predict``), from
``np.random.default_rng(seed)`` — the same ``seed`` gives the same model.  ``dtype`` (default
``float64``) is the precision of weights and computations.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_array, shape_str
from .layers import Layer, _check_input_shape

__all__ = ["Sequential"]


class Sequential:
    """A linear stack of layers (Keras's ``Sequential``).

    Inputs:
    - layers: optional list of :class:`cnnlab.layers.Layer`
    - name: the model's name (default ``"sequential"``)
    - seed: seed of the weight initialisation (default 0)
    - dtype: ``np.float64`` (default) or ``np.float32``
    """

    def __init__(self, layers=None, name=None, seed=0, dtype=np.float64):
        self.name = name or "sequential"
        self.seed = seed
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}")
        self.layers = []
        self._names = {}
        self.built = False
        self.loss = self.optimizer = None
        self.metrics = []
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"layers must be a list of layers; got {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    # ------------------------------------------------------------------ building
    def add(self, layer):
        """Append ``layer``; builds it at once if the input shape is known."""
        if not isinstance(layer, Layer):
            raise TypeError(f"layer must be a cnnlab.layers layer (Conv2D, Dense, ...); got "
                            f"{type(layer).__name__} {layer!r}")
        if self.layers and layer._given_input_shape is not None:
            # Keras ignores it on later layers; we check it agrees.
            prev = self.layers[-1].output_shape
            if prev is not None and tuple(prev[1:]) != layer._given_input_shape:
                raise ValueError(f"input_shape {layer._given_input_shape} of layer "
                                 f"{len(self.layers)} disagrees with the previous output "
                                 f"{shape_str(prev[1:])}")
        if layer.name is None:
            k = self._names.get(layer.keras_name, 0)
            layer.name = layer.keras_name if k == 0 else f"{layer.keras_name}_{k}"
            self._names[layer.keras_name] = k + 1
        self.layers.append(layer)
        if len(self.layers) == 1 and layer._given_input_shape is not None:
            self.build(layer._given_input_shape)
        elif self.built:
            self._build_layer(layer, self.layers[-2].output_shape[1:], len(self.layers) - 1)

    def _rng_for(self, index):
        return np.random.default_rng([int(self.seed if self.seed is not None else 0), index])

    def _build_layer(self, layer, shape, index):
        try:
            layer.build(shape, rng=self._rng_for(index), dtype=self.dtype)
        except ValueError as exc:
            raise ValueError(f"layer {index} ({layer.name}): {exc}") from None

    def build(self, input_shape):
        """Create every layer's weights for inputs of shape ``input_shape`` (batch left out,
        channels last, e.g. ``(32, 32, 3)``)."""
        shape = _check_input_shape(input_shape)
        if shape is None:
            raise ValueError("input_shape must be given, e.g. (32, 32, 3)")
        self.input_shape = (None,) + shape
        for i, layer in enumerate(self.layers):
            self._build_layer(layer, shape, i)
            shape = layer.output_shape[1:]
        self.built = True

    def _need_built(self, what):
        if not self.layers:
            raise ValueError(f"{what}: the model has no layers; add some with model.add(...)")
        if not self.built:
            raise ValueError(
                f"{what}: the model has no input shape yet; give the first layer input_shape= "
                f"(channels last, e.g. Conv2D(32, (3, 3), input_shape=(32, 32, 3))) or call "
                f"model.build((32, 32, 3))")

    @property
    def output_shape(self):
        """Output shape with ``None`` for the batch axis, as Keras."""
        self._need_built("output_shape")
        return self.layers[-1].output_shape

    # ------------------------------------------------------------------ parameters
    def count_params(self):
        """Number of trainable scalars, as Keras's ``count_params()``."""
        self._need_built("count_params")
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self):
        """All weights in Keras's order (layer by layer; kernel then bias) and layouts."""
        self._need_built("get_weights")
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Set all weights from a list as :meth:`get_weights` returns (count and shapes checked)."""
        self._need_built("set_weights")
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a list of arrays; got {type(weights).__name__}")
        expected = [(layer, i, w.shape) for layer in self.layers for i, w in enumerate(layer.weights)]
        if len(weights) != len(expected):
            raise ValueError(f"weights: the model has {len(expected)} weight arrays; got "
                             f"{len(weights)}")
        for k, ((layer, i, shp), w) in enumerate(zip(expected, weights)):
            a = np.asarray(w) if not isinstance(w, np.ndarray) else w
            if tuple(a.shape) != tuple(shp):
                raise ValueError(f"weights[{k}] ({layer.weight_names[i]} of layer "
                                 f"{layer.name!r}) must have shape {shape_str(shp)}; got "
                                 f"{shape_str(a.shape)}")
        k = 0
        for layer in self.layers:
            n = len(layer.weights)
            layer.set_weights(list(weights[k:k + n]))
            k += n

    @property
    def trainable_weights(self):
        return [w for layer in self.layers for w in layer.weights]

    @property
    def gradients(self):
        """Gradients from the last :meth:`backward`, aligned with :meth:`get_weights`."""
        return [g for layer in self.layers for g in layer.grads]

    # ------------------------------------------------------------------ forward / backward
    def _check_x(self, x, name="x"):
        x = as_array(x, name)
        if not self.built:
            if not self.layers:
                raise ValueError("predict: the model has no layers")
            self.build(tuple(x.shape[1:]))
        want = self.input_shape[1:]
        if x.ndim != len(want) + 1 or tuple(x.shape[1:]) != tuple(want):
            raise ValueError(f"{name} must have shape (N, {', '.join(map(str, want))}) "
                             f"(a batch, channels last); got {shape_str(x.shape)}")
        return x.astype(self.dtype, copy=False)

    def forward(self, x, training=False):
        """Forward pass. ``training=True`` caches what :meth:`backward` needs."""
        x = self._check_x(x)
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dout, preactivation=False):
        """Backward pass through the values cached by ``forward(x, training=True)``.

        Inputs:
        - dout: dE/d(output), shape (N,) + output_shape[1:]; if ``preactivation`` it is dE/du of
          the last layer (before its activation), as the fused softmax + cross-entropy gives
        Returns dE/dx, shape of the input; the weight gradients are in ``layer.grads`` (and
        :attr:`gradients`).
        """
        d = dout
        for k, layer in enumerate(reversed(self.layers)):
            d = layer.backward(d, preactivation=(preactivation and k == 0))
        return d

    def predict(self, x, batch_size=None, verbose=0):
        """Output for a batch ``x`` of shape ``(N,) + input_shape`` (channels last)."""
        x = self._check_x(x)
        if batch_size is None or batch_size >= len(x):
            return self.forward(x)
        return np.concatenate([self.forward(x[i:i + batch_size])
                               for i in range(0, len(x), batch_size)])

    __call__ = predict

    # ------------------------------------------------------------------ accounting / formula
    def summary(self, extras=False, print_fn=None):
        """Print a Keras-like table with an extra column showing the arithmetic.

        ``extras=True`` adds multiply-adds, activation memory and receptive field per layer
        (see :mod:`cnnlab.accounting`)."""
        from .accounting import summary_text

        (print_fn or print)(summary_text(self, extras=extras))

    def formula(self, nested=True):
        """The network as LaTeX (see :func:`cnnlab.formula.model_formula`)."""
        from .formula import model_formula

        return model_formula(self, nested=nested)

    # ------------------------------------------------------------------ training
    def compile(self, loss="categorical_crossentropy", optimizer="sgd", metrics=None):
        """Choose loss (name or :mod:`cnnlab.losses` object), optimizer (name or
        :mod:`cnnlab.optim` object) and metrics (``["accuracy"]``)."""
        from .losses import get_loss
        from .optim import get_optimizer

        self.loss = get_loss(loss)
        self.optimizer = get_optimizer(optimizer)
        self.metrics = list(metrics or [])

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, seed=None, verbose=1,
            shuffle=True, loss=None, optimizer=None, augment=None):
        """Minibatch training; see :func:`cnnlab.training.fit`. Returns a ``History``."""
        from .training import fit

        return fit(self, x, y, epochs=epochs, batch_size=batch_size,
                   validation_data=validation_data, seed=seed, verbose=verbose, shuffle=shuffle,
                   loss=loss, optimizer=optimizer, augment=augment)

    def evaluate(self, x, y, batch_size=256, verbose=0):
        """``[loss, metric...]`` on ``(x, y)`` (just the loss if no metrics)."""
        from .training import evaluate

        return evaluate(self, x, y, batch_size=batch_size)

    def __repr__(self):
        return f"<Sequential {self.name!r}: {len(self.layers)} layers>"
