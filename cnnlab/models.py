"""Ready-made models: LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998).

Usage::

    from cnnlab.models import lenet5
    model = lenet5()                       # input (32, 32, 1), 10 softmax outputs
    model.summary()
    [layer.count_params() for layer in model.layers[:5]] + [model.layers[6].count_params()]
    # -> [156, 12, 1516, 32, 48120, 10164]: 60 000 trainable parameters in C1 ... F6

The architecture, as in the paper (Section II.B):

======  ===========================================  =======================================
layer   what                                          trainable parameters
======  ===========================================  =======================================
C1      6 maps, 5×5 kernels on the 32×32 input         (5·5·1 + 1)·6 = 156
S2      trainable subsampling 2×2: β·sum + b, squash   (1 + 1)·6 = 12
C3      16 maps, 5×5, connection table (Table I)       5·5·60 + 16 = 1516
S4      trainable subsampling 2×2                      (1 + 1)·16 = 32
C5      120 maps, 5×5 (on a 5×5 input: 1×1 output)     (5·5·16 + 1)·120 = 48120
F6      84 units                                       (120 + 1)·84 = 10164
output  10 units                                       (84 + 1)·10 = 850 (see below)
======  ===========================================  =======================================

C3's connection table (which of S2's six maps feed each of C3's sixteen) is
:data:`C3_TABLE`, from Table I of the paper: maps 0-5 read three contiguous S2 maps, 6-11 four
contiguous, 12-14 four non-contiguous, 15 all six — 60 connections, hence 5·5·60 + 16 = 1516.

The squashing function is the paper's scaled tanh ``f(a) = 1.7159 tanh(2a/3)`` (Appendix A),
after every layer from C1 to F6 (``activation=`` swaps it, e.g. ``"relu"``, ``"linear"``,
``"thresholded_relu"``).

**Output layer — a documented departure.**  The paper's output is a layer of 10 Euclidean radial
basis function units whose parameter vectors are fixed (hand-drawn 7×12 bitmaps of the
characters, not trained), with a special MAP-like loss.  We use a trainable dense layer 84 → 10
with softmax and cross-entropy instead (850 more trainable parameters; ``output="rbf"`` is not
offered), as most modern re-implementations do.  The paper's 60 000 trainable parameters are
those of C1 … F6 (156 + 12 + 1516 + 32 + 48120 + 10164), which the tests check exactly;
``model.count_params()`` is 60 850 because of our output layer.

Weights start from Keras's default, Glorot-uniform (``init="glorot_uniform"``).  The paper's
start, uniform in ``(−2.4/F_in, 2.4/F_in)`` with ``F_in`` the fan-in of the unit (Appendix C), is
``init="lecun98"``; it is so small that plain SGD with momentum barely moves in the first
epochs (the paper trained with a stochastic diagonal Levenberg–Marquardt method, which scales
each parameter's step by its own curvature estimate).  A ``Flatten`` between C5 (output 1×1×120) and F6 makes the shapes plain.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_alloc, check_choice, check_int
from .layers import INITIALIZERS, Conv2D, Dense, Flatten, Subsampling
from .model import Sequential

__all__ = ["lenet5", "C3_TABLE", "C3_CONNECTIONS", "small_lenet", "Sequential"]
# ``Sequential`` is re-exported so ``from keras.models import Sequential`` becomes
# ``from cnnlab.models import Sequential``.

# S2 maps feeding each C3 map (LeCun et al. 1998, Table I)
C3_CONNECTIONS = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

C3_TABLE = np.zeros((6, 16), dtype=np.int64)   # C3_TABLE[c, f] = 1 if S2 map c feeds C3 map f
for _f, _maps in enumerate(C3_CONNECTIONS):
    C3_TABLE[list(_maps), _f] = 1
C3_TABLE.setflags(write=False)


def lenet5(activation="lecun_tanh", input_shape=(32, 32, 1), num_classes=10, seed=0,
           dtype=np.float64, init="glorot_uniform", name="lenet5"):
    """LeNet-5 as a :class:`cnnlab.Sequential` (see the module docstring).

    Inputs:
    - activation: squashing function after C1 … F6 (default the paper's ``"lecun_tanh"``)
    - input_shape: (32, 32, 1) as in the paper (any (H, W, C) with H, W ≥ 32 works if the
      sizes stay divisible by 2 at S2 and S4; (32, 32, 1) gives C5 a 1×1 output)
    - num_classes: units of the softmax output layer
    - seed, dtype: weight initialisation seed and precision
    - init: kernel initialiser (``"glorot_uniform"``, or ``"lecun98"`` as in the paper)
    Returns a built model: input (N, 32, 32, 1) -> output (N, num_classes) probabilities.
    Raises ``TypeError``/``ValueError`` naming the argument (``num_classes``, ``init``, ...).
    """
    num_classes = check_int(num_classes, "num_classes", minimum=1)
    check_alloc((84, num_classes), 8, f"lenet5(num_classes={num_classes}): the output layer's kernel")
    check_choice(init, "init", INITIALIZERS)
    layers = [
        Conv2D(6, (5, 5), activation=activation, input_shape=input_shape,
               kernel_initializer=init, name="C1"),
        Subsampling(2, activation=activation, name="S2"),
        Conv2D(16, (5, 5), activation=activation, connections=C3_TABLE, kernel_initializer=init,
               name="C3"),
        Subsampling(2, activation=activation, name="S4"),
        Conv2D(120, (5, 5), activation=activation, kernel_initializer=init, name="C5"),
        Flatten(name="flatten"),
        Dense(84, activation=activation, kernel_initializer=init, name="F6"),
        Dense(num_classes, activation="softmax", kernel_initializer=init, name="output"),
    ]
    return Sequential(layers, name=name, seed=seed, dtype=dtype)


def small_lenet(activation="lecun_tanh", input_shape=(12, 12, 1), seed=0, dtype=np.float64):
    """A tiny LeNet-shaped model for gradient checks: C1 3@3×3 → S2 → C3 4@3×3 with a partial
    connection table → S4 → Flatten → F 5 → softmax 3.  Input (N, 12, 12, 1)."""
    table = np.array([[1, 0, 1, 1], [1, 1, 0, 1], [0, 1, 1, 1]])
    layers = [
        Conv2D(3, (3, 3), activation=activation, input_shape=input_shape, name="C1"),
        Subsampling(2, activation=activation, name="S2"),
        Conv2D(4, (2, 2), activation=activation, connections=table, name="C3"),
        Subsampling(2, activation=activation, name="S4"),
        Flatten(name="flatten"),
        Dense(5, activation=activation, name="F"),
        Dense(3, activation="softmax", name="output"),
    ]
    return Sequential(layers, name="small_lenet", seed=seed, dtype=dtype)
