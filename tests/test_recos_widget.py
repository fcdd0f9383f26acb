"""Chapter 11 widget additions (issue 15 item 6): the next layer and each anchor's firing arc."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnnlab.widgets import recos_sphere as rs


@pytest.mark.parametrize("theta", [-170.0, -35.0, 10.0, 95.0, 150.0])
@pytest.mark.parametrize("phi", [0.0, 0.4])
def test_without_rectifier_mirror_unit_reads_negative_as_the_pattern(theta, phi):
    st = rs.RecosSphereState(theta=theta, phi=phi, next_weights=[0.7, -1.2, 0.4])
    n = st.next_layer()
    x = np.array([np.cos(np.deg2rad(theta)), np.sin(np.deg2rad(theta))])
    c = st.anchors @ x                                  # by hand: anchors are unit vectors
    w = np.array([0.7, -1.2, 0.4])
    assert n["linear_w_x"] == pytest.approx(w @ c)
    assert n["linear_mirror_negx"] == pytest.approx(n["linear_w_x"])        # fooled, always
    f = lambda u: np.where(u < phi, 0.0, (u - phi) / (1 - phi))            # TReLU by hand
    assert n["rect_w_x"] == pytest.approx(w @ f(c))
    assert n["rect_mirror_negx"] == pytest.approx(-w @ f(-c))


def test_with_rectifier_the_mirror_unit_is_not_fooled():
    st = rs.RecosSphereState(theta=30.0)                # w = (1, -1, 0)
    n = st.next_layer()
    # c(x) = (cos 30°, cos 90°, cos 210°) = (0.866, 0, -0.866)
    assert n["linear_w_x"] == pytest.approx(np.cos(np.pi / 6))
    assert n["rect_w_x"] == pytest.approx(np.cos(np.pi / 6))
    assert n["rect_mirror_negx"] == pytest.approx(0.0, abs=1e-12)
    st.set_negate(True)                                 # next_layer() is about x and -x both
    assert st.next_layer() == pytest.approx(n)
    with pytest.raises(ValueError, match=r"next_weights must have shape \(3,\)"):
        st.set_next_weights([1.0, 2.0])


@pytest.mark.parametrize("phi", [0.0, 0.3, 0.75])
def test_firing_arc_edges_have_correlation_phi(phi):
    st = rs.RecosSphereState(phi=phi)
    for k in range(3):
        lo, hi = st.firing_arc(k)
        assert hi - lo == pytest.approx(2 * np.degrees(np.arccos(phi)))
        for edge in (lo, hi):
            st.set_theta(edge)
            assert st.correlations[k] == pytest.approx(phi, abs=1e-9)
        st.set_theta((lo + hi) / 2 + 0.2 * (hi - lo))       # inside: fires
        assert st.rectified[k] > 0
        st.set_theta(hi + 5.0)                               # outside: silent
        assert st.rectified[k] == 0
    with pytest.raises(ValueError, match="2-D"):
        rs.RecosSphereState(rs.DEFAULT_ANCHORS_3D).firing_arc(0)


def test_panel_draws_the_next_layer_and_follows_phi():
    p = rs.build(theta=30.0)
    heights = lambda: np.array([b.get_height() for b in p.artists["next"]])
    np.testing.assert_allclose(heights(), [np.cos(np.pi / 6)] * 3 + [0.0], atol=1e-12)
    p.sliders["phi"].value = 0.5                          # (0.866 - 0.5)/0.5 through w = (1, -1, 0)
    np.testing.assert_allclose(heights()[2], (np.cos(np.pi / 6) - 0.5) / 0.5, atol=1e-12)
    fig = rs.static_recos_sphere(theta=30.0)
    nxt = [ax for ax in fig.axes if ax.get_xlabel().startswith("next-layer unit")]
    assert len(nxt) == 2
