#!/usr/bin/env python3
"""Teacher-only answer key of the self-checks: writes ``cnnlab/exercises/_keys.py``.

Not installed with the package (``tools/`` is outside ``cnnlab``). For every exercise it works
out the right answer from the exercise data with an independent computation (plain loops,
SciPy, hand formulas), lists the usual wrong answers with their diagnosis, and stores only
salted digests and sealed messages (see ``cnnlab/exercises/_vault.py``).

    python tools/answer_key.py            # rewrite cnnlab/exercises/_keys.json
    python tools/answer_key.py --check    # exit 1 if the stored file is out of date

To change a check: edit its entry here (right answer, wrong answers and their messages, the
plain hint), run this script, commit both files
(tests/test_exercises_vault.py fails while ``_keys.py`` is out of date). The plain ``hint`` and ``format`` texts are
shown for any answer: they must not contain the answer or its arithmetic.
"""
from __future__ import annotations

import json
import sys
from itertools import product
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnlab.exercises import (ch01, ch02, ch04, ch05, ch06, ch07, ch08, ch09,  # noqa: E402
                              ch10, ch11)
from cnnlab.exercises import _vault  # noqa: E402

KEYS = ROOT / "cnnlab" / "exercises" / "_keys.py"
EXERCISES: dict[str, dict] = {}


def spec(name, fmt, **kw):
    return {"name": name, "format": fmt, **kw}


def part(name, arg, right, ok, wrong=(), hint="", index=None, **kw):
    return {"name": name, "arg": arg, "index": index, "right": right, "ok": ok,
            "wrong": list(wrong), "hint": hint, **kw}


def add(ex, specs, right, ok, wrong=(), hint="", parts=()):
    """``right``: the tuple of arguments a right answer passes; ``wrong``: (arguments,
    diagnosis) pairs; ``parts``: per-part judges for answers with several parts."""
    assert ex not in EXERCISES, ex
    EXERCISES[ex] = {"specs": specs, "right": right, "ok": ok, "wrong": list(wrong),
                     "hint": hint, "parts": list(parts)}


# ------------------------------------------------------------------------------ chapter 1
x, w = ch01.EX1_X, ch01.EX1_W
add("ch01-ex1", [spec("y[1, 2]", "give one number, y[1, 2]", shape=())],
    (float((x[1:3, 2:4] * w).sum()),),
    "✓ y[1, 2] = 0·1 + 2·2 + 3·(−1) + 1·3 = 4: the window's top-left corner sits on x[1, 2].",
    [((float((x[1:3, 2:4] * w[::-1, ::-1]).sum()),),
      "✗ that is what the kernel rotated by 180° gives — true convolution (*), as MATLAB's conv2. "
      "Cross-correlation (⋆) multiplies x[1+μ, 2+ν] by w[μ, ν] with no flip."),
     ((float((x[2:4, 1:3] * w).sum()),),
      "✗ that puts the window at row 2, column 1: y[m, n] has its top-left corner on x[m, n] — "
      "row first, then column.")],
    "take the 2×2 block of x whose top-left corner is x[1, 2] (rows 1–2, columns 2–3), multiply "
    "it cell by cell with w and add the four products.")

i_, k_, s_, p_ = 32, 5, 2, 1
add("ch01-ex2", [spec("width", "give the output width as one number", shape=())],
    ((i_ + 2 * p_ - k_) // s_ + 1,),
    "✓ ⌊(32 + 2 − 5)/2⌋ + 1 = ⌊14.5⌋ + 1 = 15; 29 is odd, so the size is floored and the last "
    "padded column is never read.",
    [(((i_ + 2 * p_ - k_) / s_ + 1,), "✗ that is not a whole number of windows: frameworks take "
      "the floor of the division."),
     ((-(-(i_ + 2 * p_ - k_) // s_) + 1,), "✗ that rounds up; frameworks round down (floor): a "
      "window that would hang over the edge is dropped."),
     (((i_ + p_ - k_) // s_ + 1,), "✗ that counts the padding once; p = 1 pads *each* side, so "
      "the padded width is i + 2p."),
     (((i_ - k_) // s_ + 1,), "✗ that forgets the padding: the padded width is i + 2p."),
     ((i_ + 2 * p_ - k_ + 1,), "✗ that forgets the stride: the window moves 2 columns at a "
      "time, so divide by s.")],
    "use o = ⌊(i + 2p − k)/s⌋ + 1 with the exercise's i, k, s and p.")
# Note: with i = 32, k = 5, s = 2, p = 1 "padding once" gives ⌊28/2⌋ + 1 = 15 too (the right
# number), so the check cannot tell it apart; the misconceptions page says so.

add("ch01-ex3", [spec("shape", "give a tuple (depth, rows, columns)", integer=True)],
    ((10, 10, 10),),
    "✓ 10 filters → depth 10; each filter sums over all 3 input maps, and 13 − 4 + 1 = 10 rows "
    "and columns: 10×10×10.",
    [(((10, 3, 10, 10),), "✗ each filter spans the full depth of its input and sums over it: "
      "one filter gives one map, not one per input channel. Drop the depth axis of the filters."),
     (((3, 10, 10, 10),), "✗ each filter spans the full depth of its input and sums over it: "
      "one filter gives one map, not one per input channel. Drop the depth axis of the filters.")]
    + [(((d, 13, 13),), "✗ 13×13 keeps the size — that is 'same' padding; the seed's layers use "
        "no padding (valid).") for d in range(1, 65)]
    + [(((d, n, n),), f"✗ {n} rows: the valid output length is i − k + 1.")
       for d in range(1, 65) for n in (9, 11)]
    + [(((3, n, n),), "✗ the depth of the output is the number of filters, not the depth of "
        "the input.") for n in range(1, 30) if n != 13]
    + [(((d, 10, 10),), "✗ the rows and columns are right; the depth is the number of "
        "filters.") for d in range(1, 65) if d not in (3, 10)],
    "give three numbers (depth, rows, columns): number of output maps = number of filters; "
    "rows = input rows − kernel rows + 1.")

add("ch01-ex4", [spec("matlab_start", "give MATLAB's 0-based start row (an integer)", shape=(),
                      integer=True),
                 spec("scipy_start", "give SciPy's 0-based start row (an integer)", shape=(),
                      integer=True)],
    (4 // 2, (4 - 1) // 2),
    "✓ MATLAB starts at ⌊4/2⌋ = 2, SciPy at ⌊(4−1)/2⌋ = 1: for an even kernel they differ by one "
    "row, and MATLAB's window is shifted down/right.",
    [(((4 - 1) // 2, 4 // 2), "✗ the two are swapped: MATLAB drops one more leading row than "
      "SciPy."),
     ((3, 2), "✗ these look 1-based (MATLAB's own indexing); the question asks for 0-based rows.")]
    + [((m, m), "✗ for an even kernel the two 'same' conventions do not agree — compute both "
        "starts; they differ by one.") for m in range(0, 8)],
    "the full result has ma + mb − 1 rows; 'same' keeps ma of them. Work out where each "
    "convention starts, then check with the code cell of the chapter.")

# ------------------------------------------------------------------------------ chapter 2
def _blocks(a, n=2):
    H, W = a.shape
    return a.reshape(H // n, n, W // n, n).swapaxes(1, 2)


b = _blocks(ch02.EX1_X)
right = b.max(axis=(2, 3))
add("ch02-ex1", [spec("pooled map", "give the pooled map as an array", shape=(2, 2),
                      shape_diag={"(3, 3)": "a 3×3 result means the window moved one cell at a "
                                  "time (stride 1, overlapping); with stride 2 the four windows "
                                  "do not overlap."})],
    (right,), f"✓ the largest value of each 2×2 block: {right.astype(int).tolist()}.",
    [((b.mean(axis=(2, 3)),), "✗ that is average pooling (the mean of each block); max pooling "
      "keeps the largest value."),
     ((b.sum(axis=(2, 3)),), "✗ that is Bouvrie's down(x), the sum of each block; max pooling "
      "keeps the largest value."),
     ((b.min(axis=(2, 3)),), "✗ those are the smallest values of each block; max pooling keeps "
      "the largest."),
     ((right.T,), "✗ rows and columns are exchanged: output [m, n] comes from rows 2m–2m+1 and "
      "columns 2n–2n+1.")],
    "output [m, n] is the maximum of x[2m:2m+2, 2n:2n+2]; check each of the four cells.")

xx, dy = ch02.EX2_X, ch02.EX2_DY
r2, tie_all, tie_last = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 4))
for a_ in range(2):
    for c_ in range(2):
        win = xx[2 * a_:2 * a_ + 2, 2 * c_:2 * c_ + 2]
        flat = win.ravel()
        first = int(np.argmax(flat))
        last = len(flat) - 1 - int(np.argmax(flat[::-1]))
        r2[2 * a_ + first // 2, 2 * c_ + first % 2] = dy[a_, c_]
        tie_last[2 * a_ + last // 2, 2 * c_ + last % 2] = dy[a_, c_]
        tie_all[2 * a_:2 * a_ + 2, 2 * c_:2 * c_ + 2] += (win == win.max()) * dy[a_, c_]
up2 = np.kron(dy, np.ones((2, 2)))
add("ch02-ex2", [spec("∂E/∂x", "give ∂E/∂x as an array", shape=(4, 4))],
    (r2,), "✓ each δ goes to the position of its window's maximum, all other cells get 0; in the "
    "tied window (two 5s) only the first maximum in reading order, x[0, 2], receives δ = −2.",
    [((up2,), "✗ that copies δ to all four cells of each window: it is the gradient of down (a "
      "sum), not of max. A max depends on one input only — the one that won."),
     ((up2 / 4,), "✗ that is average pooling's gradient (δ/4 to every cell); max pooling routes "
      "all of δ to the winning cell."),
     ((tie_all,), "✗ in the window with two 5s you gave δ to both. The max is not "
      "differentiable at a tie; frameworks (and cnnlab) pick one cell — the first maximum in "
      "row-major order — so the gradient still sums to δ."),
     ((tie_last,), "✗ in the tied window you chose the later 5; the convention is the first "
      "maximum in row-major (reading) order.")],
    "for each output [m, n]: find the maximum of x[2m:2m+2, 2n:2n+2], put δ[m, n] there and 0 "
    "in the other three cells; at a tie, the first maximum in reading order wins.")

x3, d3 = ch02.EX3_X, ch02.EX3_DELTA
down3 = _blocks(x3).sum(axis=(2, 3))
rb, rbb = float((d3 * down3).sum()), float(d3.sum())
add("ch02-ex3", [spec("∂E/∂β", "give ∂E/∂β as one number", shape=()),
                 spec("∂E/∂b", "give ∂E/∂b as one number", shape=())],
    (rb, rbb), f"✓ ∂E/∂β = Σ δ∘down(x) = {rb:g} and ∂E/∂b = Σ δ = {rbb:g}.",
    parts=[part("∂E/∂β", 0, rb, "✓", [
        (rb / 4, "✗ ∂E/∂β: you used the mean of each block; down(x) is the *sum* (β does the "
                 "scaling)."),
        (float(down3.sum()), "✗ ∂E/∂β: each block sum must be weighted by its δ.")],
        "by the chain rule, ∂E/∂β = Σ_{m,n} δ[m, n]·∂u[m, n]/∂β; what is ∂u[m, n]/∂β?",
        shape=(), format="give ∂E/∂β as one number"),
        part("∂E/∂b", 1, rbb, "✓", [
            (4 * rbb, "✗ ∂E/∂b: b is added once to each output, not once per input cell.")],
            "∂u[m, n]/∂b = 1 for every output [m, n]; sum the chain rule over the outputs.",
            shape=(), format="give ∂E/∂b as one number")])

mp_msg = ("✗ (a): there is no weight inside a max-pooling window — the max takes no "
          "coefficients. (The q2 seed's 'pooling layer has a weight (similar to AlexNet)' is "
          "mistaken: AlexNet's overlapping max pooling has none either.)")
add("ch02-ex4", [spec("maxpool_params", "give an integer", shape=(), integer=True),
                 spec("subsampling_params", "give an integer", shape=(), integer=True)],
    (0, 12), "✓ max pooling has no trainable parameters (only the hyper-parameters size and "
    "stride); LeNet's subsampling has one coefficient β and one bias b per map: 6·2 = 12.",
    parts=[part("(a) max pooling", 0, 0, "✓", [(v, mp_msg) for v in (4, 5, 24, 30)],
                "max pooling has nothing to train; its size and stride are fixed choices.",
                shape=(), integer=True),
           part("(b) LeNet's S2", 1, 12, "✓", [
               (6, "✗ (b): one coefficient β per map — and one bias b per map as well."),
               (24, "✗ (b): LeNet does not learn a weight per window cell; it sums the block "
                    "(down) and scales the sum by one β per map, then adds one b per map."),
               (30, "✗ (b): LeNet does not learn a weight per window cell; it sums the block "
                    "(down) and scales the sum by one β per map, then adds one b per map."),
               (2, "✗ (b): that is per map; the layer has 6 maps, each with its own β and b."),
               (0, "✗ (b): LeNet's subsampling is trainable: u = β·down(x) + b, with β and b "
                   "per map.")],
               "count the trainable numbers in u = β·down(x) + b for each of the 6 maps.",
               shape=(), integer=True)])


# ------------------------------------------------------------------------------ chapter 3
def conv_params(kh, kw, c_in, filters, bias=True):
    return (kh * kw * c_in + (1 if bias else 0)) * filters


def dense_params(n_in, units, bias=True):
    return (n_in + (1 if bias else 0)) * units


def q2_prose_total(padding="valid", pool=2, flatten=True, output_unit=True, weighted_pool=False,
                   biases=True):
    """Total parameters of the seed q2's network under one reading (hand formula)."""
    n = 100
    total = conv_params(7, 7, 1, 60, biases)
    if padding == "valid":
        n = n - 7 + 1
    total += conv_params(5, 5, 60, 100, biases)
    if padding == "valid":
        n = n - 5 + 1
    if weighted_pool:
        total += 2 * 100
    n = n // pool
    fan_in = n * n * 100 if flatten else 100
    total += dense_params(fan_in, 250, biases) + dense_params(250, 200, biases)
    if output_unit:
        total += dense_params(200, 1, biases)
    return total


COUNT = dict(shape=(), integer=True)
r31 = conv_params(3, 3, 3, 16)
add("ch03-ex1", [spec("count", "give the count as one whole number", **COUNT)], (r31,),
    f"✓ parameters of Conv2D(16, (3, 3)) on 28×28×3: (3·3·3 + 1)·16 = {r31:,}.",
    [((conv_params(3, 3, 3, 16, bias=False),), "✗ that forgets the biases, one per filter."),
     ((conv_params(3, 3, 1, 16),), "✗ each filter spans all input channels, not one."),
     ((r31 * 26 * 26,), "✗ the weights are shared: the same filters slide over every position, "
      "so the count does not depend on the image size."),
     ((3 * 3 * 16,), "✗ each filter spans all input channels, and has a bias.")],
    "write the count as (kh·kw·c_in + 1)·filters.")

r32 = q2_prose_total()
add("ch03-ex2", [spec("count", "give the count as one whole number", **COUNT)], (r32,),
    f"✓ parameters of q2's network as described in its prose: {r32:,}.",
    [((q2_prose_total(padding="same"),), "✗ that is 'same' padding (the code); the prose says "
      "valid, so the maps shrink before pooling."),
     ((q2_prose_total(pool=4),), "✗ a 4×4 pool divides each side by 4 (area by 16); 'a factor "
      "of 4, from 500×500 to 250×250' is 2 per side, a 2×2 pool."),
     ((q2_prose_total(flatten=False),), "✗ without Flatten the Dense layer acts on the last axis "
      "only (100 inputs); the prose's dense layer sees the whole pooled map."),
     ((q2_prose_total(output_unit=False),), "✗ the single output unit has weights and a bias "
      "too."),
     ((q2_prose_total(weighted_pool=True),), "✗ max pooling has no trainable parameters "
      "(AlexNet's neither); only LeNet-style subsampling has two per map."),
     ((q2_prose_total(biases=False),), "✗ that forgets the biases: one per filter of each "
      "convolution and one per unit of each dense layer."),
     ((conv_params(7, 7, 1, 60) + conv_params(5, 5, 60, 100),), "✗ those are only the "
      "convolution layers; the dense layers hold nearly all the weights.")],
    "write the count layer by layer, (kh·kw·c_in + 1)·filters for a convolution and "
    "(n_in + 1)·units for a dense layer, and check each output shape first.")

add("ch03-ex3", [spec("count", "give the count as one whole number", **COUNT)], (12,),
    "✓ trainable parameters of S2: one coefficient and one bias for each of the 6 maps, 12.",
    [((0,), "✗ that would be max pooling; LeNet's subsampling multiplies each block sum by a "
      "trainable coefficient and adds a trainable bias."),
     ((6,), "✗ each map has a coefficient AND a bias."),
     ((24,), "✗ the coefficient is shared by the whole map (not one per element of the 2×2 "
      "block)."),
     ((30,), "✗ the 2×2 block shares one coefficient; count coefficients and biases per map.")],
    "write u = β·down(x) + b for one map and count what is trained; then count the maps.")

r34 = 100 * 100 * 60 * 7 * 7 * 1
add("ch03-ex4", [spec("count", "give the count as one whole number", **COUNT)], (r34,),
    f"✓ multiply-adds of q2's first layer: 100·100 positions · 60 filters · 7·7·1 = {r34:,}.",
    [((conv_params(7, 7, 1, 60),), "✗ that is the number of parameters; every output position "
      "uses the weights of each filter again."),
     ((94 * 94 * 60 * 49,), "✗ with padding='same' the output keeps the input's size (the "
      "code)."),
     ((100 * 100 * 7 * 7,), "✗ each of the 60 filters is applied at every position.")],
    "count output positions × filters × weights per filter.")

# ------------------------------------------------------------------------------ chapter 4
add("ch04-ex1", [spec("count", "give the count as one whole number", **COUNT)], (4 * 4,),
    "✓ occurrences of x_1: 4·4 = 16, one per path through the two hidden layers.",
    [((1,), "✗ in the layered formula x_1 appears once per first-layer unit; in the nested one, "
      "every first-layer unit is copied once for every path to the output."),
     ((4,), "✗ that counts the first-layer units using x_1, but each is copied into every "
      "second-layer unit."),
     ((3 * 4 * 4,), "✗ that counts all three inputs; the question asks for x_1 only.")],
    "count the paths from x_1 to the output: one per choice of a unit in each hidden layer.")

r42 = 2 * 3 * 3 + 3 * 3 + 3 + 1
add("ch04-ex2", [spec("count", "give the count as one whole number", **COUNT)], (r42,),
    f"✓ monomials: 2·3·3 + 3·3 + 3 + 1 = {r42}.",
    [((2 * 3 * 3,), "✗ those are the paths from the inputs; the biases start paths too."),
     (((2 + 1) * 3 + (3 + 1) * 3 + (3 + 1) * 1,), "✗ that is the number of parameters (the "
      "layered formula); expanding multiplies paths.")],
    "each monomial is a product of weights along one path that starts at an input or a bias "
    "and ends at the output; count the paths.")

r43 = (6 * 6 * 32 + 1) * 10
add("ch04-ex3", [spec("count", "give the count as one whole number", **COUNT)], (r43,),
    f"✓ parameters of Dense(10) after Flatten: (6·6·32 + 1)·10 = {r43:,}.",
    [(((32 + 1) * 10,), "✗ that is the layer without Flatten (acting on the 32 channels at each "
      "position), the code as written."),
     ((6 * 6 * 32 * 10,), "✗ add the biases, one per unit."),
     (((15 * 15 * 32 + 1) * 10,), "✗ there are two poolings before the dense layer: follow the "
      "map size through every layer.")],
    "each of the 10 units has a weight per number of the flattened map and a bias.")

E4 = ch04.EX4


def _tiny(k):
    u = np.array([[np.sum(k * E4["x"][r:r + 2, s:s + 2]) + E4["b"] for s in range(2)]
                  for r in range(2)])
    return u


u4 = _tiny(E4["k"])
r44 = float(E4["v"] * np.max(np.maximum(u4, 0)) + E4["c"])
add("ch04-ex4", [spec("y", "give y as one number", shape=())], (r44,), f"✓ y = {r44:g}.",
    [((float(E4["v"] * np.max(np.maximum(_tiny(E4["k"][::-1, ::-1]), 0)) + E4["c"]),),
      "✗ that flips the kernel (true convolution, *); the layer computes the cross-correlation "
      "⋆: k_{a,b} multiplies x_{r+a, s+b}."),
     ((float(E4["v"] * u4.mean() + E4["c"]),), "✗ that averages the four window values; the "
      "pooling takes their maximum."),
     ((float(E4["v"] * np.maximum(u4, 0).mean() + E4["c"]),), "✗ that averages the four window "
      "values; the pooling takes their maximum.")],
    "compute the four pre-activations u_rs = Σ k_ab x_(r+a)(s+b) + b, apply ReLU, take the "
    "maximum, then y = v·max + c.")

# ------------------------------------------------------------------------------ chapter 5
u5, t5 = ch05.EX1["u"], ch05.EX1["t"]
y5 = np.tanh(u5)
r51 = (1 - y5 ** 2) * (y5 - t5)
add("ch05-ex1", [spec("δ^L", "give δ^L as an array of numbers", shape=(2,), decimals=3)], (r51,),
    f"✓ δ^L = (1 − tanh²(u)) ∘ (y − t) = {np.round(r51, 4).tolist()}",
    [((y5 - t5,), "✗ that is y − t; the residual is taken with respect to u, so multiply by "
      "f'(u)."),
     ((-(1 - y5 ** 2) * (y5 - t5),), "✗ the sign is flipped: ∂E/∂y = y − t for E = ½‖y − t‖²."),
     (((1 - u5 ** 2) * (y5 - t5),), "✗ f'(u) for tanh is 1 − tanh²(u), not 1 − u².")],
    "recompute entry by entry from δ^L = f'(u^L) ∘ ∂E/∂y.")

add("ch05-ex2", [spec("shape", "give the shape as a tuple like (rows, cols)", shape=(2,),
                      integer=True)], ((3, 5),),
    "✓ (3, 5): a gradient has the shape of what it differentiates; ∂E/∂W^l = δ^l (x^{l−1})ᵀ is "
    "(3×1)(1×5).",
    [(((5, 3),), "✗ that is the shape of x^{l−1}(δ^l)ᵀ, the way Bouvrie's notes print it: the "
      "transpose. Stored like W^l (outputs × inputs) it is δ^l (x^{l−1})ᵀ.")],
    "a gradient always has the shape of the parameter it differentiates, here W^l.")

W5, dn5, fp5 = ch05.EX3["W_next"], ch05.EX3["delta_next"], ch05.EX3["fprime_u"]
r53 = (W5.T @ dn5) * fp5
add("ch05-ex3", [spec("δ^l", "give δ^l as an array of numbers", shape=(3,))], (r53,),
    f"✓ δ^l = (W^{{l+1}})ᵀ δ^{{l+1}} ∘ f'(u^l) = {np.round(r53, 4).tolist()}",
    [((W5.T @ dn5,), "✗ you left out f'(u^l): the recursion multiplies by the derivative of "
      "this layer's activation."),
     ((-(W5.T @ dn5) * fp5,), "✗ the sign is off; nothing in the recursion changes sign.")],
    "recompute entry by entry from δ^l = (W^{l+1})ᵀ δ^{l+1} ∘ f'(u^l).")

# ------------------------------------------------------------------------------ chapter 6
xc6 = signal.correlate2d(ch06.EX1["x"], ch06.EX1["delta"], "valid")
add("ch06-ex1", [spec("∂E/∂k", "give ∂E/∂k as an array", shape=(2, 2))], (xc6[::-1, ::-1],),
    "✓ ∂E/∂k = rot180(x ⋆ δ): conv2 flips k, so the gradient carries the outer rot180.",
    [((xc6,), "✗ that is the cross-correlation x ⋆ δ, the gradient of a layer that computes "
      "x ⋆ k. This layer flips k (conv2), so the gradient needs the outer rot180."),
     ((xc6.T,), "✗ that is transposed; rot180 flips rows and columns, it does not transpose."),
     ((signal.convolve2d(ch06.EX1["x"], ch06.EX1["delta"], "valid"),),
      "✗ you convolved x with δ (flipping δ); the inner rot180 is there to undo conv2's flip, "
      "so that x and δ meet unflipped.")],
    "recompute entry by entry from Bouvrie's formula with both rot180s.")

E62 = ch06.EX2
up6 = np.kron(E62["delta_next"], np.ones((2, 2)))
r62 = float((E62["beta"] * E62["fprime_u"] * up6).sum())
dn6 = float(E62["delta_next"].sum())
add("ch06-ex2", [spec("∂E/∂b", "give ∂E/∂b as one number", shape=())], (r62,),
    f"✓ ∂E/∂b = Σ β (f'(u) ∘ up(δ^{{l+1}})) = {r62:g}.",
    [((E62["beta"] * dn6,), "✗ you summed δ^{l+1} (2×2) instead of δ^l = β up(δ^{l+1}) (4×4): "
      "each subsampling residual reaches 4 cells of the map."),
     ((float((E62["fprime_u"] * up6).sum()),), "✗ you left out β: the subsampling output is "
      "β·down(x) + b, so its input's residual carries a factor β."),
     ((dn6,), "✗ δ^l = β (f'(u) ∘ up(δ^{l+1})) is 4×4: both up() and β are missing.")],
    "∂E/∂b is the sum of this map's residual δ^l; build δ^l from the subsampling residual "
    "first.")

add("ch06-ex3", [spec("count", "give the count as one whole number", **COUNT)], (24 * 24,),
    "✓ (28 − 5 + 1)² = 576 products: one per output position.",
    [((25,), "✗ that is the number of kernel weights; each weight meets every output position."),
     ((28 * 28,), "✗ the output is 'valid', so smaller than the input."),
     ((23 * 23,), "✗ a 'valid' output has h − k_h + 1 rows, not h − k_h.")],
    "one weight meets one residual per output position: count the output positions.")

# ------------------------------------------------------------------------------ chapter 7
right71 = {5: "k22", 6: "k21", 8: "k12", 9: "k11"}
wrong71 = [(({5: "k11", 6: "k12", 8: "k21", 9: "k22"},), "✗ those are the labels of the kernel "
            "handed to MATLAB's conv2 (it flips k). The seed labels the kernel as applied (its "
            "example kernel is 'already rotated'), so rotate your labels by 180°.")]
labels = ["k11", "k12", "k21", "k22"]
for perm in product(labels, repeat=4):
    d = dict(zip((5, 6, 8, 9), perm))
    if d != right71 and d != wrong71[0][0][0]:
        wrong71.append(((d,), "✗ the residual numbers are right, but the kernel labels are not: "
                        "in each window that covers the node, the node sits at an offset [μ, ν] "
                        "(from 0) and meets the weight labelled k_{μ+1}{ν+1} (the seed's labels "
                        "count from 1)."))
add("ch07-ex1", [spec("pairs", "give a dict {residual number: kernel label}, with the seed's "
                      "labels 'k11' … 'k22', such as {1: 'k11', ...}, or pairs [('k11', 1), ...]",
                      kind="dict")], (right71,),
    "✓ node 11 → {k22,5; k21,6; k12,8; k11,9}", wrong71,
    "the residuals are the output nodes whose 2×2 window covers node 11; in each window the node "
    "sits at an offset [μ, ν] (from 0) and meets the weight labelled k_{μ+1}{ν+1}.")

E72 = ch07.EX2
blocks72 = E72["x"].reshape(2, 2, 2, 2).sum(axis=(1, 3))
r72 = float((E72["delta"] * blocks72).sum())
add("ch07-ex2", [spec("∂E/∂β", "give ∂E/∂β as one number", shape=())], (r72,),
    f"✓ ∂E/∂β = Σ δ ∘ down(x) = {r72:g}.",
    [((r72 / 4,), "✗ that uses the average over each block; Bouvrie's down() sums it."),
     ((float(E72["delta"].sum() * E72["x"].sum()),), "✗ each residual multiplies only its own "
      "2×2 block, not the whole map."),
     ((float(E72["delta"].sum()),), "✗ that is ∂E/∂b; for β each residual is weighted by "
      "down(x).")],
    "∂E/∂β = Σ_{m′,n′} δ[m′, n′]·down(x)[m′, n′], down summing each 2×2 block.")

r73 = sum(1 for ins in ch07.C3.values() if 0 in ins)
add("ch07-ex3", [spec("count", "give the count as one whole number", **COUNT)], (r73,),
    f"✓ {r73} C3 maps read S2 map 0 (Table I), so {r73} full convolutions add up.",
    [((1,), "✗ that is what the single-index formula in the notes suggests; S2 map 0 feeds "
      "several C3 maps and each sends its residual back."),
     ((16,), "✗ not every C3 map reads S2 map 0: look at Table I."),
     ((6,), "✗ that is the number of S2 maps; count the C3 maps (columns) that list map 0.")],
    "count the C3 maps (columns of Table I) that read S2 map 0.")

# ------------------------------------------------------------------------------ chapter 8
c8 = ch08.EX1["c"]
al8 = np.exp(c8) / np.exp(c8).sum()
g8 = ch08.EX1["dE_dalpha"]
J8 = np.diag(al8) - np.outer(al8, al8)
r81 = J8.T @ g8
add("ch08-ex1", [spec("∂E/∂c", "give ∂E/∂c as an array of numbers", shape=(3,))], (r81,),
    f"✓ ∂E/∂c = Jᵀ ∂E/∂α with J = diag(α) − ααᵀ: {np.round(r81, 4).tolist()}",
    [((g8,), "✗ that is ∂E/∂α; the softmax's Jacobian still has to be applied."),
     ((al8 * g8,), "✗ α_i ∂E/∂α_i is only the diagonal part; every α_k depends on c_i, which "
      "subtracts α_i Σ_k α_k ∂E/∂α_k."),
     ((g8 - (al8 * g8).sum(),), "✗ close: the bracket is right, but it is multiplied by α_i.")],
    "write the softmax's Jacobian ∂α_k/∂c_i and apply its transpose to ∂E/∂α.")

lam = ch08.EX1["lam"]
add("ch08-ex2", [spec("∂Ω/∂c", "give ∂Ω/∂c as an array of numbers", shape=(3,), decimals=8)],
    (np.zeros(3),),
    "✓ ∂Ω/∂c = 0: Σ|α_i| = Σ α_i = 1 for a softmax, whatever c, so the penalty has no gradient.",
    [((lam * np.sign(al8),), "✗ that is ∂Ω/∂α = λ sign(α); push it through the softmax too."),
     ((lam * al8,), "✗ that is only the diagonal term λ α_i; the other term is −α_i λ Σ_k α_k.")],
    "push ∂Ω/∂α = λ sign(α) through the softmax's Jacobian, as in exercise 1.")

# ------------------------------------------------------------------------------ chapter 9
shapes91 = [(3, 26, 26), (3, 13, 13), (10, 10, 10), (10, 5, 5)]
names91 = ["u¹ (conv, layer 1)", "x² (pool, layer 2)", "u³ (conv, layer 3)", "x⁴ (pool, layer 4)"]
parts91 = []
for idx, (n91, w91) in enumerate(zip(names91, shapes91)):
    wr = []
    for d in range(1, 33):
        for h in range(1, 33):
            g = (d, h, h)
            if g == w91:
                continue
            if n91.startswith("u³") and h == 11:
                wr.append((g, f"✗ {n91}: a 4×4 kernel on a 13×13 map: a valid convolution "
                              f"gives H − k_h + 1 rows."))
            elif n91.startswith("u") and h == w91[1] + 1:
                wr.append((g, f"✗ {n91}: a 'valid' convolution gives H − k_h + 1 rows, not "
                              f"H − k_h + 2."))
            elif d != w91[0] and h == w91[1]:
                wr.append((g, f"✗ {n91}: the number of maps is the number of filters of the "
                              f"last convolution."))
    parts91.append(part(n91, 0, w91, "✓", wr, f"recompute this shape: a valid convolution "
                        f"gives H − k_h + 1 rows, a 2×2 pool halves them.", index=idx, shape=(3,),
                        integer=True, format="give each shape as (C, H, W)"))
add("ch09-ex1", [spec("shapes", "give a list of 4 shapes (C, H, W): u¹, x², u³, x⁴",
                      shape=(4, 3), integer=True)],
    (shapes91,), "✓ shapes 3×26×26 → 3×13×13 → 10×10×10 → 10×5×5", parts=parts91)


def _maxpool_backward_loops(r, dp):
    dr = np.zeros_like(r)
    for a in range(r.shape[0] // 2):
        for b_ in range(r.shape[1] // 2):
            win = r[2 * a:2 * a + 2, 2 * b_:2 * b_ + 2]
            i, j = divmod(int(np.argmax(win)), 2)
            dr[2 * a + i, 2 * b_ + j] = dp[a, b_]
    return dr


r92 = _maxpool_backward_loops(ch09.EX2_R, ch09.EX2_DP)
add("ch09-ex2", [spec("∂E/∂x^l", "give ∂E/∂x^l as an array", shape=(4, 4))], (r92,),
    "✓ the upstream gradient goes to each window's maximum, zeros elsewhere",
    [(((r92 != 0).astype(float),), "✗ you put 1 at the winners: that is the local derivative "
      "∂x^{l+1}/∂x^l; the gradient ∂E/∂x^l at the winner is 1 · ∂E/∂x^{l+1}, the upstream value"),
     ((np.kron(ch09.EX2_DP, np.ones((2, 2))) / 4,), "✗ spreading ∂E/∂x^{l+1} evenly over the window "
      "is average-pooling's backward pass; max-pooling sends all of it to the maximum"),
     ((np.kron(ch09.EX2_DP, np.ones((2, 2))),), "✗ up(∂E/∂x^{l+1}) is only half of it: multiply "
      "by the switches S (1 at each window's maximum, 0 elsewhere)")],
    "in each 2×2 window find the largest entry of EX2_R; it receives that window's value of "
    "EX2_DP, the other three receive 0")


def _valid_xcorr(x_, k):
    H, W = x_.shape
    kh, kw = k.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x_[i:i + kh, j:j + kw] * k)
    return out


r93 = _valid_xcorr(ch09.EX3_X, ch09.EX3_DELTA)
add("ch09-ex3", [spec("∂E/∂k", "give ∂E/∂k as an array with the kernel's shape", shape=(3, 3))],
    (r93,), "✓ ∂E/∂k[μ, ν] = Σ_{m,n} x[m+μ, n+ν] · δ[m, n], the valid cross-correlation x ⋆ δ",
    [((r93[::-1, ::-1],), "✗ your answer is rotated by 180°: that is the true convolution "
      "x * δ, the form for a MATLAB-style flipped kernel; a framework's (cross-correlating) "
      "layer needs x ⋆ δ, without the flip"),
     ((_valid_xcorr(ch09.EX3_X, ch09.EX3_DELTA[::-1, ::-1]),), "✗ you flipped δ: the weight "
      "k[μ, ν] meets x[m+μ, n+ν] at output [m, n], so multiply x's window by δ as it is")],
    "slide the 2×2 δ over x; at offset [μ, ν] sum x[m+μ, n+ν]·δ[m, n]")

SH2 = dict(shape=(2,), integer=True, format="give a shape as a pair (rows, columns)")
add("ch09-ex4", [spec("W_col shape", "give a pair (rows, columns)", **SH2),
                 spec("X_col shape", "give a pair (rows, columns)", **SH2),
                 spec("Δ shape", "give a pair (rows, columns)", **SH2)],
    ((10, 48), (48, 100), (10, 100)),
    "✓ W_col 10×48 times X_col 48×100 gives 10×100 = 10 maps of 10×10; ∂E/∂W_col = Δ·X_colᵀ "
    "is 10×48, ∂E/∂X_col = W_colᵀ·Δ is 48×100",
    parts=[part("W_col", 0, (10, 48), "✓", [((10, 16), "✗ W_col: a kernel stack of layer 3 "
                                             "spans all 3 input maps: count its weights again.")],
                "one row per filter, one column per weight of a filter.", **SH2),
           part("X_col", 1, (48, 100), "✓", [
               ((100, 48), "✗ X_col has one *column* per output position and one row per "
                           "weight of a filter."),
               ((16, 100), "✗ X_col: a kernel stack of layer 3 spans all 3 input maps: count "
                           "its weights again.")],
               "one row per weight of a filter, one column per output position.", **SH2),
           part("Δ", 2, (10, 100), "✓", [((10, 25), "✗ Δ is δ³ (the residual of the convolution's "
                                          "output), not ∂E/∂x⁴ (the pooled one).")],
                "Δ has the shape of W_col · X_col.", **SH2)])

add("ch09-ex5", [spec("count", "give a whole number", **COUNT)], (250,),
    "✓ one winner per 2×2 window: 10·5·5 = 250 entries at most (fewer where the winner's "
    "u³ ≤ 0)",
    [((1000,), "✗ the switches already zero 3 of every 4 entries of δ³"),
     ((500,), "✗ the ReLU mask can zero more entries, but it cannot add nonzeros the switches "
      "removed; count the windows")],
    "count the 2×2 windows of the maps of u³: each passes one entry")

# ------------------------------------------------------------------------------ chapter 10
shapes101 = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (1, 1, 120)]
parts101 = []
for idx, (n10, w10) in enumerate(zip(["C1", "S2", "C3", "S4", "C5"], shapes101)):
    wr = [((w10[2],) + w10[:2], f"✗ {n10}: the model is channels last (Keras): (H, W, C), "
           f"channels at the end.")]
    if n10 == "C1":
        wr += [((29, 29, c), "✗ C1: a valid 5×5 convolution gives i − k + 1 rows.")
               for c in range(1, 33)]
    if n10 == "C3":
        wr += [((10, 10, c), "✗ C3 has one map per row of Table I's output side, whatever its "
                "connection table") for c in range(1, 129) if c != 16]
    parts101.append(part(n10, 0, w10, "✓", wr, "recompute this shape: (H, W, C), a valid 5×5 "
                         "convolution gives H − 4 rows, a 2×2 subsampling halves them.",
                         index=idx, shape=(3,), integer=True, format="give (H, W, C)"))
add("ch10-ex1", [spec("shapes", "give 5 shapes (H, W, C): C1, S2, C3, S4, C5", shape=(5, 3),
                      integer=True)],
    (shapes101,), "✓ 32 → 28 → 14 → 10 → 5 → 1; 6, 6, 16, 16, 120 maps", parts=parts101)

add("ch10-ex2", [spec("count", "give a whole number", **COUNT)], (1516,),
    "✓ 60 kernel slices of 5×5 (the connection table's ones) + 16 biases = 1516",
    [((2416,), "✗ that connects every S2 map to every C3 map; Table I keeps only some of the "
      "(map, map) pairs"),
     ((1500,), "✗ add the biases, one per C3 map")],
    "count the connection table's ones, multiply by the weights of one 5×5 slice, and add one "
    "bias per C3 map")

C10 = ch10.EX3_CONFUSION
acc10 = float(np.trace(C10) / C10.sum())
rec10 = np.diag(C10) / C10.sum(axis=1)
prec_mean = float(np.mean(np.diag(C10) / C10.sum(axis=0)))
add("ch10-ex3", [spec("accuracy", "give the accuracy as a number (a fraction)", shape=(),
                      decimals=2),
                 spec("worst_class", "give the class as an int", shape=(), integer=True)],
    (acc10, int(np.argmin(rec10))),
    f"✓ accuracy {acc10:.3f}; class {int(np.argmin(rec10))} has the lowest recall "
    f"({rec10.min():.2f})",
    parts=[part("accuracy", 0, acc10, "✓", [
        (prec_mean, "✗ that is the mean precision (columns); accuracy is the diagonal's sum "
                    "over the total"),
        (acc10 * 100, "✗ give the accuracy as a fraction, not a percentage")],
        "accuracy = sum of the diagonal / sum of all entries", shape=(), decimals=2),
        part("worst class", 1, int(np.argmin(rec10)), "✓", [],
             "recall of class i = C[i, i] / (sum of row i): the rows are the true classes",
             shape=(), integer=True)])

# ------------------------------------------------------------------------------ chapter 11
u11, phi = ch11.EX1_U, ch11.EX1_PHI
add("ch11-ex1", [spec("TReLU(EX1_U)", "give six numbers, one per entry of EX1_U", shape=(6,))],
    (np.where(u11 < phi, 0.0, (u11 - phi) / (1 - phi)),),
    "✓ TReLU maps [φ, 1] = [0.5, 1] onto [0, 1]: 0.6 → 0.1/0.5 = 0.2, 0.9 → 0.8, 1 → 1; "
    "everything below φ (including the weak positive 0.2) becomes 0.",
    [((np.where(u11 < phi, 0.0, u11 - phi),), "✗ you shifted by φ but did not divide by 1 − φ: "
      "TReLU rescales so that a perfect correlation 1 still gives 1."),
     ((np.where(u11 < phi, 0.0, u11),), "✗ you cut below φ but kept u as it is above φ; TReLU "
      "also shifts, (u − φ)/(1 − φ), so the output is continuous at u = φ."),
     ((np.maximum(u11, 0),), "✗ that is the plain ReLU (φ = 0); with φ = 0.5 the weak "
      "correlations are discarded too, and the rest rescaled by 1/(1 − φ).")],
    "output 0 where u < φ, (u − φ)/(1 − φ) where u ≥ φ, entry by entry.")

Z, F0, F1 = ch11.EX2_Z, ch11.EX2_F0, ch11.EX2_F1
r112 = F0 + F1 - Z
add("ch11-ex2", [spec("F(1 − x)", "give ten logits", shape=(10,))], (r112,),
    f"✓ F is affine, F(x) = Ax + c, so F(1 − x) = A·1 + c − Ax = F(1) + F(0) − F(x). The digit "
    f"is read as {int(np.argmax(Z))}, its negative as {int(np.argmax(r112))}: the network's "
    f"verdict on the negative is fixed by its verdict on the digit.",
    [((-Z,), "✗ −F(x) would hold for a *linear* map without biases and for the negative −x; the "
      "inversion is 1 − x and the network has biases: use F(0) and F(1)."),
     ((F1 - Z,), "✗ close: write A·1 with F(1) and c = F(0); you dropped the bias c."),
     ((F1 - F0 - Z,), "✗ sign slip on the bias: expand (F(1) − c) − (F(x) − c) + c with "
      "c = F(0).")],
    "write F(x) = Ax + c with c = F(0) and A·1 = F(1) − F(0), then expand F(1 − x).")

add("ch11-ex3", [spec("rf", "give the receptive field as a number", shape=(), integer=True),
                 spec("kernel", "give the kernel side as a number", shape=(), integer=True)],
    (16, 14),
    "✓ r grows by (k − 1)·jump at each layer: 5 → 6 (S2, jump 1) → 14 (C3, 4·2) → 16 (S4, 1·2); "
    "the single layer: k → k + (2 − 1)·2 = k + 2 = 16, so k = 14 — one 14×14 filter must hold "
    "a whole digit part as one anchor, where the cascade combines small ones.",
    parts=[part("rf", 0, 16, "✓", [
        (14, "✗ rf: that is C3's receptive field; S4 pools 2×2 of C3 units, which are more than "
             "one pixel apart."),
        (11, "✗ rf: that forgets the jumps: C3's 5×5 window steps over S2 units that are 2 input "
             "pixels apart.")],
        "use r_out = r_in + (k − 1)·j_in and j_out = j_in·s, starting from r = 1, j = 1.",
        shape=(), integer=True),
        part("kernel", 1, 14, "✓", [
            (15, "✗ kernel: the pooled units are 2 pixels apart (the convolution has stride 2), "
                 "so 2×2 pooling adds (2 − 1)·2 to the receptive field, not 1."),
            (16, "✗ kernel: the pooling adds to the receptive field too.")],
            "your receptive field is right; now write the receptive field of k×k stride 2 "
            "followed by 2×2 pooling and solve for k.", shape=(), integer=True)])

K4 = ch11.EX4_K
add("ch11-ex4", [spec("class", "give one class label 0–9", shape=(), integer=True)],
    (int(np.argmax(K4)),),
    f"✓ both right needs F_c(x) − F_j(x) > 0 and K_c − K_j > F_c(x) − F_j(x) for all j ≠ c, so "
    f"K_c > K_j for every j: only c = argmax K = {int(np.argmax(K4))}. For the nine other "
    f"classes, at least one of the two polarities is misread, however the network is trained.",
    [((int(np.argmin(K4)),), "✗ that is argmin K. Write both conditions for class c and add "
      "them.")],
    "write 'x read as c' and '1 − x read as c' with F(1 − x) = K − F(x), for every j ≠ c, and "
    "add the two inequalities.")


# ------------------------------------------------------------------------------ writing
def _canon_args(ex, specs, args):
    return "||".join(_vault.canonical(a, s) for a, s in zip(args, specs))


def _near_boundary(args, specs):
    for a, s in zip(args, specs):
        if s.get("kind") == "dict":
            continue
        d = int(s.get("decimals", 4))
        v = np.asarray(a, dtype=float).ravel() * 10 ** d
        frac = np.abs(v - np.floor(v) - 0.5)
        if np.any(frac < 1e-4):
            return True
    return False


def build() -> dict:
    out = {}
    for ex, e in EXERCISES.items():
        specs = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in s.items()}
                 for s in e["specs"]]
        table = {}
        entries = [(e["right"], e["ok"])] + e["wrong"]
        for args, msg in entries:
            assert not _near_boundary(args, e["specs"]), (ex, args)
            c = _canon_args(ex, e["specs"], args)
            h = _vault.digest(ex, "all", c)
            if h in table:            # a wrong answer equal to the right one (or listed twice)
                continue
            table[h] = _vault.seal(msg, ex, "all", c)
        parts = []
        for p in e["parts"]:
            pt = {}
            for value, msg in [(p["right"], "✓ " + p["name"])] + p["wrong"]:
                c = _vault.canonical(value, p)
                h = _vault.digest(ex, p["name"], c)
                if h not in pt:
                    pt[h] = _vault.seal(msg, ex, p["name"], c)
            pp = {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.items()
                  if k not in ("right", "ok", "wrong")}
            pp["table"] = pt
            parts.append(pp)
        out[ex] = {"specs": specs, "table": table, "parts": parts,
                   "hint": e["hint"] or "not yet."}
    return out


def render() -> str:
    """A Python module (so it ships with the package without package-data settings)."""
    text = json.dumps(build(), sort_keys=True, ensure_ascii=False)
    return ('"""Sealed answer key of the self-checks, written by tools/answer_key.py: do not '
            'edit."""\nimport json\n\nKEYS = json.loads(' + repr(text) + ')\n')


def right_answers() -> dict:
    """Teacher use (and tests): exercise id → the arguments of a right answer."""
    return {ex: e["right"] for ex, e in EXERCISES.items()}


def main(argv) -> int:
    text = render()
    if "--check" in argv:
        if not KEYS.exists() or KEYS.read_text(encoding="utf-8") != text:
            print(f"answer_key: {KEYS.relative_to(ROOT)} is out of date; run "
                  f"python tools/answer_key.py", file=sys.stderr)
            return 1
        return 0
    KEYS.write_text(text, encoding="utf-8")
    print(f"answer_key: {len(EXERCISES)} exercises -> {KEYS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
