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

from ._validate import (as_array, check_alloc, check_bool, check_finite, check_float_dtype,
                        check_int, shape_str)
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
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None; got {type(name).__name__} {name!r}")
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        dt = check_float_dtype(dtype)
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"layers must be a list of layers; got {type(layers).__name__}")
            for k, layer in enumerate(layers):
                if not isinstance(layer, Layer):
                    raise TypeError(f"layers[{k}] must be a cnnlab.layers layer (Conv2D, Dense, "
                                    f"...); got {type(layer).__name__} {layer!r}")
            if len({id(layer) for layer in layers}) != len(layers):
                raise ValueError("layers: the same layer object appears twice; create a new "
                                 "layer for each position")
        self.name = name or "sequential"
        self.seed = seed
        self.dtype = dt
        self.layers = []
        self._names = {}
        self.built = False
        self.loss = self.optimizer = None
        self.metrics = []
        if layers is not None:
            for layer in layers:
                self.add(layer)

    # ------------------------------------------------------------------ building
    def _snapshot(self, layers=()):
        """What a failed operation must put back: the model's attributes and those of
        ``layers`` (shallow copies of their ``__dict__``; weight arrays are replaced, never
        written in place, by ``build``)."""
        return (dict(self.__dict__), list(self.layers), dict(self._names),
                [(layer, dict(layer.__dict__)) for layer in layers])

    def _restore(self, snap):
        state, layers, names, saved = snap
        self.__dict__.clear()
        self.__dict__.update(state)
        self.layers, self._names = layers, names
        for layer, d in saved:
            layer.__dict__.clear()
            layer.__dict__.update(d)

    def add(self, layer):
        """Append ``layer``; builds it at once if the input shape is known.

        Atomic: if the layer does not fit (wrong type, a kernel larger than its input, ...) the
        error is raised and both the model and the layer are left exactly as they were."""
        if not isinstance(layer, Layer):
            raise TypeError(f"layer must be a cnnlab.layers layer (Conv2D, Dense, ...); got "
                            f"{type(layer).__name__} {layer!r}")
        if any(layer is other for other in self.layers):
            raise ValueError(f"layer {layer.name!r} is already in this model; create a new layer "
                             f"object for each position")
        snap = self._snapshot([layer])
        try:
            self._add(layer)
        except BaseException:
            self._restore(snap)
            raise

    def _add(self, layer):
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
        _check_weight_sizes(layer, shape, self.dtype.itemsize, index)
        try:
            layer.build(shape, rng=self._rng_for(index), dtype=self.dtype)
        except ValueError as exc:
            raise type(exc)(f"layer {index} ({layer.name}): {exc}") from None
        out = layer.output_shape[1:]
        if any(s < 1 for s in out):
            raise ValueError(f"layer {index} ({layer.name}): its output shape {shape_str(out)} "
                             f"for the input {shape_str(shape)} is empty")

    def build(self, input_shape):
        """Create every layer's weights for inputs of shape ``input_shape`` (batch left out,
        channels last, e.g. ``(32, 32, 3)``).  Atomic: if a layer does not fit, nothing changes."""
        shape = _check_input_shape(input_shape)
        if shape is None:
            raise ValueError("input_shape must be given, e.g. (32, 32, 3)")
        check_alloc(shape, self.dtype.itemsize, "build: one input sample (input_shape)")
        snap = self._snapshot(self.layers)
        try:
            self.input_shape = (None,) + shape
            for i, layer in enumerate(self.layers):
                self._build_layer(layer, shape, i)
                shape = layer.output_shape[1:]
            self.built = True
        except BaseException:
            self._restore(snap)
            raise

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
        checked = []
        for k, ((layer, i, shp), w) in enumerate(zip(expected, weights)):
            what = f"weights[{k}] ({layer.weight_names[i]} of layer {layer.name!r})"
            a = as_array(w, what)
            if tuple(a.shape) != tuple(shp):
                raise ValueError(f"{what} must have shape {shape_str(shp)}; got "
                                 f"{shape_str(a.shape)}")
            check_finite(a, what)
            checked.append(a)
        # every array checked: now nothing below can fail half-way
        snap = self._snapshot(self.layers)
        old = [w.copy() for w in self.trainable_weights]
        try:
            k = 0
            for layer in self.layers:
                n = len(layer.weights)
                layer.set_weights(checked[k:k + n])
                k += n
        except BaseException:  # pragma: no cover - defensive: put every weight back
            self._restore(snap)
            for w, o in zip(self.trainable_weights, old):
                w[...] = o
            raise

    @property
    def trainable_weights(self):
        """Every layer's parameter arrays, in layer order (the arrays themselves, not copies)."""
        return [w for layer in self.layers for w in layer.weights]

    @property
    def gradients(self):
        """Gradients from the last :meth:`backward`, aligned with :meth:`get_weights`."""
        return [g for layer in self.layers for g in layer.grads]

    # ------------------------------------------------------------------ forward / backward
    def _check_x(self, x, name="x", finite=True):
        x = as_array(x, name)
        if not self.built:
            if not self.layers:
                raise ValueError(f"{name}: the model has no layers; add some with model.add(...)")
            if x.ndim < 2:
                raise ValueError(f"{name} must be a batch (N, ...) channels last; got a "
                                 f"{x.ndim}-D array of shape {shape_str(x.shape)}")
            self.build(tuple(x.shape[1:]))
        want = self.input_shape[1:]
        if x.ndim != len(want) + 1 or tuple(x.shape[1:]) != tuple(want):
            raise ValueError(f"{name} must have shape (N, {', '.join(map(str, want))}) "
                             f"(a batch, channels last); got {shape_str(x.shape)}")
        if finite:
            check_finite(x, name)
        return x.astype(self.dtype, copy=False)

    def _check_activation_sizes(self, n, what):
        """Refuse (before any allocation) a batch of ``n`` samples whose activations would be
        larger than the size guard (see :func:`cnnlab.set_max_bytes`)."""
        for i, layer in enumerate(self.layers):
            check_alloc((n,) + tuple(layer.output_shape[1:]), self.dtype.itemsize,
                        f"{what}: the output of layer {i} ({layer.name}) for {n} samples")
            im2col = _im2col_shape(layer, n)
            if im2col is not None:
                check_alloc(im2col, self.dtype.itemsize,
                            f"{what}: the im2col matrix of layer {i} ({layer.name}) for {n} "
                            f"samples")

    def forward(self, x, training=False):
        """Forward pass. ``training=True`` caches what :meth:`backward` needs."""
        training = check_bool(training, "training")
        x = self._check_x(x)
        for layer in self.layers:
            x = layer.forward(x, training=training)
        if training:
            self._trained_shape = x.shape       # what backward's dy must look like
        return x

    def backward(self, dy, preactivation=False, need_dx=True):
        """Backward pass through the values cached by ``forward(x, training=True)``.

        Inputs:
        - dy: dE/d(output), shape (N,) + output_shape[1:]; if ``preactivation`` it is dE/du of
          the last layer (before its activation), as the fused softmax + cross-entropy gives
        - need_dx: False when only the weight gradients are wanted (training): a first layer
          that can (Conv2D) then skips dE/dx, and None is returned
        Returns dE/dx, shape of the input (None when ``need_dx`` is False); the weight gradients
        are in ``layer.grads`` (and :attr:`gradients`).
        """
        want = getattr(self, "_trained_shape", None)
        if want is None:
            raise ValueError("backward: no forward pass to go back through; call "
                             "model.forward(x, training=True) first")
        preactivation = check_bool(preactivation, "preactivation")
        need_dx = check_bool(need_dx, "need_dx")
        d = as_array(dy, "dy")
        if d.shape != want:
            raise ValueError(f"dy must have the shape of the last forward output "
                             f"{shape_str(want)}; got {shape_str(d.shape)}")
        first = len(self.layers) - 1
        for k, layer in enumerate(reversed(self.layers)):
            pre = preactivation and k == 0
            if k == first and not need_dx and getattr(layer, "can_skip_dx", False):
                return layer.backward(d, preactivation=pre, need_dx=False)
            d = layer.backward(d, preactivation=pre)
        return d if need_dx else None

    def predict(self, x, batch_size=None, verbose=0):
        """Output for a batch ``x`` of shape ``(N,) + input_shape`` (channels last).

        ``batch_size``: None (all at once) or a positive int; NaN or inf in ``x`` is refused."""
        if batch_size is not None:
            batch_size = check_int(batch_size, "batch_size", minimum=1)
        x = self._check_x(x)
        n = len(x)
        chunk = n if batch_size is None else min(batch_size, n)
        self._check_activation_sizes(max(chunk, 1), "predict")
        if n == 0:
            return np.zeros((0,) + tuple(self.output_shape[1:]), self.dtype)
        if batch_size is None or batch_size >= n:
            return self.forward(x)
        return np.concatenate([self.forward(x[i:i + batch_size])
                               for i in range(0, n, batch_size)])

    __call__ = predict

    # ------------------------------------------------------------------ accounting / formula
    def summary(self, extras=False, print_fn=None):
        """Print a Keras-like table with an extra column showing the arithmetic.

        ``extras=True`` adds multiply-adds, activation memory and receptive field per layer
        (see :mod:`cnnlab.accounting`)."""
        from .accounting import summary_text

        extras = check_bool(extras, "extras")
        if print_fn is not None and not callable(print_fn):
            raise TypeError(f"print_fn must be callable (e.g. print) or None; got "
                            f"{type(print_fn).__name__} {print_fn!r}")
        (print_fn or print)(summary_text(self, extras=extras))

    def formula(self, nested=True):
        """The network as LaTeX (see :func:`cnnlab.formula.model_formula`)."""
        from .formula import model_formula

        return model_formula(self, nested=check_bool(nested, "nested"))

    # ------------------------------------------------------------------ training
    def compile(self, loss="categorical_crossentropy", optimizer="sgd", metrics=None):
        """Choose loss (name or :mod:`cnnlab.losses` object), optimizer (name or
        :mod:`cnnlab.optim` object) and metrics (``["accuracy"]``)."""
        from .losses import get_loss
        from .optim import get_optimizer
        from .training import check_metrics

        # everything is checked before anything is assigned: a failed compile changes nothing
        new_loss = get_loss(loss)
        new_opt = get_optimizer(optimizer)
        new_metrics = check_metrics(metrics)
        self.loss, self.optimizer, self.metrics = new_loss, new_opt, new_metrics

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

    @property
    def metrics_names(self):
        """``["loss", *metrics]``: the order of what :meth:`evaluate` returns (as Keras)."""
        return ["loss"] + list(self.metrics)

    def __repr__(self):
        return f"<Sequential {self.name!r}: {len(self.layers)} layers>"


def _im2col_shape(layer, n):
    """Shape of the im2col matrix a Conv2D layer builds for ``n`` samples, else None."""
    from .layers import Conv2D

    if not isinstance(layer, Conv2D) or not layer.built:
        return None
    kh, kw = layer.kernel_size
    _, Ho, Wo, _ = layer.output_shape
    return (layer.in_channels * kh * kw, Ho * Wo * n)


def _check_weight_sizes(layer, shape, itemsize, index):
    """Refuse, before a layer allocates them, weights larger than the size guard."""
    from .layers import Conv2D, Dense

    kernel = None
    if isinstance(layer, Conv2D) and len(shape) == 3:
        kernel = tuple(layer.kernel_size) + (shape[-1], layer.filters)
    elif isinstance(layer, Dense) and len(shape) >= 1:
        kernel = (shape[-1], layer.units)
    if kernel is not None:
        check_alloc(kernel, itemsize, f"layer {index} ({layer.name or layer.keras_name}): the kernel")
