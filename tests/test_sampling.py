"""cnnlab.sampling: Bouvrie's up/down/rot180 and LeNet's trainable subsampling."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnlab.gradcheck import numerical_gradient_array, rel_error
from cnnlab.sampling import down, rot180, subsample, subsample_backward, up


def test_up_is_kronecker_with_ones():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(up(a, 2), np.kron(a, np.ones((2, 2))))
    np.testing.assert_array_equal(up(a, (1, 3)), np.kron(a, np.ones((1, 3))))
    x = np.arange(2 * 3 * 2.0).reshape(2, 3, 2)
    assert up(x, 3).shape == (2, 9, 6)
    np.testing.assert_array_equal(up(x, 3)[1], np.kron(x[1], np.ones((3, 3))))


def test_down_sums_blocks_hand_example():
    x = np.arange(1.0, 17.0).reshape(4, 4)
    np.testing.assert_array_equal(down(x, 2), [[1 + 2 + 5 + 6, 3 + 4 + 7 + 8], [9 + 10 + 13 + 14, 11 + 12 + 15 + 16]])
    np.testing.assert_array_equal(down(x, (1, 4)), x.sum(axis=1, keepdims=True))


@given(n=st.integers(1, 4), h=st.integers(1, 4), w=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_up_down_identities(n, h, w, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(2, h, w))
    b = rng.normal(size=(2, h * n, w * n))
    # down(up(a)) = n² a: every block of up(a) holds n² copies of one entry
    np.testing.assert_allclose(down(up(a, n), n), n * n * a, rtol=1e-12)
    # adjointness <up(a), b> = <a, down(b)>: why the gradient of a down is an up
    np.testing.assert_allclose(np.sum(up(a, n) * b), np.sum(a * down(b, n)), rtol=1e-10)


def test_rot180():
    k = np.array([[1, 2, 3], [4, 5, 6]], dtype=float)
    np.testing.assert_array_equal(rot180(k), [[6, 5, 4], [3, 2, 1]])
    k3 = np.arange(12.0).reshape(2, 2, 3)
    np.testing.assert_array_equal(rot180(k3)[1], np.rot90(k3[1], 2))
    np.testing.assert_array_equal(rot180(rot180(k3)), k3)
    r = rot180(k)
    r[0, 0] = -1  # a copy, not a view
    assert k[1, 2] == 6


def test_subsample_hand_example():
    x = np.arange(1.0, 17.0).reshape(1, 4, 4)
    u = subsample(x, np.array([0.5]), np.array([1.0]), 2)
    np.testing.assert_allclose(u[0], 0.5 * np.array([[14, 22], [46, 54]]) + 1)


def test_bouvrie_subsampling_weight_gradient():
    """The n1 seed's example: a 4×4 conv map labelled 1..16 in 2×2 blocks (block (1,1) holds
    labels 1–4, block (1,2) holds 5–8, block (2,1) holds 9–12, block (2,2) holds 13–16) under a
    2×2 subsampling map with sensitivities d11, d12, d21, d22:

        ∂E/∂β = d11·(1+2+3+4) + d12·(5+6+7+8) + d21·(9+10+11+12) + d22·(13+14+15+16).
    """
    x = np.array([[1, 2, 5, 6],
                  [3, 4, 7, 8],
                  [9, 10, 13, 14],
                  [11, 12, 15, 16]], dtype=float)[None]
    d11, d12, d21, d22 = 0.3, -1.1, 2.0, 0.7
    dy = np.array([[[d11, d12], [d21, d22]]])
    beta = np.array([1.5])
    dx, dbeta, db = subsample_backward(dy, x, beta, 2)
    expected = d11 * (1 + 2 + 3 + 4) + d12 * (5 + 6 + 7 + 8) + d21 * (9 + 10 + 11 + 12) + d22 * (13 + 14 + 15 + 16)
    assert dbeta.shape == (1,)
    assert dbeta[0] == pytest.approx(expected)
    assert db[0] == pytest.approx(d11 + d12 + d21 + d22)
    # each conv-map pixel receives β times the sensitivity of its block: β·up(δ)
    np.testing.assert_allclose(dx[0], 1.5 * np.array([[d11, d11, d12, d12], [d11, d11, d12, d12],
                                                      [d21, d21, d22, d22], [d21, d21, d22, d22]]))


@pytest.mark.parametrize("shape,n", [((3, 4, 6), 2), ((2, 2, 6, 3), 3), ((2, 1, 4, 6), (2, 3))])
def test_subsample_backward_matches_finite_differences(rng, shape, n):
    C = shape[-3]
    x, beta, b = rng.normal(size=shape), rng.normal(size=C), rng.normal(size=C)
    dy = rng.normal(size=subsample(x, beta, b, n).shape)
    dx, dbeta, db = subsample_backward(dy, x, beta, n)
    h = 1e-4  # subsample is linear in x, in β and in b separately: no truncation error
    assert rel_error(dx, numerical_gradient_array(lambda z: subsample(z, beta, b, n), x, dy, h)) < 1e-8
    assert rel_error(dbeta, numerical_gradient_array(lambda z: subsample(x, z, b, n), beta, dy, h)) < 1e-8
    assert rel_error(db, numerical_gradient_array(lambda z: subsample(x, beta, z, n), b, dy, h)) < 1e-8


def test_subsample_per_channel_and_batch(rng):
    x = rng.normal(size=(4, 2, 6, 6))
    beta, b = np.array([2.0, -1.0]), np.array([0.5, 0.0])
    u = subsample(x, beta, b, 2)
    assert u.shape == (4, 2, 3, 3)
    np.testing.assert_allclose(u[3, 1], -1.0 * down(x[3, 1], 2))
    np.testing.assert_allclose(u[0, 0], 2.0 * down(x[0, 0], 2) + 0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_down_equals_the_block_sums(rng, dtype):
    # the strided-slice adds against the reshape-and-sum definition, 2-D to 4-D, unequal blocks
    for shape, n in [((6, 4), 2), ((3, 6, 9), (2, 3)), ((2, 3, 4, 8), (4, 1))]:
        x = rng.normal(size=shape).astype(dtype)
        nh, nw = (n, n) if isinstance(n, int) else n
        H, W = shape[-2:]
        want = x.reshape(shape[:-2] + (H // nh, nh, W // nw, nw)).sum(axis=(-3, -1))
        got = down(x, n)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_subsampling_layer_is_subsample_channels_last(rng):
    # the Keras-like layer (channels last, no transposition) computes subsample / subsample_backward
    from cnnlab import Sequential
    from cnnlab.layers import Subsampling

    m = Sequential([Subsampling(2, input_shape=(6, 4, 3))])
    beta, b = rng.normal(size=3), rng.normal(size=3)
    m.set_weights([beta, b])
    x = rng.normal(size=(5, 6, 4, 3))
    u = m.forward(x, training=True)
    xc = x.transpose(0, 3, 1, 2)
    np.testing.assert_allclose(u, subsample(xc, beta, b, 2).transpose(0, 2, 3, 1), rtol=1e-14)
    dy = rng.normal(size=u.shape)
    dx = m.backward(dy)
    want = subsample_backward(dy.transpose(0, 3, 1, 2), xc, beta, 2)
    np.testing.assert_allclose(dx, want[0].transpose(0, 2, 3, 1), rtol=1e-14)
    layer = m.layers[0]
    np.testing.assert_allclose(layer.grads[0], want[1], rtol=1e-12)
    np.testing.assert_allclose(layer.grads[1], want[2], rtol=1e-12)
