"""Widget: one residual of chapter 5's recursion, δ^l_a = f'(u^l_a) Σ_c W^{l+1}_{ca} δ^{l+1}_c.

The numbers the widget shows are checked against references that do not use its code: a forward
pass written here, centred finite differences of E with respect to the pre-activation u^l_a, and
PyTorch autograd when it is installed.
"""
import re

import numpy as np
import pytest

from cnnlab.gradcheck import numerical_gradient
from cnnlab.widgets import backprop_recursion as br

F = {"tanh": np.tanh, "sigmoid": lambda u: 1.0 / (1.0 + np.exp(-u))}


def loss_from_u(st, layer, u):
    """E as a function of the pre-activation u^layer, the rest of the network run forwards here."""
    f = F[st.activation]
    h = f(u)
    for W, b in zip(st.weights[layer:], st.biases[layer:]):
        h = f(W @ h + b)
    return 0.5 * np.sum((h - st.t) ** 2)


def forward_us(st):
    f = F[st.activation]
    h, us = st.x, []
    for W, b in zip(st.weights, st.biases):
        us.append(W @ h + b)
        h = f(us[-1])
    return us


def last_number(line):
    return float(re.findall(r"-?\d+(?:\.\d+)?", line)[-1])


def test_default_is_the_chapter_picture():
    st = br.BackpropRecursion()
    assert st.sizes == (3, 4, 3, 2) and st.L == 3
    assert (st.layer, st.unit) == (1, 2)               # the unit u^1_2 highlighted in the text
    assert [w.shape for w in st.weights] == [(4, 3), (3, 4), (2, 3)]   # outputs x inputs


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("seed", [0, 7])
def test_every_residual_equals_finite_differences(activation, seed):
    st = br.BackpropRecursion(seed=seed, activation=activation)
    us = forward_us(st)
    for l in range(1, st.L + 1):
        np.testing.assert_allclose(st.us[l - 1], us[l - 1], rtol=0, atol=1e-12)
        num = numerical_gradient(lambda u: loss_from_u(st, l, u), us[l - 1].copy())
        for a in range(1, st.sizes[l] + 1):
            st.select(l, a)
            assert st.residual() == pytest.approx(num[a - 1], abs=1e-8)
            # the printed result (the line before "with u = ...") is that number, 4 decimals
            assert last_number(st.formula_lines()[-2]) == pytest.approx(
                round(num[a - 1], 4), abs=1e-12)


def test_terms_are_column_a_of_the_next_weights_and_the_next_residuals():
    st = br.BackpropRecursion(layer=1, unit=2)
    us = forward_us(st)
    d2 = numerical_gradient(lambda u: loss_from_u(st, 2, u), us[1].copy())
    terms = st.terms()
    assert [t["c"] for t in terms] == [1, 2, 3]
    # W^2_{c2}: row c, column 2 of W^2 (stored outputs x inputs), i.e. (W^2)^T row 2
    np.testing.assert_array_equal([t["w"] for t in terms], st.weights[1][:, 1])
    np.testing.assert_allclose([t["delta"] for t in terms], d2, atol=1e-8)
    fprime = 1 - np.tanh(us[0][1]) ** 2
    assert st.slope() == pytest.approx(fprime, abs=1e-14)
    assert st.backsum() * st.slope() == pytest.approx(st.residual(), abs=1e-14)


def test_formula_text_for_the_default_unit():
    st = br.BackpropRecursion()
    lines = st.formula_lines()
    assert lines[0] == "δ^1_2 = f'(u^1_2) · Σ_c W^2_{c2} δ^2_c"
    W = st.weights[1][:, 1]
    shown = [float(v) for v in re.findall(r"\(?(-?\d+(?:\.\d+)?)\)?·", lines[1])]
    np.testing.assert_allclose(shown, W)               # the weights are printed exactly
    assert lines[2].endswith(f"= {round(st.residual(), 4)}")
    assert lines[3].startswith("with u^1_2 = ")
    assert br.BackpropRecursion().formula() == st.formula()   # seeded: same text every time


def test_hand_worked_two_unit_chain():
    # x = 1, u^1 = 0·1 + 0 = 0 (f' = 1), u^2 = 2·tanh(0) = 0, y = 0, t = 1:
    # δ^2 = 1·(0 - 1) = -1, δ^1 = 1·(2·(-1)) = -2
    st = br.BackpropRecursion(sizes=(1, 1, 1), weights=[[[0.0]], [[2.0]]], biases=[[0.0], [0.0]],
                              x=[1.0], t=[1.0], layer=1, unit=1)
    assert st.residual() == -2.0 and st.residual(2, 1) == -1.0
    assert st.formula_lines()[1:3] == ["= 1 · (2·(-1))", "= 1 · (-2) = -2"]
    st.select(2, 1)
    assert st.formula_lines()[1] == "= 1 · (0 - 1) = 1 · (-1) = -1"


def test_weight_gradients_against_finite_differences():
    st = br.BackpropRecursion(layer=2, unit=3, show_weight_grad=True)

    def E(W2):
        ws = [st.weights[0], W2, st.weights[2]]
        h = st.x
        for W, b in zip(ws, st.biases):
            h = np.tanh(W @ h + b)
        return 0.5 * np.sum((h - st.t) ** 2)

    num = numerical_gradient(E, st.weights[1].copy())
    np.testing.assert_allclose([g["grad"] for g in st.weight_grads()], num[2], atol=1e-8)
    text = st.formula()
    assert "∂E/∂W^2_{31}" in text and "∂E/∂W^2_{34}" in text
    st.set_show_weight_grad(False)
    assert "∂E/∂W" not in st.formula()


def test_residuals_match_torch_autograd():
    torch = pytest.importorskip("torch")
    st = br.BackpropRecursion(seed=3)
    h = torch.tensor(st.x)
    us = []
    for W, b in zip(st.weights, st.biases):
        u = torch.tensor(W, requires_grad=True) @ h + torch.tensor(b)
        u.retain_grad()
        us.append(u)
        h = torch.tanh(u)
    (0.5 * ((h - torch.tensor(st.t)) ** 2).sum()).backward()
    for l, u in enumerate(us, start=1):
        for a in range(1, st.sizes[l] + 1):
            st.select(l, a)
            assert st.residual() == pytest.approx(u.grad[a - 1].item(), abs=1e-12)


def test_panel_frames_follow_the_controls():
    pytest.importorskip("ipywidgets")
    from cnnlab.widgets import _frames
    box = br.panel()
    assert len(box.frames) == 2 * (4 + 3 + 2)
    st = br.BackpropRecursion()
    text0 = box.current().value
    assert "<sup>1</sup><sub>2</sub>" in text0 and f"= {round(st.residual(1, 2), 4)}" in text0
    box.select(unit=4)
    assert f"= {round(st.residual(1, 4), 4)}" in box.current().value
    # the output layer has 2 units: its unit slider has 2 positions
    box.select(layer=3)
    assert box.local_choices()[0].values == [1, 2]
    assert "starts here" in box.current().value
    box.select(layer=2)
    box.select(unit=2)
    assert "∂" not in box.current().value.split('cnnlab-caption">')[1]   # no dE/dW yet
    box.select(weight_grad=True)
    assert "∂<i>E</i>/∂<i>W</i>" in box.current().value
    st.select(2, 2)
    st.set_show_weight_grad(True)
    assert _frames.png_of_frame(box.current()) == br.frame(st)[0]


def test_static_twin():
    fig = br.static_backprop_recursion()
    assert len(fig.axes) == 4                          # (network, arithmetic) twice
    st = br.BackpropRecursion()
    first = fig.axes[1].texts[0].get_text()
    second = fig.axes[3].texts[0].get_text()
    assert first.splitlines()[2].endswith(f"= {round(st.residual(2, 1), 4)}")
    assert second.splitlines()[2].endswith(f"= {round(st.residual(1, 2), 4)}")
    labels = [t.get_text() for t in fig.axes[2].texts]
    assert "W=-0.2" in labels and f"δ={round(st.residual(1, 2), 4)}" in labels


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"layer must lie in 1..3"):
        br.BackpropRecursion(layer=0)
    with pytest.raises(ValueError, match=r"unit must lie in 1..2 for layer 3"):
        br.BackpropRecursion(layer=3, unit=3)
    with pytest.raises(TypeError, match="layer must be an int"):
        br.BackpropRecursion(layer="1")
    with pytest.raises(TypeError, match="unit must be an int"):
        br.BackpropRecursion(unit=1.0)
    with pytest.raises(ValueError, match="sizes must list at least two layers"):
        br.BackpropRecursion(sizes=(3,))
    with pytest.raises(TypeError, match="sizes must be a tuple of ints"):
        br.BackpropRecursion(sizes=(3, 2.5))
    with pytest.raises(ValueError, match="activation must be one of"):
        br.BackpropRecursion(activation="relu")
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(3, 4\)"):
        br.BackpropRecursion(weights=[np.zeros((4, 3)), np.zeros((4, 3)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"t must have shape \(2,\)"):
        br.BackpropRecursion(t=[0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="show_weight_grad must be True or False"):
        br.BackpropRecursion(show_weight_grad="yes")
    with pytest.raises(ValueError, match="fmt must be one of"):
        br.BackpropRecursion().formula("latex")
