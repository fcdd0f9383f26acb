"""One output map of a learned-combination layer: move the logits, watch the mix and its gradients.

Chapter 8's layer (Bouvrie's notes, section 3.3) mixes convolved input maps,

    u_j = sum_i alpha_ij (x_i * k_i) + b_j,   x_j = f(u_j),   alpha_ij = softmax_i(c_ij),

and the notes' sparsity penalty ``lam sum_i |alpha_ij|`` turns out to be the constant ``lam``
for every column, so its gradient with respect to c is zero.  This widget keeps a single output
map j (so c and alpha are vectors of length N) and shows, for the logits the reader sets:

- alpha = softmax(c) as a bar chart, and the maps ``x_i * k_i`` mixed by it into u_j and x_j;
- ``sum_i |alpha_i|`` (always 1) next to a penalty that does measure how spread alpha is: the
  entropy ``H(alpha) = -sum_i alpha_i log alpha_i`` (the chapter's first fix) or
  ``sum_i alpha_i^p`` with ``0 < p < 1`` (its third);
- the gradients with respect to c of the squared error ``E = 1/2 ||x_j - t||^2`` against a fixed,
  seeded target t, of ``lam sum|alpha|`` (zero) and of ``lam`` times the other penalty.

Everything goes through the chapter's functions in :mod:`cnnlab.bouvrie`
(``combination_forward``, ``alpha_grad``, ``c_grad``, ``l1_penalty``, ``entropy_penalty`` and
their gradients), with ``*`` = MATLAB's flipping ``conv2`` as in the notes.

* :class:`CombinationMixer` -- the state (no widgets): logits, lam, the second penalty;
* :func:`panel` -- the live widget (one slider per logit, a lam slider, a penalty dropdown);
* :func:`static_combination_mixer` -- the static twin: three settings of the logits.
"""
from numbers import Integral, Real

import numpy as np

from .. import bouvrie as bv
from ..shapes import conv_output_size
from .._validate import as_array, check_shape, shape_str
from ._common import fmt_fixed
from ._common import png as _png
from .._extras import require

__all__ = ["CombinationMixer", "panel", "static_combination_mixer", "draw_combination_mixer",
           "default_inputs", "lp_penalty", "lp_penalty_c_grad", "ALTERNATIVES", "DEFAULT_C",
           "TARGET_C", "STATIC_SETTINGS"]

#: the penalties shown next to the notes' L1: the column's entropy, or sum alpha^p (0 < p < 1)
ALTERNATIVES = ("entropy", "lp")
#: default logits c_1..c_4 (the first N are used): an uneven mix
DEFAULT_C = (0.0, 0.5, 1.0, -0.5)
#: the logits that made the default target: mostly input map 1
TARGET_C = (2.0, -1.0, 0.0, -1.0)
#: the static twin's three settings: the widget's default, then two steps towards input map 1
STATIC_SETTINGS = (("default", DEFAULT_C[:3]),
                   ("towards map 1", (1.5, 0.5, 0.0)),
                   ("committed to map 1", (3.0, -1.0, -1.0)))

_SIZE = 8          # default input maps are 8x8, kernels 3x3, so the mixed map is 6x6


def _patterns():
    """Four 8x8 input maps (bar, bar, diagonal, ring) and four 3x3 kernels (edges, blur, Laplacian)."""
    x = np.zeros((4, _SIZE, _SIZE))
    x[0, :, 2:4] = 1.0                      # a vertical bar
    x[1, 4:6, :] = 1.0                      # a horizontal bar
    x[2] = np.eye(_SIZE)                    # a diagonal line
    x[3, 1:7, 1:7] = 1.0                    # a square ring
    x[3, 2:6, 2:6] = 0.0
    edge = np.array([[1.0, 0.0, -1.0]] * 3) / 3.0
    k = np.stack([edge,                                            # vertical edges
                  edge.T,                                          # horizontal edges
                  np.ones((3, 3)) / 9.0 * 3.0,                     # blur (thickens the line)
                  np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]) / 4.0])  # Laplacian
    return x, k


def default_inputs(n_in=3, seed=0, b=0.0):
    """The widget's default layer: N input maps, their kernels and a seeded target.

    Inputs:
    - n_in: number of input maps N, 2 to 4
    - seed: seed of the noise added to the target
    - b: the output map's bias

    Returns a dict with ``x_prev`` (N, 8, 8), ``k`` (N, 3, 3), ``target`` (6, 6):
    ``target = tanh(sum_i alpha*_i (x_i * k_i) + b) + 0.05 noise`` with
    ``alpha* = softmax(TARGET_C[:N])`` -- a map made mostly from input 1.
    """
    if not isinstance(n_in, Integral) or isinstance(n_in, bool):
        raise TypeError(f"n_in must be an int (number of input maps); got {n_in!r}")
    if not 2 <= n_in <= 4:
        raise ValueError(f"n_in must lie in 2..4 for the default inputs; got {n_in}")
    x, k = _patterns()
    x, k = x[:n_in], k[:n_in]
    c_star = np.array(TARGET_C[:n_in])[:, None]
    u, _ = bv.combination_forward(x, k, c_star, np.array([float(b)]))
    noise = np.random.default_rng(seed).normal(size=u.shape[1:])
    return {"x_prev": x, "k": k, "target": np.tanh(u[0]) + 0.05 * noise}


def _check_p(p):
    if not isinstance(p, Real) or isinstance(p, bool):
        raise TypeError(f"p must be a real number in (0, 1); got {p!r}")
    if not 0.0 < float(p) < 1.0:
        raise ValueError(f"p must lie strictly between 0 and 1 (a concave penalty); got {p}")
    return float(p)


def lp_penalty(c, lam, p=0.5):
    """``lam sum_ij alpha_ij^p`` with ``alpha = softmax_i(c)`` and ``0 < p < 1``.

    Concave on the simplex: smallest (``lam`` per column) when a column is one-hot, largest
    (``lam N^(1-p)``) for an even mix.  c: (I, J) -> a float.
    """
    p = _check_p(p)
    return float(lam) * float((bv.softmax_columns(c) ** p).sum())


def lp_penalty_c_grad(c, lam, p=0.5):
    """Gradient of :func:`lp_penalty` with respect to c, (I, J).

    ``dOmega/dalpha_ij = lam p alpha_ij^(p-1)``; through the softmax (chapter 8's ``c_grad``)
    ``dOmega/dc_ij = lam p (alpha_ij^p - alpha_ij sum_k alpha_kj^p)``, written this way so that
    no ``alpha^(p-1)`` is formed (it overflows when alpha underflows to 0).
    """
    p = _check_p(p)
    a = bv.softmax_columns(c)
    ap = a ** p
    return float(lam) * p * (ap - a * ap.sum(axis=0, keepdims=True))


def _check_lam(lam):
    if not isinstance(lam, Real) or isinstance(lam, bool):
        raise TypeError(f"lam must be a real number >= 0 (the penalty's weight); got {lam!r}")
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be a finite number >= 0; got {lam}")
    return float(lam)


class CombinationMixer:
    """State of the picture: one output map j of a combination layer with N input maps.

    Inputs:
    - c: the logits c_1j..c_Nj, shape (N,); default ``DEFAULT_C[:N]``
    - lam: the penalties' weight lambda >= 0 (default 0.1, as in the chapter)
    - alternative: "entropy" (``H(alpha)``) or "lp" (``sum alpha^p``), the penalty shown next to
      the notes' ``sum |alpha|``
    - p: the exponent of "lp", 0 < p < 1
    - n_in: N when the default inputs are used (2..4; default 3)
    - x_prev, k, target: a layer of your own -- input maps (N, H, W), one kernel per input map
      (N, kh, kw), target (H - kh + 1, W - kw + 1); give all three or none
    - b: the output map's bias; f is tanh and E = 1/2 sum (x_j - t)^2

    Read :meth:`alpha`, :meth:`forward`, :meth:`loss`, :meth:`loss_c_grad`, :meth:`l1_sum`,
    :meth:`penalty` and :meth:`penalty_c_grad`; move the controls with :meth:`set_logit`,
    :meth:`set_c`, :meth:`set_lam` and :meth:`set_alternative`.
    """

    def __init__(self, c=None, lam=0.1, alternative="entropy", p=0.5, n_in=3, x_prev=None, k=None,
                 target=None, b=0.0):
        given = [v is not None for v in (x_prev, k, target)]
        if any(given) and not all(given):
            raise ValueError("x_prev, k and target must be given together (or none of them, "
                             "for the default inputs)")
        if not isinstance(b, Real) or isinstance(b, bool):
            raise TypeError(f"b must be a real number (the output map's bias); got {b!r}")
        self.b = float(b)
        if not all(given):
            d = default_inputs(n_in, b=self.b)
            x_prev, k, target = d["x_prev"], d["k"], d["target"]
        self.x_prev = as_array(x_prev, "x_prev", ndim=3).astype(np.float64)
        n = self.x_prev.shape[0]
        if n < 2:
            raise ValueError(f"x_prev must hold at least 2 input maps to mix; got shape "
                             f"{shape_str(self.x_prev.shape)}")
        self.k = as_array(k, "k", ndim=3).astype(np.float64)
        if self.k.shape[0] != n:
            raise ValueError(f"k must hold one kernel per input map, shape ({n}, kh, kw); got "
                             f"shape {shape_str(self.k.shape)}")
        H, W = self.x_prev.shape[1:]
        kh, kw = self.k.shape[1:]
        if kh > H or kw > W:
            raise ValueError(f"k's kernels {kh}x{kw} must fit inside the input maps {H}x{W}")
        self.target = as_array(target, "target", ndim=2).astype(np.float64)
        check_shape(self.target, "target", (conv_output_size(H, kh), conv_output_size(W, kw)),
                    f"the 'valid' output size for x_prev's maps {H}x{W} and k's kernels {kh}x{kw}")
        self.n_in = n
        self.c = np.zeros(n)
        self.set_c(np.array(DEFAULT_C[:n]) if c is None and n <= len(DEFAULT_C)
                   else (np.zeros(n) if c is None else c))
        self.set_lam(lam)
        self.p = _check_p(p)
        self.set_alternative(alternative)

    # -- controls -------------------------------------------------------------------------------
    def set_c(self, c):
        """Set all N logits at once."""
        c = as_array(c, "c", ndim=1).astype(np.float64)
        check_shape(c, "c", (self.n_in,), "one logit per input map")
        if not np.all(np.isfinite(c)):
            raise ValueError(f"c must be finite; got {c.tolist()}")
        self.c = c.copy()

    def set_logit(self, i, value):
        """Set logit c_i, with i 1-based as on the sliders (1 <= i <= N)."""
        if not isinstance(i, Integral) or isinstance(i, bool):
            raise TypeError(f"i must be an int (1-based input map); got {i!r}")
        if not 1 <= i <= self.n_in:
            raise ValueError(f"i must lie in 1..{self.n_in}; got {i}")
        if not isinstance(value, Real) or isinstance(value, bool) or not np.isfinite(value):
            raise TypeError(f"value must be a finite real number (the logit c_{i}); got {value!r}")
        self.c[i - 1] = float(value)

    def set_lam(self, lam):
        """Set the penalty weight λ (a finite number >= 0)."""
        self.lam = _check_lam(lam)

    def set_alternative(self, alternative):
        """Choose the penalty compared with Σ|α| (one of ``ALTERNATIVES``)."""
        if alternative not in ALTERNATIVES:
            raise ValueError(f"alternative must be one of {ALTERNATIVES}; got {alternative!r}")
        self.alternative = alternative

    # -- what the picture shows -----------------------------------------------------------------
    def _col(self):
        return self.c[:, None]                  # bouvrie's functions take c as (I, J)

    def alpha(self):
        """alpha = softmax(c), shape (N,): positive, sums to 1."""
        return bv.softmax_columns(self._col())[:, 0]

    def forward(self):
        """Returns a dict: ``conv`` (N, Ho, Wo) the maps x_i * k_i; ``u`` (Ho, Wo) their
        alpha-weighted sum plus b; ``out`` = tanh(u); ``delta`` = dE/du."""
        u, conv = bv.combination_forward(self.x_prev, self.k, self._col(), np.array([self.b]))
        out = np.tanh(u[0])
        delta = (1.0 - out ** 2) * (out - self.target)
        return {"conv": conv, "u": u[0], "out": out, "delta": delta}

    def loss(self):
        """E = 1/2 sum (x_j - t)^2."""
        return 0.5 * float(((self.forward()["out"] - self.target) ** 2).sum())

    def loss_alpha_grad(self):
        """dE/dalpha_i = sum_uv (delta ∘ (x_i * k_i))_uv, shape (N,)  (chapter 8, ch08-dalpha)."""
        fw = self.forward()
        return bv.alpha_grad(fw["delta"][None], fw["conv"])[:, 0]

    def loss_c_grad(self):
        """dE/dc, shape (N,): dE/dalpha through the softmax (ch08-dc); sums to zero."""
        return bv.c_grad(self.loss_alpha_grad()[:, None], self._col())[:, 0]

    def l1_sum(self):
        """sum_i |alpha_i| -- 1 whatever c is."""
        return float(np.abs(self.alpha()).sum())

    def l1_c_grad(self):
        """Gradient of lam sum|alpha| with respect to c, the notes' recipe: zero up to rounding."""
        return bv.l1_penalty_c_grad(self._col(), self.lam)[:, 0]

    def penalty(self, alternative=None):
        """The other penalty *without* lam: H(alpha) (0 one-hot .. log N even) or sum alpha^p
        (1 one-hot .. N^(1-p) even)."""
        alt = self.alternative if alternative is None else alternative
        if alt not in ALTERNATIVES:
            raise ValueError(f"alternative must be one of {ALTERNATIVES}; got {alt!r}")
        if alt == "entropy":
            return bv.entropy_penalty(self._col(), 1.0)
        return lp_penalty(self._col(), 1.0, self.p)

    def penalty_range(self, alternative=None):
        """(value at a one-hot alpha, value at the even mix) of :meth:`penalty`."""
        alt = self.alternative if alternative is None else alternative
        n = self.n_in
        return (0.0, float(np.log(n))) if alt == "entropy" else (1.0, float(n ** (1.0 - self.p)))

    def penalty_c_grad(self, alternative=None):
        """Gradient of lam times :meth:`penalty` with respect to c, shape (N,)."""
        alt = self.alternative if alternative is None else alternative
        if alt not in ALTERNATIVES:
            raise ValueError(f"alternative must be one of {ALTERNATIVES}; got {alt!r}")
        if alt == "entropy":
            return bv.entropy_penalty_c_grad(self._col(), self.lam)[:, 0]
        return lp_penalty_c_grad(self._col(), self.lam, self.p)[:, 0]

    def penalty_name(self, alternative=None):
        """The penalty's name as the figures print it (default: the selected alternative)."""
        alt = self.alternative if alternative is None else alternative
        return "H(α)" if alt == "entropy" else f"Σ α_i^{self.p:g}"

    def summary(self):
        """The numbers, as text lines (rounded, so that they read the same run after run)."""
        name = self.penalty_name()
        return [
            f"c = {_vec(self.c, 2)}   α = softmax(c) = {_vec(self.alpha())}",
            f"Σ|α_i| = {self.l1_sum():.3f} (always 1)   λΣ|α_i| = {self.lam * self.l1_sum():.3f}   "
            f"{name} = {self.penalty():.3f}   λ·{name} = {self.lam * self.penalty():.3f}",
            f"E = {self.loss():.4f}   ∂E/∂c = {_vec(self.loss_c_grad(), 4)}",
            f"∂(λΣ|α|)/∂c = {_vec(self.l1_c_grad(), 4)}   "
            f"∂(λ·{name})/∂c = {_vec(self.penalty_c_grad(), 4)}",
        ]


def _fmt(v, digits=3):
    """Round to ``digits`` decimals; a value that rounds to zero prints without a sign."""
    return fmt_fixed(v, digits)


def _vec(v, digits=3):
    return "(" + ", ".join(_fmt(a, digits) for a in np.asarray(v, float)) + ")"


# -- drawing ------------------------------------------------------------------------------------

_COLOURS = {"E": "#4c72b0", "l1": "#999999", "alt": "#dd8452"}


def _image(ax, m, title, fontsize, vmax):
    ax.imshow(m, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=fontsize)


def _alpha_bars(ax, state, fontsize, title=True):
    n = state.n_in
    a = state.alpha()
    idx = np.arange(1, n + 1)
    ax.bar(idx, a, color=_COLOURS["E"], width=0.6)
    for i, v in zip(idx, a):
        ax.text(i, v + 0.03, f"{v:.2f}", ha="center", va="bottom", fontsize=fontsize - 1)
    ax.set_xticks(idx)
    ax.set_xticklabels([f"α_{i}" for i in idx], fontsize=fontsize)
    ax.set_ylim(0, 1.18)
    ax.tick_params(labelsize=fontsize - 1)
    if title:
        ax.set_title(f"α = softmax(c), c = {_vec(state.c, 1)}\nΣ|α_i| = {state.l1_sum():.3f}",
                     fontsize=fontsize)


def _penalty_bars(ax, state, fontsize):
    name = state.penalty_name()
    vals = [state.l1_sum(), state.penalty()]
    lo, hi = state.penalty_range()
    ax.bar([0, 1], vals, color=[_COLOURS["l1"], _COLOURS["alt"]], width=0.6)
    ax.hlines([lo, hi], 0.62, 1.38, colors="k", linestyles=":", linewidth=1)
    ax.text(1.4, lo, "one-hot", va="bottom", fontsize=fontsize - 2)
    ax.text(1.4, hi, "even", va="center", fontsize=fontsize - 2)
    ax.set_xticks([0, 1])
    ax.set_xticklabels([f"Σ|α_i|\n= {vals[0]:.3f}", f"{name}\n= {vals[1]:.3f}"],
                       fontsize=fontsize - 1)
    ax.set_xlim(-0.6, 1.95)
    ax.set_ylim(0, max(1.0, hi) * 1.25)
    ax.tick_params(labelsize=fontsize - 1)
    ax.set_title("penalty values\n(before ×λ)", fontsize=fontsize)


def _grad_bars(ax, state, fontsize, which="E", legend=True):
    """which="E": dE/dc; which="penalty": the gradients of lam sum|alpha| and of lam times the
    other penalty (on their own scale: with the default lam they are far smaller than dE/dc)."""
    n = state.n_in
    idx = np.arange(1, n + 1)
    ax.axhline(0, color="k", linewidth=0.8)
    if which == "E":
        g = state.loss_c_grad()
        ax.bar(idx, g, width=0.5, color=_COLOURS["E"])
        ax.set_title("data term: ∂E/∂c", fontsize=fontsize)
    else:
        g1, gA = state.l1_c_grad(), state.penalty_c_grad()
        name = state.penalty_name()
        w = 0.3
        ax.bar(idx - w / 2, g1, width=w, color=_COLOURS["l1"], label="∂(λΣ|α|)/∂c")
        ax.plot(idx - w / 2, g1, "x", color="k", markersize=5)   # zero-height bars: mark them
        ax.bar(idx + w / 2, gA, width=w, color=_COLOURS["alt"], label=f"∂(λ·{name})/∂c")
        g = np.concatenate([g1, gA])
        ax.set_title(f"penalties: ∂/∂c (λ = {state.lam:g})", fontsize=fontsize)
        if legend:
            ax.legend(fontsize=fontsize - 2, loc="lower left", framealpha=0.8)
    ax.set_xticks(idx)
    ax.set_xticklabels([f"c_{i}" for i in idx], fontsize=fontsize)
    top = max(float(np.abs(g).max()), 1e-3) * 1.3
    ax.set_ylim(-top, top)
    ax.tick_params(labelsize=fontsize - 1)


def draw_combination_mixer(state, fig=None, fontsize=9):
    """Top row: the input side, each ``x_i * k_i`` with its weight; then the mixed pre-activation
    u_j, the output map x_j = tanh(u_j) and the target t.  Bottom row: alpha as bars; the
    notes' penalty next to the other one; the three gradients with respect to c.  Returns fig."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    if fig is None:
        fig = Figure(figsize=(11.0, 5.6))
    fig.clear()
    n = state.n_in
    fw = state.forward()
    a = state.alpha()
    gs = fig.add_gridspec(2, 1, height_ratios=[1.0, 1.35], hspace=0.45)
    top = gs[0].subgridspec(1, n + 3, wspace=0.15)
    vmax = max(1.0, float(np.abs(fw["conv"]).max()), float(np.abs(state.target).max()))
    for i in range(n):
        _image(fig.add_subplot(top[0, i]), fw["conv"][i],
               f"input side\nx_{i + 1} * k_{i + 1}, α_{i + 1} = {a[i]:.2f}", fontsize - 1, vmax)
    _image(fig.add_subplot(top[0, n]), fw["u"], "mix u_j =\nΣ α_i (x_i * k_i) + b", fontsize - 1, vmax)
    _image(fig.add_subplot(top[0, n + 1]), fw["out"], "output\nx_j = tanh(u_j)", fontsize - 1, vmax)
    _image(fig.add_subplot(top[0, n + 2]), state.target,
           f"target t\nE = {state.loss():.3f}", fontsize - 1, vmax)
    bottom = gs[1].subgridspec(1, 4, wspace=0.45, width_ratios=[1.0, 0.9, 0.9, 1.0])
    _alpha_bars(fig.add_subplot(bottom[0, 0]), state, fontsize)
    _penalty_bars(fig.add_subplot(bottom[0, 1]), state, fontsize)
    _grad_bars(fig.add_subplot(bottom[0, 2]), state, fontsize, "E")
    _grad_bars(fig.add_subplot(bottom[0, 3]), state, fontsize, "penalty")
    fig.subplots_adjust(left=0.05, right=0.98, top=0.9, bottom=0.08)
    return fig


def frame(state):
    """One frame of the panel for ``state`` (a :class:`CombinationMixer`): (PNG bytes, alt
    text, caption HTML with the numbers), drawn by :func:`draw_combination_mixer`."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=(11.0, 5.6))
    draw_combination_mixer(state, fig=fig)
    alpha = ", ".join(_fmt(a) for a in state.alpha())
    alt = (f"Combination of {state.n_in} input maps with logits c = "
           f"({', '.join(_fmt(v) for v in state.c)}), λ = {_fmt(state.lam)}: the maps, the "
           f"mixed map against the target, and the penalty Σ|α| compared with "
           f"{state.alternative}; α = ({alpha}).")
    return _frames.png(fig), alt, "<pre>" + "\n".join(state.summary()) + "</pre>"


#: the grid of each logit slider (the defaults are added), of λ and of the comparison
PANEL_C = (-2.0, 3.0)
PANEL_LAMS = (0.1, 0.5)


def panel(c=None, lam=0.1, alternative="entropy", n_in=3, c_values=PANEL_C, lams=PANEL_LAMS):
    """The widget, every frame drawn ahead (works on the website with no kernel): one slider
    per logit over ``c_values`` plus its start value, λ over ``lams``, the comparison
    penalty.  Defaults: 3 × 3 × 3 × 2 × 2 = 108 frames.  Returns the panel ``VBox``
    (``.choices``, ``.select(...)``, ``.current()``, ``.frames``)."""
    from . import _frames

    state = CombinationMixer(c=c, lam=lam, alternative=alternative, n_in=n_in)
    choices = []
    for i in range(state.n_in):
        vals = sorted({float(v) for v in c_values} | {float(state.c[i])})
        choices.append(_frames.Choice(f"c{i + 1}", vals, [_fmt(v) for v in vals],
                                      value=float(state.c[i]), description=f"c_{i + 1}"))
    lam_vals = sorted({float(v) for v in lams} | {state.lam})
    choices.append(_frames.Choice("lam", lam_vals, [_fmt(v) for v in lam_vals], value=state.lam,
                                  description="λ"))
    choices.append(_frames.Choice("alternative", ("entropy", "lp"),
                                  ["entropy H(α)", "Σ α_i^p, p = 1/2"], value=state.alternative,
                                  description="compare", kind="dropdown"))

    def render(lam, alternative, **cs):
        st = CombinationMixer(c=[cs[f"c{i + 1}"] for i in range(state.n_in)], lam=lam,
                              alternative=alternative, n_in=state.n_in)
        return frame(st)

    return _frames.frame_panel([choices], render)


def static_combination_mixer(settings=STATIC_SETTINGS, lam=0.1, alternative="entropy"):
    """The static twin: the three input-side maps and the target on top, then one row per
    setting of the logits -- alpha, the output map, the two penalties and the gradients.

    settings: sequence of (label, c) with c of length 3 (default: the widget's default, then
    two settings closer to the target's mix, which is mostly input map 1).  Returns a Figure.
    """
    Figure = require("matplotlib.figure", "(widgets)").Figure
    settings = list(settings)
    if not settings:
        raise ValueError("settings must hold at least one (label, c) pair")
    states = []
    for s in settings:
        if not (isinstance(s, (tuple, list)) and len(s) == 2):
            raise TypeError(f"settings must hold (label, c) pairs; got {s!r}")
        states.append((str(s[0]), CombinationMixer(c=s[1], lam=lam, alternative=alternative)))
    n = states[0][1].n_in
    rows = len(states)
    fig = Figure(figsize=(11.0, 1.9 + 2.35 * rows))
    gs = fig.add_gridspec(rows + 1, 1, height_ratios=[0.9] + [1.0] * rows, hspace=0.75)
    st0 = states[0][1]
    fw0 = st0.forward()
    vmax = max(1.0, float(np.abs(fw0["conv"]).max()), float(np.abs(st0.target).max()))
    top = gs[0].subgridspec(1, n + 2, wspace=0.15)
    for i in range(n):
        _image(fig.add_subplot(top[0, i]), fw0["conv"][i], f"input side: x_{i + 1} * k_{i + 1}", 8, vmax)
    _image(fig.add_subplot(top[0, n + 1]), st0.target, "target t (fixed)", 8, vmax)
    for r, (label, st) in enumerate(states):
        row = gs[r + 1].subgridspec(1, 5, wspace=0.45, width_ratios=[1.0, 0.6, 0.9, 0.8, 0.9])
        ax = fig.add_subplot(row[0, 0])
        _alpha_bars(ax, st, 8, title=False)
        ax.set_title(f"{label}: c = {_vec(st.c, 1)}", fontsize=8)
        _image(fig.add_subplot(row[0, 1]), st.forward()["out"],
               f"output x_j\nE = {st.loss():.3f}", 8, vmax)
        _penalty_bars(fig.add_subplot(row[0, 2]), st, 8)
        _grad_bars(fig.add_subplot(row[0, 3]), st, 8, "E")
        _grad_bars(fig.add_subplot(row[0, 4]), st, 8, "penalty", legend=(r == 0))
    fig.subplots_adjust(left=0.05, right=0.98, top=0.95, bottom=0.05)
    return fig
