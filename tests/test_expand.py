"""Tests for cnnlab.expand: SymPy networks against NumPy/SciPy, closed forms against SymPy."""
import itertools

import numpy as np
import pytest
import sympy as sp
from scipy.signal import correlate2d

from cnnlab.expand import (count_leaves, evaluate, count_terms, dense_spec, expanded_terms, growth_table,
                           lambdify_network, nested_leaves, parameter_count, spec_from_model,
                           symbolic_cnn, symbolic_dense)


def test_symbolic_dense_matches_numpy_forward():
    rng = np.random.default_rng(0)
    widths = [3, 4, 2, 2]
    net = symbolic_dense(widths, activation="relu")
    values, Ws, bs = {}, [], []
    for W, b in zip(net["weights"], net["biases"]):
        Wn = rng.normal(size=W.shape)
        bn = rng.normal(size=len(b))
        values.update({W[j, i]: Wn[j, i] for j in range(W.rows) for i in range(W.cols)})
        values.update(dict(zip(b, bn)))
        Ws.append(Wn)
        bs.append(bn)
    x = rng.normal(size=3)
    values.update(dict(zip(net["inputs"], x)))
    h = x
    for l, (Wn, bn) in enumerate(zip(Ws, bs)):
        h = Wn @ h + bn
        if l < len(Ws) - 1:
            h = np.maximum(h, 0)
    got = [evaluate(o, values) for o in net["outputs"]]
    np.testing.assert_allclose(got, h, rtol=1e-12)


@pytest.mark.parametrize("activation,pooling", [("relu", "max"), ("linear", "avg")])
def test_symbolic_cnn_matches_scipy(activation, pooling):
    rng = np.random.default_rng(1)
    net = symbolic_cnn(4, 2, 3, activation=activation, pooling=pooling)
    x = rng.normal(size=(4, 4))
    k = rng.normal(size=(2, 2))
    b, v, c = 0.3, rng.normal(size=(1, 1)), -0.2
    u = correlate2d(x, k, mode="valid") + b            # 3x3
    a = np.maximum(u, 0) if activation == "relu" else u
    pooled = a.max() if pooling == "max" else a.mean()
    expected = v[0, 0] * pooled + c
    f = lambdify_network(net["output"], list(net["x"]) + net["params"])
    got = f(*x.ravel(), *k.ravel(), b, *v.ravel(), c)
    assert got == pytest.approx(expected, rel=1e-12)


def test_symbolic_cnn_drops_leftover_rows_like_keras():
    net = symbolic_cnn(4, 2, 2)          # conv 3x3, pool 2 -> 1x1 (last row/col dropped)
    assert net["v"].shape == (1, 1)
    used = net["output"].free_symbols    # 0-based names (the book's notation) by default
    assert sp.Symbol("x_{3,3}") not in used and sp.Symbol("x_{2,2}") in used
    old = symbolic_cnn(4, 2, 2, first_index=1)["output"].free_symbols
    assert sp.Symbol("x_{4,4}") not in old and sp.Symbol("x_{3,3}") in old


def test_names_start_at_first_index():
    zero = {str(s) for s in symbolic_dense([2, 1], None)["outputs"][0].free_symbols}
    one = {str(s) for s in symbolic_dense([2, 1], None, first_index=1)["outputs"][0].free_symbols}
    assert zero == {"x_{0}", "x_{1}", "W^{(1)}_{0,0}", "W^{(1)}_{0,1}", "b^{(1)}_{0}"}
    assert one == {"x_{1}", "x_{2}", "w^{(1)}_{1,1}", "w^{(1)}_{1,2}", "b^{(1)}_{1}"}


def test_linear_tiny_cnn_expansion_is_hand_counted():
    # 3x3 input, 2x2 kernel, avg pool 2 -> y = v/4 * sum over the 4 windows + v*b + c.
    # Distinct monomials: v*k_ab*x_ij for each (a,b) and each window position: 4*4 = 16,
    # plus v*b (the 4 bias copies merge) and c: 18.
    net = symbolic_cnn(3, 2, 2, activation="linear", pooling="avg")
    assert count_terms(net["output"]) == 18
    poly = sp.Poly(sp.expand(net["output"]), *list(net["x"]))
    # the centre pixel x_11 (0-based) is seen by all four kernel entries (one per window)
    coeff = poly.coeff_monomial(sp.Symbol("x_{1,1}"))
    assert sp.simplify(coeff - net["v"][0, 0] * sum(net["k"]) / 4) == 0


@pytest.mark.parametrize("widths", [[1, 1], [2, 3, 1], [3, 2, 2, 1], [2, 2, 3, 2, 1]])
def test_nested_leaves_closed_form_equals_sympy(widths):
    out = symbolic_dense(widths, activation="f")["outputs"][0]
    assert count_leaves(out) == nested_leaves(dense_spec(widths))


@pytest.mark.parametrize("widths", [[1, 1], [2, 3, 1], [3, 2, 2, 1], [2, 2, 3, 2, 1]])
def test_expanded_terms_closed_form_equals_sympy(widths):
    out = symbolic_dense(widths, activation=None)["outputs"][0]
    assert count_terms(out) == expanded_terms(dense_spec(widths))


def test_expanded_terms_is_number_of_paths():
    # independent count: enumerate every path explicitly. A path starts at an input (layer 0)
    # or at a bias of layer l (sitting on one unit of layer l) and visits one unit per layer
    # above it up to the single output.
    widths = [2, 3, 2, 1]
    L = len(widths) - 1
    paths = 0
    for start in range(L + 1):
        layers = [range(widths[start])] + [range(widths[l]) for l in range(start + 1, L + 1)]
        paths += sum(1 for _ in itertools.product(*layers))
    assert paths == 2 * 3 * 2 + 3 * 2 + 2 + 1
    assert expanded_terms(dense_spec(widths)) == paths


def test_nested_leaves_of_tiny_cnn_with_pool_spec():
    net = symbolic_cnn(4, 2, 3, activation="f", pooling="max")
    assert count_leaves(net["output"]) == nested_leaves([("affine", 4), ("pool", 9), ("affine", 1)])


def test_softmax_rule_and_counts_by_hand():
    assert nested_leaves([("affine", 2)]) == 2 * 2 + 1
    assert nested_leaves([("affine", 2), ("softmax", 3)]) == 4 * 5
    with pytest.raises(ValueError, match="softmax"):
        expanded_terms([("affine", 2), ("softmax", 3)])


def test_parameter_count_and_growth_table():
    assert parameter_count([2, 3, 3, 1]) == 9 + 12 + 4
    rows = growth_table([0, 1, 2], width=3, n_inputs=2)
    assert [r["widths"] for r in rows] == [[2, 1], [2, 3, 1], [2, 3, 3, 1]]
    assert [r["parameters"] for r in rows] == [3, 13, 25]
    assert [r["expanded_terms"] for r in rows] == [3, 2 * 3 + 3 + 1, 31]
    # nested size grows geometrically (ratio -> width + 1 ... at least width), params linearly
    big = growth_table(range(2, 8), width=10, n_inputs=10)
    ratios = [b["nested_leaves"] / a["nested_leaves"] for a, b in zip(big, big[1:])]
    assert all(r > 10 for r in ratios)
    assert all(b["parameters"] - a["parameters"] == 110 for a, b in zip(big, big[1:]))


def test_spec_from_q1_model():
    from seeds import q1_model

    model = q1_model()
    spec = spec_from_model(model)
    assert spec == [("affine", 27), ("pool", 4), ("affine", 288), ("pool", 4), ("affine", 32),
                    ("softmax", 10)]
    # by hand: 27*2+1 = 55; *4 = 220; 288*221+1 = 63649; *4 = 254596; 32*254597+1 = 8147105
    assert nested_leaves(spec[:-1]) == 8147105
    assert nested_leaves(spec) == 11 * 8147105


@pytest.mark.parametrize("bad", [[3], [3, 0], "abc", [2, 1.5]])
def test_bad_widths(bad):
    with pytest.raises(ValueError, match="widths"):
        symbolic_dense(bad)


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        symbolic_dense([2, 1], activation="gelu")
    with pytest.raises(ValueError, match="kernel_size"):
        symbolic_cnn(2, 3)
    with pytest.raises(ValueError, match="pool_size"):
        symbolic_cnn(3, 2, 3)
    with pytest.raises(ValueError, match="pooling"):
        symbolic_cnn(3, 2, 2, pooling="min")
    with pytest.raises(ValueError, match="spec"):
        nested_leaves([("conv", 3)])
    with pytest.raises(TypeError, match="expr"):
        count_leaves(3)
    with pytest.raises(TypeError, match="model"):
        spec_from_model(object())


def test_evaluate_needs_every_symbol():
    net = symbolic_dense([2, 1], activation=None)
    x1, x2 = net["inputs"]
    W, b = net["weights"][0], net["biases"][0][0]
    values = {x1: 1.0, x2: 2.0, W[0, 0]: 3.0, W[0, 1]: -1.0, b: 0.5}
    assert evaluate(net["outputs"][0], values) == 3.0 - 2.0 + 0.5
    del values[b]
    with pytest.raises(ValueError, match="values"):
        evaluate(net["outputs"][0], values)
    with pytest.raises(TypeError, match="values"):
        evaluate(net["outputs"][0], [1, 2])


def test_subsampling_rule_matches_sympy():
    # LeNet subsampling of a 2x2 block of f-units: y = beta * (h1 + h2 + h3 + h4) + b,
    # each h = f(k*x + c): S = 1*(1+1)+1 = 3 per unit, then 4*3 + 2 = 14 leaves.
    xs = sp.symbols("x1:5")
    f = sp.Function("f")
    k, c, beta, b = sp.symbols("k c beta b")
    y = beta * sum(f(k * xi + c) for xi in xs) + b
    assert count_leaves(y) == nested_leaves([("affine", 1), ("subsample", 4)]) == 14


def test_spec_from_lenet5():
    from cnnlab.models import lenet5

    spec = spec_from_model(lenet5())
    assert spec[:2] == [("affine", 25), ("subsample", 4)]
    assert ("affine", 120) in spec
