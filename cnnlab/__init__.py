"""CNN Math Lab's NumPy package.

Functional operations work on NumPy arrays, channels first (``(N, C, H, W)`` or ``(C, H, W)``),
as the seeds write shapes (``[filters, depth, rows, columns]``) and as PyTorch does.  The model
API (:class:`cnnlab.Sequential`, :mod:`cnnlab.layers`) mirrors Keras and is channels last.

Names are imported lazily from their modules, so ``import cnnlab`` is cheap and a chapter that
only needs convolution does not pay for the widgets.
"""
from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    # convolution
    "correlate2d": "conv", "convolve2d": "conv", "conv2d": "conv", "conv2d_backward": "conv",
    "im2col": "conv", "col2im": "conv",
    # shape arithmetic and layouts (one home: cnnlab.shapes)
    "conv_output_size": "shapes", "conv_floors": "shapes", "resolve_padding": "shapes",
    "same_padding": "shapes", "kernel_to_keras": "shapes", "kernel_from_keras": "shapes",
    # explicit-loop references
    "conv2d_naive": "naive", "conv2d_backward_naive": "naive",
    "maxpool2d_naive": "naive", "maxpool2d_backward_naive": "naive",
    # pooling
    "maxpool2d": "pool", "maxpool2d_backward": "pool",
    "avgpool2d": "pool", "avgpool2d_backward": "pool", "pool_output_shape": "pool",
    # Bouvrie's helpers and LeNet's trainable subsampling
    "up": "sampling", "down": "sampling", "rot180": "sampling",
    "subsample": "sampling", "subsample_backward": "sampling",
    # activations
    "relu": "activations", "sigmoid": "activations", "tanh": "activations",
    "lecun_tanh": "activations", "softmax": "activations", "get_activation": "activations",
    "relu_grad": "activations", "sigmoid_grad": "activations", "tanh_grad": "activations",
    "lecun_tanh_grad": "activations", "softmax_backward": "activations",
    "Activation": "activations",
    # gradient checking
    "numerical_gradient": "gradcheck", "rel_error": "gradcheck", "check_gradient": "gradcheck",
    # model API
    "Sequential": "model",
    # models from other frameworks
    "from_keras": "interop", "from_torch": "interop",
    # size guard (refuse before allocating arrays larger than the limit)
    "set_max_bytes": "_validate", "get_max_bytes": "_validate",
    # ready-made models and data
    "lenet5": "models", "small_lenet": "models",
    "load_digits": "data", "load_mnist": "data", "read_idx": "data", "write_idx": "data",
}

_SUBMODULES = {
    "conv", "naive", "pool", "sampling", "activations", "matlab", "gradcheck", "layers", "model",
    "models", "formula", "losses", "optim", "training", "data", "widgets", "exercises", "recos",
    "accounting", "expand", "bouvrie", "chain", "interop", "explain", "shapes", "convmatrix",
    "paths", "fastconv",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f"cnnlab.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = import_module(f"cnnlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cnnlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)
