"""The model API against PyTorch (forward values and autograd gradients), when installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cnnlab import Sequential  # noqa: E402
from cnnlab.layers import AveragePooling2D, Conv2D, Dense, Flatten  # noqa: E402
from cnnlab.losses import CategoricalCrossentropy  # noqa: E402
from cnnlab.models import lenet5, small_lenet  # noqa: E402
from seeds import q1_model  # noqa: E402


def t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def tf_same_pads(n, k, s):
    """TensorFlow's documented 'SAME' rule: out = ceil(n/s), total = max((out-1)s + k - n, 0),
    before = total // 2, after = the rest."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def torch_conv(x_nhwc, K, b, stride, padding):
    x = t(x_nhwc).permute(0, 3, 1, 2)
    w = t(K).permute(3, 2, 0, 1)
    if padding == "same":
        pt, pb = tf_same_pads(x.shape[2], w.shape[2], stride)
        pl, pr = tf_same_pads(x.shape[3], w.shape[3], stride)
        x = F.pad(x, (pl, pr, pt, pb))
    return F.conv2d(x, w, t(b), stride=stride).permute(0, 2, 3, 1)


@pytest.mark.parametrize("k,s,padding,H", [(2, 1, "same", 7), (4, 2, "same", 9), (3, 2, "valid", 8),
                                           (5, 3, "same", 10)])
def test_conv2d_forward_matches_torch(k, s, padding, H):
    rng = np.random.default_rng(0)
    m = Sequential([Conv2D(4, k, strides=s, padding=padding, input_shape=(H, H + 1, 3))])
    x = rng.standard_normal((2, H, H + 1, 3))
    K, b = m.get_weights()
    b = rng.standard_normal(b.shape)
    m.set_weights([K, b])
    np.testing.assert_allclose(m.predict(x), torch_conv(x, K, b, s, padding).numpy(), atol=1e-12)


def test_q1_forward_matches_torch():
    m = q1_model()
    rng = np.random.default_rng(1)
    m.set_weights([w + 0.1 * rng.standard_normal(w.shape) for w in m.get_weights()])
    K1, b1, K3, b3, W5, b5 = m.get_weights()
    x = rng.standard_normal((2, 32, 32, 3))
    h = F.relu(torch_conv(x, K1, b1, 1, "valid")).permute(0, 3, 1, 2)
    h = F.max_pool2d(h, 2).permute(0, 2, 3, 1).numpy()
    h = F.relu(torch_conv(h, K3, b3, 1, "valid")).permute(0, 3, 1, 2)
    h = F.max_pool2d(h, 2).permute(0, 2, 3, 1)                       # (2, 6, 6, 32)
    y = torch.softmax(h @ t(W5) + t(b5), dim=-1)
    np.testing.assert_allclose(m.predict(x), y.numpy(), atol=1e-12)


def test_average_pool_same_matches_torch_count_exclude_pad():
    x = np.random.default_rng(2).standard_normal((1, 5, 5, 2))
    m = Sequential([AveragePooling2D(2, padding="same", input_shape=(5, 5, 2))])
    xt = F.pad(t(x).permute(0, 3, 1, 2), (0, 1, 0, 1))
    ones = F.pad(torch.ones(1, 1, 5, 5, dtype=torch.float64), (0, 1, 0, 1))
    ref = F.avg_pool2d(xt, 2) / F.avg_pool2d(ones, 2)
    np.testing.assert_allclose(m.predict(x), ref.permute(0, 2, 3, 1).numpy(), atol=1e-12)


def lenet_torch(model, x_nhwc, params):
    """The same network written in PyTorch: masked C3 kernel, subsampling = beta*(4*avgpool)+b,
    LeCun's scaled tanh, channels-last flatten."""
    act = lambda u: 1.7159 * torch.tanh(2.0 / 3.0 * u)  # noqa: E731
    h = t(x_nhwc).permute(0, 3, 1, 2)
    k = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            K, b = params[k], params[k + 1]
            k += 2
            if layer.connections is not None:
                K = K * t(layer.connections)[None, None]
            h = act(F.conv2d(h, K.permute(3, 2, 0, 1), b))
        elif kind == "Subsampling":
            beta, b = params[k], params[k + 1]
            k += 2
            p = layer.pool_size
            h = act(beta[None, :, None, None] * F.avg_pool2d(h, p) * p * p + b[None, :, None, None])
        elif kind == "Flatten":
            h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)
        elif kind == "Dense":
            W, b = params[k], params[k + 1]
            k += 2
            h = h @ W + b
            h = torch.softmax(h, -1) if layer.activation == "softmax" else act(h)
    return h


def test_small_lenet_gradients_match_torch_autograd():
    rng = np.random.default_rng(0)
    m = small_lenet(seed=4)
    m.set_weights([w + 0.3 * rng.standard_normal(w.shape) for w in m.get_weights()])
    x = rng.standard_normal((4, 12, 12, 1))
    y = np.array([0, 2, 1, 2])
    params = [t(w).requires_grad_() for w in m.get_weights()]
    p_t = lenet_torch(m, x, params)
    loss_t = -torch.log(p_t[torch.arange(4), torch.tensor(y)]).mean()
    loss_t.backward()
    ce = CategoricalCrossentropy()
    p = m.forward(x, training=True)
    m.backward(ce.logit_gradient(p, y), preactivation=True)
    assert ce(p, y) == pytest.approx(loss_t.item(), rel=1e-12)
    # torch multiplies C3's kernel by the table, so its gradient is zero on cut pairs, as ours
    for g, pt in zip(m.gradients, params):
        np.testing.assert_allclose(g, pt.grad.numpy(), atol=1e-10)


def test_lenet5_forward_matches_torch():
    m = lenet5(seed=3)
    x = np.random.default_rng(3).standard_normal((2, 32, 32, 1))
    ref = lenet_torch(m, x, [t(w) for w in m.get_weights()])
    np.testing.assert_allclose(m.predict(x), ref.numpy(), atol=1e-12)
