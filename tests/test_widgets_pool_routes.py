"""The pooling-routes widget: forward against block reductions, backward against finite
differences, ties by hand, PyTorch where installed."""
import numpy as np
import pytest

from cnnlab.widgets import pool_routes as pr
from fd import fd_grad

pytest.importorskip("ipywidgets")


def _blocks(x, n, s):
    """All n×n windows with stride s, shape (Ho, Wo, n, n), built with plain slicing."""
    H, W = x.shape
    Ho, Wo = (H - n) // s + 1, (W - n) // s + 1
    return np.array([[x[r * s:r * s + n, c * s:c * s + n] for c in range(Wo)] for r in range(Ho)])


@pytest.mark.parametrize("kind,size,stride", [("max", 2, 2), ("max", 3, 1), ("max", 2, 1), ("avg", 2, 2),
                                              ("avg", 3, 2), ("down", 2, 2), ("subsample", 2, 2),
                                              ("down", 3, 3)])
def test_forward_and_backward(kind, size, stride):
    rng = np.random.default_rng(1)
    x = rng.permutation(36).reshape(6, 6) / 7.0  # distinct values: no ties, FD is well defined
    st = pr.PoolRoutes(x, kind=kind, size=size, stride=stride, beta=0.75, bias=0.5)
    b = _blocks(x, size, stride)
    expected = {"max": b.max(axis=(2, 3)), "avg": b.mean(axis=(2, 3)), "down": b.sum(axis=(2, 3)),
                "subsample": 0.75 * b.sum(axis=(2, 3)) + 0.5}[kind]
    np.testing.assert_allclose(st.forward(), expected)
    dy = rng.normal(size=st.out_shape)
    st.set_dy(dy)

    xx = x.copy()

    def loss():
        return float((pr.PoolRoutes(xx, kind=kind, size=size, stride=stride, beta=0.75, bias=0.5).forward() * dy).sum())

    np.testing.assert_allclose(st.backward(), fd_grad(loss, xx), rtol=1e-6, atol=1e-8)


def test_subsample_parameter_gradients_by_finite_differences():
    rng = np.random.default_rng(2)
    x, dy = rng.normal(size=(4, 6)), rng.normal(size=(2, 3))
    st = pr.PoolRoutes(x, kind="subsample", beta=0.3, bias=-0.2, dy=dy)

    params = np.array([0.3, -0.2])  # beta, bias

    def loss():
        return float((pr.PoolRoutes(x, kind="subsample", beta=params[0], bias=params[1])
                      .forward() * dy).sum())

    dbeta, db = st.param_grads()
    fd_beta, fd_b = fd_grad(loss, params)
    assert dbeta == pytest.approx(fd_beta, rel=1e-6)
    assert db == pytest.approx(fd_b, rel=1e-6)


def test_n1_seed_dbeta_example():
    # the seed: dβ = d11·(1+2+3+4) + d12·(5+6+7+8) + d21·(9+…+12) + d22·(13+…+16), where the
    # labels 1…16 number the cells block by block
    x = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]], dtype=float)
    d = np.array([[0.5, -1.0], [2.0, 0.25]])
    st = pr.PoolRoutes(x, kind="subsample", dy=d)
    assert st.param_grads()[0] == pytest.approx(0.5 * 10 - 1.0 * 26 + 2.0 * 42 + 0.25 * 58)


def test_up_is_kronecker_and_its_gradient_is_down():
    small = np.array([[1.0, -2.0], [3.0, 4.0]])
    st = pr.PoolRoutes(small, kind="up", size=2)
    np.testing.assert_array_equal(st.forward(), np.kron(small, np.ones((2, 2))))
    dy = np.arange(16.0).reshape(4, 4)
    st.set_dy(dy)
    np.testing.assert_array_equal(st.backward(), _blocks(dy, 2, 2).sum(axis=(2, 3)))


def test_max_tie_goes_to_first_maximum_in_reading_order():
    st = pr.PoolRoutes()  # bottom-right window [[3, 3], [3, 1]]
    st.select(1, 1)
    g = st.local_grad()
    assert g[2, 2] == 1.0 and g.sum() == 1.0
    assert st.backward()[2, 2] == pr.DEFAULT_DY[1, 1]
    assert "x[2,2] gets 4" in st.describe()


def test_against_torch_where_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 8))
    dy = rng.normal(size=(3, 4))
    for kind, fn in (("max", torch.nn.functional.max_pool2d), ("avg", torch.nn.functional.avg_pool2d)):
        xt = torch.tensor(x[None, None], requires_grad=True)
        yt = fn(xt, 2)
        (yt * torch.tensor(dy[None, None])).sum().backward()
        st = pr.PoolRoutes(x, kind=kind, dy=dy)
        np.testing.assert_allclose(st.forward(), yt.detach().numpy()[0, 0])
        np.testing.assert_allclose(st.backward(), xt.grad.numpy()[0, 0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        pr.PoolRoutes(kind="median")
    with pytest.raises(ValueError, match="stride must equal size"):
        pr.PoolRoutes(kind="down", stride=1)
    with pytest.raises(ValueError, match="must divide"):
        pr.PoolRoutes(np.zeros((5, 4)), kind="subsample")
    with pytest.raises(ValueError, match="dy must have"):
        pr.PoolRoutes(dy=np.ones((3, 3)))
    with pytest.raises(TypeError, match="beta"):
        pr.PoolRoutes(beta="big")


def test_panel_frames_follow_the_controls():
    from cnnlab.widgets import _frames
    box = pr.panel()
    assert len(box.frames) == (4 + 9) * 2 + 4 + 4 * 4
    box.select(kind="max", stride=2)
    box.select(output=3)
    assert box.current_values() == {"kind": "max", "stride": "2", "output": "(1, 1)"}
    assert "x[2,2] gets 4" in box.current().value
    # byte for byte what draw_pool_routes draws for a state moved by its own methods
    st = pr.PoolRoutes(pr.DEFAULT_X)
    st.select(1, 1)
    assert _frames.png_of_frame(box.current()) == pr.frame(st)[0]
    from matplotlib.figure import Figure
    fig = Figure(figsize=(10.0, 3.0))
    pr.draw_pool_routes(st, fig=fig)
    assert pr.frame(st)[0] == _frames.png(fig)
    box.select(kind="subsample")
    box.select(beta=2.0)
    dbeta = float((pr.DEFAULT_DY * _blocks(pr.DEFAULT_X, 2, 2).sum(axis=(2, 3))).sum())
    assert f"∂E/∂β = Σ δ∘down(x) = {dbeta:g}" in box.current().value
    box.select(kind="max", stride=1)
    assert len(box.local_choices()[-1].values) == 9  # 3×3 output cells at stride 1


def test_static_twin_rows():
    fig = pr.static_pool_routes()
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["max", "avg", "subsample", "up"]
