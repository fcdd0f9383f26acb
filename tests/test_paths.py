"""cnnlab.paths: the masked-path form y = A(x)·x + b̄(x), against the definition (explicit path
enumeration), the model's predict, PyTorch autograd, and across/inside a linear region."""
import itertools

import numpy as np
import pytest

from cnnlab import Sequential
from cnnlab.layers import Conv2D, Dense, Flatten, MaxPooling2D
from cnnlab.paths import activation_pattern, path_form, region_edge, same_pattern
from fd import fd_jacobian


def q1(flatten=True, activation="relu", head="softmax", seed=0):
    layers = [Conv2D(32, (3, 3), activation=activation, input_shape=(32, 32, 3)),
              MaxPooling2D((2, 2)), Conv2D(32, (3, 3), activation=activation),
              MaxPooling2D((2, 2))]
    layers += [Flatten()] if flatten else []
    return Sequential(layers + [Dense(10, activation=head)], seed=seed)


def test_tiny_network_equals_the_sum_over_open_paths():
    """A and b̄ of conv(2x2, 2 maps) -> ReLU -> maxpool 2 -> Flatten -> Dense(3), written out
    path by path with loops (the definition), not with matrices."""
    rng = np.random.default_rng(0)
    model = Sequential([Conv2D(2, (2, 2), activation="relu", input_shape=(5, 5, 1)),
                        MaxPooling2D((2, 2)), Flatten(), Dense(3)])
    K, b1, Wd, bd = (rng.normal(size=w.shape) for w in model.get_weights())
    model.set_weights([K, b1, Wd, bd])
    x = rng.normal(size=(5, 5, 1))
    # forward by loops: u1[m, n, j], switches of each 2x2 window
    u1 = np.zeros((4, 4, 2))
    for m, n, j in itertools.product(range(4), range(4), range(2)):
        u1[m, n, j] = b1[j] + sum(x[m + mu, n + nu, 0] * K[mu, nu, 0, j]
                                  for mu in range(2) for nu in range(2))
    open_ = u1 > 0
    a1 = np.where(open_, u1, 0.0)
    switch = {}
    for m2, n2, j in itertools.product(range(2), range(2), range(2)):
        window = [(2 * m2 + mu, 2 * n2 + nu) for mu in range(2) for nu in range(2)]
        switch[m2, n2, j] = max(window, key=lambda p: (a1[p[0], p[1], j], -window.index(p)))
    A = np.zeros((3, 25))
    bbar = bd.copy()
    for (m2, n2, j), (m, n) in switch.items():
        if not open_[m, n, j]:
            continue                                       # the ReLU closes every path through it
        flat_index = (m2 * 2 + n2) * 2 + j                 # Keras's Flatten: (row, col, map)
        for o in range(3):
            bbar[o] += b1[j] * Wd[flat_index, o]          # bias path: b1 -> switch -> dense
            for mu, nu in itertools.product(range(2), range(2)):
                A[o, (m + mu) * 5 + (n + nu)] += K[mu, nu, 0, j] * Wd[flat_index, o]
    pf = path_form(model, x)
    np.testing.assert_allclose(pf.A, A, atol=1e-12)
    np.testing.assert_allclose(pf.b, bbar, atol=1e-12)
    np.testing.assert_allclose(pf.evaluate(x), model.predict(x[None])[0], atol=1e-12)


@pytest.mark.parametrize("flatten", [True, False])
def test_q1_model_path_form_equals_predict(flatten):
    model = q1(flatten)
    rng = np.random.default_rng(4)
    for x in rng.normal(size=(3, 32, 32, 3)):
        pf = path_form(model, x)
        assert pf.A.shape == ((10,) if flatten else (360,)) + (3072,)
        np.testing.assert_allclose(pf.evaluate(x), model.predict(x[None])[0], rtol=1e-10, atol=1e-14)


def test_q1_A_is_the_pytorch_jacobian_and_b_the_rest():
    torch = pytest.importorskip("torch")
    model = q1(flatten=True, head=None)
    K1, b1, K3, b3, W, b = (torch.tensor(w) for w in model.get_weights())
    x = np.random.default_rng(6).normal(size=(32, 32, 3))

    def logits(t):                                          # an independent forward (PyTorch)
        h = t.permute(2, 0, 1)[None]
        h = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(
            h, K1.permute(3, 2, 0, 1), b1)), 2)
        h = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(
            h, K3.permute(3, 2, 0, 1), b3)), 2)
        return h[0].permute(1, 2, 0).reshape(-1) @ W + b   # channels-last Flatten, as Keras

    xt = torch.tensor(x)
    J = torch.autograd.functional.jacobian(logits, xt).reshape(10, -1).numpy()
    pf = path_form(model, x)
    np.testing.assert_allclose(pf.A, J, atol=1e-12)
    np.testing.assert_allclose(pf.b, logits(xt).detach().numpy() - J @ x.reshape(-1), atol=1e-10)


def _affine_error(model, pf, x, t, d):
    return np.abs(model.predict((x + t * d)[None])[0] - pf.logits(x + t * d)).max()


def test_exact_inside_the_region_wrong_across_a_mask_change():
    """Inside the region (no mask or switch changes) the form is exact to rounding; past the
    first change it is not. Rule fixed before the run: inside ≤ 1e-12, at 10× the edge ≥ 1e-9."""
    model = q1(flatten=True, head=None)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 32, 3))
    d = rng.normal(size=x.shape)
    d /= np.linalg.norm(d)
    pf = path_form(model, x)
    t_edge = region_edge(model, x, d, t_max=1.0)
    assert 0 < t_edge < 1.0
    for f in (0.1, 0.5, 0.9):
        assert same_pattern(pf.pattern, activation_pattern(model, x + f * t_edge * d))
        assert _affine_error(model, pf, x, f * t_edge, d) <= 1e-12
    assert not same_pattern(pf.pattern, activation_pattern(model, x + 10 * t_edge * d))
    assert _affine_error(model, pf, x, 10 * t_edge, d) >= 1e-9


def test_the_same_check_fails_for_a_smooth_network():
    """tanh has no masks: path_form refuses it, and its best affine approximation at x (the
    PyTorch Jacobian) misses by far more than 1e-12 at the same steps: the check can fail."""
    torch = pytest.importorskip("torch")
    model = q1(flatten=True, activation="tanh", head=None)
    with pytest.raises(ValueError, match="piecewise-linear"):
        path_form(model, np.zeros((32, 32, 3)))
    K1, b1, K3, b3, W, b = (torch.tensor(w) for w in model.get_weights())

    def logits(t):
        h = t.permute(2, 0, 1)[None]
        h = torch.nn.functional.max_pool2d(torch.tanh(torch.nn.functional.conv2d(
            h, K1.permute(3, 2, 0, 1), b1)), 2)
        h = torch.nn.functional.max_pool2d(torch.tanh(torch.nn.functional.conv2d(
            h, K3.permute(3, 2, 0, 1), b3)), 2)
        return h[0].permute(1, 2, 0).reshape(-1) @ W + b

    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 32, 3))
    d = rng.normal(size=x.shape)
    d /= np.linalg.norm(d)
    xt = torch.tensor(x)
    J = torch.autograd.functional.jacobian(logits, xt).reshape(10, -1).numpy()
    z0 = logits(xt).detach().numpy()
    np.testing.assert_allclose(model.predict(x[None])[0], z0, atol=1e-12)   # same network
    t = 1e-3
    err = np.abs(model.predict((x + t * d)[None])[0] - (z0 + t * J @ d.reshape(-1))).max()
    assert err > 1e-12


def test_errors_name_the_argument():
    model = q1()
    with pytest.raises(ValueError, match="x must have the model's input shape"):
        path_form(model, np.zeros((32, 32)))
    with pytest.raises(ValueError, match="direction"):
        region_edge(model, np.zeros((32, 32, 3)), np.zeros((3, 3)))
    sig = Sequential([Conv2D(1, (2, 2), activation="sigmoid", input_shape=(4, 4, 1))])
    with pytest.raises(ValueError, match="sigmoid"):
        path_form(sig, np.zeros((4, 4, 1)))
    pf = path_form(model, np.zeros((32, 32, 3)))
    with pytest.raises(ValueError, match="x must have 3072"):
        pf.logits(np.zeros(5))


def test_overlapping_and_padded_pooling_against_finite_differences():
    """3×3 max pooling, stride 2, Keras 'same' padding (windows overlap and hang over the edge):
    A equals the finite-difference Jacobian of predict (exact for a piecewise-linear network at a
    step too small to change a mask), and A x + b̄ equals predict."""
    rng = np.random.default_rng(11)
    model = Sequential([Conv2D(2, (2, 2), activation="relu", input_shape=(7, 6, 1)),
                        MaxPooling2D((3, 3), strides=(2, 2), padding="same"), Flatten(), Dense(3)])
    x = rng.normal(size=(7, 6, 1))
    pf = path_form(model, x)
    np.testing.assert_allclose(pf.logits(x), model.predict(x[None])[0], atol=1e-12)
    J = fd_jacobian(lambda: model.predict(x[None])[0], x, h=1e-7)
    np.testing.assert_allclose(pf.A, J, atol=1e-6)
