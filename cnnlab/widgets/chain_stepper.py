"""Step backwards through the q3 chain for one weight (chapter 9).

Pick a layer, a filter, an input channel and a weight position; then step from the loss back to
that weight's gradient: max-pool switches → ReLU mask → (for layer 1: the full convolution with
W², then switches and mask again) → the products of input and residual whose sum is the gradient.

- :class:`ChainStepper` — the state (pure NumPy; tests drive it without a kernel).
- :func:`panel` — the panel: a layer, a filter, a kernel entry and a step, every frame drawn
  ahead by :func:`frame` (the same drawing in Jupyter and on the website, which has no kernel).
- :func:`static_chain_stepper` — every step for one weight of each layer, side by side.
"""
from dataclasses import dataclass

import numpy as np

from ..chain import Q3Chain, q3_input, weight_grad_terms
from .._extras import require

__all__ = ["ChainStepper", "Step", "panel", "frame", "draw_frame", "static_chain_stepper", "mosaic",
           "PANEL_GRID"]


@dataclass
class Step:
    """One picture of the backward walk.

    - title: short name; formula: the formula that produced ``data`` (LaTeX-free text)
    - data: 2-D array shown; marks: boolean array of the same shape (switches or mask) or None
    - value: a number shown under the picture (e.g. the gradient) or None
    """
    title: str
    formula: str
    data: np.ndarray
    marks: np.ndarray = None
    value: float = None


def mosaic(maps, ncols=5):
    """Tile a stack of maps (n, h, w) into one 2-D array, NaN-separated (for a single imshow)."""
    maps = np.asarray(maps, dtype=float)
    n, h, w = maps.shape
    nrows = -(-n // ncols)
    out = np.full((nrows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    for k in range(n):
        r, c = divmod(k, ncols)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = maps[k]
    return out


class ChainStepper:
    """State of the chain stepper.

    Inputs to the constructor:
    - seed: parameters of the q3 network (:func:`cnnlab.chain.init_q3_params`)
    - digit: index of the scikit-learn digit used as input; a target t ~ U(0, 1) of shape
      (10, 5, 5) (seed ``seed + 1``, about the size of the outputs) defines ``E = ½ Σ (p² − t)²``

    Controls (attributes a test or a slider sets): ``layer`` (1 or 2), ``filt``, ``chan``,
    ``p``, ``q`` (the weight W^layer[filt, chan, p, q]) and ``step`` (index into :meth:`steps`).
    Out-of-range values are clipped by :meth:`set`.
    """

    def __init__(self, seed=0, digit=3):
        self.net = Q3Chain(seed=seed)
        self.x, self.label = q3_input(digit, jitter=0.01)
        self.target = np.random.default_rng(seed + 1).uniform(0.0, 1.0, size=(10, 5, 5))
        self.E, self.trace, self.grads = self.net.loss_and_grads(self.x, self.target)
        self.layer, self.filt, self.chan, self.p, self.q, self.step = 2, 0, 0, 0, 0, 0

    # ranges of the controls for the current layer
    def limits(self):
        """Dict of the largest allowed value of each control for the current layer."""
        if self.layer == 2:
            F, C, kh, kw = self.net.params["W2"].shape
        else:
            F, C, kh, kw = self.net.params["W1"].shape
        return {"filt": F - 1, "chan": C - 1, "p": kh - 1, "q": kw - 1, "step": (4 if self.layer == 2 else 5) - 1}

    def set(self, **controls):
        """Set controls (layer, filt, chan, p, q, step), clipping each to its range."""
        if "layer" in controls:
            if controls["layer"] not in (1, 2):
                raise ValueError(f"layer must be 1 or 2; got {controls['layer']!r}")
            self.layer = controls.pop("layer")
        for key, v in controls.items():
            if key not in ("filt", "chan", "p", "q", "step"):
                raise ValueError(f"unknown control {key!r}; expected layer, filt, chan, p, q or step")
            setattr(self, key, int(v))
        lim = self.limits()
        for key, hi in lim.items():
            setattr(self, key, min(max(getattr(self, key), 0), hi))
        return self

    def weight_name(self):
        """The chosen weight as the code names it, e.g. ``W1[filter, channel, p, q]``."""
        return f"W{self.layer}[{self.filt},{self.chan},{self.p},{self.q}]"

    def gradient(self):
        """∂E/∂W for the chosen weight, from the backward pass."""
        dW = self.grads.dW2 if self.layer == 2 else self.grads.dW1
        return float(dW[self.filt, self.chan, self.p, self.q])

    def steps(self):
        """The list of :class:`Step` from the loss back to the chosen weight."""
        tr, g = self.trace, self.grads
        f, c = self.filt, self.chan
        if self.layer == 2:
            return [
                Step(f"∂E/∂p² of map {f}", "p² − t  (from E = ½Σ(p² − t)²)", g.dp2[f]),
                Step(f"∂E/∂r² of map {f}", "switch ∘ up(∂E/∂p²)  (dots: winners)",
                     g.dr2[f], tr.switch2[f]),
                Step(f"δ² of map {f}", "mask ∘ ∂E/∂r²  (dots: u² > 0)", g.delta2[f],
                     tr.mask2[f]),
                Step(f"p¹_{c}[i+{self.p}, j+{self.q}] · δ²_{f}[i, j]",
                     "sum of these products = ∂E/∂" + self.weight_name(),
                     weight_grad_terms(tr.p1, g.delta2, f, c, self.p, self.q), value=self.gradient()),
            ]
        return [
            Step("δ², all 10 maps", "from the layer-2 steps (switches, then ReLU mask)", mosaic(g.delta2),
                 mosaic(tr.mask2) > 0.5),
            Step(f"∂E/∂p¹ of map {f}", f"Σ_k δ²_k * W²[k,{f}]  (full convolution)", g.dp1[f]),
            Step(f"∂E/∂r¹ of map {f}", "switch ∘ up(∂E/∂p¹)  (dots: winners)", g.dr1[f], tr.switch1[f]),
            Step(f"δ¹ of map {f}", "mask ∘ ∂E/∂r¹", g.delta1[f], tr.mask1[f]),
            Step(f"x[i+{self.p}, j+{self.q}] · δ¹_{f}[i, j]", "sum of these products = ∂E/∂" + self.weight_name(),
                 weight_grad_terms(tr.x, g.delta1, f, c, self.p, self.q), value=self.gradient()),
        ]

    def current(self):
        """The :class:`Step` selected by ``step``."""
        s = self.steps()
        return s[min(self.step, len(s) - 1)]

    def draw(self, ax):
        """Draw the current step on a Matplotlib axes; returns the image artist."""
        return _draw_step(ax, self.current())


def _draw_step(ax, st):
    data = st.data
    lim = np.nanmax(np.abs(data)) if np.isfinite(data).any() else 1.0
    lim = lim if lim > 0 else 1.0
    im = ax.imshow(data, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    if st.marks is not None:
        ii, jj = np.nonzero(st.marks)
        if len(ii) <= 400:
            ax.scatter(jj, ii, s=4, c="k", marker="s", linewidths=0)
    ax.set_title(st.title, fontsize=8)
    label = st.formula if st.value is None else f"{st.formula}\n= {st.value:.4f}"
    ax.set_xlabel(label, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def draw_frame(stepper, fig):
    """Draw the current step of ``stepper`` into the Matplotlib figure ``fig`` (cleared first):
    the step's array (:meth:`ChainStepper.draw`) with a colour bar.  The panel's frames are this
    drawing.  Returns ``fig``."""
    fig.clear()
    ax = fig.add_subplot(1, 1, 1)
    im = stepper.draw(ax)
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


#: size of the panel's figure in inches
FIGSIZE = (4.2, 4.0)


def frame(stepper):
    """One frame of the panel for ``stepper``: (PNG bytes, alt text, caption HTML), drawn by
    :func:`draw_frame` on a :data:`FIGSIZE` figure."""
    Figure = require("matplotlib.figure", "(widgets)").Figure  # not pyplot: nothing is displayed twice

    from . import _frames

    fig = draw_frame(stepper, Figure(figsize=FIGSIZE))
    cur, n = stepper.current(), len(stepper.steps())
    value = "" if cur.value is None else f" = {cur.value:.4f}"
    alt = (f"Heat map, red positive and blue negative, of step {stepper.step + 1} of {n} backwards "
           f"from the loss to the weight {stepper.weight_name()}: {cur.title}, "
           f"{cur.formula}{value}.")
    caption = (f"<b>{stepper.weight_name()}</b>: step {stepper.step + 1} of {n}; "
               f"∂E/∂W = {stepper.gradient():.5f} (E = {stepper.E:.4f})")
    return _frames.png(fig, dpi=80), alt, caption


#: the panel's grid, per layer: filters shown and kernel entries (channel, row p, column q);
#: every step of the walk is drawn for each (every filter of both layers)
PANEL_GRID = {2: {"filt": tuple(range(10)), "entry": ((0, 0, 0), (1, 2, 3), (2, 3, 0))},
              1: {"filt": (0, 1, 2), "entry": ((0, 0, 0), (0, 1, 1), (0, 2, 1))}}


def panel(stepper=None, grid=None):
    """The panel, every frame drawn ahead (works on the website with no kernel).

    Controls: the layer (2 or 1), then for that layer the filter, the kernel entry
    (channel, p, q) and the step back, over ``grid`` (default :data:`PANEL_GRID`: every step
    for every filter and 3 kernel entries of each layer, 165 frames).  Every frame is :func:`frame` of a
    :class:`ChainStepper` moved with :meth:`ChainStepper.set`.  Returns the panel ``VBox``
    (``.choices``, ``.select(...)``, ``.current()``, ``.current_values()``, ``.frames``) with
    ``.stepper``, the state the frames were drawn from.
    """
    from . import _frames

    st = stepper if stepper is not None else ChainStepper()
    grid = PANEL_GRID if grid is None else grid
    layers = [layer for layer in (2, 1) if layer in grid]
    if not layers:
        raise ValueError(f"grid must have the key 2 or 1 (a layer); got {sorted(grid)!r}")
    c_layer = _frames.Choice("layer", layers, [f"layer {layer} (W{'²' if layer == 2 else '¹'})"
                                               for layer in layers],
                             description="layer", kind="toggle")

    def per_layer(v):
        g = grid[v["layer"]]
        st.set(layer=v["layer"])
        lim = st.limits()
        bad = [f for f in g["filt"] if not 0 <= f <= lim["filt"]] + \
              [e for e in g["entry"] if not all(0 <= a <= lim[k] for a, k in zip(e, ("chan", "p", "q")))]
        if bad:
            raise ValueError(f"grid for layer {v['layer']}: {bad} outside the layer's kernels "
                             f"(filters 0..{lim['filt']}, channel 0..{lim['chan']}, "
                             f"p 0..{lim['p']}, q 0..{lim['q']})")
        n = lim["step"] + 1
        return [_frames.Choice("filt", g["filt"], description="filter"),
                _frames.Choice("entry", [tuple(e) for e in g["entry"]],
                               [f"c={c}, p={p}, q={q}" for c, p, q in g["entry"]],
                               description="kernel entry", kind="dropdown"),
                _frames.Choice("step", range(n), [str(k + 1) for k in range(n)],
                               description="step back")]

    def render(layer, filt, entry, step):
        c, p, q = entry
        st.set(layer=layer, filt=filt, chan=c, p=p, q=q, step=step)
        return frame(st)

    box = _frames.frame_panel([[c_layer], per_layer], render)
    box.stepper = st
    return box


def static_chain_stepper(stepper=None, layer2=(0, 0, 0, 0), layer1=(0, 0, 1, 1)):
    """Every step for one weight of layer 2 (top row) and one of layer 1 (bottom).

    Inputs:
    - layer2, layer1: (filter, channel, p, q) of the weight shown in each row

    Returns a Matplotlib figure (pyplot-managed, so a notebook shows it once).
    """
    plt = require("matplotlib.pyplot", "(widgets)")

    st = stepper if stepper is not None else ChainStepper()
    fig, axes = plt.subplots(2, 5, figsize=(13, 6.8))
    for row, (layer, (f, c, p, q)) in enumerate(((2, layer2), (1, layer1))):
        st.set(layer=layer, filt=f, chan=c, p=p, q=q, step=0)
        steps = st.steps()
        for k in range(5):
            ax = axes[row, k]
            if k < len(steps):
                _draw_step(ax, steps[k])
            else:
                ax.axis("off")
                ax.text(0.5, 0.5, f"{st.weight_name()}\n∂E/∂W = {st.gradient():.4f}",
                        ha="center", va="center", fontsize=10, transform=ax.transAxes)
    fig.suptitle("Backwards through the chain: loss → switches → ReLU mask → (layer 1: full "
                 "convolution with W², switches, mask) → products summed into ∂E/∂W\n"
                 "top row: a weight of layer 2; bottom row: a weight of layer 1; red > 0 > blue",
                 fontsize=10)
    fig.tight_layout()
    return fig
