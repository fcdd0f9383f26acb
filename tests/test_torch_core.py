"""The core against PyTorch's autograd (an independent implementation), when torch is installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cnnlab.conv import conv2d, conv2d_backward  # noqa: E402
from cnnlab.pool import avgpool2d, avgpool2d_backward, maxpool2d, maxpool2d_backward  # noqa: E402


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 0), (2, 1), ((1, 2), (2, 1)), (3, 2), (1, "same"), (1, "valid")])
@pytest.mark.parametrize("kshape", [(3, 3), (2, 4), (5, 5)])
def test_conv2d_forward_backward_against_autograd(rng, stride, padding, kshape):
    x = rng.normal(size=(3, 2, 9, 10))
    w = rng.normal(size=(4, 2) + kshape)
    b = rng.normal(size=4)
    tx, tw, tb = _t(x), _t(w), _t(b)
    # torch pads 'same' for even kernels with the extra row/column at the bottom/right too
    ty = F.conv2d(tx, tw, tb, stride=stride, padding=padding)
    y = conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    dy = rng.normal(size=y.shape)
    ty.backward(torch.tensor(dy))
    dx, dw, db = conv2d_backward(dy, x, w, stride, padding)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv2d_full_padding_is_torch_padding_k_minus_1(rng):
    x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 2))
    ty = F.conv2d(torch.tensor(x), torch.tensor(w), padding=(2, 1))
    np.testing.assert_allclose(conv2d(x, w, padding="full"), ty.numpy(), atol=1e-12)


def test_conv2d_float32_against_torch(rng):
    x = rng.normal(size=(8, 3, 12, 12)).astype(np.float32)
    w = rng.normal(size=(5, 3, 3, 3)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = F.conv2d(tx, tw, stride=2, padding=1)
    y = conv2d(x, w, stride=2, padding=1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    dy = rng.normal(size=y.shape).astype(np.float32)
    ty.backward(torch.tensor(dy))
    dx, dw, _ = conv2d_backward(dy, x, w, stride=2, padding=1)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("size,stride", [(2, None), (3, 1), (3, 2), ((2, 3), (2, 1))])
def test_maxpool_against_autograd(rng, size, stride):
    x = rng.permutation(2 * 3 * 9 * 8).reshape(2, 3, 9, 8).astype(float)  # no ties
    tx = _t(x)
    ty = F.max_pool2d(tx, size, stride)
    y = maxpool2d(x, size, stride)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    dy = rng.normal(size=y.shape)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(maxpool2d_backward(dy, x, size, stride), tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("size,stride", [(2, None), (3, 1), (3, 2), ((2, 3), (2, 1))])
def test_avgpool_against_autograd(rng, size, stride):
    x = rng.normal(size=(2, 3, 9, 8))
    tx = _t(x)
    ty = F.avg_pool2d(tx, size, stride)
    y = avgpool2d(x, size, stride)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12)
    dy = rng.normal(size=y.shape)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(avgpool2d_backward(dy, x, size, stride), tx.grad.numpy(), rtol=1e-12)


def test_q3_network_gradient_against_autograd(rng):
    """The q3 seed's network: conv 3@1x3x3 → ReLU → maxpool 2 → conv 10@3x4x4 → ReLU → maxpool 2,
    gradient of the sum of the outputs with respect to both kernels, by hand vs autograd."""
    from cnnlab.activations import relu, relu_grad

    x = rng.normal(size=(1, 1, 28, 28))
    w1, w2 = rng.normal(size=(3, 1, 3, 3)), rng.normal(size=(10, 3, 4, 4)) * 0.3
    u1 = conv2d(x, w1)
    a1 = relu(u1)
    p1 = maxpool2d(a1, 2)
    u2 = conv2d(p1, w2)
    a2 = relu(u2)
    p2 = maxpool2d(a2, 2)
    assert (u1.shape, p1.shape, u2.shape, p2.shape) == ((1, 3, 26, 26), (1, 3, 13, 13), (1, 10, 10, 10), (1, 10, 5, 5))
    d = np.ones_like(p2)
    d = maxpool2d_backward(d, a2, 2) * relu_grad(u2)
    dp1, dw2, _ = conv2d_backward(d, p1, w2)
    d = maxpool2d_backward(dp1, a1, 2) * relu_grad(u1)
    _, dw1, _ = conv2d_backward(d, x, w1)

    tx, tw1, tw2 = torch.tensor(x), _t(w1), _t(w2)
    out = F.max_pool2d(F.relu(F.conv2d(F.max_pool2d(F.relu(F.conv2d(tx, tw1)), 2), tw2)), 2)
    out.sum().backward()
    np.testing.assert_allclose(dw1, tw1.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dw2, tw2.grad.numpy(), rtol=1e-9, atol=1e-9)
