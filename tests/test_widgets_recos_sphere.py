"""The RECOS sphere widget: state, ipywidgets panel (moving a control), static twin."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnnlab.widgets import recos_sphere as rs


def _bar_heights(container):
    return np.array([b.get_height() for b in container])


def test_state_2d_correlations_are_cosines_of_angle_differences():
    st = rs.RecosSphereState(theta=30.0)
    angles = np.deg2rad([0.0, 120.0, 240.0])  # the default anchors
    np.testing.assert_allclose(st.correlations, np.cos(np.deg2rad(30.0) - angles), atol=1e-12)
    np.testing.assert_allclose(st.rectified, np.maximum(np.cos(np.deg2rad(30.0) - angles), 0), atol=1e-12)


def test_state_negate_flips_correlations_but_not_the_rectified_ones():
    st = rs.RecosSphereState(theta=10.0)
    c, r = st.correlations.copy(), st.rectified.copy()
    st.set_negate(True)
    np.testing.assert_allclose(st.correlations, -c, atol=1e-12)
    # after rectification the pattern and its negative light up *different* anchors
    np.testing.assert_allclose(st.rectified, np.maximum(-c, 0), atol=1e-12)
    assert np.argmax(st.rectified) != np.argmax(r)


def test_state_3d_input_vector_and_phi():
    st = rs.RecosSphereState(rs.DEFAULT_ANCHORS_3D, theta=45.0, elevation=35.26438968, phi=0.5)
    np.testing.assert_allclose(st.x, np.ones(3) / np.sqrt(3), atol=1e-8)
    # x equals the first tetrahedron corner: correlation 1 there, -1/3 with the other corners
    np.testing.assert_allclose(st.correlations, [1, -1 / 3, -1 / 3, -1 / 3], atol=1e-8)
    np.testing.assert_allclose(st.rectified, [1, 0, 0, 0], atol=1e-8)
    with pytest.raises(ValueError, match="phi must lie in"):
        st.set_phi(1.0)
    with pytest.raises(ValueError, match="elevation must lie in"):
        st.set_elevation(100)
    with pytest.raises(ValueError, match=r"anchors must have shape \(K, 2\) or \(K, 3\)"):
        rs.RecosSphereState(np.ones((2, 4)))


def test_panel_slider_updates_state_and_figure():
    p = rs.build()
    png0 = p.image.value
    p.sliders["theta"].value = 120.0
    expected = np.cos(np.deg2rad(120.0) - np.deg2rad([0.0, 120.0, 240.0]))
    np.testing.assert_allclose(p.state.correlations, expected, atol=1e-12)
    np.testing.assert_allclose(_bar_heights(p.artists["before"]), expected, atol=1e-12)
    np.testing.assert_allclose(_bar_heights(p.artists["after"]), np.maximum(expected, 0), atol=1e-12)
    assert p.image.value != png0  # the picture was redrawn
    assert "[-0.5, 1.0, -0.5]" in p.text.value

    p.sliders["phi"].value = 0.6
    np.testing.assert_allclose(_bar_heights(p.artists["after"]), [0, 1, 0], atol=1e-12)
    p.sliders["theta"].value = 150.0  # cos 30° = 0.866 with a_2: (0.866 - 0.6)/0.4
    np.testing.assert_allclose(_bar_heights(p.artists["after"])[1], (np.cos(np.pi / 6) - 0.6) / 0.4, atol=1e-12)

    p.sliders["negate"].value = True
    np.testing.assert_allclose(p.state.x, -np.array([np.cos(np.deg2rad(150)), np.sin(np.deg2rad(150))]))
    np.testing.assert_allclose(_bar_heights(p.artists["before"]),
                               -np.cos(np.deg2rad(150.0) - np.deg2rad([0.0, 120.0, 240.0])), atol=1e-12)


def test_panel_3d_has_an_elevation_slider():
    p = rs.build(rs.DEFAULT_ANCHORS_3D)
    p.sliders["elevation"].value = 90.0
    np.testing.assert_allclose(p.state.x, [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(_bar_heights(p.artists["before"]), rs.DEFAULT_ANCHORS_3D[:, 2], atol=1e-12)
    assert "elevation" not in rs.build().sliders


def test_static_twin_shows_x_and_its_negative():
    fig = rs.static_recos_sphere(theta=30.0)
    bar_axes = [ax for ax in fig.axes if ax.patches and ax.get_xlabel() == "anchor"]
    assert len(bar_axes) == 2
    heights = [np.array([b.get_height() for b in ax.patches]) for ax in bar_axes]
    c = np.cos(np.deg2rad(30.0) - np.deg2rad([0.0, 120.0, 240.0]))
    np.testing.assert_allclose(heights[0], np.r_[c, np.maximum(c, 0)], atol=1e-12)
    np.testing.assert_allclose(heights[1], np.r_[-c, np.maximum(-c, 0)], atol=1e-12)


# ------------------------------------------------------------------ the panel (precomputed frames)
SMALL_GRID = {"theta": (30, 60, 150), "phi": (0.0, 0.5), "negate": (False, True)}


@pytest.fixture(scope="module")
def small_panel():
    return rs.panel(grid=SMALL_GRID)


def test_panel_frame_is_the_live_drawing(small_panel):
    from cnnlab.widgets import _frames
    box = small_panel
    assert len(box.frames) == 3 * 2 * 2
    assert box.current_values() == {"theta": "30°", "phi": "0", "negate": "x"}
    box.select(theta=60, phi=0.5)
    # the continuous panel (build) moved to the same values draws the same picture
    live = rs.build()
    live.sliders["theta"].value = 60.0
    live.sliders["phi"].value = 0.5
    assert _frames.png_of_frame(box.current()) == _frames.png(live.fig, dpi=80)
    # θ = 60°: a_1 and a_2 both at 60°, cos 60° = 0.5, at the threshold: TReLU gives 0
    np.testing.assert_allclose(_bar_heights(live.artists["before"]), [0.5, 0.5, -1.0], atol=1e-12)
    assert "[0.5, 0.5, -1.0] -> rectified (phi=0.5) [0.0, 0.0, 0.0]" in box.current().value


def test_every_control_changes_the_frame(small_panel):
    from cnnlab.widgets import _frames
    box = small_panel
    box.select(theta=30, phi=0.0, negate=False)
    seen = [_frames.png_of_frame(box.current())]
    for move in ({"theta": 150}, {"phi": 0.5}, {"negate": True}):
        box.select(**move)
        seen.append(_frames.png_of_frame(box.current()))
    assert len(set(seen)) == len(seen)
    assert "-x: correlations" in box.current().value


def test_panel_3d_has_an_elevation_control_and_grid_checked():
    from cnnlab.widgets import _frames
    box = rs.panel(rs.DEFAULT_ANCHORS_3D, grid={"theta": (45,), "elevation": (0, 35.26438968),
                                                "phi": (0.0,), "negate": (False,)})
    assert len(box.frames) == 2 and "elevation" in box.choices
    before = _frames.png_of_frame(box.current())
    box.select(elevation=35.26438968)                  # x = the first tetrahedron corner
    assert _frames.png_of_frame(box.current()) != before
    assert "correlations [1.0, -0.33, -0.33, -0.33]" in box.current().value
    with pytest.raises(ValueError, match="grid must have the keys"):
        rs.panel(grid={"theta": (0,), "phi": (0.0,)})


def test_default_panels_within_budget():
    """The panel ch11 stores (what the website shows; nbval re-runs the cell that draws it):
    every frame of the default grid, within the 2 MB budget of a chapter's widget state."""
    from stored_widgets import stored_panel
    stored = stored_panel("11_recos.ipynb", "recos_sphere.panel()")
    assert stored.frames == len(rs.PANEL_GRID["theta"]) * len(rs.PANEL_GRID["phi"]) * 2 == 12 * 4 * 2
    assert stored.bytes < 2_000_000
    assert len(rs.PANEL_GRID_3D["theta"]) * 3 * 3 * 2 == 108      # 3-D: drawn only in Jupyter
    assert rs.PANEL_GRID_3D["theta"][0] == 30 and 20 in rs.PANEL_GRID_3D["elevation"]
