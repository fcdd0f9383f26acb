"""Bring your own model: Keras and PyTorch models as a :class:`cnnlab.Sequential`.

Usage::

    import cnnlab
    model = cnnlab.from_keras("my_model.keras")    # or a Keras model, or model.to_json()
    model.summary(extras=True)                     # counts with their arithmetic
    print(model.formula())                         # the network as one formula

    model = cnnlab.from_torch(torch_module, input_shape=(3, 32, 32))

``from_keras`` reads the model's JSON configuration with the standard library only, so Keras need
not be installed; the weights of a ``.keras`` file (a zip holding ``config.json`` and
``model.weights.h5``) are read with ``h5py`` (``pip install 'cnnlab[keras]'``).

**Flatten after a PyTorch convolution.**  PyTorch stores a batch channels first, ``(N, C, H,
W)``, and ``nn.Flatten`` numbers entry ``(c, i, j)`` as ``t = (c·H + i)·W + j``; Keras (and
cnnlab's :class:`~cnnlab.layers.Flatten`) stores ``(N, H, W, C)`` and numbers entry ``(i, j, c)``
as ``t' = (i·W + j)·C + c``.  The same feature therefore sits at position ``t`` in PyTorch's flat
vector and ``t'`` in ours, and the first ``Linear`` after ``Flatten`` must have its columns
permuted: our kernel row ``t'`` is PyTorch's weight column ``t``, i.e. ``K[t', :] = W[:, t]``
with ``t = perm[t']``, where ``perm = arange(C·H·W).reshape(C, H, W).transpose(1, 2, 0).ravel()``
(:func:`flatten_permutation`).  Forgetting it leaves the shapes right and the outputs wrong.
"""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from numbers import Integral

import numpy as np

from . import layers as L
from ._extras import require
from .model import Sequential
from .shapes import conv_output_size, kernel_to_keras

__all__ = ["from_keras", "from_torch", "flatten_permutation", "KERAS_LAYERS", "TORCH_LAYERS",
           "KerasFileError"]

#: Keras layer classes that :func:`from_keras` maps (Keras class name -> what it becomes).
KERAS_LAYERS = {
    "InputLayer": "the model's input shape",
    "Conv2D": "Conv2D (stride, 'valid'/'same' padding, activation, bias)",
    "MaxPooling2D": "MaxPooling2D", "AveragePooling2D": "AveragePooling2D",
    "Dense": "Dense", "Flatten": "Flatten", "Activation": "Activation",
    "ReLU": "Activation('relu') (default arguments only)",
    "Softmax": "Activation('softmax') (last axis)",
    "Dropout": "Dropout (the identity at inference)",
    "ZeroPadding2D": "ZeroPadding2D",
}
_KERAS_ALIASES = {"Convolution2D": "Conv2D", "MaxPool2D": "MaxPooling2D",
                  "AvgPool2D": "AveragePooling2D"}

#: PyTorch module classes that :func:`from_torch` maps.
TORCH_LAYERS = ("Conv2d", "ReLU", "Tanh", "Sigmoid", "Softmax", "MaxPool2d", "AvgPool2d",
                "Flatten", "Linear", "Dropout", "Identity")

_ACTIVATION_NAMES = ("linear", "relu", "sigmoid", "tanh", "softmax")


class KerasFileError(OSError):
    """A file given to :func:`from_keras` is not a Keras model we can read (names the path)."""


# ---------------------------------------------------------------------------------------------
# Keras
# ---------------------------------------------------------------------------------------------
def _unsupported(kind, name, supported):
    return ValueError(f"{kind} layer {name!r} is not supported; supported layers: "
                      f"{', '.join(supported)}")


def _pair(v, what):
    if isinstance(v, Integral):
        return (int(v), int(v))
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return (int(v[0]), int(v[1]))
    raise ValueError(f"{what} must be an int or a pair; got {v!r}")


def _keras_activation(name, layer):
    if isinstance(name, dict):  # a serialised activation object
        name = name.get("config", {}).get("name") or name.get("class_name")
    if name is None:
        return None
    key = str(name).lower()
    if key not in _ACTIVATION_NAMES:
        raise ValueError(f"layer {layer!r}: activation {name!r} is not supported; supported "
                         f"activations: {', '.join(_ACTIVATION_NAMES)}")
    return None if key == "linear" else key


def _keras_layer_list(config):
    """The list of layer configurations of a Keras ``Sequential`` model configuration."""
    if not isinstance(config, dict):
        raise TypeError(f"source: a Keras model configuration must be a JSON object; got "
                        f"{type(config).__name__}")
    cls = config.get("class_name")
    if cls is None and "layers" in config:           # already the inner 'config'
        inner = config
    elif cls == "Sequential":
        inner = config.get("config", {})
    elif cls in ("Functional", "Model"):
        raise ValueError(f"source: only Keras Sequential models (a plain stack of layers) are "
                         f"supported; got a {cls} model")
    else:
        raise ValueError(f"source: not a Keras model configuration (class_name {cls!r}); "
                         f"expected 'Sequential'")
    layers = inner.get("layers")
    if not isinstance(layers, list):
        raise ValueError("source: the Keras configuration has no list of layers")
    return inner.get("name") or "sequential", layers


def _layers_from_keras_config(config):
    """Translate a Keras Sequential configuration into
    (name, input shape, [(layer name, cnnlab layer, Keras class name)])."""
    name, layer_cfgs = _keras_layer_list(config)
    input_shape = None
    out = []
    supported = sorted(KERAS_LAYERS)
    for entry in layer_cfgs:
        cls = _KERAS_ALIASES.get(entry.get("class_name"), entry.get("class_name"))
        cfg = entry.get("config", {})
        lname = cfg.get("name", cls)
        if cls not in KERAS_LAYERS:
            raise _unsupported("Keras", f"{cls} ({lname})", supported)
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
        if cls == "InputLayer":
            input_shape = tuple(shape[1:])
            continue
        if shape is not None and input_shape is None:  # Keras 2: on the first layer
            input_shape = tuple(shape[1:])
        if cfg.get("data_format", "channels_last") not in (None, "channels_last"):
            raise ValueError(f"layer {lname!r}: only data_format='channels_last' is supported; "
                             f"got {cfg.get('data_format')!r}")
        if cls == "Conv2D":
            if _pair(cfg.get("dilation_rate", 1), "dilation_rate") != (1, 1):
                raise ValueError(f"layer {lname!r}: dilation_rate {cfg['dilation_rate']} is not "
                                 f"supported (only 1)")
            if cfg.get("groups", 1) != 1:
                raise ValueError(f"layer {lname!r}: groups={cfg['groups']} is not supported "
                                 f"(only 1)")
            layer = L.Conv2D(int(cfg["filters"]), _pair(cfg["kernel_size"], "kernel_size"),
                             strides=_pair(cfg.get("strides", 1), "strides"),
                             padding=cfg.get("padding", "valid"),
                             activation=_keras_activation(cfg.get("activation"), lname),
                             use_bias=bool(cfg.get("use_bias", True)), name=lname)
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            strides = cfg.get("strides")
            layer = getattr(L, cls)(_pair(cfg.get("pool_size", 2), "pool_size"),
                                    strides=None if strides is None else _pair(strides, "strides"),
                                    padding=cfg.get("padding", "valid"), name=lname)
        elif cls == "Dense":
            layer = L.Dense(int(cfg["units"]),
                            activation=_keras_activation(cfg.get("activation"), lname),
                            use_bias=bool(cfg.get("use_bias", True)), name=lname)
        elif cls == "Flatten":
            layer = L.Flatten(name=lname)
        elif cls == "Activation":
            act = _keras_activation(cfg.get("activation"), lname)
            layer = L.Activation(act or "linear", name=lname)
        elif cls == "ReLU":
            if (cfg.get("max_value") not in (None,) or float(cfg.get("negative_slope", 0) or 0)
                    or float(cfg.get("threshold", 0) or 0)):
                raise ValueError(f"layer {lname!r}: ReLU with max_value/negative_slope/threshold "
                                 f"is not supported (only the plain ReLU)")
            layer = L.Activation("relu", name=lname)
        elif cls == "Softmax":
            if cfg.get("axis", -1) not in (-1, None):
                raise ValueError(f"layer {lname!r}: Softmax over axis {cfg['axis']} is not "
                                 f"supported (only the last axis)")
            layer = L.Activation("softmax", name=lname)
        elif cls == "Dropout":
            layer = L.Dropout(float(cfg.get("rate", 0.0)), name=lname)
        else:  # ZeroPadding2D
            layer = L.ZeroPadding2D(cfg.get("padding", 1), name=lname)
        out.append((lname, layer, entry.get("class_name")))
    if input_shape is None or any(s is None for s in input_shape):
        raise ValueError("source: the Keras model has no fixed input shape (add keras.Input(shape) "
                         "or input_shape= on the first layer)")
    return name, tuple(int(s) for s in input_shape), out


def _snake_case(class_name):
    """Keras's file name for a layer class: ``MaxPooling2D`` -> ``max_pooling2d``,
    ``ReLU`` -> ``re_lu``."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", class_name))
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _h5_keys(class_names):
    """Where Keras 3 stores each layer's variables in ``model.weights.h5``: not under the
    layer's name but under its class name in snake case, numbered by order of appearance
    (``layers/conv2d``, ``layers/conv2d_1``, ...)."""
    seen, keys = {}, []
    for cls in class_names:
        base = _snake_case(cls)
        k = seen.get(base, 0)
        keys.append(base if k == 0 else f"{base}_{k}")
        seen[base] = k + 1
    return keys


def _read_h5_weights(data, layer_names, path):
    h5py = require("h5py", "(reading the weights of a .keras file)")
    weights = {}
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            root = f["layers"] if "layers" in f else None
            for lname in layer_names:
                if root is None or lname not in root:
                    weights[lname] = []
                    continue
                vars_ = root[lname].get("vars", {})
                weights[lname] = [np.asarray(vars_[k]) for k in sorted(vars_, key=int)]
    except OSError as exc:
        raise KerasFileError(f"{path}: model.weights.h5 is not a readable HDF5 file ({exc})") from None
    return weights


def _load_keras_source(source):
    """Return (config dict, {layer name: [arrays]} or None, description)."""
    # A Keras model object (duck-typed: Keras need not be importable here).
    if hasattr(source, "to_json") and hasattr(source, "get_weights") and hasattr(source, "layers"):
        config = json.loads(source.to_json())
        weights = {layer.name: [np.asarray(w) for w in layer.get_weights()]
                   for layer in source.layers}
        return config, weights, "Keras model"
    if isinstance(source, dict):
        return source, None, "configuration"
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if isinstance(source, str) and text.lstrip().startswith("{"):
            try:
                return json.loads(text), None, "JSON string"
            except json.JSONDecodeError as exc:
                raise ValueError(f"source: not valid JSON ({exc})") from None
        path = text
        if not os.path.exists(path):
            raise FileNotFoundError(f"source: no such file: {path!r}")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                if "config.json" not in names:
                    raise KerasFileError(f"{path}: a zip file without config.json is not a .keras "
                                         f"model (found {names[:5]})")
                try:
                    config = json.loads(z.read("config.json"))
                except json.JSONDecodeError as exc:
                    raise KerasFileError(f"{path}: config.json is not valid JSON ({exc})") from None
                h5 = z.read("model.weights.h5") if "model.weights.h5" in names else None
            return config, h5, path
        if path.endswith(".keras"):
            raise KerasFileError(f"{path}: not a zip file, so not a Keras 3 .keras model")
        try:
            with open(path, encoding="utf-8") as fh:
                config = json.load(fh)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KerasFileError(f"{path}: neither a .keras zip file nor a JSON model "
                                 f"configuration ({exc.__class__.__name__})") from None
        return config, None, path
    raise TypeError(f"source must be a Keras model, a path to a .keras or .json file, a JSON "
                    f"string or a dict; got {type(source).__name__}")


def from_keras(source, dtype=np.float64, seed=0):
    """A Keras ``Sequential`` model as a :class:`cnnlab.Sequential`, with its weights if any.

    Inputs:
    - source: a Keras model object; a path to a ``.keras`` file (zip with ``config.json`` and
      ``model.weights.h5``); a path to a JSON file or a string holding ``model.to_json()``; or
      that JSON already parsed into a dict
    - dtype: precision of the cnnlab model (default float64; Keras computes in float32)
    - seed: initialisation seed, used only when the source carries no weights (JSON)

    Returns a built :class:`cnnlab.Sequential` whose ``count_params()``, ``output_shape`` and
    (with weights) ``predict`` equal Keras's.  Layers outside :data:`KERAS_LAYERS` raise a
    ``ValueError`` naming the layer and listing the supported ones.
    """
    config, raw_weights, where = _load_keras_source(source)
    name, input_shape, pairs = _layers_from_keras_config(config)
    model = Sequential([layer for _, layer, _ in pairs], name=name, seed=seed, dtype=dtype)
    try:
        model.build(input_shape)
    except ValueError as exc:
        raise ValueError(f"{where}: the model does not build with input shape {input_shape}: "
                         f"{exc}") from None
    if raw_weights is None:
        return model
    if isinstance(raw_weights, bytes):
        keys = _h5_keys([cls for _, _, cls in pairs])
        stored = _read_h5_weights(raw_weights, keys, where)
        raw_weights = {lname: stored[key] for (lname, _, _), key in zip(pairs, keys)}
    for lname, layer, _ in pairs:
        ws = raw_weights.get(lname, [])
        if len(ws) != len(layer.weights):
            raise ValueError(f"{where}: layer {lname!r} stores {len(ws)} weight arrays; "
                             f"{type(layer).__name__} needs {len(layer.weights)}")
        if ws:
            layer.set_weights(ws)
    return model


# ---------------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------------
def flatten_permutation(channels, rows, cols):
    """Index map between the two flattening orders of a ``(C, H, W)`` feature map.

    Returns ``perm`` of length ``C·H·W`` with ``perm[t'] = t``: entry ``t'`` of the
    channels-last flat vector (Keras, cnnlab: ``t' = (i·W + j)·C + c``) is entry ``t`` of the
    channels-first one (PyTorch: ``t = (c·H + i)·W + j``).  So ``x_keras_flat =
    x_torch_flat[perm]`` and a ``Linear`` weight ``W`` (out, C·H·W) becomes the Dense kernel
    ``W[:, perm].T``.
    """
    for nm, v in (("channels", channels), ("rows", rows), ("cols", cols)):
        if not isinstance(v, Integral) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{nm} must be a positive int; got {v!r}")
    return np.arange(channels * rows * cols).reshape(channels, rows, cols).transpose(1, 2, 0).ravel()


def _torch_pair(v):
    return (int(v), int(v)) if isinstance(v, Integral) else (int(v[0]), int(v[1]))


def _torch_out(where, shape, k, s):
    """(Ho, Wo) of an unpadded window op on the (C, H, W) ``shape`` (sizes from cnnlab.shapes)."""
    try:
        return (conv_output_size(shape[1], k[0], s[0]), conv_output_size(shape[2], k[1], s[1]))
    except ValueError as e:
        raise ValueError(f"{where}: input of shape {shape} (C, H, W) is too small: {e}") from None


def from_torch(module, input_shape, dtype=np.float64):
    """A PyTorch ``nn.Sequential`` CNN as a :class:`cnnlab.Sequential` (channels last).

    Inputs:
    - module: ``torch.nn.Sequential`` of the modules in :data:`TORCH_LAYERS` (``Conv2d`` with
      any stride and zero padding, ``MaxPool2d``/``AvgPool2d`` without padding or ceil mode,
      ``Flatten``, ``Linear``, ``ReLU``/``Tanh``/``Sigmoid``/``Softmax``, ``Dropout``)
    - input_shape: ``(C, H, W)``, channels first as PyTorch
    - dtype: precision of the cnnlab model (default float64)

    Returns a built :class:`cnnlab.Sequential` whose ``predict`` on the channels-last input
    ``x.transpose(0, 2, 3, 1)`` equals ``module(x)`` (a 4-D output comes back channels last).
    Convolution kernels go from PyTorch's ``(F, C, kh, kw)`` to Keras's ``(kh, kw, C, F)``;
    a ``Linear`` kernel is transposed, and the first one after ``Flatten`` gets its columns
    permuted by :func:`flatten_permutation` (see the module docstring).
    """
    nn = require("torch.nn", "(from_torch)")
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"module must be a torch.nn.Sequential; got {type(module).__name__}")
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3
            or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1
                       for s in input_shape)):
        raise ValueError(f"input_shape must be (C, H, W), three positive ints, channels first; "
                         f"got {input_shape!r}")
    C, H, W = (int(s) for s in input_shape)
    built = []          # (cnnlab layer, weights or None)
    shape = (C, H, W)   # channels-first shape of the running tensor (None after Flatten)
    flat_from = None    # (C, H, W) flattened by the last Flatten, until a Linear consumes it
    acts = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}

    def _np(t):
        return t.detach().cpu().numpy().astype(np.float64)

    for idx, m in enumerate(module):
        where = f"module[{idx}] ({type(m).__name__})"
        if isinstance(m, nn.Conv2d):
            if shape is None or len(shape) != 3:
                raise ValueError(f"{where}: Conv2d after Flatten is not supported")
            if m.groups != 1 or _torch_pair(m.dilation) != (1, 1):
                raise ValueError(f"{where}: groups and dilation other than 1 are not supported")
            if m.padding_mode != "zeros":
                raise ValueError(f"{where}: padding_mode {m.padding_mode!r} is not supported "
                                 f"(only 'zeros')")
            kh, kw = _torch_pair(m.kernel_size)
            sh, sw = _torch_pair(m.stride)
            if isinstance(m.padding, str):
                padding = m.padding  # 'valid' or 'same' (PyTorch allows 'same' at stride 1 only)
                pads = None
            else:
                ph, pw = _torch_pair(m.padding)
                padding, pads = "valid", (ph, pw)
            if pads and pads != (0, 0):
                built.append((L.ZeroPadding2D(pads), None))
                shape = (shape[0], shape[1] + 2 * pads[0], shape[2] + 2 * pads[1])
            # PyTorch's 'same' (stride 1 only) pads (k - 1)//2 before and the rest after,
            # exactly as Keras's 'same' does at stride 1.
            kernel = kernel_to_keras(_np(m.weight))               # (F,C,kh,kw) -> (kh,kw,C,F)
            ws = [kernel] + ([_np(m.bias)] if m.bias is not None else [])
            layer = L.Conv2D(m.out_channels, (kh, kw), strides=(sh, sw), padding=padding,
                             use_bias=m.bias is not None)
            built.append((layer, ws))
            if padding == "same":
                shape = (m.out_channels, shape[1], shape[2])
            else:
                shape = (m.out_channels,) + _torch_out(where, shape, (kh, kw), (sh, sw))
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            if shape is None or len(shape) != 3:
                raise ValueError(f"{where}: pooling after Flatten is not supported")
            pad = _torch_pair(m.padding)
            dil = _torch_pair(getattr(m, "dilation", 1))
            if pad != (0, 0) or m.ceil_mode or dil != (1, 1):
                raise ValueError(f"{where}: padding, dilation and ceil_mode are not supported "
                                 f"(got padding={m.padding}, ceil_mode={m.ceil_mode})")
            k = _torch_pair(m.kernel_size)
            s = _torch_pair(m.stride if m.stride is not None else m.kernel_size)
            cls = L.MaxPooling2D if isinstance(m, nn.MaxPool2d) else L.AveragePooling2D
            built.append((cls(k, strides=s), None))
            shape = (shape[0],) + _torch_out(where, shape, k, s)
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise ValueError(f"{where}: only Flatten(start_dim=1, end_dim=-1) is supported")
            if shape is not None and len(shape) == 3:
                flat_from = shape
            built.append((L.Flatten(), None))
            shape = None if shape is None else (int(np.prod(shape)),)
        elif isinstance(m, nn.Linear):
            if shape is None or len(shape) != 1:
                raise ValueError(f"{where}: Linear is supported on flat vectors only (add "
                                 f"nn.Flatten() before it)")
            if shape[0] != m.in_features:
                raise ValueError(f"{where}: in_features={m.in_features} but the input has "
                                 f"{shape[0]} features")
            weight = _np(m.weight)                                  # (out, in)
            if flat_from is not None:
                weight = weight[:, flatten_permutation(*flat_from)]
                flat_from = None
            ws = [weight.T.copy()] + ([_np(m.bias)] if m.bias is not None else [])
            built.append((L.Dense(m.out_features, use_bias=m.bias is not None), ws))
            shape = (m.out_features,)
        elif type(m) in acts:
            built.append((L.Activation(acts[type(m)]), None))
        elif isinstance(m, nn.Softmax):
            last = 1 if shape is not None and len(shape) == 1 else 0
            if m.dim not in (-1, last) or (shape is not None and len(shape) == 3 and m.dim != -1):
                raise ValueError(f"{where}: Softmax is supported over the feature axis of a flat "
                                 f"vector only (dim=1 or -1)")
            built.append((L.Activation("softmax"), None))
        elif isinstance(m, nn.Dropout):
            built.append((L.Dropout(float(m.p)), None))
        elif isinstance(m, nn.Identity):
            continue
        else:
            raise _unsupported("PyTorch", f"{type(m).__name__} at index {idx}", TORCH_LAYERS)
    if not built:
        raise ValueError("module: the nn.Sequential has no layers")
    model = Sequential([layer for layer, _ in built], dtype=dtype)
    model.build((H, W, C))
    for layer, ws in built:
        if ws is not None:
            layer.set_weights(ws)
    return model
