"""Tests for cnnlab.chain: the q3 network's explicit forward/backward steps.

References: centred finite differences in float64 (written here, not cnnlab's), hand-worked
numbers, SciPy, and PyTorch autograd when installed.
"""
import numpy as np
import pytest
from scipy import signal

from cnnlab import chain
from fd import fd_grad


def rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12)


@pytest.fixture(scope="module")
def setup():
    net = chain.Q3Chain(seed=0)
    x, _ = chain.q3_input(3, jitter=0.01)
    t = np.random.default_rng(7).normal(0, 0.1, size=(10, 5, 5))
    E, trace, g = net.loss_and_grads(x, t)
    return net, x, t, E, trace, g


def test_shapes_match_the_seed(setup):
    _, _, _, _, tr, g = setup
    assert tr.u1.shape == (3, 26, 26) and tr.p1.shape == (3, 13, 13)
    assert tr.u2.shape == (10, 10, 10) and tr.p2.shape == (10, 5, 5)
    assert g.dW1.shape == (3, 1, 3, 3) and g.dW2.shape == (10, 3, 4, 4)
    assert g.dx.shape == (1, 28, 28)


def test_forward_conv_matches_scipy(setup):
    net, x, *_ = setup
    tr = setup[4]
    W1, b1 = net.params["W1"], net.params["b1"]
    for f in range(3):
        ref = signal.correlate2d(x[0], W1[f, 0], mode="valid") + b1[f]
        np.testing.assert_allclose(tr.u1[f], ref, atol=1e-12)


def test_maxpool_switch_hand_example():
    r = np.array([[1., 5., 0., 2.],
                  [3., 2., 2., 2.],
                  [0., 0., 7., 1.],
                  [0., 0., 1., 9.]])
    p, sw = chain.maxpool_forward(r, 2)
    np.testing.assert_array_equal(p, [[5, 2], [0, 9]])
    # ties: first maximum in row-major order of the window
    expected = np.zeros((4, 4), bool)
    expected[0, 1] = expected[0, 3] = expected[2, 0] = expected[3, 3] = True
    np.testing.assert_array_equal(sw, expected)
    dr = chain.maxpool_backward(np.array([[0.3, -2.], [4., 0.5]]), sw, 2)
    # the incoming gradient (not 1) arrives at the winner
    np.testing.assert_array_equal(dr, [[0, 0.3, 0, -2], [0, 0, 0, 0], [4, 0, 0, 0], [0, 0, 0, 0.5]])


def test_maxpool_odd_size_drops_last_row():
    r = np.arange(25.).reshape(5, 5)
    p, sw = chain.maxpool_forward(r, 2)
    np.testing.assert_array_equal(p, [[6, 8], [16, 18]])
    assert not sw[4].any() and not sw[:, 4].any() and sw.sum() == 4


def test_relu_mask_convention_at_zero():
    r, m = chain.relu_forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(r, [0, 0, 2])
    np.testing.assert_array_equal(m, [False, False, True])
    np.testing.assert_array_equal(chain.relu_backward(np.array([5., 5., 5.]), m), [0, 0, 5])


@pytest.mark.parametrize("key", ["W1", "b1", "W2", "b2"])
def test_param_grads_vs_finite_differences(setup, key):
    net, x, t, _, _, g = setup
    P = net.params[key].copy()
    num = fd_grad(lambda: net.energy(x, t, **{key: P}), P)
    assert rel(num, g.params()[key]) < 1e-6


def test_input_grad_vs_finite_differences_on_a_patch(setup):
    net, x, t, _, _, g = setup
    xx = x.copy()
    E = lambda: net.energy(xx, t)  # noqa: E731
    # centre 8x8 patch where the digit is (whole image costs 784·2 forward passes)
    num = fd_grad(E, xx[0, 10:18, 10:18])          # a view: fd_grad perturbs xx in place
    assert np.max(np.abs(num - g.dx[0, 10:18, 10:18])) < 1e-6 * max(1, abs(g.dx).max())


def test_flat_digit_has_ties_and_jitter_breaks_them():
    net = chain.Q3Chain(seed=0)
    x, label = chain.q3_input(3)
    assert label == 3
    u1 = net.forward(x).r1
    win = u1.reshape(3, 13, 2, 13, 2).transpose(0, 1, 3, 2, 4).reshape(3, 13, 13, 4)
    top = np.sort(win, axis=-1)
    assert np.sum((top[..., -1] == top[..., -2]) & (top[..., -1] > 0)) > 50  # positive ties
    xj, _ = chain.q3_input(3, jitter=0.01)
    r1j = net.forward(xj).r1.reshape(3, 13, 2, 13, 2).transpose(0, 1, 3, 2, 4).reshape(3, 13, 13, 4)
    topj = np.sort(r1j, axis=-1)
    assert np.sum((topj[..., -1] == topj[..., -2]) & (topj[..., -1] > 0)) == 0


def test_matrix_form_equals_correlation_form(setup):
    net, x, t, *_ = setup
    _, _, g = net.loss_and_grads(x, t)
    _, _, gm = net.loss_and_grads(x, t, matrix=True)
    for k in ("dW1", "db1", "dW2", "db2", "dp1", "dx"):
        np.testing.assert_allclose(getattr(gm, k), getattr(g, k), atol=1e-12)


def test_weight_grad_is_sum_of_terms(setup):
    net, x, t, _, tr, g = setup
    terms = chain.weight_grad_terms(tr.p1, g.delta2, 4, 2, 1, 3)
    assert terms.shape == (10, 10)
    # explicit loop for the same sum
    s = sum(tr.p1[2, i + 1, j + 3] * g.delta2[4, i, j] for i in range(10) for j in range(10))
    assert abs(terms.sum() - s) < 1e-12
    assert abs(g.dW2[4, 2, 1, 3] - s) < 1e-12


def test_input_grad_is_full_true_convolution():
    rng = np.random.default_rng(0)
    delta = rng.normal(size=(2, 3, 3))
    w = rng.normal(size=(2, 1, 2, 2))
    dx = chain.conv_input_grad(delta, w)
    ref = sum(signal.convolve2d(delta[f], w[f, 0], mode="full") for f in range(2))
    np.testing.assert_allclose(dx[0], ref, atol=1e-12)


def test_conv_backward_matrix_small_by_hand():
    # x 3x3, w 2x2, delta 2x2: dW[p,q] = sum_ij x[i+p,j+q] delta[i,j]
    x = np.arange(9.).reshape(1, 3, 3)
    w = np.array([[[[1., 2.], [3., 4.]]]])
    delta = np.array([[[1., 0.], [0., -1.]]])
    dx, dW, db = chain.conv_backward_matrix(delta, x, w)
    np.testing.assert_array_equal(dW[0, 0], [[0 - 4, 1 - 5], [3 - 7, 4 - 8]])
    assert db[0] == 0
    np.testing.assert_array_equal(dx[0], [[1, 2, 0], [3, 4 - 1, -2], [0, -3, -4]])
    W_col, X_col = chain.conv_matrices(x, w)
    assert W_col.shape == (1, 4) and X_col.shape == (4, 4)
    np.testing.assert_array_equal(X_col[:, 0], [0, 1, 3, 4])


def test_against_torch_autograd(setup):
    torch = pytest.importorskip("torch")
    net, x, t, E, _, g = setup
    P = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    xt = torch.tensor(x[None], requires_grad=True)
    F = torch.nn.functional
    h = F.max_pool2d(F.relu(F.conv2d(xt, P["W1"], P["b1"])), 2)
    out = F.max_pool2d(F.relu(F.conv2d(h, P["W2"], P["b2"])), 2)
    Et = 0.5 * ((out[0] - torch.tensor(t)) ** 2).sum()
    Et.backward()
    assert abs(Et.item() - E) < 1e-10
    for k in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(g.params()[k], P[k].grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g.dx, xt.grad.numpy()[0], atol=1e-12)


@pytest.mark.parametrize("call, word", [
    (lambda: chain.Q3Chain({"W1": np.zeros((3, 1, 3, 3))}), "b1"),
    (lambda: chain.Q3Chain(dict(chain.init_q3_params(), W2=np.zeros((10, 3, 3, 3)))), "W2"),
    (lambda: chain.Q3Chain().forward(np.zeros((28, 28))), "x"),
    (lambda: chain.maxpool_forward(np.zeros((1, 1)), 2), "size"),
    (lambda: chain.maxpool_backward(np.zeros((2, 2)), np.zeros((4, 4), bool), 3), "dy"),
    (lambda: chain.relu_backward(np.zeros(3), np.zeros(4, bool)), "dy"),
    (lambda: chain.conv_input_grad(np.zeros((2, 3, 3)), np.zeros((3, 1, 2, 2))), "w"),
    (lambda: chain.weight_grad_terms(np.zeros((1, 4, 4)), np.zeros((1, 2, 2)), 0, 0, 3, 0), "p"),
    (lambda: chain.q3_input(5000), "index"),
])
def test_bad_input_names_argument(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_bad_types():
    with pytest.raises(TypeError, match="params"):
        chain.Q3Chain([1, 2])
    with pytest.raises(TypeError, match="mask"):
        chain.relu_backward(np.zeros(3), np.zeros(3))
    with pytest.raises(TypeError, match="trace"):
        chain.Q3Chain().backward("no", np.zeros((10, 5, 5)))


def test_switches_match_torch_indices_on_random_shapes():
    torch = pytest.importorskip("torch")
    from hypothesis import assume, given, settings, strategies as st

    @settings(max_examples=30, deadline=None)
    @given(C=st.integers(1, 3), H=st.integers(2, 9), W=st.integers(2, 9), size=st.integers(1, 3),
           seed=st.integers(0, 10_000))
    def prop(C, H, W, size, seed):
        assume(size <= min(H, W))
        r = np.random.default_rng(seed).normal(size=(C, H, W))
        p, sw = chain.maxpool_forward(r, size)
        tp, idx = torch.nn.functional.max_pool2d(torch.tensor(r[None]), size, return_indices=True)
        np.testing.assert_array_equal(p, tp.numpy()[0])
        ref = np.zeros((C, H * W), bool)
        for c in range(C):
            ref[c, idx.numpy()[0, c].ravel()] = True
        np.testing.assert_array_equal(sw, ref.reshape(C, H, W))
        dp = np.random.default_rng(seed + 1).normal(size=p.shape)
        rt = torch.tensor(r[None], requires_grad=True)
        torch.nn.functional.max_pool2d(rt, size).backward(torch.tensor(dp[None]))
        np.testing.assert_allclose(chain.maxpool_backward(dp, sw, size), rt.grad.numpy()[0])

    prop()


def test_softmax_head_vs_finite_differences(setup):
    net, x, _, _, trace, _ = setup
    rng = np.random.default_rng(3)
    V, c = rng.normal(0, 0.1, size=(10, 250)), rng.normal(0, 0.1, size=10)
    E, dp2, y_hat = chain.softmax_head(trace.p2, V, c, 3)
    assert y_hat.shape == (10,) and abs(y_hat.sum() - 1) < 1e-12
    assert abs(E + np.log(y_hat[3])) < 1e-12
    p2 = trace.p2.copy()
    np.testing.assert_allclose(dp2, fd_grad(lambda: chain.softmax_head(p2, V, c, 3)[0], p2),
                               atol=1e-8)
    # the head changes only the start of the backward pass
    g = net.backward(trace, dp2)
    W1 = net.params["W1"].copy()

    def loss_w1():
        tr = chain.Q3Chain(dict(net.params, W1=W1)).forward(x)
        return chain.softmax_head(tr.p2, V, c, 3)[0]
    assert rel(g.dW1, fd_grad(loss_w1, W1)) < 1e-7


def test_softmax_head_against_torch(setup):
    torch = pytest.importorskip("torch")
    _, _, _, _, trace, _ = setup
    rng = np.random.default_rng(4)
    V, c = rng.normal(0, 0.1, size=(10, 250)), rng.normal(0, 0.1, size=10)
    pt = torch.tensor(trace.p2, requires_grad=True)
    Et = torch.nn.functional.cross_entropy((torch.tensor(V) @ pt.reshape(-1) + torch.tensor(c))[None],
                                           torch.tensor([7]))
    Et.backward()
    E, dp2, _ = chain.softmax_head(trace.p2, V, c, 7)
    assert abs(E - Et.item()) < 1e-12
    np.testing.assert_allclose(dp2, pt.grad.numpy(), atol=1e-12)


def test_softmax_head_bad_arguments():
    p2 = np.zeros((10, 5, 5))
    with pytest.raises(ValueError, match="V"):
        chain.softmax_head(p2, np.zeros((10, 249)), np.zeros(10), 0)
    with pytest.raises(ValueError, match="v"):
        chain.softmax_head(p2, np.zeros((10, 250)), np.zeros(9), 0)
    with pytest.raises(ValueError, match="label"):
        chain.softmax_head(p2, np.zeros((10, 250)), np.zeros(10), 10)
    with pytest.raises(TypeError, match="label"):
        chain.softmax_head(p2, np.zeros((10, 250)), np.zeros(10), 1.0)


def test_pool_then_relu_gives_the_same_output_and_residual(setup):
    _, _, _, _, trace, g = setup
    for u, dp in ((trace.u2, g.dp2), (trace.u1, g.dp1)):
        q, S = chain.maxpool_forward(u, 2)             # pool first, on u
        p, m = chain.relu_forward(q)                   # then ReLU
        np.testing.assert_array_equal(p, chain.maxpool_forward(chain.relu_forward(u)[0], 2)[0])
        delta_swapped = chain.maxpool_backward(chain.relu_backward(dp, m), S, 2)
        r, M = chain.relu_forward(u)
        delta = chain.relu_backward(chain.maxpool_backward(dp, chain.maxpool_forward(r, 2)[1], 2), M)
        np.testing.assert_array_equal(delta_swapped, delta)
