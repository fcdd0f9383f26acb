"""Tests for the chain stepper widget: moving a control changes the picture correctly.

The expected pictures are computed here independently: PyTorch autograd when installed,
otherwise plain-loop formulas written in this file.
"""
import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pytest.importorskip("ipywidgets")

from cnnlab.widgets import chain_stepper as cs  # noqa: E402


@pytest.fixture(scope="module")
def stepper():
    return cs.ChainStepper(seed=0, digit=3)


def loop_weight_grad(inp, delta, f, c, p, q):
    Ho, Wo = delta.shape[1:]
    return sum(inp[c, i + p, j + q] * delta[f, i, j] for i in range(Ho) for j in range(Wo))


def test_state_steps_and_clipping(stepper):
    st = stepper
    st.set(layer=2, filt=99, chan=-3, p=7, q=1, step=10)
    assert (st.filt, st.chan, st.p, st.q, st.step) == (9, 0, 3, 1, 3)
    st.set(layer=1)
    assert (st.filt, st.chan, st.p, st.q) == (2, 0, 2, 1)
    assert len(st.steps()) == 5
    with pytest.raises(ValueError, match="layer"):
        st.set(layer=3)
    with pytest.raises(ValueError, match="control"):
        st.set(colour=1)


def test_last_step_sums_to_gradient_by_loops(stepper):
    st = stepper
    tr, g = st.trace, st.grads
    st.set(layer=2, filt=6, chan=1, p=2, q=3, step=3)
    ref = loop_weight_grad(tr.p1, g.delta2, 6, 1, 2, 3)
    assert abs(st.current().data.sum() - ref) < 1e-12
    assert abs(st.current().value - ref) < 1e-12
    st.set(layer=1, filt=1, chan=0, p=0, q=2, step=4)
    ref1 = loop_weight_grad(tr.x, g.delta1, 1, 0, 0, 2)
    assert abs(st.current().data.sum() - ref1) < 1e-12


def test_switch_step_routes_upstream_values(stepper):
    st = stepper.set(layer=2, filt=4, step=1)
    cur = st.current()
    dp2 = st.grads.dp2[4]
    # every window of the picture holds exactly one nonzero candidate: the upstream value
    for a in range(5):
        for b in range(5):
            win = cur.data[2 * a:2 * a + 2, 2 * b:2 * b + 2]
            marks = cur.marks[2 * a:2 * a + 2, 2 * b:2 * b + 2]
            assert marks.sum() == 1
            assert win[marks][0] == dp2[a, b]
            assert np.all(win[~marks] == 0)


def test_against_torch(stepper):
    torch = pytest.importorskip("torch")
    st = stepper
    P = {k: torch.tensor(v, requires_grad=True) for k, v in st.net.params.items()}
    F = torch.nn.functional
    u2_holder = {}
    h = F.max_pool2d(F.relu(F.conv2d(torch.tensor(st.x[None]), P["W1"], P["b1"])), 2)
    u2 = F.conv2d(h, P["W2"], P["b2"])
    u2.retain_grad()
    u2_holder["u2"] = u2
    out = F.max_pool2d(F.relu(u2), 2)
    (0.5 * ((out[0] - torch.tensor(st.target)) ** 2).sum()).backward()
    st.set(layer=2, filt=3, chan=2, p=1, q=0, step=2)
    np.testing.assert_allclose(st.current().data, u2.grad.numpy()[0, 3], atol=1e-12)
    st.set(step=3)
    assert abs(st.current().value - P["W2"].grad.numpy()[3, 2, 1, 0]) < 1e-10
    st.set(layer=1, filt=2, chan=0, p=2, q=1, step=4)
    assert abs(st.gradient() - P["W1"].grad.numpy()[2, 0, 2, 1]) < 1e-10


def test_panel_slider_moves_picture():
    box = cs.panel(cs.ChainStepper(seed=0, digit=3))
    st, ctl = box.stepper, box.controls
    png0 = box.image.value
    assert png0[:4] == b"\x89PNG"
    ctl["step"].value = 2
    assert st.step == 2
    assert box.image.value != png0
    shown = box.figure.axes[0].images[0].get_array()
    np.testing.assert_allclose(np.asarray(shown), st.grads.delta2[0])
    # move the layer: slider ranges follow, picture is layer 1's
    ctl["layer"].value = 1
    assert ctl["step"].max == 4 and ctl["filt"].max == 2 and ctl["chan"].max == 0
    ctl["step"].value = 3
    shown = np.asarray(box.figure.axes[0].images[0].get_array())
    np.testing.assert_allclose(shown, st.grads.delta1[0])
    ctl["filt"].value = 2
    shown = np.asarray(box.figure.axes[0].images[0].get_array())
    np.testing.assert_allclose(shown, st.grads.delta1[2])


def test_static_twin_has_both_rows():
    import matplotlib.pyplot as plt
    fig = cs.static_chain_stepper()
    imgs = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(imgs) == 4 + 5
    st = cs.ChainStepper()
    np.testing.assert_allclose(np.asarray(imgs[2].get_array()), st.grads.delta2[0])
    plt.close(fig)


def test_mosaic():
    m = cs.mosaic(np.arange(12.).reshape(3, 2, 2), ncols=2)
    assert m.shape == (5, 5)
    assert m[0, 0] == 0 and m[0, 3] == 4 and m[3, 0] == 8 and np.isnan(m[2, 2])


def test_panel_redraws_once_per_move(monkeypatch):
    box = cs.panel(cs.ChainStepper(seed=0, digit=3))
    count = []
    box.image.observe(lambda ch: count.append(1), names="value")
    box.controls["layer"].value = 1   # clips filt/p/q/step ranges: still one picture
    assert len(count) == 1
    box.controls["step"].value = 4   # the products, which depend on (p, q)
    assert len(count) == 2
    box.controls["p"].value = 2
    assert len(count) == 3 and box.stepper.p == 2
