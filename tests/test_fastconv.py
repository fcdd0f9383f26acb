"""cnnlab.fastconv (the fast path of conv2d / conv2d_backward) against the formulas as written in
cnnlab.conv (fast=False), SciPy, finite differences and PyTorch; its batch pieces and threads."""
import numpy as np
import pytest
from fd import fd_grad
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import signal

from cnnlab import fastconv
from cnnlab.conv import conv2d, conv2d_backward
from cnnlab.naive import conv2d_backward_naive, conv2d_naive
from cnnlab.shapes import resolve_padding

PADDINGS = st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
                     st.sampled_from(["valid", "same", "full"]))


def scipy_forward(x, w, b, stride, pads):
    """Pad, correlate every (sample, filter, channel) with SciPy in 'valid' mode, sum over the
    channels, keep every stride-th row and column, add the bias."""
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    sh, sw = stride
    return np.array([[sum(signal.correlate2d(xp[n, c], w[f, c], "valid") for c in range(x.shape[1]))[::sh, ::sw]
                      + b[f] for f in range(w.shape[0])] for n in range(x.shape[0])])


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 3), c=st.integers(1, 3), f=st.integers(1, 4), h=st.integers(1, 9),
       w_=st.integers(1, 9), kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3),
       sw=st.integers(1, 3), padding=PADDINGS, dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**16))
def test_fast_equals_formula_and_scipy(n, c, f, h, w_, kh, kw, sh, sw, padding, dtype, seed):
    pads = resolve_padding(padding, (kh, kw), (sh, sw), input_size=(h, w_))
    assume(kh <= h + pads[0] + pads[1] and kw <= w_ + pads[2] + pads[3])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h, w_)).astype(dtype)
    w = rng.normal(size=(f, c, kh, kw)).astype(dtype)
    b = rng.normal(size=f).astype(dtype)
    y = conv2d(x, w, b, (sh, sw), padding)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, conv2d(x, w, b, (sh, sw), padding, fast=False), **tol(dtype))
    ref = scipy_forward(x.astype(float), w.astype(float), b.astype(float), (sh, sw), pads)
    np.testing.assert_allclose(y, ref, **tol(dtype))
    dy = rng.normal(size=y.shape).astype(dtype)
    fast = conv2d_backward(dy, x, w, (sh, sw), padding)
    slow = conv2d_backward(dy, x, w, (sh, sw), padding, fast=False)
    loops = conv2d_backward_naive(dy.astype(float), x.astype(float), w.astype(float), (sh, sw), padding)
    for a, s, r in zip(fast, slow, loops):
        assert a.dtype == dtype and a.shape == r.shape
        np.testing.assert_allclose(a, s, **tol(dtype))
        np.testing.assert_allclose(a, r, **tol(dtype))


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), "same"), (2, "same"), (1, "full")])
def test_both_paths_match_finite_differences(rng, fast, stride, padding):
    x, w, b = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    dy = rng.normal(size=conv2d(x, w, b, stride, padding).shape)
    dx, dw, db = conv2d_backward(dy, x, w, stride, padding, fast=fast)

    def loss():
        return float(np.sum(dy * conv2d(x, w, b, stride, padding, fast=fast)))

    for got, arr in ((dx, x), (dw, w), (db, b)):
        np.testing.assert_allclose(got, fd_grad(loss, arr, 1e-3), rtol=1e-7, atol=1e-8)


def test_formula_path_hand_example():
    # 4x4 ramp, kernel [[1, 0], [0, 1]]: y[i, j] = x[i, j] + x[i+1, j+1]; dy = 1 everywhere:
    # dw[p, q] = sum of the pixels the offset (p, q) reads, dx[u, v] = windows covering (u, v)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, 1.0]]]])
    y = conv2d(x, w, fast=False)[0, 0]
    np.testing.assert_array_equal(y, [[5, 7, 9], [13, 15, 17], [21, 23, 25]])
    dx, dw, db = conv2d_backward(np.ones((1, 1, 3, 3)), x, w, fast=False)
    np.testing.assert_array_equal(dw[0, 0], [[x[0, 0, :3, :3].sum(), x[0, 0, :3, 1:].sum()],
                                             [x[0, 0, 1:, :3].sum(), x[0, 0, 1:, 1:].sum()]])
    np.testing.assert_array_equal(db, [9.0])
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 1, 0], [1, 2, 2, 1], [1, 2, 2, 1], [0, 1, 1, 1]])


@pytest.mark.parametrize("fast", [True, False])
def test_need_dx_false_skips_dx_only(rng, fast):
    x, w = rng.normal(size=(3, 2, 7, 6)), rng.normal(size=(4, 2, 3, 3))
    dy = rng.normal(size=(3, 4, 5, 4))
    dx, dw, db = conv2d_backward(dy, x, w, need_dx=False, fast=fast)
    assert dx is None
    _, dw_all, db_all = conv2d_backward_naive(dy, x, w)
    np.testing.assert_allclose(dw, dw_all, atol=1e-12)
    np.testing.assert_allclose(db, db_all, atol=1e-12)


def test_flags_are_checked(rng):
    x, w = rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(1, 1, 2, 2))
    with pytest.raises(TypeError, match="need_dx"):
        conv2d_backward(np.ones((1, 1, 3, 3)), x, w, need_dx="no")
    with pytest.raises(TypeError, match="fast"):
        conv2d(x, w, fast=1)


# --------------------------------------------------------------------------- pieces and threads
@pytest.fixture
def split_everything(monkeypatch):
    """Force the batch to be cut even for small problems, and into more pieces than threads."""
    monkeypatch.setattr(fastconv, "_SPLIT_MIN_ENTRIES", 0)
    monkeypatch.setattr(fastconv, "_PIECE_MAX_BYTES", 2000)
    monkeypatch.setattr(fastconv, "_SPLIT_MIN_ITEMSIZE", 0)
    old = fastconv.set_num_threads(2)
    yield
    fastconv.set_num_threads(old)


def test_pieces_cover_the_batch_once():
    for N in (1, 2, 5, 64):
        for threads in (1, 2, 3):
            pieces = fastconv._pieces(N, 10**5, 8, threads)
            covered = np.concatenate([np.arange(N)[s] for s in pieces])
            np.testing.assert_array_equal(covered, np.arange(N))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 3), (0, 2)), (1, "same"), (3, "full")])
def test_split_batch_in_threads_equals_loops(rng, split_everything, dtype, stride, padding):
    x = rng.normal(size=(7, 3, 8, 9)).astype(dtype)
    w, b = rng.normal(size=(4, 3, 3, 2)).astype(dtype), rng.normal(size=4).astype(dtype)
    assert len(fastconv._pieces(7, 3 * 3 * 2 * 8 * 9, x.itemsize, 2)) > 2
    y = conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(y, conv2d_naive(x.astype(float), w.astype(float), b.astype(float), stride, padding),
                               **tol(dtype))
    dy = rng.normal(size=y.shape).astype(dtype)
    got = conv2d_backward(dy, x, w, stride, padding)
    want = conv2d_backward_naive(dy.astype(float), x.astype(float), w.astype(float), stride, padding)
    for a, r in zip(got, want):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, r, **tol(dtype))


def test_blas_threads_restored_after_a_split_call(rng, split_everything):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    x, w = rng.normal(size=(6, 2, 9, 9)), rng.normal(size=(3, 2, 3, 3))
    conv2d_backward(np.ones((6, 3, 7, 7)), x, w)
    after = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert after == before


def test_calls_from_several_threads_at_once(rng, split_everything):
    # each user thread gets its own correct answer, and the BLAS thread counts come back as they were
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from concurrent.futures import ThreadPoolExecutor

    before = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    xs = [rng.normal(size=(6, 2, 9, 9)) for _ in range(4)]
    w = rng.normal(size=(3, 2, 3, 3))
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda x: [conv2d_backward(np.ones((6, 3, 7, 7)), x, w) for _ in range(5)][-1], xs))
    for x, (dx, dw, db) in zip(xs, got):
        want = conv2d_backward_naive(np.ones((6, 3, 7, 7)), x, w)
        for a, r in zip((dx, dw, db), want):
            np.testing.assert_allclose(a, r, atol=1e-12)
    after = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert after == before


def test_threads_follow_threadpool_limits():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    old = fastconv.set_num_threads(None)
    try:
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            assert fastconv.get_num_threads() == 1
        assert fastconv.set_num_threads(3) is None
        assert fastconv.get_num_threads() == 3
    finally:
        fastconv.set_num_threads(old)


def test_set_num_threads_checks_its_argument():
    with pytest.raises(ValueError, match="n must be >= 1"):
        fastconv.set_num_threads(0)
    with pytest.raises(TypeError, match="n must be an int"):
        fastconv.set_num_threads(2.0)


# --------------------------------------------------------------------------- PyTorch on LeNet's layers
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws", [((8, 1, 32, 32), (6, 1, 5, 5)), ((8, 6, 14, 14), (16, 6, 5, 5)),
                                   ((8, 16, 5, 5), (120, 16, 5, 5))])
def test_lenet_layers_match_torch(rng, dtype, xs, ws):
    torch = pytest.importorskip("torch")
    x, w, b = rng.normal(size=xs).astype(dtype), (rng.normal(size=ws) * 0.1).astype(dtype), rng.normal(size=ws[0]).astype(dtype)
    y = conv2d(x, w, b)
    dy = rng.normal(size=y.shape).astype(dtype)
    dx, dw, db = conv2d_backward(dy, x, w)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb)
    ty.backward(torch.tensor(dy))
    for ours, theirs in ((y, ty.detach()), (dx, tx.grad), (dw, tw.grad), (db, tb.grad)):
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4 if dtype == np.float32 else 1e-10,
                                   atol=1e-3 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 3), "same")])
def test_both_im2col_layouts_hold_the_same_windows(rng, first, stride, padding):
    # batch last (C·kh·kw, Ho·Wo·n) and batch first (n, C·kh·kw, Ho·Wo) against conv.im2col's
    # (C·kh·kw, n·Ho·Wo)
    from cnnlab.conv import im2col
    x = rng.normal(size=(3, 2, 7, 8))
    sts = (stride, stride) if isinstance(stride, int) else stride
    pads = resolve_padding(padding, (3, 2), sts, input_size=(7, 8))
    want = im2col(x, (3, 2), stride, padding)                       # columns (n, i, j)
    Ho = (7 + pads[0] + pads[1] - 3) // sts[0] + 1
    Wo = (8 + pads[2] + pads[3] - 2) // sts[1] + 1
    got = fastconv._cols(x, 3, 2, sts, pads, (Ho, Wo), first)
    if first:
        got = got.transpose(1, 0, 2).reshape(12, -1)
    else:
        got = got.reshape(12, Ho * Wo, 3).transpose(0, 2, 1).reshape(12, -1)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("xs,ws", [((6, 1, 20, 20), (3, 1, 5, 5)), ((6, 4, 9, 9), (5, 4, 3, 3))])
def test_backward_reuses_the_forward_im2col_only_for_equal_x(rng, xs, ws):
    # the two layouts (20x20 maps are batch first); the memo must give the same numbers, and a
    # changed x (in place, same object) or another x of the same shape must not take it
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    dy = rng.normal(size=conv2d(x, w, b).shape)
    fastconv.clear_memo()
    cold = conv2d_backward(dy, x, w)
    conv2d(x, w, b)
    assert fastconv._memo                                          # the forward kept its im2col
    warm = conv2d_backward(dy, x, w)
    for a, c in zip(warm, cold):
        np.testing.assert_array_equal(a, c)
    conv2d(x, w, b)
    x[0, 0, 1, 2] += 1.0                                           # changed after the forward
    for a, r in zip(conv2d_backward(dy, x, w), conv2d_backward_naive(dy, x, w)):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)
    other = rng.normal(size=xs)
    conv2d(x, w, b)
    for a, r in zip(conv2d_backward(dy, other, w), conv2d_backward_naive(dy, other, w)):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)
    fastconv.clear_memo()
    assert not fastconv._memo


def test_memo_stays_bounded(rng, monkeypatch):
    monkeypatch.setattr(fastconv, "_MEMO_MAX_BYTES", 40_000)
    fastconv.clear_memo()
    w = rng.normal(size=(2, 3, 3, 3))
    for h in range(6, 16):                                         # im2col 27·(h-2)²·2·8 bytes
        conv2d(rng.normal(size=(2, 3, h, h)), w)
        assert len(fastconv._memo) <= fastconv._MEMO_SIZE
        assert sum(c.nbytes for _, c in fastconv._memo.values()) <= 40_000
    fastconv.clear_memo()


@pytest.mark.parametrize("min_k", [0, 10**9])                     # every dx by shift / by col2im
@pytest.mark.parametrize("padding", [0, (1, 2), "same", "full"])
def test_both_input_gradient_routes_equal_the_loops(rng, monkeypatch, min_k, padding):
    # stride 1; the shift route keeps a zeroed buffer per thread and shape: three calls with
    # different dy, and a call of another shape in between, must each get their own answer
    monkeypatch.setattr(fastconv, "_SHIFT_MIN_K", min_k)
    monkeypatch.setattr(fastconv, "_SHIFT_MAX_WASTE", 10**9)
    x, w = rng.normal(size=(4, 3, 8, 9)), rng.normal(size=(5, 3, 3, 4))
    for k in range(3):
        dy = rng.normal(size=conv2d(x, w, None, 1, padding).shape)
        if k == 1:
            conv2d_backward(rng.normal(size=(2, 5, 3, 3)), rng.normal(size=(2, 3, 5, 6)), w)
        got = conv2d_backward(dy, x, w, 1, padding)
        want = conv2d_backward_naive(dy, x, w, 1, padding)
        for a, r in zip(got, want):
            np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)


def test_wide_matmul_blocks_equal_one_product(rng):
    # float32: column blocks of the product, with a remainder block; float64: one product
    a, b = rng.normal(size=(16, 150)).astype(np.float32), rng.normal(size=(150, 6400 + 37)).astype(np.float32)
    assert fastconv._CHUNK_MNK // (16 * 150) * 2 < b.shape[1]            # the blocked path runs
    got = fastconv._wide_matmul(a, b)
    assert got.dtype == np.float32 and got.shape == (16, 6437)
    np.testing.assert_allclose(got, a.astype(float) @ b.astype(float), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(fastconv._wide_matmul(a.astype(float), b.astype(float)),
                                  a.astype(float) @ b.astype(float))
    thin_a, thin_b = rng.normal(size=(25, 6)), rng.normal(size=(6, 50176 + 5))  # float64, K = 6
    np.testing.assert_allclose(fastconv._wide_matmul(thin_a, thin_b), thin_a @ thin_b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
def test_lenet_c3_float32_batch_64_equals_float64(rng, threads):
    # LeNet's C3 at batch 64 in float32: at one thread the blocked products (forward and input
    # gradient), at two the whole ones
    old = fastconv.set_num_threads(threads)
    try:
        _c3_float32_equals_float64(rng)
    finally:
        fastconv.set_num_threads(old)


def _c3_float32_equals_float64(rng):
    x = rng.normal(size=(64, 6, 14, 14))
    w, b = rng.normal(size=(16, 6, 5, 5)) * 0.1, rng.normal(size=16)
    dy = rng.normal(size=(64, 16, 10, 10))
    y32 = conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32))
    np.testing.assert_allclose(y32, conv2d(x, w, b, fast=False), rtol=1e-4, atol=1e-4)
    got = conv2d_backward(dy.astype(np.float32), x.astype(np.float32), w.astype(np.float32))
    for a, r in zip(got, conv2d_backward(dy, x, w, fast=False)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=2e-3)


# --------------------------------------------------------------------------- Sequential skips dx of its first layer
def test_sequential_backward_without_dx_gives_the_same_weight_gradients(rng, monkeypatch):
    import cnnlab.layers as layers_module
    from cnnlab import Sequential
    from cnnlab.layers import Conv2D, Dense, Flatten

    model = Sequential([Conv2D(3, 3, activation="tanh", input_shape=(7, 7, 2)),
                        Conv2D(2, 2, activation="relu"), Flatten(), Dense(4)])
    x = rng.normal(size=(5, 7, 7, 2))
    dout = rng.normal(size=(5, 4))
    model.forward(x, training=True)
    dx = model.backward(dout)
    full = [g.copy() for layer in model.layers for g in layer.grads if g is not None]
    asked = []
    real = layers_module.conv2d_backward
    monkeypatch.setattr(layers_module, "conv2d_backward",
                        lambda *a, **k: asked.append(k.get("need_dx", True)) or real(*a, **k))
    model.forward(x, training=True)
    assert model.backward(dout, need_dx=False) is None
    assert asked == [True, False]  # the second conv layer still passes dx down; the first does not
    skipped = [g for layer in model.layers for g in layer.grads if g is not None]
    assert len(full) == len(skipped) == 6
    for a, b in zip(full, skipped):
        np.testing.assert_array_equal(a, b)
    assert dx.shape == x.shape


@pytest.mark.parametrize("min_pixels", [0, 10**9])  # every layer batch first / batch last
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 3), "same"), (1, "full")])
def test_both_routes_equal_scipy_and_the_loops(rng, monkeypatch, min_pixels, stride, padding):
    monkeypatch.setattr(fastconv, "_BATCH_FIRST_MIN_PIXELS", min_pixels)
    x, w, b = rng.normal(size=(3, 2, 9, 11)), rng.normal(size=(4, 2, 3, 2)), rng.normal(size=4)
    y = conv2d(x, w, b, stride, padding)
    pads = resolve_padding(padding, (3, 2), stride, input_size=(9, 11))
    sp = (stride, stride) if isinstance(stride, int) else stride
    np.testing.assert_allclose(y, scipy_forward(x, w, b, sp, pads), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv2d(x, w, None, stride, padding), y - b[:, None, None], rtol=1e-10, atol=1e-10)
    dy = rng.normal(size=y.shape)
    for a, r in zip(conv2d_backward(dy, x, w, stride, padding),
                    conv2d_backward_naive(dy, x, w, stride, padding)):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)
