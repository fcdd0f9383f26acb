"""Widget: one output map of a learned-combination layer (chapter 8).

The gradients the widget shows are checked against references written here from the formulas
(SciPy's convolve2d for the maps, an explicit softmax), differentiated by central finite
differences in float64 and, when PyTorch is installed, by autograd.
"""
import numpy as np
import pytest
from scipy import signal

from cnnlab.gradcheck import numerical_gradient
from cnnlab.widgets import combination_mixer as cm


# -- independent references -----------------------------------------------------------------------

def softmax(c):
    e = np.exp(np.asarray(c, float) - np.max(c))
    return e / e.sum()


def loss_ref(c, x_prev, k, t, b=0.0):
    """E = 1/2 sum (tanh(sum_i softmax(c)_i conv2(x_i, k_i, 'valid') + b) - t)^2, from SciPy."""
    a = softmax(c)
    u = sum(a[i] * signal.convolve2d(x_prev[i], k[i], "valid") for i in range(len(c))) + b
    return 0.5 * np.sum((np.tanh(u) - t) ** 2)


def entropy_ref(c):
    a = softmax(c)
    return -np.sum(a * np.log(a))


def lp_ref(c, p):
    return np.sum(softmax(c) ** p)


def random_mixer(seed, n_in=3, **kw):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_in, 7, 6))
    k = rng.normal(size=(n_in, 3, 2)) * 0.5
    t = rng.normal(size=(5, 5)) * 0.5
    c = rng.normal(size=n_in) * 1.5
    return cm.CombinationMixer(c=c, x_prev=x, k=k, target=t, b=0.3, **kw)


# -- the state ----------------------------------------------------------------------------------------

def test_defaults():
    st = cm.CombinationMixer()
    assert st.n_in == 3 and st.lam == 0.1 and st.alternative == "entropy"
    np.testing.assert_array_equal(st.c, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(st.alpha(), softmax([0.0, 0.5, 1.0]), rtol=1e-14)
    fw = st.forward()
    assert fw["conv"].shape == (3, 6, 6) and fw["u"].shape == (6, 6) == st.target.shape
    # the maps are conv2(x_i, k_i, 'valid'), the mix their alpha-weighted sum
    for i in range(3):
        np.testing.assert_allclose(fw["conv"][i], signal.convolve2d(st.x_prev[i], st.k[i], "valid"),
                                   atol=1e-12)
    np.testing.assert_allclose(fw["u"], np.einsum("i,ihw->hw", st.alpha(), fw["conv"]), atol=1e-12)
    assert st.loss() == pytest.approx(loss_ref(st.c, st.x_prev, st.k, st.target), rel=1e-12)


def test_default_target_is_seeded_and_made_mostly_from_map_1():
    a, b = cm.default_inputs(3), cm.default_inputs(3)
    np.testing.assert_array_equal(a["target"], b["target"])
    assert not np.array_equal(a["target"], cm.default_inputs(3, seed=1)["target"])
    st = cm.CombinationMixer()
    # the target's own mix (TARGET_C) fits far better than the default mix
    assert loss_ref(cm.TARGET_C[:3], st.x_prev, st.k, st.target) < 0.2 * st.loss()
    # descending on E from the default raises c_1 (the map the target is made of)
    assert st.loss_c_grad()[0] < 0 and np.argmin(st.loss_c_grad()) == 0


@pytest.mark.parametrize("n_in", [2, 3, 4])
def test_default_layer_for_each_n(n_in):
    st = cm.CombinationMixer(n_in=n_in)
    assert st.alpha().shape == (n_in,) and st.forward()["conv"].shape == (n_in, 6, 6)
    np.testing.assert_array_equal(st.c, cm.DEFAULT_C[:n_in])


def test_l1_sum_is_one_whatever_c():
    rng = np.random.default_rng(3)
    st = cm.CombinationMixer(n_in=4)
    for _ in range(20):
        st.set_c(rng.normal(size=4) * 4)
        assert st.l1_sum() == pytest.approx(1.0, abs=1e-14)
        np.testing.assert_allclose(st.l1_c_grad(), 0.0, atol=1e-15)
        # finite differences of lam * sum|softmax(c)| agree: it is flat
        fd = numerical_gradient(lambda z: st.lam * np.abs(softmax(z)).sum(), st.c)
        np.testing.assert_allclose(fd, 0.0, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_in", [2, 3, 4])
def test_loss_gradient_matches_finite_differences(seed, n_in):
    st = random_mixer(seed, n_in)
    fd = numerical_gradient(lambda z: loss_ref(z, st.x_prev, st.k, st.target, b=0.3), st.c)
    np.testing.assert_allclose(st.loss_c_grad(), fd, rtol=1e-6, atol=1e-8)
    assert np.abs(fd).max() > 1e-3                 # not a vacuous comparison
    assert st.loss_c_grad().sum() == pytest.approx(0.0, abs=1e-12)


def test_default_widget_gradient_matches_finite_differences():
    st = cm.CombinationMixer()
    for c in ([0.0, 0.5, 1.0], [2.0, -1.0, 0.5], [-3.0, 4.0, 0.0]):
        st.set_c(c)
        fd = numerical_gradient(lambda z: loss_ref(z, st.x_prev, st.k, st.target), st.c)
        np.testing.assert_allclose(st.loss_c_grad(), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("alternative, ref", [("entropy", entropy_ref),
                                              ("lp", lambda c: lp_ref(c, 0.5))])
def test_alternative_penalty_value_and_gradient(alternative, ref):
    rng = np.random.default_rng(5)
    st = cm.CombinationMixer(alternative=alternative, lam=0.3, n_in=4)
    for _ in range(5):
        st.set_c(rng.normal(size=4) * 2)
        assert st.penalty() == pytest.approx(ref(st.c), rel=1e-12)
        fd = numerical_gradient(lambda z: 0.3 * ref(z), st.c)
        np.testing.assert_allclose(st.penalty_c_grad(), fd, rtol=1e-6, atol=1e-9)
        assert np.abs(st.penalty_c_grad()).max() > 1e-4     # unlike the L1, not zero


def test_lp_with_other_p():
    st = cm.CombinationMixer(alternative="lp", p=0.25, lam=1.0, c=[0.3, -1.0, 2.0])
    assert st.penalty() == pytest.approx(lp_ref(st.c, 0.25), rel=1e-12)
    fd = numerical_gradient(lambda z: lp_ref(z, 0.25), st.c)
    np.testing.assert_allclose(st.penalty_c_grad(), fd, rtol=1e-6)
    assert st.penalty_name() == "Σ α_i^0.25"


@pytest.mark.parametrize("alternative", cm.ALTERNATIVES)
def test_penalty_range_and_descent_makes_alpha_sparse(alternative):
    st = cm.CombinationMixer(alternative=alternative, lam=1.0)
    lo, hi = st.penalty_range()
    st.set_c([0.0, 0.0, 0.0])
    assert st.penalty() == pytest.approx(hi, rel=1e-12)          # even mix: the largest value
    st.set_c([30.0, -30.0, -30.0])
    assert st.penalty() == pytest.approx(lo, abs=1e-9)           # one-hot: the smallest
    # gradient descent on the penalty alone commits the column to one input map ...
    st.set_c([0.2, 0.0, -0.1])
    for _ in range(400):
        st.set_c(st.c - 2.0 * st.penalty_c_grad())
    assert st.alpha().max() > 0.99 and st.penalty() < lo + 0.05 * (hi - lo)
    # ... while descent on the notes' L1 never moves c
    st.set_c([0.2, 0.0, -0.1])
    for _ in range(50):
        st.set_c(st.c - 2.0 * st.l1_c_grad())
    np.testing.assert_allclose(st.c, [0.2, 0.0, -0.1], atol=1e-12)


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    for seed, n_in in ((0, 2), (1, 3), (2, 4)):
        st = random_mixer(seed, n_in, lam=0.7)
        tc = torch.tensor(st.c, requires_grad=True)
        # conv2 (true convolution) = torch's cross-correlation with the kernel rotated by 180°
        tk = torch.tensor(st.k[:, None, ::-1, ::-1].copy())
        y = torch.nn.functional.conv2d(torch.tensor(st.x_prev[None]), tk, groups=n_in)[0]
        a = torch.softmax(tc, dim=0)
        u = torch.einsum("i,ihw->hw", a, y) + 0.3
        (0.5 * ((torch.tanh(u) - torch.tensor(st.target)) ** 2).sum()).backward()
        np.testing.assert_allclose(st.loss_c_grad(), tc.grad.numpy(), rtol=1e-9, atol=1e-12)
        for alt in cm.ALTERNATIVES:
            tc = torch.tensor(st.c, requires_grad=True)
            a = torch.softmax(tc, dim=0)
            om = -(a * torch.log(a)).sum() if alt == "entropy" else (a ** 0.5).sum()
            (0.7 * om).backward()
            np.testing.assert_allclose(st.penalty_c_grad(alt), tc.grad.numpy(), rtol=1e-9,
                                       atol=1e-13)
        tc = torch.tensor(st.c, requires_grad=True)
        (0.7 * torch.softmax(tc, dim=0).abs().sum()).backward()
        np.testing.assert_allclose(st.l1_c_grad(), tc.grad.numpy(), atol=1e-12)


def test_controls_change_the_state():
    st = cm.CombinationMixer()
    gE = st.loss_c_grad().copy()
    st.set_logit(1, 2.0)
    assert st.c[0] == 2.0 and st.alpha()[0] == pytest.approx(softmax([2.0, 0.5, 1.0])[0])
    assert not np.allclose(st.loss_c_grad(), gE)
    gH = st.penalty_c_grad().copy()
    gE2 = st.loss_c_grad().copy()
    st.set_lam(0.5)                                   # lam scales the penalty gradient only
    np.testing.assert_allclose(st.penalty_c_grad(), 5 * gH, rtol=1e-12)
    np.testing.assert_array_equal(st.loss_c_grad(), gE2)
    st.set_alternative("lp")
    assert st.penalty() == pytest.approx(lp_ref(st.c, 0.5))


def test_summary_text():
    st = cm.CombinationMixer()
    lines = st.summary()
    assert lines[0] == "c = (0.00, 0.50, 1.00)   α = softmax(c) = (0.186, 0.307, 0.506)"
    assert "Σ|α_i| = 1.000 (always 1)" in lines[1] and "λΣ|α_i| = 0.100" in lines[1]
    assert "∂(λΣ|α|)/∂c = (0.0000, 0.0000, 0.0000)" in lines[3]    # no "-0.0000"
    fd = numerical_gradient(lambda z: loss_ref(z, st.x_prev, st.k, st.target), st.c)
    assert f"∂E/∂c = ({', '.join(f'{v:.4f}' for v in fd)})" in lines[2]


# -- the panel ----------------------------------------------------------------------------------------

def test_panel_frames_follow_the_controls():
    pytest.importorskip("ipywidgets")
    from cnnlab.widgets import _frames
    box = cm.panel(c_values=(3.0,), lams=(0.5,))
    assert set(box.choices) == {"c1", "c2", "c3", "lam", "alternative"}
    assert len(box.frames) == 2 * 2 * 2 * 2 * 2
    txt0 = box.current().value
    assert "Σ|α_i| = 1.000 (always 1)" in txt0 and "H(α)" in txt0
    box.select(c1=3.0)
    txt = box.current().value
    assert txt != txt0 and "Σ|α_i| = 1.000 (always 1)" in txt        # still 1
    a = softmax([3.0, 0.5, 1.0])
    assert f"({a[0]:.3f}, {a[1]:.3f}, {a[2]:.3f})" in txt
    st = cm.CombinationMixer(c=[3.0, 0.5, 1.0])
    fd = numerical_gradient(lambda z: loss_ref(z, st.x_prev, st.k, st.target), st.c)
    assert f"∂E/∂c = ({', '.join(f'{v:.4f}' for v in fd)})" in txt
    box.select(lam=0.5)
    assert "λΣ|α_i| = 0.500" in box.current().value
    box.select(alternative="lp")
    assert "Σ α_i^0.5" in box.current().value
    st.set_lam(0.5)
    st.set_alternative("lp")
    assert _frames.png_of_frame(box.current()) == cm.frame(st)[0]


# -- the static twin ------------------------------------------------------------------------------

def test_static_twin():
    fig = cm.static_combination_mixer()
    # top row: 3 maps + target; then 3 rows of 5 panels
    assert len(fig.axes) == 4 + 3 * 5
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:4] == ["input side: x_1 * k_1", "input side: x_2 * k_2", "input side: x_3 * k_3",
                          "target t (fixed)"]
    x, k, t = (cm.default_inputs(3)[key] for key in ("x_prev", "k", "target"))
    for r, (label, c) in enumerate(cm.STATIC_SETTINGS):
        row = fig.axes[4 + 5 * r: 9 + 5 * r]
        assert row[0].get_title().startswith(label)
        heights = [p.get_height() for p in row[0].patches]
        np.testing.assert_allclose(heights, softmax(c), rtol=1e-12)
        assert row[1].get_title().endswith(f"E = {loss_ref(c, x, k, t):.3f}")
        ticks = [tl.get_text() for tl in row[2].get_xticklabels()]
        assert ticks[0] == "Σ|α_i|\n= 1.000"                       # every row: 1
        assert ticks[1] == f"H(α)\n= {entropy_ref(c):.3f}"
    # the entropy falls as the mix commits to map 1; the L1 does not move
    ent = [entropy_ref(c) for _, c in cm.STATIC_SETTINGS]
    assert ent[0] > ent[1] > ent[2]


# -- bad input ------------------------------------------------------------------------------------

def test_bad_input():
    with pytest.raises(ValueError, match="c must have shape \\(3,\\)"):
        cm.CombinationMixer(c=[0.0, 1.0])
    with pytest.raises(TypeError, match="c must be a numeric"):
        cm.CombinationMixer(c=["a", "b", "c"])
    with pytest.raises(ValueError, match="c must be finite"):
        cm.CombinationMixer(c=[0.0, np.inf, 1.0])
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        cm.CombinationMixer(lam=-0.1)
    with pytest.raises(TypeError, match="lam must be a real number"):
        cm.CombinationMixer(lam="0.1")
    with pytest.raises(ValueError, match="alternative must be one of"):
        cm.CombinationMixer(alternative="l1")
    with pytest.raises(ValueError, match="p must lie strictly between 0 and 1"):
        cm.CombinationMixer(p=1.0)
    with pytest.raises(ValueError, match="n_in must lie in 2..4"):
        cm.CombinationMixer(n_in=5)
    with pytest.raises(TypeError, match="n_in must be an int"):
        cm.CombinationMixer(n_in=3.0)
    with pytest.raises(TypeError, match="b must be a real number"):
        cm.CombinationMixer(b="0")
    with pytest.raises(ValueError, match="given together"):
        cm.CombinationMixer(x_prev=np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match="k must hold one kernel per input map"):
        cm.CombinationMixer(x_prev=np.zeros((3, 8, 8)), k=np.zeros((2, 3, 3)),
                            target=np.zeros((6, 6)))
    with pytest.raises(ValueError, match="target must have shape \\(6, 6\\)"):
        cm.CombinationMixer(x_prev=np.zeros((3, 8, 8)), k=np.zeros((3, 3, 3)),
                            target=np.zeros((5, 5)))
    with pytest.raises(ValueError, match="at least 2 input maps"):
        cm.CombinationMixer(x_prev=np.zeros((1, 8, 8)), k=np.zeros((1, 3, 3)),
                            target=np.zeros((6, 6)))
    st = cm.CombinationMixer()
    with pytest.raises(ValueError, match="i must lie in 1..3"):
        st.set_logit(0, 1.0)
    with pytest.raises(TypeError, match="value must be a finite real number"):
        st.set_logit(1, None)
    with pytest.raises(ValueError, match="settings must hold at least one"):
        cm.static_combination_mixer(settings=())


def test_panel_bad_c():
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match="c"):
        cm.panel(c=[5.0, 0.0], n_in=3)
