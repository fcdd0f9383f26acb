"""One step of the backpropagation recursion in a small fully connected network, with numbers.

Chapter 5's network: ``u^l = W^l x^{l-1} + b^l``, ``x^l = f(u^l)`` for ``l = 1, ..., L``, the
squared error ``E = 1/2 ||x^L - t||^2``, and the residuals ``delta^l = dE/du^l``:

    delta^L_a = f'(u^L_a) (y_a - t_a)                                  (the start)
    delta^l_a = f'(u^l_a) * sum_c W^{l+1}_{ca} delta^{l+1}_c,  l < L    (the recursion)

Pick a layer l and a unit a (1-based, as in the text).  The picture shows the network with every
residual written next to its unit, the chosen unit highlighted, and the units of layer l+1 that
it feeds highlighted with the weights ``W^{l+1}_{ca}`` that carry their residuals back; the text
writes that one entry out with numbers.  Optionally it also shows the gradients
``dE/dW^l_{ab} = delta^l_a x^{l-1}_b`` of the weights coming *into* the unit.

The default network is the chapter's picture: 3 inputs, layers of 4, 3 and 2 units, tanh, seeded
weights rounded to one decimal so that the printed arithmetic stays readable.

* :class:`BackpropRecursion` -- the state: the network, the forward pass, all residuals, the
  selected (layer, unit); :meth:`~BackpropRecursion.terms` lists the products of the sum,
  :meth:`~BackpropRecursion.formula` writes the entry out;
* :func:`panel` -- the live widget (layer dropdown, unit slider, "show ∂E/∂W" checkbox);
* :func:`static_backprop_recursion` -- the static twin: the recursion's two steps back from the
  output, one picture each.
"""
from numbers import Integral

import numpy as np

from .. import activations as _act
from .._validate import as_array, check_shape, shape_str
from ._common import fmt
from ._common import png as _png
from .._extras import require

__all__ = ["BackpropRecursion", "panel", "static_backprop_recursion", "draw_backprop_recursion",
           "DEFAULT_SIZES", "ACTIVATIONS", "DERIVATIVE_TEXT"]

#: the chapter's picture: input x^0 with 3 entries, then layers of 4, 3 and 2 units
DEFAULT_SIZES = (3, 4, 3, 2)
#: the activations the picture offers -> how f' is written (text, TeX); f and f' themselves come
#: from the one registry, :data:`cnnlab.activations.ACTIVATIONS`
DERIVATIVE_TEXT = {
    "tanh": ("1 - tanh²(u)", r"1-\tanh^2 u"),
    "sigmoid": ("σ(u)(1 - σ(u))", r"\sigma(u)\,(1-\sigma(u))"),
}
ACTIVATIONS = tuple(DERIVATIVE_TEXT)   # names offered by the widget
FORMATS = ("text", "html", "tex")

_HOT = "tab:orange"        # the chosen unit
_FEED = "tab:red"          # the weights and residuals of layer l+1 that feed it
_GRAD = "tab:green"        # the weights coming into it (dE/dW)


def _is_int(v):
    return isinstance(v, Integral) and not isinstance(v, bool)


def _fmt(v, digits=4):
    """A number as printed: at most ``digits`` decimals, trailing zeros dropped, no "-0"."""
    return fmt(v, digits)


def _fac(v, digits=4):
    """A factor inside a product: negative numbers in parentheses."""
    s = _fmt(v, digits)
    return f"({s})" if s.startswith("-") else s


class _Writer:
    """Symbols in one of three renderings: plain text, HTML (widget), Matplotlib mathtext."""

    _GREEK = {"delta": ("δ", "δ", r"\delta")}

    def __init__(self, kind):
        if kind not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}; got {kind!r}")
        self.kind = kind

    def sym(self, base, sup=None, sub=None):
        t, h, x = self._GREEK.get(base, (base, base, base))
        if self.kind == "text":
            s = t + (f"^{sup}" if sup is not None else "")
            if sub is not None:
                sub = str(sub)
                s += f"_{sub}" if len(sub) == 1 else f"_{{{sub}}}"
            return s
        if self.kind == "html":
            return (f"<i>{h}</i>" + (f"<sup>{sup}</sup>" if sup is not None else "")
                    + (f"<sub>{sub}</sub>" if sub is not None else ""))
        return ("$" + x + (f"^{{{sup}}}" if sup is not None else "")
                + (f"_{{{sub}}}" if sub is not None else "") + "$")

    def sum_over(self, idx):
        return {"text": f"Σ_{idx}", "html": f"Σ<sub>{idx}</sub>", "tex": rf"$\sum_{idx}$"}[self.kind]

    def fprime(self, arg):
        return {"text": f"f'({arg})", "html": f"<i>f</i>′({arg})", "tex": f"$f'$({arg})"}[self.kind]

    def dEd(self, what):
        return {"text": f"∂E/∂{what}", "html": f"∂<i>E</i>/∂{what}",
                "tex": r"$\partial E/\partial " + what.strip("$") + "$"}[self.kind]

    def join(self, lines):
        return "<br>".join(lines) if self.kind == "html" else "\n".join(lines)


class BackpropRecursion:
    """State of the picture: a seeded fully connected network and one selected residual.

    Inputs:
    - sizes: units per layer, input first, e.g. (3, 4, 3, 2); at least two entries, each >= 1
    - seed: seed of ``np.random.default_rng`` for the weights, biases, input and target
    - activation: "tanh" or "sigmoid" (the same f in every layer, as in the chapter)
    - layer: the selected layer l, 1 <= l <= L = len(sizes) - 1
    - unit: the selected unit a of that layer, 1-based, 1 <= a <= sizes[l]
    - show_weight_grad: also list dE/dW^l_{ab} for the weights coming into the unit
    - weights, biases, x, t: optional explicit network (``weights[l-1]`` is W^l, shape
      (sizes[l], sizes[l-1]); ``biases[l-1]`` is b^l; ``x`` the input, ``t`` the target);
      when given they replace the seeded values

    Attributes after construction: ``weights``, ``biases`` (lists, index l-1 for layer l),
    ``x``, ``t``, ``us`` (u^1..u^L), ``xs`` (x^0..x^L), ``deltas`` (delta^1..delta^L), ``loss``.
    """

    def __init__(self, sizes=DEFAULT_SIZES, seed=0, activation="tanh", layer=1, unit=2,
                 show_weight_grad=False, weights=None, biases=None, x=None, t=None):
        self.sizes = self._check_sizes(sizes)
        if not _is_int(seed):
            raise TypeError(f"seed must be an int; got {seed!r}")
        if not isinstance(activation, str):
            raise TypeError(f"activation must be a name (str); got {activation!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}; got {activation!r}")
        self.activation = activation
        act = _act.get_activation(activation)
        self.f, self.fprime_fn = act.f, act.df
        self._fprime_text, self._fprime_tex = DERIVATIVE_TEXT[activation]
        self._make_network(int(seed), weights, biases, x, t)
        self._forward_backward()
        self.select(layer, unit)
        self.set_show_weight_grad(show_weight_grad)

    # -- set-up --------------------------------------------------------------------------------
    @staticmethod
    def _check_sizes(sizes):
        if not isinstance(sizes, (tuple, list)) or not all(_is_int(s) for s in sizes):
            raise TypeError(f"sizes must be a tuple of ints (units per layer, input first); "
                            f"got {sizes!r}")
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two layers (input and output), each with "
                             f">= 1 unit; got {tuple(sizes)}")
        return tuple(int(s) for s in sizes)

    def _make_network(self, seed, weights, biases, x, t):
        rng = np.random.default_rng(seed)
        n = self.sizes
        L = len(n) - 1
        # one decimal: the arithmetic in the text stays short, the residuals stay non-trivial
        Ws = [np.round(rng.normal(size=(n[l + 1], n[l])) * 0.7, 1) for l in range(L)]
        bs = [np.round(rng.normal(size=n[l + 1]) * 0.3, 1) for l in range(L)]
        x0 = np.round(rng.normal(size=n[0]), 1)
        t0 = np.round(rng.uniform(-0.8, 0.8, size=n[-1]), 1)
        if self.activation == "sigmoid":
            t0 = np.round((t0 + 1) / 2, 2)          # targets inside sigmoid's range (0, 1)
        if weights is not None:
            if not isinstance(weights, (list, tuple)) or len(weights) != L:
                raise ValueError(f"weights must be a list of {L} matrices (W^1..W^{L}); "
                                 f"got {type(weights).__name__} "
                                 f"of length {len(weights) if hasattr(weights, '__len__') else '?'}")
            Ws = []
            for l, w in enumerate(weights):
                w = as_array(w, f"weights[{l}]", ndim=2).astype(np.float64)
                check_shape(w, f"weights[{l}]", (n[l + 1], n[l]), f"W^{l + 1}: outputs x inputs")
                Ws.append(w)
        if biases is not None:
            if not isinstance(biases, (list, tuple)) or len(biases) != L:
                raise ValueError(f"biases must be a list of {L} vectors (b^1..b^{L}); "
                                 f"got {type(biases).__name__} "
                                 f"of length {len(biases) if hasattr(biases, '__len__') else '?'}")
            bs = []
            for l, b in enumerate(biases):
                b = as_array(b, f"biases[{l}]", ndim=1).astype(np.float64)
                check_shape(b, f"biases[{l}]", (n[l + 1],), f"b^{l + 1}: one per unit")
                bs.append(b)
        if x is not None:
            x0 = as_array(x, "x", ndim=1).astype(np.float64)
            check_shape(x0, "x", (n[0],), "the input x^0")
        if t is not None:
            t0 = as_array(t, "t", ndim=1).astype(np.float64)
            check_shape(t0, "t", (n[-1],), "one target per output unit")
        self.weights, self.biases, self.x, self.t = Ws, bs, x0, t0

    def _forward_backward(self):
        """Forward pass, then the chapter's recursion, written out here entry by entry."""
        from ..bouvrie import dense_backward, dense_forward
        self.us, self.xs = dense_forward(self.x, self.weights, self.biases, self.f)
        self.deltas, self.dWs, _ = dense_backward(self.us, self.xs, self.weights, self.t,
                                                  self.fprime_fn)
        self.loss = float(0.5 * np.sum((self.xs[-1] - self.t) ** 2))

    @property
    def L(self):
        """Number of layers with weights (the output layer's index)."""
        return len(self.sizes) - 1

    # -- controls ------------------------------------------------------------------------------
    def select(self, layer, unit):
        """Select unit ``unit`` (1-based) of layer ``layer`` (1..L)."""
        if not _is_int(layer):
            raise TypeError(f"layer must be an int (1..{self.L}); got {layer!r}")
        if not 1 <= layer <= self.L:
            raise ValueError(f"layer must lie in 1..{self.L} (layer 0 is the input, which has no "
                             f"residual); got {layer}")
        if not _is_int(unit):
            raise TypeError(f"unit must be an int (1-based); got {unit!r}")
        if not 1 <= unit <= self.sizes[layer]:
            raise ValueError(f"unit must lie in 1..{self.sizes[layer]} for layer {layer} "
                             f"({self.sizes[layer]} units); got {unit}")
        self.layer, self.unit = int(layer), int(unit)

    def set_show_weight_grad(self, show):
        """Show (True) or hide (False) the gradients ∂E/∂W of the weights into the unit."""
        if not isinstance(show, (bool, np.bool_)):
            raise TypeError(f"show_weight_grad must be True or False; got {show!r}")
        self.show_weight_grad = bool(show)

    # -- the numbers ---------------------------------------------------------------------------
    def residual(self, layer=None, unit=None):
        """δ^l_a (1-based l and a; defaults to the selection)."""
        l = self.layer if layer is None else layer
        a = self.unit if unit is None else unit
        return float(self.deltas[l - 1][a - 1])

    def u(self, layer=None, unit=None):
        """Pre-activation u of ``unit`` in ``layer`` (1-based; default: the selected unit)."""
        l = self.layer if layer is None else layer
        a = self.unit if unit is None else unit
        return float(self.us[l - 1][a - 1])

    def slope(self, layer=None, unit=None):
        """f'(u^l_a)."""
        return float(self.fprime_fn(np.array([self.u(layer, unit)]))[0])

    def is_output(self):
        """True when the selected layer is the output layer L."""
        return self.layer == self.L

    def terms(self):
        """The products of the sum Σ_c W^{l+1}_{ca} δ^{l+1}_c for the selected unit: a list of
        dicts with the 1-based ``c``, the weight ``w``, the residual ``delta`` and ``product``.
        Empty for the output layer (its residual starts the recursion instead)."""
        if self.is_output():
            return []
        W = self.weights[self.layer]                # W^{l+1}
        d = self.deltas[self.layer]                 # δ^{l+1}
        a = self.unit - 1
        return [{"c": c + 1, "w": float(W[c, a]), "delta": float(d[c]),
                 "product": float(W[c, a] * d[c])} for c in range(W.shape[0])]

    def backsum(self):
        """Σ_c W^{l+1}_{ca} δ^{l+1}_c (hidden layer) or y_a - t_a (output layer)."""
        if self.is_output():
            a = self.unit - 1
            return float(self.xs[-1][a] - self.t[a])
        return float(sum(t["product"] for t in self.terms()))

    def weight_grads(self):
        """∂E/∂W^l_{ab} = δ^l_a x^{l-1}_b for the weights coming into the selected unit: a list
        of dicts with the 1-based ``b``, the input ``x`` and the gradient ``grad``."""
        xprev = self.xs[self.layer - 1]
        d = self.residual()
        return [{"b": b + 1, "x": float(xprev[b]), "grad": float(d * xprev[b])}
                for b in range(xprev.shape[0])]

    # -- the text ------------------------------------------------------------------------------
    def formula_lines(self, fmt="text"):
        """The selected entry written out, line by line, in ``fmt`` ("text", "html", "tex")."""
        w = _Writer(fmt)
        l, a = self.layer, self.unit
        d_la, u_la = w.sym("delta", l, a), w.sym("u", l, a)
        fp = w.fprime(u_la)
        f_def = self._fprime_tex if fmt == "tex" else self._fprime_text
        if fmt == "tex":
            f_def = f"${f_def}$"
        lines = []
        if self.is_output():
            y, t = w.sym("y", None, a), w.sym("t", None, a)
            lines.append(f"{d_la} = {fp} · ({y} - {t})   [output layer: the recursion starts here]")
            lines.append(f"= {_fmt(self.slope())} · ({_fmt(self.xs[-1][a - 1])} - "
                         f"{_fac(self.t[a - 1])}) = {_fmt(self.slope())} · {_fac(self.backsum())} "
                         f"= {_fmt(self.residual())}")
        else:
            wsym = w.sym("W", l + 1, f"c{a}")
            dsym = w.sym("delta", l + 1, "c")
            lines.append(f"{d_la} = {fp} · {w.sum_over('c')} {wsym} {dsym}")
            prods = " + ".join(f"{_fac(t['w'])}·{_fac(t['delta'])}" for t in self.terms())
            lines.append(f"= {_fmt(self.slope())} · ({prods})")
            lines.append(f"= {_fmt(self.slope())} · {_fac(self.backsum())} = {_fmt(self.residual())}")
        lines.append(f"with {u_la} = {_fmt(self.u())} and {fp} = {f_def} = {_fmt(self.slope())}")
        if self.show_weight_grad:
            lines.append(f"weights into the unit: {w.dEd(w.sym('W', l, 'ab'))} = "
                         f"{d_la} {w.sym('x', l - 1, 'b')} (the residual times the input)")
            items = []
            for g in self.weight_grads():
                wsym = w.sym("W", l, f"{a}{g['b']}")
                items.append(f"{w.dEd(wsym)} = {_fac(self.residual())}·{_fac(g['x'])} "
                             f"= {_fmt(g['grad'])}")
            lines.extend("; ".join(items[i:i + 2]) for i in range(0, len(items), 2))
        return lines

    def formula(self, fmt="text"):
        """:meth:`formula_lines` joined (newlines; ``<br>`` for HTML)."""
        return _Writer(fmt).join(self.formula_lines(fmt))


# -- drawing -----------------------------------------------------------------------------------

def _positions(sizes, dx=2.6):
    return {(l, a): (dx * l, (n - 1) / 2 - a) for l, n in enumerate(sizes) for a in range(n)}


def _label_at(ax, p0, p1, frac, text, colour, fontsize):
    (x0, y0), (x1, y1) = p0, p1
    ax.text(x0 + frac * (x1 - x0), y0 + frac * (y1 - y0), text, color=colour, fontsize=fontsize,
            ha="center", va="center", zorder=5,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))


def draw_backprop_recursion(state, axes=None, fig=None, fontsize=8):
    """Draw the network (residual next to every unit; the selected unit, the residuals and
    weights of layer l+1 that feed it, and optionally the weights into it, highlighted) on
    ``axes[0]`` and the arithmetic on ``axes[1]``.  Returns the two axes."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    Circle = require("matplotlib.patches", "(widgets)").Circle
    if axes is None:
        if fig is None:
            fig = Figure(figsize=(7.6, 4.6))
        fig.clear()
        axes = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3.2, 1.3]})
    ax, ax_txt = axes
    sizes, L, l, a = state.sizes, state.L, state.layer, state.unit - 1
    pos = _positions(sizes)
    r = 0.2
    feeds = set() if state.is_output() else {(l + 1, c) for c in range(sizes[l + 1])}
    for k in range(L):                                   # edges layer k -> k+1
        for i in range(sizes[k]):
            for j in range(sizes[k + 1]):
                hot = (k == l and i == a)                # the unit's outgoing weights W^{l+1}_{ca}
                grad = state.show_weight_grad and k == l - 1 and j == a
                colour = _FEED if hot else (_GRAD if grad else "0.82")
                (x0, y0), (x1, y1) = pos[k, i], pos[k + 1, j]
                ax.annotate("", xy=(x0 + r, y0), xytext=(x1 - r, y1), zorder=2 if hot or grad else 1,
                            arrowprops=dict(arrowstyle="->", color=colour,
                                            lw=1.8 if hot or grad else 0.7, shrinkA=0, shrinkB=0))
    if not state.is_output():
        for t in state.terms():
            c = t["c"] - 1
            _label_at(ax, pos[l, a], pos[l + 1, c], 0.5, f"W={_fmt(t['w'])}", _FEED, fontsize)
    if state.show_weight_grad:
        for g in state.weight_grads():
            _label_at(ax, pos[l - 1, g["b"] - 1], pos[l, a], 0.36, f"{_fmt(g['grad'])}",
                      _GRAD, fontsize - 0.5)
    for (k, i), (x, y) in pos.items():
        if (k, i) == (l, a):
            face, edge = _HOT, "black"
        elif (k, i) in feeds:
            face, edge = "#f7c6c1", _FEED
        else:
            face, edge = ("0.9", "0.5") if k == 0 else ("#c9dcf0", "0.4")
        ax.add_patch(Circle((x, y), r, facecolor=face, edgecolor=edge,
                            lw=1.6 if (k, i) in feeds or (k, i) == (l, a) else 0.8, zorder=3))
        if k == 0:
            txt, col = f"x{i + 1}={_fmt(state.x[i], 2)}", "0.3"
        else:
            txt = f"δ={_fmt(state.deltas[k - 1][i])}"
            col = _FEED if (k, i) in feeds else ("black" if (k, i) == (l, a) else "0.3")
        ax.text(x, y - r - 0.06, txt, ha="center", va="top", fontsize=fontsize - 0.5, color=col,
                zorder=4, fontweight="bold" if (k, i) in feeds or (k, i) == (l, a) else "normal",
                bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.85))
    xo = pos[L, 0][0]
    for i in range(sizes[L]):                            # targets to the right of the outputs
        y = pos[L, i][1]
        hot = state.is_output() and i == a
        ax.annotate("", xy=(xo + 0.75, y), xytext=(xo + r, y),
                    arrowprops=dict(arrowstyle="-", color=_FEED if hot else "0.7", lw=1.6 if hot else 0.7,
                                    ls="--"))
        ax.text(xo + 0.8, y, f"y{i + 1}={_fmt(state.xs[-1][i])}\nt{i + 1}={_fmt(state.t[i])}",
                ha="left", va="center", fontsize=fontsize - 0.5, color=_FEED if hot else "0.3",
                fontweight="bold" if hot else "normal")
    top = (max(sizes) - 1) / 2
    for k, n in enumerate(sizes):
        name = "input $x^0$" if k == 0 else (f"output layer {k}" if k == L else f"layer {k}")
        ax.text(pos[k, 0][0], -top - 0.85, name, ha="center", va="top", fontsize=fontsize + 1)
    ax.set_xlim(-0.7, xo + 1.9)
    ax.set_ylim(-top - 1.25, top + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")
    if state.is_output():
        title = (f"output unit {state.unit} of layer {l}: its residual starts the recursion "
                 f"from $y - t$")
    else:
        title = (f"unit {state.unit} of layer {l} collects the residuals $\\delta^{{{l + 1}}}$ of "
                 f"layer {l + 1} through the weights $W^{{{l + 1}}}_{{c{state.unit}}}$ (red)")
    if state.show_weight_grad:
        title += ";\ngreen: $\\partial E/\\partial W$ of the weights into it"
    ax.set_title(title, fontsize=fontsize + 1)
    ax_txt.axis("off")
    ax_txt.text(0.0, 1.0, "\n".join(state.formula_lines("tex")), ha="left", va="top",
                fontsize=fontsize + 0.5, transform=ax_txt.transAxes, linespacing=1.5)
    return ax, ax_txt


def frame(state):
    """One frame of the panel for ``state`` (a :class:`BackpropRecursion`): (PNG bytes, alt
    text, caption HTML), drawn by :func:`draw_backprop_recursion`."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=(7.6, 4.6))
    fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.02, hspace=0.05)
    draw_backprop_recursion(state, fig=fig)
    alt = (f"Network of layer sizes {'-'.join(map(str, state.sizes))} with unit "
           f"{state.unit} of layer {state.layer} selected and the connections its residual "
           f"is built from highlighted" + (", with ∂E/∂W shown" if state.show_weight_grad else "")
           + ". " + state.formula("text").replace("\n", " "))
    return (_frames.png(fig), alt,
            f"<div style='font-family:serif;line-height:1.6'>{state.formula('html')}</div>")


def panel(sizes=DEFAULT_SIZES, seed=0, activation="tanh", layer=1, unit=2):
    """The widget, every frame drawn ahead (works on the website with no kernel): the layer,
    then a unit slider with that layer's number of units (1-based), and ∂E/∂W off/on.
    Returns the panel ``VBox`` (``.choices``, ``.select(...)``, ``.current()``, ``.frames``)."""
    from . import _frames

    base = BackpropRecursion(sizes, seed, activation, layer, unit)
    L = base.L
    c_layer = _frames.Choice("layer", range(1, L + 1),
                             [f"{l} (output)" if l == L else str(l) for l in range(1, L + 1)],
                             value=base.layer, description="layer l", kind="dropdown")
    c_grad = _frames.Choice("weight_grad", (False, True), ["hidden", "shown"],
                            description="∂E/∂W", kind="toggle")

    def units(v):
        n = base.sizes[v["layer"]]
        return [_frames.Choice("unit", range(1, n + 1), value=unit if unit <= n else None,
                               description="unit a")]

    def render(layer, weight_grad, unit):
        st = BackpropRecursion(sizes, seed, activation, layer, unit)
        st.set_show_weight_grad(weight_grad)
        return frame(st)

    return _frames.frame_panel([[c_layer, c_grad], units], render)


def static_backprop_recursion(selections=((2, 1), (1, 2)), sizes=DEFAULT_SIZES, seed=0,
                              activation="tanh", show_weight_grad=False):
    """The static twin: one picture per (layer, unit) in ``selections``, by default the two
    steps of the recursion that end at the widget's default unit (δ²₁ from δ³, then δ¹₂ from
    δ²), each with its arithmetic.  Returns a Figure."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    if not isinstance(selections, (tuple, list)) or not selections:
        raise TypeError(f"selections must be a non-empty tuple of (layer, unit) pairs; "
                        f"got {selections!r}")
    n = len(selections)
    fig = Figure(figsize=(7.6, 4.6 * n))
    axes = fig.subplots(2 * n, 1, gridspec_kw={"height_ratios": [3.2, 1.3] * n})
    st = BackpropRecursion(sizes, seed, activation, show_weight_grad=show_weight_grad)
    for i, sel in enumerate(selections):
        if not isinstance(sel, (tuple, list)) or len(sel) != 2:
            raise TypeError(f"selections[{i}] must be a (layer, unit) pair; got {sel!r}")
        st.select(*sel)
        ax, _ = draw_backprop_recursion(st, axes=axes[2 * i: 2 * i + 2])
        if n > 1:
            ax.set_title(f"step {i + 1}: " + ax.get_title(), fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.95, bottom=0.01, hspace=0.12)
    return fig
