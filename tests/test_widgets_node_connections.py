"""Widget: which residuals reach a node of the subsampling map, through which kernel weights."""
import numpy as np
import pytest
from scipy import signal

from cnnlab.gradcheck import numerical_gradient
from cnnlab.widgets import node_connections as nc


def test_seed_node_7_exactly():
    st = nc.NodeConnections()          # 4x4 map, 2x2 kernel, reading order, kernel as applied
    assert st.out_shape == (3, 3)
    assert st.connections() == [("k22", 2), ("k21", 3), ("k12", 5), ("k11", 6)]
    assert st.describe() == "node 7 → {k22,2; k21,3; k12,5; k11,6}"


def test_node_7_other_conventions():
    st = nc.NodeConnections(convention="matlab")
    assert st.connections() == [("k11", 2), ("k12", 3), ("k21", 5), ("k22", 6)]
    st = nc.NodeConnections(numbering="column")
    # column-major node 7 is row 3, column 2 (1-based); the output labels happen to coincide
    assert st.cell(7, st.in_shape) == (2, 1)
    assert st.connections() == [("k22", 2), ("k12", 3), ("k21", 5), ("k11", 6)]


def test_corner_and_centre_counts():
    st = nc.NodeConnections()
    assert st.connections(1) == [("k11", 1)]
    assert st.connections(16) == [("k22", 9)]
    assert len(st.connections(6)) == 4 and len(st.connections(2)) == 2


@pytest.mark.parametrize("convention", ["xcorr", "matlab"])
@pytest.mark.parametrize("numbering", ["row", "column"])
def test_residual_sum_is_the_full_convolution(convention, numbering):
    rng = np.random.default_rng(1)
    st = nc.NodeConnections((5, 4), (2, 3), numbering, convention)
    delta = rng.normal(size=st.out_shape)
    k = rng.normal(size=st.kernel_shape)
    if convention == "matlab":          # forward conv2(x, k): backward conv2(δ, rot180(k), 'full')
        ref = signal.convolve2d(delta, k[::-1, ::-1], "full")
        layer = lambda x: signal.convolve2d(x, k, "valid")
    else:                               # forward x ⋆ k: backward δ * k ('full')
        ref = signal.convolve2d(delta, k, "full")
        layer = lambda x: signal.correlate2d(x, k, "valid")
    num = numerical_gradient(lambda x: np.sum(delta * layer(x)), np.zeros(st.in_shape))
    np.testing.assert_allclose(ref, num, atol=1e-8)
    for node in range(1, 21):
        r, c = st.cell(node, st.in_shape)
        assert st.residual_sum(delta, k, node) == pytest.approx(ref[r, c], abs=1e-12)


def test_panel_frames_follow_the_controls():
    pytest.importorskip("ipywidgets")
    from cnnlab.widgets import _frames
    box = nc.panel()
    assert len(box.frames) == 16 * 2 * 2

    def caption():
        return box.current().value.split('cnnlab-caption">')[1][:-len("</div></div>")]
    assert caption() == "<code>node 7 → {k22,2; k21,3; k12,5; k11,6}</code>"
    box.select(node=1)
    assert caption() == "<code>node 1 → {k11,1}</code>"
    box.select(node=7, convention="matlab")
    assert caption() == "<code>node 7 → {k11,2; k12,3; k21,5; k22,6}</code>"
    box.select(numbering="column")
    assert caption() == "<code>node 7 → {k11,2; k21,3; k12,5; k22,6}</code>"
    st = nc.NodeConnections()
    st.set_convention("matlab")
    st.set_numbering("column")
    st.select(7)
    assert _frames.png_of_frame(box.current()) == nc.frame(st)[0]


def test_static_twin():
    fig = nc.static_node_connections()
    assert len(fig.axes) == 4
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert "2\nvia k22" in texts and "6\nvia k11" in texts
    texts = [t.get_text() for t in fig.axes[3].texts]
    assert "2\nvia k11" in texts and "6\nvia k22" in texts


def test_bad_input():
    with pytest.raises(ValueError, match="node must lie in 1..16"):
        nc.NodeConnections(node=17)
    with pytest.raises(ValueError, match="convention"):
        nc.NodeConnections(convention="flip")
    with pytest.raises(TypeError, match="in_shape"):
        nc.NodeConnections(in_shape=(4, 0))
    with pytest.raises(ValueError, match="kernel_shape"):
        nc.NodeConnections(in_shape=(2, 2), kernel_shape=3)
