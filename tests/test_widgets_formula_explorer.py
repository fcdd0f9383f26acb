"""Formula explorer widget: counts against SymPy and hand formulas; sliders move the state."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnnlab.expand import count_leaves, symbolic_dense
from cnnlab.widgets.formula_explorer import (FormulaExplorer, MAX_SHOWN, panel,
                                             static_formula_explorer)


def test_counts_by_hand_and_by_sympy():
    ex = FormulaExplorer(depth=2, width=3, n_inputs=2)
    c = ex.counts()
    assert c["parameters"] == (2 + 1) * 3 + (3 + 1) * 3 + (3 + 1)
    assert c["expanded_terms"] == 2 * 3 * 3 + 3 * 3 + 3 + 1
    assert c["nested_leaves"] == count_leaves(symbolic_dense([2, 3, 3, 1], "f")["outputs"][0])


def test_nested_formula_shown_only_when_short():
    ex = FormulaExplorer(depth=1, width=2, n_inputs=2)
    tex = ex.nested_latex()
    assert tex.startswith("y = ") and tex.count("f{") == 2
    ex.set(depth=6, width=8)
    assert ex.counts()["nested_leaves"] > MAX_SHOWN and ex.nested_latex() is None
    assert "too long" in ex.html()


def test_panel_frames_follow_the_sliders():
    from matplotlib.figure import Figure

    from cnnlab.widgets import _frames
    box = panel(FormulaExplorer(depth=1, width=2, n_inputs=2),
                grid={"depth": (1, 3), "width": (2, 4), "n_inputs": (2,)})
    assert len(box.frames) == 4
    before = box.current().value
    box.select(depth=3)
    assert box.current_values() == {"depth": "3", "width": "2", "n_inputs": "2"}
    assert box.current().value != before
    box.select(width=4)
    expected = (2 + 1) * 4 + 2 * (4 + 1) * 4 + (4 + 1)
    assert f"<b>{expected:,}</b> parameters" in box.current().value
    assert "$$" not in box.current().value and "\\begin{aligned}" in box.current().value
    fig = Figure(figsize=(5.5, 3.4))
    FormulaExplorer(depth=3, width=4, n_inputs=2).draw(fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    assert _frames.png_of_frame(box.current()) == _frames.png(fig, dpi=80)


def test_static_twin_curves():
    fig = static_formula_explorer(FormulaExplorer(depth=2, width=3, n_inputs=2))
    lines = fig.axes[0].get_lines()
    params = lines[0].get_ydata()
    # depth d: (2+1)*3 + (d-1)*(3+1)*3 + (3+1) for d >= 1; 3 at depth 0
    assert params[0] == 3
    np.testing.assert_array_equal(params[1:], [9 + (d - 1) * 12 + 4 for d in range(1, 9)])
    nested = lines[1].get_ydata()
    assert np.all(np.diff(np.log(nested)) > np.log(3))     # grows faster than 3^depth


def test_bad_controls():
    with pytest.raises(ValueError, match="depth"):
        FormulaExplorer(depth=99)
    with pytest.raises(ValueError, match="width"):
        FormulaExplorer().set(width=0)
