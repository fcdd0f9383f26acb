"""Keras-like layers, channels last, with forward and backward passes.

Usage (the seed ``q1`` with only the import changed)::

    from cnnlab import Sequential
    from cnnlab.layers import Conv2D, MaxPooling2D, Dense

    model = Sequential()
    model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Conv2D(32, (3, 3), activation="relu"))
    model.add(MaxPooling2D((2, 2)))
    model.add(Dense(10, activation="softmax"))
    model.count_params()                    # 10474, as Keras reports

Shapes follow Keras: a batch is ``(N, H, W, C)`` (channels last); ``input_shape`` leaves the batch
axis out; ``output_shape`` writes it as ``None``.  Inside, convolution and pooling call the
channels-first functional core (:mod:`cnnlab.conv`, :mod:`cnnlab.pool`, :mod:`cnnlab.sampling`)
and transpose at the boundary.  Weight layouts are Keras's: a ``Conv2D`` kernel is
``(kh, kw, C_in, C_out)``, a ``Dense`` kernel ``(in, units)``, biases ``(units,)``.

Every layer with parameters has ``weights`` (list of arrays, Keras order), ``grads`` (same shapes,
filled by ``backward``), ``count_params()``, ``get_weights()``, ``set_weights()``.

Extras beyond Keras:

- ``Conv2D(..., connections=table)`` with a binary ``(C_in, C_out)`` table: input map ``c`` feeds
  output map ``f`` only where ``table[c, f]`` is 1 (LeNet-5's C3).  The kernel keeps its full
  Keras shape, the unconnected slices stay zero, and ``count_params()`` counts only the
  connected (trainable) weights.
- ``Subsampling(pool_size=2, activation=None)``: LeNet's trainable subsampling,
  ``f(beta_c * sum of each n x n block + b_c)``, two parameters per map.
- activations by name: ``linear``, ``relu``, ``sigmoid``, ``tanh``, ``lecun_tanh``
  (``1.7159 tanh(2u/3)``), ``softmax``, ``thresholded_relu`` (Keras's ``ThresholdedReLU``,
  ``theta=1``; use :func:`activation_spec` for another ``theta``).
"""
from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from ._validate import as_array, positive_int_pair, shape_str
from .activations import ACTIVATIONS, Activation, get_activation, thresholded_relu_activation
from .conv import conv2d, conv2d_backward
from .shapes import kernel_from_keras, kernel_to_keras, padded_output_size, same_padding

__all__ = [
    "Layer", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Dense", "Flatten", "Activation",
    "Subsampling", "Dropout", "ZeroPadding2D", "Convolution2D", "MaxPool2D", "AvgPool2D", "ActivationSpec",
    "activation_spec", "ACTIVATIONS", "PADDINGS",
]

PADDINGS = ("valid", "same")


# --------------------------------------------------------------------------------------------
# activations (elementwise f, its backward pass and its LaTeX name)
# --------------------------------------------------------------------------------------------
# The one activation registry lives in cnnlab.activations; layers look names up there.
class _LegacyActivationSpec:
    """Adapter for activations written in the old layer convention ``grad(u, y, dy)``.

    Prefer :class:`cnnlab.activations.Activation` (``backward(dy, x, y=None)``)."""

    def __init__(self, name, f, grad, latex):
        self.name, self.f, self._grad, self._latex = name, f, grad, latex

    def __call__(self, u):
        return self.f(u)

    def backward(self, dy, x, y=None):
        """``dE/dx`` (shape of x) from ``dy = dE/dy`` of the same shape; ``y = f(x)`` may be passed."""
        return self._grad(x, self.f(x) if y is None else y, dy)

    def grad(self, u, y, dy):
        """The old convention: ``grad(u, y, dy) = dE/du`` with ``y = f(u)`` (all of one shape)."""
        return self._grad(u, y, dy)

    def latex(self, arg):
        """LaTeX of the activation applied to the LaTeX string ``arg``."""
        return self._latex(arg)

    def __repr__(self):
        return f"ActivationSpec({self.name!r})"


#: old constructor ``ActivationSpec(name, f, grad, latex)`` with ``grad(u, y, dy)``, kept for
#: code written before the registry moved; new code builds a ``cnnlab.activations.Activation``.
ActivationSpec = _LegacyActivationSpec


def activation_spec(activation, name="activation", theta=None):
    """Return the activation object for ``activation`` (from :mod:`cnnlab.activations`).

    Inputs:
    - activation: ``None`` (linear), a name from ``ACTIVATIONS`` (or ``"trelu:φ"``), or an
      :class:`cnnlab.activations.Activation`
    - name: the argument's name for error messages
    - theta: only for ``"thresholded_relu"``: its threshold (default 1.0, as Keras)

    Returns an object with ``f(u)``, ``backward(dy, u, y=None)``, ``latex(arg)`` and ``name``.
    """
    if isinstance(activation, _LegacyActivationSpec):
        return activation
    if isinstance(activation, str) and activation.lower() == "thresholded_relu" and theta is not None:
        return thresholded_relu_activation(theta)
    try:
        return get_activation(activation)
    except TypeError:
        raise TypeError(
            f"{name} must be None, an activation name or an Activation; got "
            f"{type(activation).__name__} {activation!r}; expected one of {sorted(ACTIVATIONS)}"
        ) from None
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


# --------------------------------------------------------------------------------------------
# initialisers
# --------------------------------------------------------------------------------------------
INITIALIZERS = ("glorot_uniform", "lecun_uniform", "he_normal", "lecun98", "zeros", "ones")


def _init(kind, shape, fan_in, fan_out, rng, dtype, name):
    if kind == "zeros":
        return np.zeros(shape, dtype)
    if kind == "ones":
        return np.ones(shape, dtype)
    if kind == "glorot_uniform":
        lim = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-lim, lim, shape).astype(dtype)
    if kind == "lecun_uniform":
        lim = math.sqrt(3.0 / fan_in)
        return rng.uniform(-lim, lim, shape).astype(dtype)
    if kind == "he_normal":
        return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)
    if kind == "lecun98":  # LeCun et al. 1998, appendix: U(-2.4/F_in, 2.4/F_in)
        lim = 2.4 / fan_in
        return rng.uniform(-lim, lim, shape).astype(dtype)
    raise ValueError(f"{name}: unknown initializer {kind!r}; expected one of {INITIALIZERS}")


def _check_padding(padding, name="padding"):
    if not isinstance(padding, str):
        raise TypeError(f"{name} must be 'valid' or 'same'; got {type(padding).__name__} {padding!r}")
    if padding.lower() not in PADDINGS:
        raise ValueError(f"{name}: unknown padding {padding!r}; expected 'valid' or 'same'")
    return padding.lower()


def _check_input_shape(input_shape, name="input_shape"):
    if input_shape is None:
        return None
    if isinstance(input_shape, Integral) and not isinstance(input_shape, bool):
        input_shape = (int(input_shape),)
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of positive ints (batch axis left out), "
                        f"e.g. (32, 32, 3); got {type(input_shape).__name__} {input_shape!r}")
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in input_shape):
        raise ValueError(f"{name} must contain positive ints (batch axis left out), "
                         f"e.g. (32, 32, 3); got {tuple(input_shape)!r}")
    return tuple(int(s) for s in input_shape)


def _pads_and_output(padding, size, k, s):
    """``(out, before, after)`` along one axis for padding 'valid' or 'same' (the one rule of
    :func:`cnnlab.shapes.same_padding`); sizes from :func:`cnnlab.shapes.padded_output_size`."""
    before, after = same_padding(size, k, s) if padding == "same" else (0, 0)
    return padded_output_size(size, k, s, before, after), before, after


def _check_flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return bool(value)


def _check_initializer(kind, name):
    if not isinstance(kind, str):
        raise TypeError(f"{name} must be one of {INITIALIZERS}; got {type(kind).__name__} {kind!r}")
    if kind not in INITIALIZERS:
        raise ValueError(f"{name}: unknown initializer {kind!r}; expected one of {INITIALIZERS}")
    return kind


def _check_positive_int(value, name):
    if not isinstance(value, Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive int; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int (>= 1); got {value}")
    return int(value)


def _check_data_format(data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"data_format: only 'channels_last' is supported (Keras's default); "
                         f"got {data_format!r}")


# --------------------------------------------------------------------------------------------
# base class
# --------------------------------------------------------------------------------------------
class Layer:
    """Base class. Subclasses set ``keras_name`` and implement ``_build``, ``forward``,
    ``backward``; layers with parameters fill ``weights``/``weight_names``/``trainable_masks``.
    """

    keras_name = "layer"

    def __init__(self, name=None, input_shape=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None; got {type(name).__name__} {name!r}")
        self.name = name
        self._given_input_shape = _check_input_shape(input_shape)
        self.input_shape = None          # with None for the batch axis once built
        self.output_shape = None
        self.built = False
        self.weights, self.grads, self.weight_names = [], [], []
        self.trainable_masks = []        # None (all trainable) or a 0/1 array per weight
        self.trainable = True
        self._cache = None

    # ----- building -----
    def build(self, input_shape, rng=None, dtype=np.float64):
        """Create the weights for inputs of shape ``input_shape`` (batch axis left out)."""
        input_shape = _check_input_shape(tuple(input_shape))
        rng = np.random.default_rng(0) if rng is None else rng
        out = self._build(input_shape, rng, np.dtype(dtype))
        self.input_shape = (None,) + tuple(input_shape)
        self.output_shape = (None,) + tuple(int(s) for s in out)
        self.grads = [np.zeros_like(w) for w in self.weights]
        self.built = True
        return self.output_shape

    def _build(self, input_shape, rng, dtype):  # pragma: no cover - abstract
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        """Output shape (with ``None`` batch axis) for ``input_shape`` without building."""
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone.weights, clone.grads, clone.weight_names, clone.trainable_masks = [], [], [], []
        return Layer.build(clone, input_shape)

    # ----- parameters -----
    def count_params(self):
        """Number of trainable scalars (entries fixed at zero by a connection table excluded)."""
        self._need_built("count_params")
        n = 0
        for w, m in zip(self.weights, self.trainable_masks):
            n += int(w.size if m is None else np.count_nonzero(m))
        return n

    def get_weights(self):
        """Copies of the weights, in Keras's order and layouts."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list in Keras's order and layouts (shapes checked)."""
        self._need_built("set_weights")
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a list of arrays; got {type(weights).__name__}")
        if len(weights) != len(self.weights):
            raise ValueError(
                f"weights: layer {self.name!r} expects {len(self.weights)} arrays "
                f"({', '.join(self.weight_names) or 'none'}); got {len(weights)}")
        new = []
        for i, (w, old, nm) in enumerate(zip(weights, self.weights, self.weight_names)):
            a = as_array(w, f"weights[{i}]")
            if a.shape != old.shape:
                raise ValueError(
                    f"weights[{i}] ({nm} of layer {self.name!r}) must have shape "
                    f"{shape_str(old.shape)}; got {shape_str(a.shape)}")
            new.append(a.astype(old.dtype, copy=True))
        for i, (a, m) in enumerate(zip(new, self.trainable_masks)):
            if m is not None:
                a *= m
            self.weights[i][...] = a

    def _need_built(self, what):
        if not self.built:
            raise ValueError(
                f"{what}: layer {self.name or self.keras_name!r} is not built yet; give the first "
                f"layer an input_shape (channels last, e.g. input_shape=(32, 32, 3)) or call "
                f"model.build(input_shape)")

    # ----- description used by accounting / formula -----
    def arithmetic(self):
        """The parameter count as arithmetic, e.g. ``'(3·3·3 + 1)·32 = 896'``."""
        return "0" if self.count_params() == 0 else str(self.count_params())

    def macs(self):
        """Multiply-adds for one input sample."""
        return 0

    def rf_params(self):
        """``(kernel, stride, pad_before)`` per spatial axis for the receptive-field recurrence,
        or ``None`` if the layer mixes all positions (Flatten) / is not spatial."""
        return ((1, 1, 0), (1, 1, 0))

    def get_config(self):
        """The constructor arguments that rebuild this layer (a dict, as Keras's ``get_config``)."""
        return {"name": self.name}

    def forward(self, x, training=False):  # pragma: no cover - abstract
        """x (N, ...) batch, channels last -> the layer's output (N, ...); ``training`` keeps what
        :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, dy, preactivation=False):  # pragma: no cover - abstract
        """dy = dE/dy, shaped like the last output -> dE/dx, shaped like the last input (after
        ``forward(x, training=True)``); fills ``grads`` for layers with weights.  With
        ``preactivation`` True, ``dy`` is already dE/du (the activation is skipped)."""
        raise NotImplementedError

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name!r} output_shape={self.output_shape}>"


def _act_mixin_forward(layer, u, training):
    y = layer.act.f(u)
    if training:
        layer._u, layer._y = u, y
    return y


class Conv2D(Layer):
    """2-D convolution layer (cross-correlation, as Keras), channels last.

    ``y[n, i, j, f] = act(sum_{a, b, c} K[a, b, c, f] * xp[n, s_h i + a, s_w j + b, c] + bias[f])``
    where ``xp`` is ``x`` zero-padded as ``padding`` says.

    Inputs:
    - filters: number of output maps F
    - kernel_size: int or (kh, kw)
    - strides: int or (s_h, s_w)
    - padding: "valid" (output ``(H - kh) // s_h + 1``) or "same" (output ``ceil(H / s_h)``;
      for an even total padding deficit the extra row/column goes bottom/right, as Keras)
    - activation: name, None or ActivationSpec
    - use_bias: add a bias per output map
    - connections: optional binary array (C_in, F); a zero cuts input map c from output map f
    - input_shape: (H, W, C) on the first layer of a model
    Weights: kernel (kh, kw, C_in, F), bias (F,).
    """

    keras_name = "conv2d"

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None,
                 use_bias=True, input_shape=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", connections=None, data_format=None, name=None):
        super().__init__(name, input_shape)
        self.filters = _check_positive_int(filters, "filters")
        _check_data_format(data_format)
        self.kernel_size = positive_int_pair(kernel_size, "kernel_size")
        self.strides = positive_int_pair(strides, "strides")
        self.padding = _check_padding(padding)
        self.act = activation_spec(activation)
        self.activation = self.act.name
        self.use_bias = _check_flag(use_bias, "use_bias")
        self.kernel_initializer = _check_initializer(kernel_initializer, "kernel_initializer")
        self.bias_initializer = _check_initializer(bias_initializer, "bias_initializer")
        if connections is not None:
            try:
                connections = np.asarray(connections)
            except Exception as exc:
                raise TypeError(f"connections must be a 0/1 array (C_in, filters); could not "
                                f"convert it: {exc}") from None
            if connections.dtype.kind not in "biuf":
                raise TypeError(f"connections must be a 0/1 array (C_in, filters); got dtype "
                                f"{connections.dtype}")
            if connections.ndim != 2 or connections.shape[1] != self.filters:
                raise ValueError(f"connections must have shape (C_in, filters={self.filters}); "
                                 f"got {shape_str(connections.shape)}")
            if not np.all((connections == 0) | (connections == 1)):
                raise ValueError("connections must contain only 0 and 1")
        self.connections = connections

    def _build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"input_shape: Conv2D expects (rows, cols, channels); got "
                             f"{input_shape!r} ({len(input_shape)} dims)")
        H, W, C = input_shape
        kh, kw = self.kernel_size
        sh, sw = self.strides
        if self.padding == "valid" and (kh > H or kw > W):
            raise ValueError(f"input_shape: kernel {self.kernel_size} of layer "
                             f"{self.name!r} is larger than its input {(H, W)} with "
                             f"padding='valid'")
        Ho, pt, pb = _pads_and_output(self.padding, H, kh, sh)
        Wo, pl, pr = _pads_and_output(self.padding, W, kw, sw)
        self.pads = (pt, pb, pl, pr)
        if self.connections is not None and self.connections.shape[0] != C:
            raise ValueError(f"connections of layer {self.name!r} has {self.connections.shape[0]} "
                             f"rows but the input has {C} channels")
        mask = None
        if self.connections is not None:
            mask = np.broadcast_to(self.connections.astype(dtype), (kh, kw, C, self.filters)).copy()
            fan_in = kh * kw * float(self.connections.sum(0).mean())
            fan_out = kh * kw * float(self.connections.sum(1).mean())
        else:
            fan_in, fan_out = kh * kw * C, kh * kw * self.filters
        K = _init(self.kernel_initializer, (kh, kw, C, self.filters), fan_in, fan_out, rng, dtype,
                  "kernel_initializer")
        if mask is not None:
            K *= mask
        self.weights, self.weight_names, self.trainable_masks = [K], ["kernel"], [mask]
        if self.use_bias:
            self.weights.append(_init(self.bias_initializer, (self.filters,), fan_in, fan_out,
                                      rng, dtype, "bias_initializer"))
            self.weight_names.append("bias")
            self.trainable_masks.append(None)
        self.in_channels = C
        return (Ho, Wo, self.filters)

    def forward(self, x, training=False):
        """Forward pass.

        Inputs: x (N, H, W, C_in), channels last; training: keep what backward needs.
        Returns y (N, Ho, Wo, F): :func:`cnnlab.conv2d` on the channels-first view with the
        layer's ``padding`` word ("same": TensorFlow/Keras's rule, any stride).
        """
        xc = np.transpose(x, (0, 3, 1, 2))
        w = kernel_from_keras(self.weights[0])
        b = self.weights[1] if self.use_bias else None
        u = np.transpose(conv2d(xc, w, b, stride=self.strides, padding=self.padding), (0, 2, 3, 1))
        if training:
            self._xc = xc
        return _act_mixin_forward(self, u, training)

    #: ``backward`` accepts ``need_dx=False`` (Sequential uses it for its first layer)
    can_skip_dx = True

    def backward(self, dy, preactivation=False, need_dx=True):
        """Backward pass (after ``forward(x, training=True)``).

        Inputs: dy (N, Ho, Wo, F) = dE/dy, or dE/du when ``preactivation`` is True; need_dx:
        False skips dE/dx (returns None), which the first layer of a network does not need.
        Returns dE/dx (N, H, W, C_in); fills ``grads`` with dE/dkernel (kh, kw, C_in, F) (zero
        where a connection table cuts a pair) and dE/dbias (F,).
        """
        du = dy if preactivation else self.act.backward(dy, self._u, self._y)
        duc = np.ascontiguousarray(np.transpose(du, (0, 3, 1, 2)))
        w = kernel_from_keras(self.weights[0])
        dxc, dw, db = conv2d_backward(duc, self._xc, w, stride=self.strides, padding=self.padding,
                                      need_dx=need_dx)
        dK = kernel_to_keras(dw)
        if self.trainable_masks[0] is not None:
            dK = dK * self.trainable_masks[0]
        self.grads[0] = dK
        if self.use_bias:
            self.grads[1] = db
        return None if dxc is None else np.transpose(dxc, (0, 2, 3, 1))

    def arithmetic(self):
        kh, kw = self.kernel_size
        C, F = self.in_channels, self.filters
        b = " + 1" if self.use_bias else ""
        if self.connections is not None:
            n_conn = int(self.connections.sum())
            s = f"{kh}·{kw}·{n_conn}" + (f" + {F}" if self.use_bias else "")
            return f"{s} = {self.count_params()}  (table: {n_conn} of {C * F} map pairs)"
        if self.use_bias:
            return f"({kh}·{kw}·{C}{b})·{F} = {self.count_params()}"
        return f"{kh}·{kw}·{C}·{F} = {self.count_params()}"

    def macs(self):
        _, Ho, Wo, F = self.output_shape
        kh, kw = self.kernel_size
        pairs = int(self.connections.sum()) if self.connections is not None else self.in_channels * F
        return Ho * Wo * kh * kw * pairs

    def rf_params(self):
        pt, _, pl, _ = self.pads
        return ((self.kernel_size[0], self.strides[0], pt), (self.kernel_size[1], self.strides[1], pl))

    def get_config(self):
        return dict(name=self.name, filters=self.filters, kernel_size=self.kernel_size,
                    strides=self.strides, padding=self.padding, activation=self.activation,
                    use_bias=self.use_bias)


class _Pooling2D(Layer):
    mode = "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", input_shape=None,
                 data_format=None, name=None):
        super().__init__(name, input_shape)
        _check_data_format(data_format)
        self.pool_size = positive_int_pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else positive_int_pair(strides, "strides")
        self.padding = _check_padding(padding)

    def _build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"input_shape: {self.__class__.__name__} expects (rows, cols, "
                             f"channels); got {input_shape!r}")
        H, W, C = input_shape
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        if self.padding == "valid" and (ph > H or pw > W):
            raise ValueError(f"input_shape: pool_size {self.pool_size} is larger than the "
                             f"input {(H, W)} with padding='valid'")
        Ho, pt, pb = _pads_and_output(self.padding, H, ph, sh)
        Wo, pl, pr = _pads_and_output(self.padding, W, pw, sw)
        self.pads = (pt, pb, pl, pr)
        self.out_hw = (Ho, Wo)
        return (Ho, Wo, C)

    def _kw(self):
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        return dict(size=(ph, pw), stride=(sh, sw), padding=self.padding)

    def forward(self, x, training=False):
        """x (N, H, W, C) -> y (N, Ho, Wo, C): max (or mean) over each window, by the functional
        :mod:`cnnlab.pool` on the channels-first view with the layer's ``padding`` ("same": Keras's
        rule; padded cells never win a max and do not count in a mean)."""
        from . import pool

        xc = np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))
        if self.mode == "max":
            y = pool.maxpool2d(xc, **self._kw())
        else:
            y = pool.avgpool2d(xc, **self._kw(), count_padding=False)
        if training:
            self._xc = xc
        return np.transpose(y, (0, 2, 3, 1))

    def backward(self, dy, preactivation=False):
        """dy (N, Ho, Wo, C) -> dE/dx (N, H, W, C): to each window's first maximum (max) or
        spread evenly over the window's real inputs (average)."""
        from . import pool

        dyc = np.ascontiguousarray(np.transpose(dy, (0, 3, 1, 2)))
        if self.mode == "max":
            dxc = pool.maxpool2d_backward(dyc, self._xc, **self._kw())
        else:
            dxc = pool.avgpool2d_backward(dyc, self._xc, **self._kw(), count_padding=False)
        return np.transpose(dxc, (0, 2, 3, 1))

    def arithmetic(self):
        return "0 (no weights)"

    def rf_params(self):
        pt, _, pl, _ = self.pads
        return ((self.pool_size[0], self.strides[0], pt), (self.pool_size[1], self.strides[1], pl))

    def get_config(self):
        return dict(name=self.name, pool_size=self.pool_size, strides=self.strides,
                    padding=self.padding)


class MaxPooling2D(_Pooling2D):
    """Max pooling, channels last, Keras semantics.

    Inputs: pool_size int or (ph, pw); strides (default pool_size); padding "valid"
    (output ``(H - ph) // s + 1``, leftover rows/columns dropped) or "same" (output
    ``ceil(H / s)``, windows at the border see only real inputs).
    x: (N, H, W, C) -> (N, Ho, Wo, C).  No weights.
    """

    keras_name = "max_pooling2d"
    mode = "max"


class AveragePooling2D(_Pooling2D):
    """Average pooling, channels last, Keras semantics (same as :class:`MaxPooling2D`;
    with padding "same" a border window averages only its real inputs, as Keras)."""

    keras_name = "average_pooling2d"
    mode = "avg"


class Dense(Layer):
    """Fully connected layer on the last axis (as Keras, also on a 4-D tensor).

    ``y[..., u] = act(sum_c x[..., c] W[c, u] + b[u])``

    Inputs: units; activation; use_bias; input_shape (..., C_in) on a first layer.
    x: (N, ..., C_in) -> (N, ..., units).  Weights: kernel (C_in, units), bias (units,).
    """

    keras_name = "dense"

    def __init__(self, units, activation=None, use_bias=True, input_shape=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name=None):
        super().__init__(name, input_shape)
        self.units = _check_positive_int(units, "units")
        self.act = activation_spec(activation)
        self.activation = self.act.name
        self.use_bias = _check_flag(use_bias, "use_bias")
        self.kernel_initializer = _check_initializer(kernel_initializer, "kernel_initializer")
        self.bias_initializer = _check_initializer(bias_initializer, "bias_initializer")

    def _build(self, input_shape, rng, dtype):
        C = input_shape[-1]
        self.in_features = C
        W = _init(self.kernel_initializer, (C, self.units), C, self.units, rng, dtype,
                  "kernel_initializer")
        self.weights, self.weight_names, self.trainable_masks = [W], ["kernel"], [None]
        if self.use_bias:
            self.weights.append(_init(self.bias_initializer, (self.units,), C, self.units, rng,
                                      dtype, "bias_initializer"))
            self.weight_names.append("bias")
            self.trainable_masks.append(None)
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, training=False):
        """x (N, ..., C_in) -> y (N, ..., units) = act(x @ kernel + bias) on the last axis."""
        u = x @ self.weights[0]
        if self.use_bias:
            u = u + self.weights[1]
        if training:
            self._x = x
        return _act_mixin_forward(self, u, training)

    def backward(self, dy, preactivation=False):
        """dy (N, ..., units) = dE/dy (dE/du if ``preactivation``) -> dE/dx (N, ..., C_in);
        fills ``grads``: dE/dkernel (C_in, units) and dE/dbias (units,)."""
        du = dy if preactivation else self.act.backward(dy, self._u, self._y)
        x2 = self._x.reshape(-1, self.in_features)
        du2 = du.reshape(-1, self.units)
        self.grads[0] = x2.T @ du2
        if self.use_bias:
            self.grads[1] = du2.sum(axis=0)
        return du @ self.weights[0].T

    def arithmetic(self):
        C, U = self.in_features, self.units
        if self.use_bias:
            return f"({C} + 1)·{U} = {self.count_params()}"
        return f"{C}·{U} = {self.count_params()}"

    def macs(self):
        positions = int(np.prod(self.output_shape[1:-1])) if len(self.output_shape) > 2 else 1
        return positions * self.in_features * self.units

    def rf_params(self):
        return ((1, 1, 0), (1, 1, 0)) if len(self.output_shape) == 4 else None

    def get_config(self):
        return dict(name=self.name, units=self.units, activation=self.activation,
                    use_bias=self.use_bias)


class Flatten(Layer):
    """Flatten all but the batch axis in C order, as Keras (channels last):
    ``(N, H, W, C) -> (N, H*W*C)``, entry ``(i, j, c)`` goes to ``(i*W + j)*C + c``."""

    keras_name = "flatten"

    def __init__(self, input_shape=None, name=None, data_format=None):
        super().__init__(name, input_shape)
        _check_data_format(data_format)

    def _build(self, input_shape, rng, dtype):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        """x (N, H, W, C) -> (N, H·W·C), C order (channels last, as Keras)."""
        if training:
            self._xshape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, preactivation=False):
        """dy (N, H·W·C) -> dE/dx (N, H, W, C) (the inverse reshape)."""
        return dy.reshape(self._xshape)

    def arithmetic(self):
        return "0 (reshape)"

    def rf_params(self):
        return None


class Activation(Layer):
    """Apply an activation by name (``'relu'``, ``'softmax'``, ...) elementwise (softmax on the
    last axis). Shape unchanged; no weights."""

    keras_name = "activation"

    def __init__(self, activation, input_shape=None, name=None):
        super().__init__(name, input_shape)
        self.act = activation_spec(activation)
        self.activation = self.act.name

    def _build(self, input_shape, rng, dtype):
        return tuple(input_shape)

    def forward(self, x, training=False):
        """x (any shape, batch first) -> f(x) of the same shape."""
        return _act_mixin_forward(self, x, training)

    def backward(self, dy, preactivation=False):
        """dy = dE/df(x) (shape of x) -> dE/dx = the activation's ``backward(dy, x, y)``."""
        return dy if preactivation else self.act.backward(dy, self._u, self._y)

    def arithmetic(self):
        return "0 (elementwise)"

    def get_config(self):
        return dict(name=self.name, activation=self.activation)


class Subsampling(Layer):
    """LeNet-5's trainable subsampling (S2, S4), channels last.

    ``y[n, i, j, c] = act(beta[c] * sum_{a,b < p} x[n, p i + a, p j + b, c] + bias[c])``

    i.e. ``act(beta_c * down(x_c, p) + b_c)`` in Bouvrie's notation.  Inputs: pool_size p (int;
    rows and columns of the input must be divisible by it); activation; input_shape.
    x: (N, H, W, C) -> (N, H/p, W/p, C).  Weights: coefficient beta (C,), bias (C,) —
    two trainable parameters per map.  beta starts at ``1/p²`` (average pooling), bias at 0.
    """

    keras_name = "subsampling"

    def __init__(self, pool_size=2, activation=None, input_shape=None, name=None):
        super().__init__(name, input_shape)
        p = positive_int_pair(pool_size, "pool_size")
        if p[0] != p[1]:
            raise ValueError(f"pool_size: Subsampling needs a square block; got {pool_size!r}")
        self.pool_size = p[0]
        self.act = activation_spec(activation)
        self.activation = self.act.name

    def _build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"input_shape: Subsampling expects (rows, cols, channels); got "
                             f"{input_shape!r}")
        H, W, C = input_shape
        p = self.pool_size
        if H % p or W % p:
            raise ValueError(f"input_shape: Subsampling with pool_size {p} needs rows and columns "
                             f"divisible by {p}; got {(H, W)}")
        self.weights = [np.full((C,), 1.0 / (p * p), dtype), np.zeros((C,), dtype)]
        self.weight_names = ["coefficient", "bias"]
        self.trainable_masks = [None, None]
        self.channels = C
        return (H // p, W // p, C)

    def forward(self, x, training=False):
        """x (N, H, W, C) -> act(beta_c · down(x_c, p) + b_c), shape (N, H/p, W/p, C): the
        formula of :func:`cnnlab.sampling.subsample`, computed on the channels-last array
        (``down`` over the axes H and W; no transposition)."""
        from .sampling import _down

        p = self.pool_size
        xd = _down(x, p, p, channels_last=True)                     # (N, H/p, W/p, C)
        u = self.weights[0] * xd + self.weights[1]
        if training:
            self._xd = xd
        return _act_mixin_forward(self, u, training)

    def backward(self, dy, preactivation=False):
        """dy (N, H/p, W/p, C) -> dE/dx (N, H, W, C), the formulas of
        :func:`cnnlab.sampling.subsample_backward` channels last: ``dx = β · up(δ, p)``,
        ``dβ = Σ δ ∘ down(x, p)``, ``db = Σ δ``; fills ``grads``: dE/dbeta (C,) and dE/dbias (C,)."""
        from .sampling import _up

        du = dy if preactivation else self.act.backward(dy, self._u, self._y)
        self.grads[0] = (du * self._xd).sum(axis=(0, 1, 2))
        self.grads[1] = du.sum(axis=(0, 1, 2))
        p = self.pool_size
        return _up(du, p, p, scale=self.weights[0], channels_last=True)

    def arithmetic(self):
        return f"(1 + 1)·{self.channels} = {self.count_params()}"

    def macs(self):
        _, Ho, Wo, C = self.output_shape
        return Ho * Wo * C

    def rf_params(self):
        return ((self.pool_size, self.pool_size, 0), (self.pool_size, self.pool_size, 0))

    def get_config(self):
        return dict(name=self.name, pool_size=self.pool_size, activation=self.activation)


class Dropout(Layer):
    """Keras's ``Dropout(rate)``: the identity at inference (``predict``); in training, each
    entry is kept with probability ``1 − rate`` and scaled by ``1/(1 − rate)`` (inverted
    dropout), so the expected output equals the input. Shape unchanged; no weights.

    Inputs: rate in [0, 1); seed (int or None) for the training masks.
    """

    keras_name = "dropout"

    def __init__(self, rate, seed=None, input_shape=None, name=None):
        super().__init__(name, input_shape)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
            raise TypeError(f"rate must be a number in [0, 1); got {type(rate).__name__} {rate!r}")
        if not 0 <= float(rate) < 1:
            raise ValueError(f"rate must lie in [0, 1); got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def _build(self, input_shape, rng, dtype):
        return tuple(input_shape)

    def forward(self, x, training=False):
        """x (any shape) -> x at inference; x·mask/(1 − rate) in training (same shape)."""
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self._rng.random(x.shape) < keep).astype(x.dtype) / keep
        return x * self._mask

    def backward(self, dy, preactivation=False):
        """dy (shape of x) -> dE/dx = dy·mask/(1 − rate) (dy at inference)."""
        return dy if self._mask is None else dy * self._mask

    def arithmetic(self):
        return "0 (identity at inference)"

    def get_config(self):
        return dict(name=self.name, rate=self.rate)


class ZeroPadding2D(Layer):
    """Keras's ``ZeroPadding2D(padding)``: add zero rows and columns around each map, channels
    last, ``(N, H, W, C) -> (N, top + H + bottom, left + W + right, C)``. No weights.

    Inputs: padding — an int ``p`` (``p`` on every side), a pair ``(ph, pw)`` (``ph`` rows on
    top and bottom, ``pw`` columns left and right) or ``((top, bottom), (left, right))``.
    """

    keras_name = "zero_padding2d"

    def __init__(self, padding=(1, 1), input_shape=None, data_format=None, name=None):
        super().__init__(name, input_shape)
        _check_data_format(data_format)

        def _nonneg(v):
            return isinstance(v, (Integral, np.integer)) and not isinstance(v, bool) and v >= 0

        p = padding
        if _nonneg(p):
            pads = (int(p),) * 4
        elif (isinstance(p, (tuple, list)) and len(p) == 2 and all(_nonneg(v) for v in p)):
            pads = (int(p[0]), int(p[0]), int(p[1]), int(p[1]))
        elif (isinstance(p, (tuple, list)) and len(p) == 2
              and all(isinstance(q, (tuple, list)) and len(q) == 2 and all(_nonneg(v) for v in q)
                      for q in p)):
            pads = (int(p[0][0]), int(p[0][1]), int(p[1][0]), int(p[1][1]))
        else:
            raise ValueError(f"padding must be an int >= 0, a pair (ph, pw) or "
                             f"((top, bottom), (left, right)); got {padding!r}")
        self.pads = pads

    def _build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"input_shape: ZeroPadding2D expects (rows, cols, channels); got "
                             f"{input_shape!r}")
        H, W, C = input_shape
        t, b, l, r = self.pads
        return (H + t + b, W + l + r, C)

    def forward(self, x, training=False):
        """x (N, H, W, C) -> (N, top + H + bottom, left + W + right, C), zeros around."""
        t, b, l, r = self.pads
        return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))

    def backward(self, dy, preactivation=False):
        """dy (N, H + top + bottom, W + left + right, C) -> dE/dx (N, H, W, C) (the crop)."""
        t, b, l, r = self.pads
        return dy[:, t:dy.shape[1] - b, l:dy.shape[2] - r, :]

    def arithmetic(self):
        return "0 (zero padding)"

    def rf_params(self):
        t, _, l, _ = self.pads
        return ((1, 1, t), (1, 1, l))

    def get_config(self):
        t, b, l, r = self.pads
        return dict(name=self.name, padding=((t, b), (l, r)))


# Keras aliases
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
