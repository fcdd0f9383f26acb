"""A :class:`cnnlab.Sequential` model as one formula: LaTeX, and an evaluator built from the same
description.

Usage::

    f = model.formula()            # a Formula: a str holding LaTeX
    print(f.layer_lines[0])        # x^{(1)}_{i,j,f} = \\operatorname{ReLU}(...)
    print(f.nested)                # y_{i,j,u} = one nested expression with explicit index sums
    f.evaluate(x)                  # = model.predict(x), computed from the formula's own terms
    from IPython.display import Math; Math(f)   # render in a notebook

How it works.  :func:`describe` turns every layer ``l`` into a :class:`Term`: the output index
variables (e.g. ``i, j, f``), the summation variables with their ranges (``a, b, c``), the input
position as small expression trees in those variables (``s·i + a − p``), the weights as the layer
stores them with the variables that index them (``K^{(l)}_{a,b,c,f}``, ``b^{(l)}_f``,
``W^{(l)}_{c,u}``, ``β^{(l)}_c``), and the activation.  The same Term renders LaTeX (substituting
index expressions, so nesting the terms gives the single expression) and evaluates numerically:
the index trees are evaluated on integer grids, the input is gathered at those positions (zero
outside the image, ``−∞`` for max pooling), and the sums are done by ``np.einsum`` over exactly
the summation variables the LaTeX shows.

Layer numbers count every layer of the model (pooling and Flatten too), so in the seed ``q1``
model the kernels are ``K^{(1)}``, ``K^{(3)}`` and the dense weights ``W^{(5)}``; ``x^{(0)}`` is
the input image and ``x^{(l)}`` the output of layer ``l`` (indices from 0, channels last).
"""
from __future__ import annotations

import numpy as np

__all__ = ["Formula", "Term", "describe", "model_formula", "evaluate_terms",
           "Var", "Const", "Add", "Mul", "FloorDiv", "Mod"]


# --------------------------------------------------------------------------------------------
# a tiny expression tree for index arithmetic
# --------------------------------------------------------------------------------------------
def _atomic(s):
    return all(ch not in s for ch in " +-\\(")


class Expr:
    """An integer index expression (of output positions ``m, n``, offsets ``μ, ν``, ...) that a
    formula's subscripts are written with: ``render`` gives its LaTeX, ``eval`` its value."""

    def render(self, env):
        """LaTeX of the expression; ``env`` maps each variable id to its LaTeX name."""
        raise NotImplementedError

    def eval(self, env):
        """Value of the expression; ``env`` maps each variable id to an int or an int array
        (arrays broadcast: the evaluator computes all positions at once)."""
        raise NotImplementedError

    def vars(self):
        """The set of variable ids the expression reads."""
        return set()


class Var(Expr):
    """An index variable, e.g. the output row ``m``."""

    def __init__(self, vid):
        self.vid = vid

    def render(self, env):
        return env[self.vid]

    def eval(self, env):
        return env[self.vid]

    def vars(self):
        return {self.vid}


class Const(Expr):
    """An int constant."""

    def __init__(self, c):
        self.c = int(c)

    def render(self, env):
        return str(self.c)

    def eval(self, env):
        return self.c


class Mul(Expr):
    """``c · e`` for an int ``c`` (a stride times a position)."""

    def __init__(self, c, e):
        self.c, self.e = int(c), e

    def render(self, env):
        s = self.e.render(env)
        if self.c == 1:
            return s
        return f"{self.c}{s}" if _atomic(s) and not s[0].isdigit() else f"{self.c}({s})"

    def eval(self, env):
        return self.c * self.e.eval(env)

    def vars(self):
        return self.e.vars()


class Add(Expr):
    """A sum of expressions (zero constants dropped), e.g. ``s·m + μ − p``."""

    def __init__(self, *terms):
        self.terms = [t for t in terms if not (isinstance(t, Const) and t.c == 0)]

    def render(self, env):
        if not self.terms:
            return "0"
        out = self.terms[0].render(env)
        for t in self.terms[1:]:
            if isinstance(t, Const) and t.c < 0:
                out += f" - {-t.c}"
            else:
                out += f" + {t.render(env)}"
        return out

    def eval(self, env):
        v = 0
        for t in self.terms:
            v = v + t.eval(env)
        return v

    def vars(self):
        return set().union(*(t.vars() for t in self.terms)) if self.terms else set()


class _ByConst(Expr):
    """An index expression ``e`` combined with an int constant ``c``."""

    def __init__(self, e, c):
        self.e, self.c = e, int(c)

    def vars(self):
        return self.e.vars()


class FloorDiv(_ByConst):
    """``⌊e / c⌋`` (which input map a position belongs to, a pooled position)."""

    def render(self, env):
        return rf"\lfloor {self.e.render(env)}/{self.c} \rfloor"

    def eval(self, env):
        return self.e.eval(env) // self.c


class Mod(_ByConst):
    """``e mod c``."""

    def render(self, env):
        return rf"({self.e.render(env)} \bmod {self.c})"

    def eval(self, env):
        return self.e.eval(env) % self.c


# --------------------------------------------------------------------------------------------
# one layer as a term
# --------------------------------------------------------------------------------------------
class Term:
    """Layer ``l`` as ``x^{(l)}[out] = act( reduce_{sum vars} (weights · x^{(l-1)}[in_index]) + bias )``.

    Attributes:
    - l: layer number (1-based); kind: ``"sum"``, ``"max"``, ``"mean"`` or ``"gather"``
    - out_vars / sum_vars: lists of ``(vid, name, size)``; ``vid`` is unique in the model
    - in_index: tuple of expressions (one per input axis, batch left out)
    - in_shape: shape of ``x^{(l-1)}`` (batch left out); fill: value outside it (0 or -inf)
    - weights: list of ``(symbol, array, vids)``; bias: ``(symbol, array, vid)`` or None
    - mask: ``(symbol, 0/1 array, vids)`` restricting a sum (LeNet's connection table) or None
    - act: :class:`cnnlab.layers.ActivationSpec`
    """

    def __init__(self, l, kind, out_vars, sum_vars, in_index, in_shape, weights=(), bias=None,
                 mask=None, act=None, fill=0.0, layer=None):
        from .layers import ACTIVATIONS

        self.l, self.kind = l, kind
        self.out_vars, self.sum_vars = list(out_vars), list(sum_vars)
        self.in_index, self.in_shape = tuple(in_index), tuple(in_shape)
        self.weights, self.bias, self.mask = list(weights), bias, mask
        self.act = act or ACTIVATIONS["linear"]
        self.fill, self.layer = fill, layer

    # ----- LaTeX -----
    def latex(self, out_env, inner, sub=False):
        """LaTeX of this term; ``out_env`` maps output vids to LaTeX strings, ``inner(list of
        index strings)`` renders the input entry; ``sub`` subscripts summation variables with
        the layer number (needed when terms are nested)."""
        env = dict(out_env)
        for vid, name, _ in self.sum_vars:
            env[vid] = f"{name}_{{{self.l}}}" if sub else name
        idx = [e.render(env) for e in self.in_index]
        x = inner(idx)
        prods = [rf"{sym}^{{({self.l})}}_{{{','.join(env[v] for v in vids)}}}"
                 for sym, _, vids in self.weights]
        masked = {self.mask[2][0]} if self.mask is not None else set()
        if self.kind == "sum":
            sums = ""
            for vid, name, size in self.sum_vars:
                if vid in masked:
                    others = ",".join(env[v] for v in self.mask[2][1:])
                    sums += rf"\sum_{{{env[vid]} \in {self.mask[0]}^{{({self.l})}}_{{{others}}}}}"
                else:
                    sums += rf"\sum_{{{env[vid]}=0}}^{{{size - 1}}}"
            body = sums + " " + r"\, ".join(prods + [x])
        elif self.kind in ("max", "mean"):
            rng = r",\ ".join(rf"0 \le {env[v]} < {size}" for v, _, size in self.sum_vars)
            if self.kind == "max":
                body = rf"\max_{{{rng}}} {x}"
            else:
                n = int(np.prod([s for _, _, s in self.sum_vars]))
                if self._padded():  # Keras averages only the entries inside the image
                    body = rf"\operatorname*{{mean}}_{{{rng},\ \text{{inside the input}}}} {x}"
                else:
                    sums = "".join(rf"\sum_{{{env[v]}=0}}^{{{size - 1}}}"
                                   for v, _, size in self.sum_vars)
                    body = rf"\frac{{1}}{{{n}}} {sums} {x}"
            if prods:
                body = r"\, ".join(prods) + r"\, " + body
        else:
            body = x
        if self.bias is not None:
            body = rf"{body} + {self.bias[0]}^{{({self.l})}}_{{{env[self.bias[2]]}}}"
        if self.act.name == "linear":
            return body
        if self.act.name == "softmax":
            k = env[self.out_vars[-1][0]]
            return rf"\operatorname{{softmax}}_{{{k}}}\!\left({body}\right)"
        return self.act.latex(body)

    def _padded(self):
        return getattr(self.layer, "pads", None) is not None and any(self.layer.pads)

    # ----- numbers -----
    def evaluate(self, x):
        """The term on a batch ``x`` of shape ``(N,) + in_shape``; returns ``x^{(l)}``."""
        V = self.out_vars + self.sum_vars
        nd = len(V)
        env = {}
        for k, (vid, _, size) in enumerate(V):
            shape = [1] * nd
            shape[k] = size
            env[vid] = np.arange(size).reshape(shape)
        idx = [np.broadcast_to(np.asarray(e.eval(env)), (1,) * nd) if np.ndim(e.eval(env)) == 0
               else np.asarray(e.eval(env)) for e in self.in_index]
        idx = np.broadcast_arrays(*idx)
        _guard((x.shape[0],) + idx[0].shape, x.itemsize, f"formula: layer {self.l}'s gathered input")
        valid = np.ones(idx[0].shape, bool)
        clipped = []
        for a, n in zip(idx, self.in_shape):
            valid &= (a >= 0) & (a < n)
            clipped.append(np.clip(a, 0, n - 1))
        G = x[(slice(None),) + tuple(clipped)]            # (N, *grid)
        if not valid.all():
            G = np.where(valid[None], G, self.fill)
        used = set().union(*(e.vars() for e in self.in_index))
        # drop grid axes of variables the input index does not use (they have size 1)
        keep = [k for k, (vid, _, _) in enumerate(V) if vid in used]
        sel = tuple([slice(None)] + [slice(None) if k in keep else 0 for k in range(nd)])
        G = G[sel]
        labels = {vid: k + 1 for k, (vid, _, _) in enumerate(V)}
        g_lab = [0] + [labels[V[k][0]] for k in keep]
        out_lab = [0] + [labels[v] for v, _, _ in self.out_vars]
        if self.kind == "sum":
            ops = [G, g_lab]
            for _, arr, vids in self.weights:
                ops += [arr, [labels[v] for v in vids]]
            if self.mask is not None:
                ops += [self.mask[1], [labels[v] for v in self.mask[2]]]
            u = np.einsum(*ops, out_lab, optimize=True)
        elif self.kind in ("max", "mean"):
            ax = tuple(1 + keep.index(k) for k in range(len(self.out_vars), nd))
            if self.kind == "max":
                u = G.max(axis=ax)
            else:
                vmask = valid[sel[1:]].astype(G.dtype)
                u = G.sum(axis=ax) / np.broadcast_to(vmask, G.shape[1:]).sum(axis=tuple(a - 1 for a in ax))
            ops = [u, g_lab[:1] + [labels[v] for v, _, _ in self.out_vars]]
            for _, arr, vids in self.weights:
                ops += [arr, [labels[v] for v in vids]]
            u = np.einsum(*ops, out_lab) if self.weights else u
        else:
            u = G
        if self.bias is not None:
            k = [v for v, _, _ in self.out_vars].index(self.bias[2])
            shape = [1] * (len(self.out_vars) + 1)
            shape[k + 1] = -1
            u = u + self.bias[1].reshape(shape)
        return self.act.f(u)


# --------------------------------------------------------------------------------------------
# layers -> terms
# --------------------------------------------------------------------------------------------
def describe(model):
    """One :class:`Term` per layer of a built model (the formula's description)."""
    from .layers import (Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten,
                         MaxPooling2D, Subsampling, ZeroPadding2D)

    from .accounting import _check_model

    _check_model(model, "formula")
    terms = []
    for l, layer in enumerate(model.layers, start=1):
        ins = tuple(layer.input_shape[1:])
        outs = tuple(layer.output_shape[1:])
        V = lambda n: (n, l)  # noqa: E731  (unique variable id)
        if isinstance(layer, Conv2D):
            (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
            pt, _, pl, _ = layer.pads
            i, j, f, a, b, c = (V(s) for s in "ijfabc")
            out = [(i, "i", outs[0]), (j, "j", outs[1]), (f, "f", outs[2])]
            sums = [(a, "a", kh), (b, "b", kw), (c, "c", ins[2])]
            idx = (Add(Mul(sh, Var(i)), Var(a), Const(-pt)), Add(Mul(sw, Var(j)), Var(b), Const(-pl)),
                   Var(c))
            mask = None
            if layer.connections is not None:
                mask = ("S", layer.connections.astype(layer.weights[0].dtype), (c, f))
            bias = ("b", layer.weights[1], f) if layer.use_bias else None
            terms.append(Term(l, "sum", out, sums, idx, ins, [("K", layer.weights[0], (a, b, c, f))],
                              bias, mask, layer.act, 0.0, layer))
        elif isinstance(layer, (MaxPooling2D, AveragePooling2D)):
            (ph, pw), (sh, sw) = layer.pool_size, layer.strides
            pt, _, pl, _ = layer.pads
            i, j, c, a, b = (V(s) for s in "ijcab")
            out = [(i, "i", outs[0]), (j, "j", outs[1]), (c, "c", outs[2])]
            sums = [(a, "a", ph), (b, "b", pw)]
            idx = (Add(Mul(sh, Var(i)), Var(a), Const(-pt)), Add(Mul(sw, Var(j)), Var(b), Const(-pl)),
                   Var(c))
            mx = isinstance(layer, MaxPooling2D)
            terms.append(Term(l, "max" if mx else "mean", out, sums, idx, ins,
                              fill=-np.inf if mx else 0.0, layer=layer))
        elif isinstance(layer, Subsampling):
            p = layer.pool_size
            i, j, c, a, b = (V(s) for s in "ijcab")
            out = [(i, "i", outs[0]), (j, "j", outs[1]), (c, "c", outs[2])]
            sums = [(a, "a", p), (b, "b", p)]
            idx = (Add(Mul(p, Var(i)), Var(a)), Add(Mul(p, Var(j)), Var(b)), Var(c))
            terms.append(Term(l, "sum", out, sums, idx, ins,
                              [(r"\beta", layer.weights[0], (c,))], ("b", layer.weights[1], c),
                              None, layer.act, 0.0, layer))
        elif isinstance(layer, Dense):
            lead = [(V(n), n, s) for n, s in zip("ijk", outs[:-1])] if len(outs) <= 4 else \
                [(V(f"i{k}"), f"i_{k}", s) for k, s in enumerate(outs[:-1])]
            u, c = V("u"), V("c")
            out = lead + [(u, "u", outs[-1])]
            idx = tuple(Var(v) for v, _, _ in lead) + (Var(c),)
            bias = ("b", layer.weights[1], u) if layer.use_bias else None
            terms.append(Term(l, "sum", out, [(c, "c", ins[-1])], idx, ins,
                              [("W", layer.weights[0], (c, u))], bias, None, layer.act, 0.0, layer))
        elif isinstance(layer, Flatten):
            k = V("k")
            strides = np.cumprod((1,) + ins[::-1])[::-1][1:]   # C-order strides
            idx = []
            for ax, (st, n) in enumerate(zip(strides, ins)):
                e = Var(k) if st == 1 else FloorDiv(Var(k), int(st))
                if ax > 0:
                    e = Mod(e, n)
                idx.append(e)
            terms.append(Term(l, "gather", [(k, "k", outs[0])], [], tuple(idx), ins, layer=layer))
        elif isinstance(layer, Activation):
            names = "ijc" if len(ins) == 3 else [f"i{n}" for n in range(len(ins))]
            out = [(V(n), n if len(n) == 1 else f"i_{n[1:]}", s) for n, s in zip(names, ins)]
            terms.append(Term(l, "gather", out, [], tuple(Var(v) for v, _, _ in out), ins,
                              act=layer.act, layer=layer))
        elif isinstance(layer, ZeroPadding2D):
            t_, _, l_, _ = layer.pads
            i, j, c = V("i"), V("j"), V("c")
            out = [(i, "i", outs[0]), (j, "j", outs[1]), (c, "c", outs[2])]
            idx = (Add(Var(i), Const(-t_)), Add(Var(j), Const(-l_)), Var(c))
            terms.append(Term(l, "gather", out, [], idx, ins, fill=0.0, layer=layer))
        elif isinstance(layer, Dropout):  # the identity at inference
            names = "ijc" if len(ins) == 3 else [f"i{n}" for n in range(len(ins))]
            out = [(V(n), n if len(n) == 1 else f"i_{n[1:]}", s) for n, s in zip(names, ins)]
            terms.append(Term(l, "gather", out, [], tuple(Var(v) for v, _, _ in out), ins,
                              layer=layer))
        else:  # pragma: no cover - every layer class is handled above
            raise TypeError(f"formula: layer {layer.name!r} of type {type(layer).__name__} has "
                            f"no formula")
    return terms


def _guard(shape, itemsize, what):
    from ._validate import check_alloc

    check_alloc(shape, itemsize, what)


def _check_formula_input(x, in_shape):
    """``x`` as float64 after the checks ``Sequential.predict`` makes (``ValueError`` naming x,
    its shape and the expected one)."""
    from ._validate import as_array, check_finite, shape_str

    x = as_array(x, "x")
    if x.ndim != len(in_shape) + 1 or tuple(x.shape[1:]) != tuple(in_shape):
        raise ValueError(f"x must have shape (N, {', '.join(map(str, in_shape))}) (a batch, "
                         f"channels last); got {shape_str(x.shape)}")
    check_finite(x, "x")
    return x.astype(np.float64)


def evaluate_terms(terms, x):
    """Evaluate the terms in turn on ``x`` (N, ...) — the formula's value.

    Inputs: terms, the list ``Formula.terms`` (:class:`Term` objects, first layer first); x, the
    first term's input (N, ...) channels last.  Returns the last term's output (N, ...)."""
    if not isinstance(terms, (list, tuple)) or not all(isinstance(t, Term) for t in terms):
        raise TypeError(f"terms must be a list of formula Terms (Formula.terms); got {type(terms).__name__}")
    for t in terms:
        x = t.evaluate(x)
    return x


class Formula(str):
    """LaTeX of a model (a ``str``), with:

    - ``layer_lines``: one equation per layer, ``x^{(l)}_{...} = ...``
    - ``nested``: the whole network as one expression ``y_{...} = ...``
    - ``terms``: the description both are rendered from; ``evaluate(x)`` computes it
    - ``legend``: symbols and their shapes
    """

    def __new__(cls, text, layer_lines, nested, terms, legend):
        obj = super().__new__(cls, text)
        obj.layer_lines, obj.nested, obj.terms, obj.legend = layer_lines, nested, terms, legend
        return obj

    def evaluate(self, x):
        """The formula's value on ``x`` (N, ...) channels last; equals ``model.predict(x)``.

        ``x`` is checked as ``predict`` checks it: shape ``(N,) + input_shape``, no NaN/inf."""
        return evaluate_terms(self.terms, _check_formula_input(x, self.terms[0].in_shape))

    def _repr_latex_(self):
        return f"$$ {self} $$"


def _idx(names):
    return ",".join(names)


def model_formula(model, nested=True):
    """The model as LaTeX: a ``Formula`` (a str with an ``aligned`` block: one line per layer,
    then, if ``nested``, the whole network as one nested expression)."""
    from ._validate import check_bool

    terms = describe(model)
    nested = check_bool(nested, "nested")
    lines = []
    for t in terms:
        env = {vid: name for vid, name, _ in t.out_vars}
        lhs = rf"x^{{({t.l})}}_{{{_idx(env[v] for v, _, _ in t.out_vars)}}}"
        rhs = t.latex(env, lambda idx, t=t: rf"x^{{({t.l - 1})}}_{{{_idx(idx)}}}")
        lines.append(f"{lhs} &= {rhs}")
    last = terms[-1]
    top_env = {vid: name for vid, name, _ in last.out_vars}

    def render(k, env):
        t = terms[k]
        if k == 0:
            return t.latex(env, lambda idx: rf"x^{{(0)}}_{{{_idx(idx)}}}", sub=True)
        return t.latex(env, lambda idx: render(k - 1, dict(zip((v for v, _, _ in terms[k - 1].out_vars), idx))),
                       sub=True)

    nested_tex = rf"y_{{{_idx(top_env[v] for v, _, _ in last.out_vars)}}} = " + render(len(terms) - 1, top_env)
    legend = []
    for t in terms:
        for sym, arr, _ in t.weights:
            dims = r" \times ".join(map(str, arr.shape))
            legend.append(rf"{sym}^{{({t.l})}} \in \mathbb{{R}}^{{{dims}}}")
        if t.bias is not None:
            legend.append(rf"b^{{({t.l})}} \in \mathbb{{R}}^{{{t.bias[1].shape[0]}}}")
        if t.mask is not None:
            legend.append(rf"S^{{({t.l})}}_f = \{{c : \text{{input map }} c \text{{ feeds map }} f\}}")
    body = r" \\ ".join(lines)
    if nested:
        body += r" \\[1ex] " + nested_tex.replace(" = ", " &= ", 1)
    text = r"\begin{aligned} " + body + r" \end{aligned}"
    return Formula(text, lines, nested_tex, terms, legend)
