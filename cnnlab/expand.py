"""Expanding a network into one formula, and counting how big that formula gets.

Chapter 4 asks whether a trained CNN can be "transformed into a mathematical formula" by tracing
every weight, bias and connection.  This module makes that question concrete:

- :func:`symbolic_dense` and :func:`symbolic_cnn` build tiny networks with SymPy, every weight a
  named symbol, so that the whole network is one SymPy expression you can print, expand and
  evaluate;
- :func:`count_leaves` counts the symbol occurrences in an expression (how long the formula is
  when written out), :func:`count_terms` the additive terms after full expansion;
- :func:`nested_leaves`, :func:`expanded_terms` and :func:`parameter_count` are closed-form
  counts for stacks of layers, so the growth with depth and width can be tabulated for networks
  far too big for SymPy (:func:`growth_table`).

Three ways of writing the same network differ enormously in length:

1. *layered* (one line per layer, intermediate results named): its length grows like the number
   of parameters;
2. *nested* (one expression, every hidden unit written out in full wherever it is used): a unit
   of layer ``l`` is copied once per path to the output, so the length grows like the *product*
   of the fan-ins;
3. *expanded* (products multiplied out; only possible where nothing non-linear is in the way):
   one monomial per path from an input or a bias to the output.

Shapes and counts are for one output unit; for a convolution the unit is an interior one (away
from any zero padding).
"""
from numbers import Integral

import numpy as np

from ._extras import require
from ._validate import check_choice

sp = require("sympy", "(cnnlab.expand, symbolic formulas)")   # extra cnnlab[book]

__all__ = [
    "symbolic_dense", "symbolic_cnn", "count_leaves", "count_terms",
    "nested_leaves", "expanded_terms", "parameter_count", "dense_spec", "growth_table",
    "spec_from_model", "lambdify_network", "evaluate",
]

_ACTIVATIONS = ("f", "relu", "linear", None)


def _check_activation(activation):
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be one of 'f' (an unspecified function), 'relu', 'linear' or None; "
            f"got {activation!r}"
        )


def _apply(activation, u):
    if activation in (None, "linear"):
        return u
    if activation == "relu":
        return sp.Max(0, u)
    return sp.Function("f")(u)


def _check_widths(widths, name="widths"):
    if not isinstance(widths, (list, tuple)) or len(widths) < 2:
        raise ValueError(
            f"{name} must be a list of at least two layer widths (inputs, ..., outputs); got {widths!r}"
        )
    for w in widths:
        if not isinstance(w, Integral) or isinstance(w, bool) or w < 1:
            raise ValueError(f"{name} must contain positive integers; got {widths!r}")
    return [int(w) for w in widths]


def _check_first_index(first_index):
    if first_index not in (0, 1) or isinstance(first_index, bool):
        raise ValueError(f"first_index must be 0 or 1; got {first_index!r}")
    return int(first_index)


def symbolic_dense(widths, activation="f", first_index=0):
    """Build a fully connected network as SymPy expressions, every parameter a symbol.

    Layer ``l`` (1-based) computes ``u_j = sum_i w^{(l)}_{ji} h_i + b^{(l)}_j`` and
    ``h_j = f(u_j)``; the last layer has no activation (its outputs are the network's outputs).

    Inputs:
    - widths: list ``[n0, n1, ..., nL]`` of positive ints; ``n0`` inputs, ``nL`` outputs
    - activation: ``'f'`` (an unspecified function, so nothing is simplified), ``'relu'``
      (``Max(0, u)``) or ``'linear'``/``None`` (no activation: the network is affine and
      :func:`sympy.expand` multiplies it out completely)
    - first_index: the number of the first input, unit and weight index in the symbols' names:
      ``0`` (the default and the book's convention, see book/notation.md: ``x_0 ...``, weights
      ``W^{(l)}_{j,i}``) or ``1`` (``x_1 ... x_n0``, weights ``w^{(l)}_{j,i}``)

    Returns a dict with
    - ``'inputs'``: list of ``n0`` input symbols ``x_0 ...`` (or ``x_1 ... x_n0``)
    - ``'weights'``: list of ``L`` SymPy matrices, matrix ``l`` of shape ``(n_l, n_{l-1})``
    - ``'biases'``: list of ``L`` lists of bias symbols (length ``n_l``)
    - ``'outputs'``: list of ``nL`` SymPy expressions, each the whole network in one formula
    """
    widths = _check_widths(widths)
    _check_activation(activation)
    o = _check_first_index(first_index)
    wname = "W" if o == 0 else "w"
    xs = [sp.Symbol(f"x_{{{i + o}}}") for i in range(widths[0])]
    h = list(xs)
    weights, biases = [], []
    n_layers = len(widths) - 1
    for l in range(1, n_layers + 1):
        W = sp.Matrix(widths[l], widths[l - 1],
                      lambda j, i: sp.Symbol(f"{wname}^{{({l})}}_{{{j + o},{i + o}}}"))
        b = [sp.Symbol(f"b^{{({l})}}_{{{j + o}}}") for j in range(widths[l])]
        u = [sum((W[j, i] * h[i] for i in range(widths[l - 1])), sp.Integer(0)) + b[j]
             for j in range(widths[l])]
        h = u if l == n_layers else [_apply(activation, uj) for uj in u]
        weights.append(W)
        biases.append(b)
    return {"inputs": xs, "weights": weights, "biases": biases, "outputs": h}


def symbolic_cnn(input_size=3, kernel_size=2, pool_size=2, activation="relu", pooling="max",
                 first_index=0):
    """A one-channel CNN small enough to write out completely, as one SymPy expression.

    ``x`` (``input_size`` x ``input_size``) -> cross-correlation with one ``kernel_size`` x
    ``kernel_size`` kernel ``k`` plus bias ``b`` (valid padding, stride 1) -> activation ->
    ``pool_size`` x ``pool_size`` pooling (stride = size) -> flatten -> one dense output unit
    with weights ``v`` and bias ``c``::

        u_{r,s} = sum_{a,b} k_{a,b} x_{r+a, s+b} + b        (indices from first_index)
        y       = sum_{p,q} v_{p,q} pool(f(u))_{p,q} + c

    Map sizes: conv output ``m = input_size - kernel_size + 1``; pooled ``m // pool_size``
    (the last rows/columns are dropped when ``pool_size`` does not divide ``m``, as Keras does).

    Inputs:
    - input_size, kernel_size, pool_size: positive ints with ``kernel_size <= input_size`` and
      ``pool_size <= input_size - kernel_size + 1``
    - activation: ``'relu'``, ``'f'`` (unspecified) or ``'linear'``/``None``
    - pooling: ``'max'`` (SymPy ``Max``) or ``'avg'`` (the mean of the window)
    - first_index: ``0`` (the default), the book's notation (book/notation.md): 0-based names
      ``x_{0,0}``, ``k_{0,0}``, the biases ``b^{(1)}`` (convolution, layer 1) and ``b^{(3)}``
      (output unit, layer 3; layer 2 is the pooling) and the output weights ``W^{(3)}_{0,0}``;
      or ``1``: ``x_{1,1}``, ``k_{1,1}``, ``b``, ``v_{1,1}``, ``c``

    Returns a dict with ``'x'`` (SymPy matrix of input symbols), ``'k'`` (kernel matrix),
    ``'b'``, ``'v'`` (matrix of dense weights, pooled-map shape), ``'c'``, ``'u'`` (matrix of
    pre-activations), ``'output'`` (the expression for ``y``) and ``'params'`` (list of every
    parameter symbol, in the order k (row-major), b, v (row-major), c).
    """
    for name, v in (("input_size", input_size), ("kernel_size", kernel_size),
                    ("pool_size", pool_size)):
        if not isinstance(v, Integral) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}")
    if kernel_size > input_size:
        raise ValueError(
            f"kernel_size must be <= input_size; got kernel_size={kernel_size}, input_size={input_size}"
        )
    m = input_size - kernel_size + 1
    if pool_size > m:
        raise ValueError(
            f"pool_size must be <= the conv output size {m} (= input_size - kernel_size + 1); "
            f"got pool_size={pool_size}"
        )
    _check_activation(activation)
    check_choice(pooling, "pooling", ("max", "avg"))
    o = _check_first_index(first_index)
    x = sp.Matrix(input_size, input_size, lambda r, s: sp.Symbol(f"x_{{{r + o},{s + o}}}"))
    k = sp.Matrix(kernel_size, kernel_size, lambda a, c: sp.Symbol(f"k_{{{a + o},{c + o}}}"))
    b = sp.Symbol("b" if o else "b^{(1)}")
    u = sp.Matrix(m, m, lambda r, s: sum(
        (k[a, c] * x[r + a, s + c] for a in range(kernel_size) for c in range(kernel_size)),
        sp.Integer(0)) + b)
    act = u.applyfunc(lambda e: _apply(activation, e))
    mp = m // pool_size
    vname = "v" if o else "W^{(3)}"
    v = sp.Matrix(mp, mp, lambda p, q: sp.Symbol(f"{vname}_{{{p + o},{q + o}}}"))
    c = sp.Symbol("c" if o else "b^{(3)}")

    def pooled(p, q):
        window = [act[p * pool_size + i, q * pool_size + j]
                  for i in range(pool_size) for j in range(pool_size)]
        if pooling == "max":
            return sp.Max(*window)
        return sum(window, sp.Integer(0)) / (pool_size * pool_size)

    y = sum((v[p, q] * pooled(p, q) for p in range(mp) for q in range(mp)), sp.Integer(0)) + c
    params = list(k) + [b] + list(v) + [c]
    return {"x": x, "k": k, "b": b, "v": v, "c": c, "u": u, "output": y, "params": params}


def count_leaves(expr):
    """Number of leaf occurrences (symbols and numbers) in a SymPy expression tree.

    This is the length of the formula as written: a symbol that appears in three places counts
    three times.  Numeric coefficients count as leaves too (the ``0`` in ``Max(0, u)``, the
    ``1/4`` of an average).

    Inputs:
    - expr: a SymPy expression

    Returns an int >= 1.
    """
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression; got {type(expr).__name__}")
    count = 0
    stack = [expr]
    while stack:
        e = stack.pop()
        if e.args:
            stack.extend(e.args)
        else:
            count += 1
    return count


def count_terms(expr):
    """Number of additive terms of ``expr`` after full expansion with :func:`sympy.expand`.

    For an affine network (no activation, average pooling) every term is the product of the
    weights along one path from an input (or a bias) to the output, times that input.

    Inputs:
    - expr: a SymPy expression

    Returns an int >= 1.
    """
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression; got {type(expr).__name__}")
    return len(sp.Add.make_args(sp.expand(expr)))


# --------------------------------------------------------------------------------------------
# closed-form counts for stacks of layers
#
# A *spec* is a list of (kind, size) pairs describing, for one output unit, what each layer
# does to one unit of the layer below:
#   ("affine", n)  - a weighted sum of n units plus a bias (dense or convolution, n = fan-in;
#                    an activation around it changes no count)
#   ("pool", n)    - max over n units (no parameters)
#   ("subsample", n) - LeNet's trainable subsampling: beta * (sum of n units) + b
#   ("softmax", n) - softmax over n units: exp(z_k) / sum_j exp(z_j) holds n + 1 copies of a unit
# --------------------------------------------------------------------------------------------

_KINDS = ("affine", "pool", "subsample", "softmax")


def _check_spec(spec):
    if not isinstance(spec, (list, tuple)) or not spec:
        raise ValueError(f"spec must be a non-empty list of (kind, size) pairs; got {spec!r}")
    out = []
    for item in spec:
        if (not isinstance(item, (list, tuple)) or len(item) != 2 or item[0] not in _KINDS
                or not isinstance(item[1], Integral) or isinstance(item[1], bool) or item[1] < 1):
            raise ValueError(
                f"spec entries must be (kind, size) with kind in {_KINDS} and size a positive "
                f"int; got {item!r}"
            )
        out.append((item[0], int(item[1])))
    return out


def dense_spec(widths):
    """The spec of one output unit of a dense network ``[n0, ..., nL]``: ``[("affine", n0), ...,
    ("affine", n_{L-1})]``."""
    widths = _check_widths(widths)
    return [("affine", n) for n in widths[:-1]]


def nested_leaves(spec):
    """Length (leaf count) of one output unit written as a single nested formula.

    Every hidden unit is written out in full wherever it is used, and activations are kept as
    opaque functions.  Recursion, from the inputs (one leaf each) upwards:

        affine over n units:  S' = n (S + 1) + 1     (n weights, n copies, one bias)
        max-pool over n:      S' = n S
        subsample over n:     S' = n S + 2           (one coefficient, one bias)
        softmax over n:       S' = (n + 1) S

    Inputs:
    - spec: list of ``(kind, size)`` (see the module notes) or use :func:`dense_spec`

    Returns a Python int (exact; these get very large).
    """
    s = 1
    for kind, n in _check_spec(spec):
        if kind == "affine":
            s = n * (s + 1) + 1
        elif kind == "pool":
            s = n * s
        elif kind == "subsample":
            s = n * s + 2
        else:
            s = (n + 1) * s
    return s


def expanded_terms(spec):
    """Number of monomials of one output unit when the network is affine and fully expanded.

    Only meaningful without non-linearities (no activation; average pooling in place of max):
    then each monomial is one path from an input or a bias to the output.  Recursion:

        affine over n units:  T' = n T + 1   (n incoming paths per unit below, plus the bias)
        average-pool over n:  T' = n T
        subsample over n:     T' = n T + 1   (the block sum times beta, plus the bias)

    Inputs:
    - spec: list of ``(kind, size)`` pairs with kinds ``'affine'`` and ``'pool'`` (a softmax
      cannot be expanded)

    Returns a Python int.
    """
    t = 1
    for kind, n in _check_spec(spec):
        if kind == "softmax":
            raise ValueError("spec: a softmax cannot be expanded into a sum of monomials")
        t = n * t + 1 if kind in ("affine", "subsample") else n * t
    return t


def parameter_count(widths):
    """Weights plus biases of a dense network ``[n0, ..., nL]``: ``sum_l (n_{l-1} + 1) n_l``.

    The layered formula (one line per layer) has about this many symbols.
    """
    widths = _check_widths(widths)
    return sum((widths[l - 1] + 1) * widths[l] for l in range(1, len(widths)))


def growth_table(depths, width, n_inputs, n_outputs=1):
    """How formula size grows with depth for dense networks of a fixed hidden width.

    Inputs:
    - depths: iterable of numbers of hidden layers (ints >= 0)
    - width: hidden-layer width (int >= 1)
    - n_inputs: number of inputs (int >= 1)
    - n_outputs: number of outputs (int >= 1)

    Returns a list of dicts, one per depth, with keys ``depth``, ``widths``, ``parameters``
    (layered formula), ``nested_leaves`` (one output written as one nested formula) and
    ``expanded_terms`` (monomials of one output of the linear network).
    """
    if isinstance(depths, (str, bytes)) or not hasattr(depths, "__iter__"):
        raise TypeError(f"depths must be an iterable of ints >= 0 (e.g. range(5)); got {type(depths).__name__} {depths!r}")
    rows = []
    for d in depths:
        if not isinstance(d, Integral) or isinstance(d, bool) or d < 0:
            raise ValueError(f"depths must contain non-negative ints; got {d!r}")
        widths = [n_inputs] + [width] * int(d) + [n_outputs]
        widths = _check_widths(widths, "width/n_inputs/n_outputs")
        spec = dense_spec(widths)
        rows.append({
            "depth": int(d), "widths": widths, "parameters": parameter_count(widths),
            "nested_leaves": nested_leaves(spec), "expanded_terms": expanded_terms(spec),
        })
    return rows


def spec_from_model(model):
    """The spec of one (interior) output unit of a :class:`cnnlab.Sequential` model.

    Reads each layer's class name and configuration: ``Conv2D`` -> ``("affine", kh*kw*cin)``,
    ``Dense`` -> ``("affine", n_in)``, ``MaxPooling2D``/``AveragePooling2D`` ->
    ``("pool", ph*pw)``, ``Subsampling`` -> ``("subsample", p*p)``, a softmax activation -> ``("softmax", units)``; ``Flatten`` and
    ``Activation`` layers (other than softmax) add nothing.  A ``Conv2D`` with a connection table
    (LeNet's C3) is counted as if fully connected: its rule gives an upper bound.

    Inputs:
    - model: a built ``cnnlab.Sequential`` (every layer has an input shape)

    Returns a list of ``(kind, size)`` pairs.
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"model must be a cnnlab.Sequential; got {type(model).__name__}")
    spec = []
    for layer in layers:
        kind = type(layer).__name__
        in_shape = getattr(layer, "input_shape", None)
        act = getattr(layer, "activation_name", None) or getattr(layer, "activation", None)
        act = act if isinstance(act, str) else getattr(act, "__name__", None)
        if kind == "Conv2D":
            kh, kw = layer.kernel_size
            spec.append(("affine", int(kh * kw * in_shape[-1])))
        elif kind == "Dense":
            spec.append(("affine", int(in_shape[-1])))
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            ph, pw = layer.pool_size
            spec.append(("pool", int(ph * pw)))
        elif kind == "Subsampling":
            spec.append(("subsample", int(layer.pool_size) ** 2))
        elif kind in ("Flatten", "Activation", "InputLayer"):
            pass
        else:
            raise ValueError(f"model: no formula-size rule for layer type {kind}")
        if act == "softmax":
            spec.append(("softmax", int(layer.output_shape[-1])))
    return spec


def lambdify_network(expr, symbols):
    """Turn a SymPy network expression into a NumPy function of ``symbols`` (in that order).

    The symbols are renamed to plain identifiers first (with ``xreplace``), which keeps
    :func:`sympy.lambdify` fast on names like ``k_{1,2}``."""
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression; got {type(expr).__name__}")
    if isinstance(symbols, (str, bytes)) or not hasattr(symbols, "__iter__"):
        raise TypeError(f"symbols must be a list of SymPy symbols; got {type(symbols).__name__} {symbols!r}")
    symbols = list(symbols)
    if not all(isinstance(v, sp.Symbol) for v in symbols):
        raise TypeError(f"symbols must be a list of SymPy symbols; got {symbols!r}"[:300])
    plain = [sp.Symbol(f"_s{i}") for i in range(len(symbols))]
    return sp.lambdify(plain, expr.xreplace(dict(zip(symbols, plain))), modules="numpy")


def evaluate(expr, values):
    """Evaluate a network expression at ``values`` (dict symbol -> number); returns a float."""
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression; got {type(expr).__name__}")
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict symbol -> number; got {type(values).__name__}")
    out = expr.xreplace({s: sp.Float(float(v), 30) for s, v in values.items()})
    if out.free_symbols:
        raise ValueError(f"values: no number given for {sorted(map(str, out.free_symbols))}")
    return float(out)
