"""Widget: the (input, residual) pairs behind one kernel weight's gradient."""
import numpy as np
import pytest
from scipy import signal

from cnnlab.gradcheck import numerical_gradient
from cnnlab.widgets import kernel_grad_pairs as kg


def test_default_sizes_and_pairs_count():
    st = kg.KernelGradPairs()
    assert st.kernel_shape == (2, 2)              # the seed's 4x4 input, 3x3 residual
    assert len(st.pairs()) == 9
    assert st.used_mask().sum() == 9


@pytest.mark.parametrize("convention", ["matlab", "xcorr"])
def test_gradient_matches_scipy_and_finite_differences(convention):
    rng = np.random.default_rng(0)
    x, d = rng.normal(size=(5, 6)), rng.normal(size=(3, 4))
    st = kg.KernelGradPairs(x, d, convention)
    ref = signal.correlate2d(x, d, "valid")      # the cross-correlation gradient
    if convention == "matlab":
        ref = ref[::-1, ::-1]
        layer = lambda k: signal.convolve2d(x, k, "valid")
    else:
        layer = lambda k: signal.correlate2d(x, k, "valid")
    np.testing.assert_allclose(st.gradient_all(), ref, atol=1e-12)
    num = numerical_gradient(lambda k: np.sum(d * layer(k)), np.zeros(st.kernel_shape))
    np.testing.assert_allclose(st.gradient_all(), num, atol=1e-7)


def test_matlab_k11_meets_bottom_right_block():
    st = kg.KernelGradPairs(convention="matlab", p=1, q=1)
    m = st.used_mask()
    assert m[1:, 1:].all() and m.sum() == 9
    st.set_convention("xcorr")
    assert st.used_mask()[:3, :3].all()
    # first pair by hand: residual (1,1) meets x[2,2] = 6 under conv2, x[1,1] = 1 under ⋆
    assert st.pairs()[0]["input"] == (1, 1) and st.pairs()[0]["x"] == 1.0
    st.set_convention("matlab")
    assert st.pairs()[0]["input"] == (2, 2) and st.pairs()[0]["x"] == 6.0


def test_panel_frames_follow_the_controls():
    pytest.importorskip("ipywidgets")
    from cnnlab.widgets import _frames
    box = kg.panel()
    assert len(box.frames) == 2 * 2 * 2
    assert box.current().value.split('cnnlab-caption">')[1].startswith("<code>∂E/∂k[0,0]")
    assert [c.widget.options for c in (box.choices["p"], box.choices["q"])] == \
        [(("0", 0), ("1", 1))] * 2          # shown 0-based
    box.select(q=2)
    cap = box.current().value.split('cnnlab-caption">')[1]
    assert "∂E/∂k[0,1]" in cap              # 0-based, the book's notation (q = 2)
    # the caption's total equals SciPy's entry [0, 1] under conv2
    ref = signal.correlate2d(kg.DEFAULT_X, kg.DEFAULT_DELTA, "valid")[::-1, ::-1][0, 1]
    assert cap.endswith(f"= {int(ref)}</code></div></div>")
    box.select(convention="xcorr")
    ref2 = signal.correlate2d(kg.DEFAULT_X, kg.DEFAULT_DELTA, "valid")[0, 1]
    assert box.current().value.endswith(f"= {int(ref2)}</code></div></div>")
    # the frame is what draw_kernel_grad_pairs draws for a state moved by its own methods
    st = kg.KernelGradPairs()
    st.set_convention("xcorr")
    st.select(1, 2)
    assert _frames.png_of_frame(box.current()) == kg.frame(st)[0]


def test_static_twin_has_every_weight_and_convention():
    fig = kg.static_kernel_grad_pairs()
    assert len(fig.axes) == 8
    labels = [ax.get_xlabel() for ax in fig.axes]
    g = signal.correlate2d(kg.DEFAULT_X, kg.DEFAULT_DELTA, "valid")
    assert labels[0] == f"∂E/∂k[0,0] = {int(g[1, 1])}"      # matlab row: rot180
    assert labels[4] == f"∂E/∂k[0,0] = {int(g[0, 0])}"      # xcorr row
    assert labels[1] == f"∂E/∂k[0,1] = {int(g[1, 0])}"


def test_bad_input():
    with pytest.raises(ValueError, match="convention"):
        kg.KernelGradPairs(convention="conv")
    with pytest.raises(ValueError, match="p must lie in 1..2"):
        kg.KernelGradPairs(p=3)
    with pytest.raises(TypeError, match="q must be an int"):
        kg.KernelGradPairs(q=1.5)
    with pytest.raises(ValueError, match="delta"):
        kg.KernelGradPairs(np.ones((2, 2)), np.ones((3, 3)))
