"""Bouvrie's formulas (cnnlab.bouvrie) against independent references.

References: centred finite differences of a whole small network's loss (float64), SciPy's
correlate2d, explicit loops, hand-worked numbers from the seed, PyTorch autograd when installed.
Never the module against itself.
"""
import numpy as np
import pytest
from scipy import signal

from cnnlab import bouvrie as bv
from cnnlab.gradcheck import numerical_gradient

RNG = np.random.default_rng(0)


def tanh_prime(u):
    return 1.0 - np.tanh(u) ** 2


def assert_close(a, b, tol=1e-7):
    """Relative error of the whole array (norm-wise), so that tiny entries do not dominate."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape, (a.shape, b.shape)
    err = np.linalg.norm(a - b) / max(1e-12, np.linalg.norm(a) + np.linalg.norm(b))
    assert err < tol, f"relative error {err:.2e} >= {tol:.0e}"


# ---------------------------------------------------------------------------------- chapter 5

def _dense_net(rng):
    sizes = [4, 5, 3, 2]
    Ws = [rng.normal(size=(sizes[l + 1], sizes[l])) * 0.7 for l in range(3)]
    bs = [rng.normal(size=sizes[l + 1]) * 0.1 for l in range(3)]
    return Ws, bs, rng.normal(size=4), rng.normal(size=2)


def _dense_loss(Ws, bs, x, t):
    _, xs = bv.dense_forward(x, Ws, bs, np.tanh)
    return 0.5 * np.sum((xs[-1] - t) ** 2)


def test_dense_recursion_matches_finite_differences():
    Ws, bs, x, t = _dense_net(np.random.default_rng(1))
    us, xs = bv.dense_forward(x, Ws, bs, np.tanh)
    deltas, dWs, dbs = bv.dense_backward(us, xs, Ws, t, tanh_prime)
    for l in range(3):
        def lw(w, l=l):
            W2 = list(Ws); W2[l] = w
            return _dense_loss(W2, bs, x, t)

        def lb(b, l=l):
            b2 = list(bs); b2[l] = b
            return _dense_loss(Ws, b2, x, t)
        assert dWs[l].shape == Ws[l].shape
        assert_close(dWs[l], numerical_gradient(lw, Ws[l].copy()))
        assert_close(dbs[l], numerical_gradient(lb, bs[l].copy()))
    # delta^l = dE/du^l: perturb u^1 directly and run the rest of the network
    def from_u1(u1):
        x1 = np.tanh(u1)
        x2 = np.tanh(Ws[1] @ x1 + bs[1])
        x3 = np.tanh(Ws[2] @ x2 + bs[2])
        return 0.5 * np.sum((x3 - t) ** 2)
    assert_close(deltas[0], numerical_gradient(from_u1, us[0].copy()))


def test_dense_recursion_matches_torch():
    torch = pytest.importorskip("torch")
    Ws, bs, x, t = _dense_net(np.random.default_rng(2))
    us, xs = bv.dense_forward(x, Ws, bs, np.tanh)
    _, dWs, _ = bv.dense_backward(us, xs, Ws, t, tanh_prime)
    tW = [torch.tensor(w, requires_grad=True) for w in Ws]
    h = torch.tensor(x)
    for w, b in zip(tW, bs):
        h = torch.tanh(w @ h + torch.tensor(b))
    (0.5 * ((h - torch.tensor(t)) ** 2).sum()).backward()
    for w, dw in zip(tW, dWs):
        np.testing.assert_allclose(dw, w.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_dense_bad_shapes():
    with pytest.raises(ValueError, match="weights\\[0\\]"):
        bv.dense_forward(np.zeros(3), [np.zeros((2, 4))], [np.zeros(2)], np.tanh)
    us, xs = bv.dense_forward(np.zeros(4), [np.zeros((2, 4))], [np.zeros(2)], np.tanh)
    with pytest.raises(ValueError, match="t must have shape"):
        bv.dense_backward(us, xs, [np.zeros((2, 4))], np.zeros(3), tanh_prime)


# ---------------------------------------------------------------------------------- chapter 6

TABLE_23 = np.array([[1, 1, 0], [0, 1, 1]], dtype=bool)   # 2 input maps, 3 output maps


def _conv_sub_loss(x0, k, b, beta, bsub, t, convention, table=TABLE_23):
    u1 = bv.conv_layer_forward(x0, k, b, table, convention)
    x1 = np.tanh(u1)
    u2 = bv.subsampling_forward(x1, beta, bsub, 2)
    return 0.5 * np.sum((np.tanh(u2) - t) ** 2)


@pytest.mark.parametrize("convention", ["matlab", "xcorr"])
def test_conv_then_subsample_all_gradients(convention):
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=(2, 7, 7))
    k = rng.normal(size=(2, 3, 2, 2)) * 0.5
    b = rng.normal(size=3) * 0.1
    beta = rng.normal(size=3)
    bsub = rng.normal(size=3) * 0.1
    t = rng.normal(size=(3, 3, 3))
    # forward, keeping what the formulas need
    u1 = bv.conv_layer_forward(x0, k, b, TABLE_23, convention)
    x1 = np.tanh(u1)
    u2 = bv.subsampling_forward(x1, beta, bsub, 2)
    delta2 = tanh_prime(u2) * (np.tanh(u2) - t)
    delta1 = bv.conv_residual(beta, tanh_prime(u1), delta2, 2)
    dk = bv.kernel_grads(x0, delta1, TABLE_23, convention)
    db = bv.bias_grad(delta1)
    dbeta = bv.beta_grad(delta2, x1, 2)
    dbsub = bv.bias_grad(delta2)

    L = lambda **kw: _conv_sub_loss(**{**dict(x0=x0, k=k, b=b, beta=beta, bsub=bsub, t=t,
                                              convention=convention), **kw})
    nk = numerical_gradient(lambda z: L(k=z), k.copy())
    nk[~TABLE_23] = 0.0          # unconnected kernels do not exist
    assert_close(dk, nk)
    assert_close(db, numerical_gradient(lambda z: L(b=z), b.copy()))
    assert_close(dbeta, numerical_gradient(lambda z: L(beta=z), beta.copy()))
    assert_close(dbsub, numerical_gradient(lambda z: L(bsub=z), bsub.copy()))

    # delta^l is dE/du^l: perturb u1 directly
    def from_u1(u):
        return 0.5 * np.sum((np.tanh(bv.subsampling_forward(np.tanh(u), beta, bsub, 2)) - t) ** 2)
    assert_close(delta1, numerical_gradient(from_u1, u1.copy()))


def test_kernel_grad_double_rotation_equals_loops_and_scipy():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 4))       # the seed's sizes: 4x4 input,
    d = rng.normal(size=(3, 3))       # 3x3 residual -> 2x2 kernel
    g_m = bv.kernel_grad(x, d, "matlab")
    g_x = bv.kernel_grad(x, d, "xcorr")
    assert g_m.shape == (2, 2)
    # independent references: explicit loops, and SciPy's cross-correlation
    np.testing.assert_allclose(g_m, bv.kernel_grad_sum(x, d, (2, 2), "matlab"), atol=1e-12)
    np.testing.assert_allclose(g_x, bv.kernel_grad_sum(x, d, (2, 2), "xcorr"), atol=1e-12)
    np.testing.assert_allclose(g_x, signal.correlate2d(x, d, "valid"), atol=1e-12)
    np.testing.assert_allclose(g_m, signal.correlate2d(x, d, "valid")[::-1, ::-1], atol=1e-12)
    assert not np.allclose(g_m, g_x)   # the outer rot180 matters


def test_kernel_grad_seed_example_by_hand():
    # x = 1..16 row-major, delta = all ones: each xcorr gradient entry is a sum of a 3x3 block
    x = np.arange(1.0, 17.0).reshape(4, 4)
    d = np.ones((3, 3))
    # block starting at (0,0): 1+2+3+5+6+7+9+10+11 = 54; (0,1): 63; (1,0): 90; (1,1): 99
    np.testing.assert_array_equal(bv.kernel_grad(x, d, "xcorr"), [[54, 63], [90, 99]])
    np.testing.assert_array_equal(bv.kernel_grad(x, d, "matlab"), [[99, 90], [63, 54]])


def test_kernel_grad_matches_torch_both_conventions():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x0 = rng.normal(size=(2, 6, 6))
    k = rng.normal(size=(2, 3, 3, 3))
    delta = rng.normal(size=(3, 4, 4))
    tx = torch.tensor(x0[None])
    # torch's conv2d is a cross-correlation; weight layout (out, in, kh, kw)
    w = torch.tensor(np.transpose(k, (1, 0, 2, 3)).copy(), requires_grad=True)
    out = torch.nn.functional.conv2d(tx, w)
    np.testing.assert_allclose(out.detach().numpy()[0],
                               bv.conv_layer_forward(x0, k, np.zeros(3), None, "xcorr"), atol=1e-12)
    (out * torch.tensor(delta[None])).sum().backward()
    g_torch = np.transpose(w.grad.numpy(), (1, 0, 2, 3))
    np.testing.assert_allclose(bv.kernel_grads(x0, delta, None, "xcorr"), g_torch, atol=1e-10)
    # MATLAB convention: the layer conv2(x, k) is torch's conv2d with rot180(k) ...
    w2 = torch.tensor(np.transpose(k[..., ::-1, ::-1], (1, 0, 2, 3)).copy(), requires_grad=True)
    out2 = torch.nn.functional.conv2d(tx, w2)
    np.testing.assert_allclose(out2.detach().numpy()[0],
                               bv.conv_layer_forward(x0, k, np.zeros(3), None, "matlab"), atol=1e-12)
    (out2 * torch.tensor(delta[None])).sum().backward()
    # ... so dE/dk = rot180(torch's weight gradient): the double rotation
    g2 = np.transpose(w2.grad.numpy(), (1, 0, 2, 3))[..., ::-1, ::-1]
    np.testing.assert_allclose(bv.kernel_grads(x0, delta, None, "matlab"), g2, atol=1e-10)


# ---------------------------------------------------------------------------------- chapter 7

def _sub_conv_setup(rng):
    x0 = rng.normal(size=(3, 8, 8))
    beta = rng.normal(size=3)
    bsub = rng.normal(size=3) * 0.1
    k = rng.normal(size=(3, 4, 2, 2)) * 0.5
    b = rng.normal(size=4) * 0.1
    table = np.array([[1, 0, 1, 1], [1, 1, 0, 1], [0, 1, 1, 1]], dtype=bool)
    t = rng.normal(size=(4, 3, 3))
    return x0, beta, bsub, k, b, table, t


@pytest.mark.parametrize("convention", ["matlab", "xcorr"])
def test_subsampling_residual_through_table(convention):
    x0, beta, bsub, k, b, table, t = _sub_conv_setup(np.random.default_rng(6))
    u1 = bv.subsampling_forward(x0, beta, bsub, 2)

    def from_u1(u):
        u2 = bv.conv_layer_forward(np.tanh(u), k, b, table, convention)
        return 0.5 * np.sum((np.tanh(u2) - t) ** 2)
    u2 = bv.conv_layer_forward(np.tanh(u1), k, b, table, convention)
    delta2 = tanh_prime(u2) * (np.tanh(u2) - t)
    delta1 = bv.subsampling_residual(tanh_prime(u1), delta2, k, table, convention)
    assert_close(delta1, numerical_gradient(from_u1, u1.copy()))
    # and the subsampling layer's own parameters
    def L(beta_=beta, bsub_=bsub):
        return from_u1(bv.subsampling_forward(x0, beta_, bsub_, 2))
    assert_close(bv.beta_grad(delta1, x0, 2), numerical_gradient(lambda z: L(beta_=z), beta.copy()))
    assert_close(bv.bias_grad(delta1), numerical_gradient(lambda z: L(bsub_=z), bsub.copy()))


def test_printed_single_index_formula_misses_terms_unless_one_to_one():
    x0, beta, bsub, k, b, table, t = _sub_conv_setup(np.random.default_rng(7))
    fp = RNG.uniform(0.5, 1.0, size=(3, 4, 4))
    delta2 = RNG.normal(size=(4, 3, 3))
    full = bv.subsampling_residual(fp, delta2, k, table)
    # map 0 feeds maps 0, 2, 3: the printed formula with j = 0 keeps only one of the three terms
    printed = bv.subsampling_residual_as_printed(fp[0], delta2[0], k[0, 0])
    assert not np.allclose(printed, full[0])
    summed = sum(bv.subsampling_residual_as_printed(fp[0], delta2[j], k[0, j]) for j in (0, 2, 3))
    np.testing.assert_allclose(summed, full[0], atol=1e-12)
    # one-to-one table: the printed formula is exact
    eye = np.eye(3, dtype=bool)
    d3 = RNG.normal(size=(3, 3, 3))
    k3 = RNG.normal(size=(3, 3, 2, 2))
    one = bv.subsampling_residual(fp, d3, k3, eye)
    for j in range(3):
        np.testing.assert_allclose(bv.subsampling_residual_as_printed(fp[j], d3[j], k3[j, j]),
                                   one[j], atol=1e-12)


def test_beta_grad_seed_example():
    # the seed numbers the 4x4 map block by block: 1..4 in the first 2x2 block, 5..8 in the next
    x = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]], float)
    d = np.array([[0.5, -1.0], [2.0, 0.25]])
    by_hand = (0.5 * (1 + 2 + 3 + 4) - 1.0 * (5 + 6 + 7 + 8) + 2.0 * (9 + 10 + 11 + 12)
               + 0.25 * (13 + 14 + 15 + 16))
    assert bv.beta_grad(d[None], x[None], 2)[0] == pytest.approx(by_hand)
    assert by_hand == pytest.approx(77.5)


def test_lenet_c3_table():
    t = bv.lenet_c3_table()
    assert t.shape == (6, 16) and t.sum() == 60
    np.testing.assert_array_equal(t.sum(axis=0), [3] * 6 + [4] * 9 + [6])
    assert list(np.flatnonzero(t[0])) == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]
    assert list(np.flatnonzero(t[:, 9])) == [0, 3, 4, 5]


def test_subsampling_residual_matches_torch_on_lenet_table():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    table = bv.lenet_c3_table()
    x = rng.normal(size=(6, 8, 8))
    k = rng.normal(size=(6, 16, 5, 5)) * table[..., None, None]
    delta = rng.normal(size=(16, 4, 4))
    tx = torch.tensor(x[None], requires_grad=True)
    w = torch.tensor(np.transpose(k, (1, 0, 2, 3)).copy())
    (torch.nn.functional.conv2d(tx, w) * torch.tensor(delta[None])).sum().backward()
    ours = bv.subsampling_residual(np.ones((6, 8, 8)), delta, k, table, "xcorr")
    np.testing.assert_allclose(ours, tx.grad.numpy()[0], atol=1e-10)


# --------------------------------------------------------------------------------- chapter 8

def _comb_setup(rng):
    return (rng.normal(size=(3, 5, 5)), rng.normal(size=(3, 2, 2)), rng.normal(size=(3, 2)),
            rng.normal(size=2) * 0.1, rng.normal(size=(2, 4, 4)))


def _comb_loss(x0, k, c, b, t):
    u, _ = bv.combination_forward(x0, k, c, b)
    return 0.5 * np.sum((np.tanh(u) - t) ** 2)


def test_softmax_columns():
    c = np.array([[0.0, 1.0], [np.log(3.0), 1.0]])
    np.testing.assert_allclose(bv.softmax_columns(c), [[0.25, 0.5], [0.75, 0.5]])


def test_combination_gradients_match_finite_differences():
    x0, k, c, b, t = _comb_setup(np.random.default_rng(9))
    u, conv = bv.combination_forward(x0, k, c, b)
    delta = tanh_prime(u) * (np.tanh(u) - t)
    ga = bv.alpha_grad(delta, conv)
    gc = bv.c_grad(ga, c)
    assert_close(gc, numerical_gradient(lambda z: _comb_loss(x0, k, z, b, t), c.copy()))
    # dE/dalpha with alpha as the free variable
    def from_alpha(a):
        u_ = np.einsum("ij,ihw->jhw", a, conv) + b[:, None, None]
        return 0.5 * np.sum((np.tanh(u_) - t) ** 2)
    assert_close(ga, numerical_gradient(from_alpha, bv.softmax_columns(c)))
    # each column of dE/dc sums to zero: adding a constant to a column of c changes nothing
    np.testing.assert_allclose(gc.sum(axis=0), 0.0, atol=1e-12)


def test_combination_matches_torch():
    torch = pytest.importorskip("torch")
    x0, k, c, b, t = _comb_setup(np.random.default_rng(10))
    u, conv = bv.combination_forward(x0, k, c, b)
    gc = bv.c_grad(bv.alpha_grad(tanh_prime(u) * (np.tanh(u) - t), conv), c)
    tc = torch.tensor(c, requires_grad=True)
    alpha = torch.softmax(tc, dim=0)
    tu = torch.einsum("ij,ihw->jhw", alpha, torch.tensor(conv)) + torch.tensor(b)[:, None, None]
    (0.5 * ((torch.tanh(tu) - torch.tensor(t)) ** 2).sum()).backward()
    np.testing.assert_allclose(gc, tc.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_l1_penalty_is_constant_and_its_gradient_vanishes():
    rng = np.random.default_rng(11)
    for _ in range(5):
        c = rng.normal(size=(4, 3)) * 3
        assert bv.l1_penalty(c, 0.1) == pytest.approx(0.1 * 3)
        np.testing.assert_allclose(bv.l1_penalty_c_grad(c, 0.1), 0.0, atol=1e-15)
        np.testing.assert_allclose(numerical_gradient(lambda z: bv.l1_penalty(z, 0.1), c.copy()),
                                   0.0, atol=1e-8)


def test_entropy_penalty_gradient_and_direction():
    rng = np.random.default_rng(12)
    c = rng.normal(size=(4, 3))
    g = bv.entropy_penalty_c_grad(c, 0.1)
    assert_close(g, numerical_gradient(lambda z: bv.entropy_penalty(z, 0.1), c.copy()))
    assert np.abs(g).max() > 1e-3
    # a gradient step lowers the entropy: the columns of alpha become more peaked
    assert bv.entropy_penalty(c - 1.0 * g, 0.1) < bv.entropy_penalty(c, 0.1)


# ---------------------------------------------------------------------------------- bad input

def test_bad_arguments_raise_named_errors():
    with pytest.raises(ValueError, match="convention"):
        bv.kernel_grad(np.zeros((4, 4)), np.zeros((3, 3)), "conv")
    with pytest.raises(ValueError, match="table must have shape"):
        bv.kernel_grads(np.zeros((2, 4, 4)), np.zeros((3, 3, 3)), np.ones((3, 2), bool))
    with pytest.raises(TypeError, match="table"):
        bv.kernel_grads(np.zeros((2, 4, 4)), np.zeros((3, 3, 3)), np.ones((2, 3)) * 0.5)
    with pytest.raises(ValueError, match="delta_j"):
        bv.kernel_grad(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="delta_next"):
        bv.conv_residual(np.ones(2), np.ones((2, 4, 4)), np.ones((2, 3, 3)), 2)
    with pytest.raises(ValueError, match="k_next"):
        bv.subsampling_residual(np.ones((2, 4, 4)), np.ones((3, 3, 3)), np.ones((3, 2, 2, 2)))
    with pytest.raises(TypeError, match="x_prev"):
        bv.conv_layer_forward(np.array([["a"]]), np.zeros((1, 1, 1, 1)), np.zeros(1))


# LeCun, Bottou, Bengio and Haffner (1998), Table I, transcribed as printed there (rows: S2 maps
# 0..5, columns: C3 maps 0..15, X = connected).  The paper is not stored in this repository;
# the transcription is checked against the 60 connections and 156/1516 counts of test_lenet.py.
_TABLE_I = """
X...XXX..XXXX.XX
XX...XXX..XXXX.X
XXX...XXX..X.XXX
.XXX..XXXX..X.XX
..XXX..XXXX.XX.X
...XXX..XXXX.XXX
"""


def test_c3_table_lives_once_and_is_lecun_table_one():
    from cnnlab.models import C3_TABLE

    grid = np.array([[ch == "X" for ch in row] for row in _TABLE_I.split()])
    assert grid.shape == (6, 16) and grid.sum() == 60
    np.testing.assert_array_equal(C3_TABLE.astype(bool), grid)
    np.testing.assert_array_equal(bv.lenet_c3_table(), grid)


def test_flip_rule_against_scipy_convolution():
    from scipy import signal

    rng = np.random.default_rng(4)
    x, k = rng.normal(size=(5, 6)), rng.normal(size=(3, 2))
    kh, kw = k.shape
    for convention, ref in (("matlab", signal.convolve2d(x, k, "valid")),
                            ("xcorr", signal.correlate2d(x, k, "valid"))):
        y = np.zeros(ref.shape)
        for u, v, p, q in np.ndindex(*ref.shape, kh, kw):
            y[u, v] += k[p, q] * x[bv.input_index(u, p, kh, convention), bv.input_index(v, q, kw, convention)]
        np.testing.assert_allclose(y, ref, atol=1e-12)
        # kernel_index inverts input_index
        u, p = 2, 1
        assert bv.kernel_index(u, bv.input_index(u, p, kh, convention), kh, convention) == p
    assert bv.input_index(0, 0, 2) == 1 and bv.input_index(0, 0, 2, "xcorr") == 0   # by hand
    with pytest.raises(ValueError, match="convention must be"):
        bv.input_index(0, 0, 2, "flip")


def test_subsampling_helpers_are_the_core(rng):
    from cnnlab.sampling import subsample, subsample_backward

    x, beta, b, d = rng.normal(size=(3, 4, 6)), rng.normal(size=3), rng.normal(size=3), rng.normal(size=(3, 2, 3))
    np.testing.assert_allclose(bv.subsampling_forward(x, beta, b, 2), subsample(x, beta, b, 2))
    np.testing.assert_allclose(bv.beta_grad(d, x, 2), subsample_backward(d, x, beta, 2)[1])
