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


SMALL_GRID = {2: {"filt": (0, 4), "entry": ((0, 0, 0), (1, 2, 3))},
              1: {"filt": (2,), "entry": ((0, 1, 1),)}}


@pytest.fixture(scope="module")
def small_panel():
    return cs.panel(cs.ChainStepper(seed=0, digit=3), grid=SMALL_GRID)


def _drawn(layer, filt, c, p, q, step):
    """What the live drawing shows for these control values: (PNG, the array on its axes)."""
    from matplotlib.figure import Figure

    from cnnlab.widgets import _frames
    st = cs.ChainStepper(seed=0, digit=3).set(layer=layer, filt=filt, chan=c, p=p, q=q, step=step)
    fig = cs.draw_frame(st, Figure(figsize=cs.FIGSIZE))
    return _frames.png(fig, dpi=80), np.asarray(fig.axes[0].images[0].get_array())


def test_panel_frame_is_the_live_drawing(small_panel, stepper):
    from cnnlab.widgets import _frames
    box = small_panel
    assert len(box.frames) == 2 * 2 * 4 + 1 * 1 * 5
    box.select(layer=2)
    box.select(filt=4, entry=(1, 2, 3), step=2)
    assert box.current_values() == {"layer": "layer 2 (W²)", "filt": "4", "entry": "c=1, p=2, q=3",
                                    "step": "3"}
    png, shown = _drawn(2, 4, 1, 2, 3, 2)
    assert _frames.png_of_frame(box.current()) == png
    np.testing.assert_allclose(shown, stepper.grads.delta2[4])         # step 3: δ² of map 4
    box.select(step=3)
    png, shown = _drawn(2, 4, 1, 2, 3, 3)
    assert _frames.png_of_frame(box.current()) == png
    ref = loop_weight_grad(stepper.trace.p1, stepper.grads.delta2, 4, 1, 2, 3)
    assert abs(shown.sum() - ref) < 1e-12
    assert f"∂E/∂W = {ref:.5f}" in box.current().value
    box.select(layer=1)
    box.select(step=3)
    png, shown = _drawn(1, 2, 0, 1, 1, 3)
    assert _frames.png_of_frame(box.current()) == png
    np.testing.assert_allclose(shown, stepper.grads.delta1[2])         # step 4: δ¹ of map 2
    assert "W1[2,0,1,1]" in box.current().value


def test_every_control_changes_the_frame(small_panel):
    from cnnlab.widgets import _frames
    box = small_panel
    box.select(layer=2)
    box.select(filt=0, entry=(0, 0, 0), step=3)       # the products: they depend on everything
    seen = [_frames.png_of_frame(box.current())]
    for move in ({"filt": 4}, {"entry": (1, 2, 3)}, {"step": 0}):
        box.select(**move)
        seen.append(_frames.png_of_frame(box.current()))
    box.select(layer=1)
    seen.append(_frames.png_of_frame(box.current()))
    assert len(set(seen)) == len(seen)
    # the layer's steps: 4 for layer 2, 5 for layer 1 (the walk goes through the full convolution)
    assert len(box.local_choices()[-1].values) == 5


def test_panel_grid_checked(stepper):
    with pytest.raises(ValueError, match="outside the layer's kernels"):
        cs.panel(stepper, grid={2: {"filt": (10,), "entry": ((0, 0, 0),)}})
    with pytest.raises(ValueError, match="grid"):
        cs.panel(stepper, grid={3: {}})


def test_default_panel_every_step_within_budget():
    """The panel ch09 stores (what the website shows; nbval re-runs the cell that draws it):
    every step of the default grid, within the 2 MB budget of a chapter's widget state."""
    from stored_widgets import stored_panel
    stored = stored_panel("09_maxpool_relu_chain.ipynb", "from cnnlab.widgets import chain_stepper\nchain_stepper.panel()")
    assert stored.frames == 10 * 3 * 4 + 3 * 3 * 5
    assert stored.bytes < 2_000_000


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
