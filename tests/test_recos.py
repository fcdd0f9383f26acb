"""Tests for cnnlab.recos: the RECOS model's quantities, TReLU, patches, k-means anchors, the
constructed example, and the experiment runner's cache (without training anything big)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.spatial.distance import cdist

from cnnlab import recos
from fd import fd_grad


# --------------------------------------------------------------------------- sphere, correlations
def test_unit_vectors_hand_worked():
    out = recos.unit_vectors([[3.0, 4.0], [0.0, -2.0]])
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, -1.0]])
    centred = recos.unit_vectors([1.0, 2.0, 3.0], remove_mean=True)
    np.testing.assert_allclose(centred, np.array([-1.0, 0.0, 1.0]) / np.sqrt(2))


def test_unit_vectors_rejects_zero_rows():
    with pytest.raises(ValueError, match="zero norm"):
        recos.unit_vectors([[1.0, 2.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="removing its mean"):
        recos.unit_vectors([2.0, 2.0, 2.0], remove_mean=True)
    with pytest.raises(TypeError, match="x must be a numeric"):
        recos.unit_vectors(["a", "b"])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(2, 9), st.integers(0, 10_000))
def test_correlations_equal_scipy_cosine(n, k, d, seed):
    rng = np.random.default_rng(seed)
    x, a = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    # SciPy's cosine *distance* is 1 - cos(angle): an independent reference
    np.testing.assert_allclose(recos.correlations(x, a), 1.0 - cdist(x, a, "cosine"), atol=1e-12)
    # a correlation does not depend on the lengths of x or a
    np.testing.assert_allclose(recos.correlations(3.7 * x, 0.2 * a), recos.correlations(x, a), atol=1e-12)


def test_correlations_of_a_negative_flip_sign_and_shapes():
    a = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    x = np.array([2.0, 2.0])
    c = recos.correlations(x, a)
    np.testing.assert_allclose(c, [np.sqrt(0.5), np.sqrt(0.5), -1.0])
    np.testing.assert_allclose(recos.correlations(-x, a), -c)
    assert recos.correlations(np.ones((4, 2)), a).shape == (4, 3)
    with pytest.raises(ValueError, match="x must have 2 components"):
        recos.correlations(np.ones(3), a)


def test_recos_response_is_length_times_cosine_plus_bias():
    rng = np.random.default_rng(1)
    a, x, b = rng.normal(size=(4, 6)), rng.normal(size=6), rng.normal(size=4)
    cos = 1.0 - cdist(x[None], a, "cosine")[0]
    u = np.linalg.norm(a, axis=1) * np.linalg.norm(x) * cos + b
    np.testing.assert_allclose(recos.recos_response(x, a, b, "linear"), u)
    np.testing.assert_allclose(recos.recos_response(x, a, b, "relu"), np.maximum(u, 0))
    np.testing.assert_allclose(recos.recos_response(x, a, b, "trelu", phi=0.3),
                               np.where(u < 0.3, 0, (u - 0.3) / 0.7))
    with pytest.raises(ValueError, match="activation must be"):
        recos.recos_response(x, a, b, "sigmoid")
    with pytest.raises(ValueError, match="bias must be a scalar or have shape"):
        recos.recos_response(x, a, np.ones(3))


# --------------------------------------------------------------------------- TReLU
def test_trelu_hand_values():
    u = np.array([-1.0, 0.0, 0.2, 0.5, 0.75, 1.0, 2.0])
    np.testing.assert_allclose(recos.trelu(u, 0.5), [0, 0, 0, 0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(recos.trelu(u, 0.0), np.maximum(u, 0))  # phi = 0 is ReLU
    np.testing.assert_allclose(recos.trelu_grad(u, 0.5), [0, 0, 0, 2, 2, 2, 2])


def test_trelu_maps_phi_one_onto_zero_one():
    for phi in (0.1, 0.5, 0.9):
        np.testing.assert_allclose(recos.trelu(np.array([phi, 1.0]), phi), [0.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("phi", [1.0, 1.5, -0.1])
def test_trelu_rejects_phi_outside_0_1(phi):
    with pytest.raises(ValueError, match=r"phi must lie in \[0(\.0)?, 1(\.0)?\)"):
        recos.trelu(np.zeros(3), phi)


def test_trelu_rejects_non_numbers():
    with pytest.raises(TypeError, match="phi must be a real number"):
        recos.trelu(np.zeros(3), "0.5")
    with pytest.raises(TypeError, match="phi must be a real number"):
        recos.TReLU(True)


def test_trelu_grad_matches_finite_differences_away_from_kink():
    rng = np.random.default_rng(3)
    u = rng.uniform(-2, 2, size=200)
    phi = 0.35
    u = u[np.abs(u - phi) > 1e-3]
    fd = fd_grad(lambda: float(recos.trelu(u, phi).sum()), u, h=1e-6)   # elementwise: d sum / du_i = f'(u_i)
    np.testing.assert_allclose(recos.trelu_grad(u, phi), fd, atol=1e-6)


def test_trelu_object_and_activation_spec():
    t = recos.TReLU(0.25)
    u = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(t(u), recos.trelu(u, 0.25))
    np.testing.assert_allclose(t.backward(np.full(9, 2.0), u), 2.0 * recos.trelu_grad(u, 0.25))  # dy first
    spec = recos.trelu_activation(0.25)
    np.testing.assert_allclose(spec.f(u), recos.trelu(u, 0.25))
    np.testing.assert_allclose(spec.grad(u, spec.f(u), np.ones(9)), recos.trelu_grad(u, 0.25))
    assert "0.25" in spec.name


def test_trelu_against_torch():
    torch = pytest.importorskip("torch")
    u = torch.linspace(-1.5, 1.5, 31, dtype=torch.float64, requires_grad=True)
    phi = 0.4
    y = torch.where(u < phi, torch.zeros_like(u), (u - phi) / (1 - phi))
    y.sum().backward()
    np.testing.assert_allclose(recos.trelu(u.detach().numpy(), phi), y.detach().numpy())
    keep = np.abs(u.detach().numpy() - phi) > 1e-9
    np.testing.assert_allclose(recos.trelu_grad(u.detach().numpy(), phi)[keep], u.grad.numpy()[keep])


# --------------------------------------------------------------------------- patches, anchors
def test_extract_patches_order_matches_conv():
    # a k×k filter correlated with the image at (i, j) is the dot product with patch (i, j)
    from scipy.signal import correlate2d

    rng = np.random.default_rng(4)
    img, k = rng.normal(size=(7, 9)), rng.normal(size=(3, 3))
    p = recos.extract_patches(img[None], size=3)
    np.testing.assert_allclose(p @ k.ravel(), correlate2d(img, k, mode="valid").ravel())
    assert recos.extract_patches(np.zeros((2, 7, 9, 1)), 3, stride=2).shape == (2 * 3 * 4, 9)
    with pytest.raises(ValueError, match="one channel"):
        recos.extract_patches(np.zeros((2, 7, 9, 3)), 3)
    with pytest.raises(ValueError, match="size must be at most"):
        recos.extract_patches(np.zeros((2, 4, 4)), 5)


def test_normalized_patches_drop_flat_patches_and_have_unit_norm():
    img = np.zeros((1, 8, 8))
    img[0, 2:6, 4] = 1.0  # a vertical stroke
    p = recos.normalized_patches(img, size=3, min_norm=0.5)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0)
    np.testing.assert_allclose(p.sum(axis=1), 0.0, atol=1e-12)  # mean removed
    flat = recos.extract_patches(img, 3)
    n_textured = int(np.sum(np.linalg.norm(flat - flat.mean(1, keepdims=True), axis=1) >= 0.5))
    assert len(p) == n_textured < len(flat)
    with pytest.raises(ValueError, match="no patch"):
        recos.normalized_patches(np.zeros((1, 8, 8)), 3)


def test_kmeans_anchors_recover_known_directions():
    rng = np.random.default_rng(5)
    true = recos.unit_vectors(rng.normal(size=(3, 10)))
    sizes = [300, 200, 100]
    pts = np.vstack([t + 0.05 * rng.normal(size=(n, 10)) for t, n in zip(true, sizes)])
    centres, counts = recos.kmeans_anchors(recos.unit_vectors(pts), 3, seed=0)
    np.testing.assert_array_equal(counts, sizes)  # sorted largest first
    np.testing.assert_allclose(np.sum(centres * true, axis=1), 1.0, atol=2e-3)
    with pytest.raises(ValueError, match="k must be an int between 1 and"):
        recos.kmeans_anchors(pts, 0)


def test_anchor_vectors_layouts_agree():
    rng = np.random.default_rng(6)
    w_cf = rng.normal(size=(4, 2, 3, 3))  # (F, C, kh, kw)
    w_keras = np.transpose(w_cf, (2, 3, 1, 0))  # (kh, kw, C, F)
    a = recos.anchor_vectors(w_keras)
    np.testing.assert_allclose(a, recos.anchor_vectors(w_cf, layout="channels_first"))
    np.testing.assert_allclose(a[1], w_cf[1].ravel() / np.linalg.norm(w_cf[1]))
    with pytest.raises(ValueError, match="layout must be"):
        recos.anchor_vectors(w_cf, layout="nchw")


def test_match_anchors_is_the_best_assignment():
    from itertools import permutations

    rng = np.random.default_rng(7)
    f, c = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    pairs, cos = recos.match_anchors(f, c)
    sim = 1.0 - cdist(f, c, "cosine")
    best = max(permutations(range(4), 3), key=lambda p: sum(sim[i, j] for i, j in enumerate(p)))
    np.testing.assert_array_equal(pairs, best)
    np.testing.assert_allclose(cos, sim[np.arange(3), pairs])
    with pytest.raises(ValueError, match="K >= F"):
        recos.match_anchors(c, f)


def test_invert_gray():
    np.testing.assert_allclose(recos.invert_gray([0.0, 0.25, 1.0]), [1.0, 0.75, 0.0])
    np.testing.assert_allclose(recos.invert_gray([0, 16], lo=0, hi=16), [16, 0])
    with pytest.raises(ValueError, match="hi must be greater than lo"):
        recos.invert_gray([0.0], lo=1, hi=1)


# --------------------------------------------------------------------------- constructed example
def test_pattern_vs_negative_example_by_hand():
    ex = recos.pattern_vs_negative_example(5)
    a = ex["anchor"]
    assert abs(np.linalg.norm(a) - 1) < 1e-12 and abs(a.sum()) < 1e-12
    # hand computation: the bar column is 0.8/ sqrt(...) etc.; r_P = a·a = 1, r_Q = a·(-a) = -1
    np.testing.assert_allclose(ex["r_P"], [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(ex["r_Q"], [0.0, -1.0], atol=1e-12)
    assert np.isclose(ex["y_P_linear"], 1.0) and np.isclose(ex["y_Q_linear"], 1.0)  # confused
    assert np.isclose(ex["y_P_relu"], 1.0) and ex["y_Q_relu"] == 0.0  # told apart
    assert np.sum(np.abs(ex["P"]) * np.abs(ex["Q"])) == 0.0  # no pixel in common
    with pytest.raises(ValueError, match="size must be an int >= 3"):
        recos.pattern_vs_negative_example(2)


# --------------------------------------------------------------------------- networks, runner
def test_recos_lenet_shapes_and_weights():
    two = recos.recos_lenet("relu")
    one = recos.recos_lenet("relu", conv_layers=1)
    # hand counts: (5·5+1)·6 = 156, (5·5·6+1)·16 = 2416; (14·14+1)·16 = 3152
    assert [l.count_params() for l in two.layers[:4]] == [156, 0, 2416, 0]
    assert [l.count_params() for l in one.layers[:2]] == [3152, 0]
    assert two.layers[3].output_shape == one.layers[1].output_shape == (None, 5, 5, 16)
    assert recos.recos_lenet("trelu:0.5").layers[0].activation == "trelu(phi=0.5)"
    assert recos.recos_lenet("linear", dense_activation="relu").layers[5].activation == "relu"
    with pytest.raises(ValueError, match="conv_layers must be 1 or 2"):
        recos.recos_lenet(conv_layers=3)


def test_network_without_rectification_is_affine_and_relu_is_not():
    rng = np.random.default_rng(8)
    x = rng.uniform(size=(4, 32, 32, 1))
    lin = recos.recos_lenet("linear", seed=1, dtype=np.float64)
    rel = recos.recos_lenet("relu", seed=1, dtype=np.float64)
    # an affine map F satisfies F(1 - x) + F(x) = F(1) + F(0) (softmax's per-row constant removed)
    assert recos.inversion_identity_error(lin, x) < 1e-9
    assert recos.inversion_identity_error(rel, x) > 1e-4
    # the same identity by hand: centred log-probabilities are centred logits
    c = recos.centred_logits(lin, x)
    np.testing.assert_allclose(c.sum(axis=1), 0.0, atol=1e-9)


def test_trelu_network_gradient_matches_finite_differences():
    # the TReLU activation plugged into the model backpropagates correctly (float64, away from kinks)
    from cnnlab.gradcheck import numerical_gradient, rel_error

    rng = np.random.default_rng(9)
    spec = recos.trelu_activation(0.3)
    u = rng.uniform(-1, 1, size=(3, 5))
    u = np.where(np.abs(u - 0.3) < 0.05, u + 0.1, u)
    dy = rng.normal(size=u.shape)
    num = numerical_gradient(lambda v: float(np.sum(dy * spec.f(v))), u.copy())
    assert rel_error(spec.grad(u, spec.f(u), dy), num) < 1e-7


# --------------------------------------------------------------------------- cosine convolution
def _patches_loop(x, kh, kw, stride):
    """Every window of x (N, C, H, W), flattened (c, p, q), by explicit loops: (N, Ho, Wo, D)."""
    sh, sw = stride
    N, C, H, W = x.shape
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    out = np.empty((N, Ho, Wo, C * kh * kw))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                out[n, i, j] = x[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw].ravel()
    return out


@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
def test_cosine_correlate_is_the_cosine_of_each_patch_and_filter(stride):
    rng = np.random.default_rng(20)
    x = rng.uniform(0, 1, (2, 3, 7, 6))
    x[0, :, :4, :4] = 0.0                                           # blank windows
    w = rng.normal(size=(4, 3, 3, 2))
    eps = 0.1
    c = recos.cosine_correlate(x, w, stride, eps=eps)
    P = _patches_loop(x, 3, 2, stride)
    A = w.reshape(4, -1)
    assert c.shape == (2, 4) + P.shape[1:3]
    ref = np.einsum("nijd,fd->nfij", P, A) / (
        np.linalg.norm(A, axis=1)[None, :, None, None]
        * np.sqrt(np.sum(P ** 2, axis=-1) + eps ** 2)[:, None])
    np.testing.assert_allclose(c, ref, rtol=1e-12, atol=1e-14)
    assert c[0, :, 0, 0].tolist() == [0.0] * 4                      # a blank patch has correlation 0
    assert np.all(np.abs(c) <= 1.0)
    # for strong patches (‖p‖ ≫ eps) it is the cosine of SciPy's cdist
    strong = np.linalg.norm(P, axis=-1) > 50 * eps
    cos = 1.0 - cdist(P[strong], A, "cosine")
    np.testing.assert_allclose(np.moveaxis(c, 1, -1)[strong], cos, atol=3e-3)
    # with a vanishing eps every non-blank patch gives exactly cos θ
    live = np.linalg.norm(P, axis=-1) > 0
    tiny = np.moveaxis(recos.cosine_correlate(x, w, stride, eps=1e-12), 1, -1)
    np.testing.assert_allclose(tiny[live], 1.0 - cdist(P[live], A, "cosine"), atol=1e-12)


def test_cosine_correlate_ignores_the_scale_of_filters_and_inputs():
    rng = np.random.default_rng(21)
    x, w = rng.uniform(0, 1, (1, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))
    c = recos.cosine_correlate(x, w, eps=0.1)
    np.testing.assert_allclose(recos.cosine_correlate(x, 7.0 * w, eps=0.1), c, rtol=1e-12)
    np.testing.assert_allclose(recos.cosine_correlate(4.0 * x, w, eps=0.4), c, rtol=1e-12)
    np.testing.assert_allclose(recos.cosine_correlate(x, -w, eps=0.1), -c, rtol=1e-12)


@pytest.mark.parametrize("stride", [1, (2, 1), 2])
def test_cosine_correlate_backward_matches_finite_differences(stride):
    from cnnlab.gradcheck import numerical_gradient

    rng = np.random.default_rng(22)
    x = rng.uniform(0, 1, (2, 3, 7, 6))
    x[1, :, :3, :3] = 0.0
    w = rng.normal(size=(4, 3, 3, 2))
    c, cache = recos.cosine_correlate(x, w, stride, return_cache=True)
    dc = rng.normal(size=c.shape)
    dx, dw = recos.cosine_correlate_backward(dc, cache)
    num_x = numerical_gradient(lambda v: float(np.sum(dc * recos.cosine_correlate(v, w, stride))), x.copy(), h=1e-5)
    num_w = numerical_gradient(lambda v: float(np.sum(dc * recos.cosine_correlate(x, v, stride))), w.copy(), h=1e-5)
    np.testing.assert_allclose(dx, num_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, num_w, rtol=1e-6, atol=1e-8)
    # rescaling a filter does not change c, so its gradient is orthogonal to the filter
    np.testing.assert_allclose(np.sum(dw * w, axis=(1, 2, 3)), 0.0, atol=1e-10)


def test_cosine_correlate_against_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(23)
    x = rng.uniform(0, 1, (2, 3, 8, 7))
    x[0, :, :4, :4] = 0.0
    w = rng.normal(size=(5, 3, 3, 3))
    eps, stride = 0.1, (2, 1)
    c, cache = recos.cosine_correlate(x, w, stride, eps=eps, return_cache=True)
    dc = rng.normal(size=c.shape)
    dx, dw = recos.cosine_correlate_backward(dc, cache)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    dot = torch.nn.functional.conv2d(tx, tw, stride=stride)
    sq = torch.nn.functional.conv2d(tx ** 2, torch.ones((1, 3, 3, 3), dtype=torch.float64), stride=stride)
    tc = dot / (tw.flatten(1).norm(dim=1)[None, :, None, None] * torch.sqrt(sq + eps ** 2))
    (tc * torch.tensor(dc)).sum().backward()
    np.testing.assert_allclose(c, tc.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cosine_correlate_rejects_bad_arguments():
    x, w = np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3))
    with pytest.raises(ValueError, match="input channels"):
        recos.cosine_correlate(x, np.ones((3, 1, 3, 3)))
    with pytest.raises(ValueError, match="larger than"):
        recos.cosine_correlate(x, np.ones((3, 2, 6, 3)))
    with pytest.raises(ValueError, match="eps must be a positive"):
        recos.cosine_correlate(x, w, eps=0.0)
    with pytest.raises(ValueError, match="x must be 4-D"):
        recos.cosine_correlate(x[0], w)
    c, cache = recos.cosine_correlate(x, w, return_cache=True)
    with pytest.raises(ValueError, match="dy must have the shape of the forward output"):
        recos.cosine_correlate_backward(np.ones((1, 2, 3, 3)), cache)


def test_cosine_conv_layer_with_trelu_backpropagates():
    from cnnlab import Sequential
    from cnnlab.gradcheck import numerical_gradient

    rng = np.random.default_rng(24)
    layer = recos.CosineConv2D(4, 3, activation=recos.trelu_activation(0.25), input_shape=(7, 6, 2))
    model = Sequential([layer], seed=3, dtype=np.float64)
    assert layer.count_params() == 3 * 3 * 2 * 4 and len(layer.get_weights()) == 1   # no bias
    assert model.output_shape == (None, 5, 4, 4)
    x = rng.uniform(0, 1, (3, 7, 6, 2))
    # the layer is cosine_correlate in Keras layout, then TReLU
    c = recos.cosine_correlate(np.transpose(x, (0, 3, 1, 2)), np.transpose(layer.weights[0], (3, 2, 0, 1)))
    np.testing.assert_allclose(model.predict(x), recos.trelu(np.transpose(c, (0, 2, 3, 1)), 0.25), rtol=1e-12)
    y = model.forward(x, training=True)
    dy = rng.normal(size=y.shape)
    dx = model.backward(dy)
    num_x = numerical_gradient(lambda v: float(np.sum(dy * model.forward(v))), x.copy(), h=1e-6)
    K = layer.weights[0]

    def loss_k(v):
        old = K.copy()
        K[...] = v
        out = float(np.sum(dy * model.forward(x)))
        K[...] = old
        return out

    num_k = numerical_gradient(loss_k, K.copy(), h=1e-6)
    u = np.transpose(c, (0, 2, 3, 1))
    assert np.min(np.abs(u - 0.25)) > 1e-4                 # no correlation sits on the kink
    np.testing.assert_allclose(dx, num_x, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(layer.grads[0], num_k, rtol=1e-5, atol=1e-8)
    with pytest.raises(ValueError, match="eps must be a positive"):
        recos.CosineConv2D(4, 3, eps=-1.0)
    with pytest.raises(ValueError, match="filters must be a positive int"):
        recos.CosineConv2D(0, 3)
    assert layer.arithmetic() == "3·3·2·4 = 72" and layer.get_config()["eps"] == 0.1
    with pytest.raises(TypeError, match="no formula"):        # not mistaken for an affine Conv2D
        model.formula()


def test_recos_lenet_cosine_and_data_anchors():
    from cnnlab.data import load_digits

    (xtr, _), _ = load_digits(size=32, seed=0, normalize="unit", dtype=np.float32)
    net = recos.recos_lenet("trelu:0.75", dense_activation="relu", conv="cosine", seed=0)
    assert [type(l).__name__ for l in net.layers[:4]] == ["CosineConv2D", "AveragePooling2D",
                                                         "CosineConv2D", "AveragePooling2D"]
    # hand counts: 5·5·1·6 = 150 and 5·5·6·16 = 2400 (no biases)
    assert [l.count_params() for l in net.layers[:4]] == [150, 0, 2400, 0]
    before = recos.active_fractions(net, xtr[:60])
    assert before["C3"] == 0.0                     # random anchors: nothing passes φ = 0.75 ...
    recos.init_anchors_from_data(net, xtr[:150], seed=1, max_patches=1500)
    after = recos.active_fractions(net, xtr[:60])
    assert after["C1"] > 0.1 and after["C3"] > 0.1  # ... anchors at the k-means centres: units fire
    for layer in (net.layers[0], net.layers[2]):
        k = layer.get_weights()[0]
        np.testing.assert_allclose(np.linalg.norm(k.reshape(-1, k.shape[-1]), axis=0), 1.0, rtol=1e-5)
    again = recos.init_anchors_from_data(
        recos.recos_lenet("trelu:0.75", dense_activation="relu", conv="cosine", seed=0), xtr[:150], seed=1,
        max_patches=1500)
    for a, b in zip(again.get_weights(), net.get_weights()):
        np.testing.assert_array_equal(a, b)          # seeded
    with pytest.raises(ValueError, match=r"conv must be one of \('affine', 'cosine'\)"):
        recos.recos_lenet(conv="normalised")


# --------------------------------------------------------------------------- spherical k-means
def test_spherical_kmeans_is_a_fixed_point_of_its_definition():
    rng = np.random.default_rng(5)
    true = recos.unit_vectors(rng.normal(size=(4, 9)))
    v = recos.unit_vectors(np.repeat(true, 50, axis=0) + 0.3 * rng.normal(size=(200, 9)))
    c, counts = recos.spherical_kmeans(v, 4, seed=1)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0)
    assert counts.sum() == 200 and list(counts) == sorted(counts, reverse=True)
    labels = np.argmax(v @ c.T, axis=1)                     # each point -> most correlated centre
    for j in range(4):                                       # each centre = normalised mean of its points
        m = v[labels == j].sum(axis=0)
        np.testing.assert_allclose(c[j], m / np.linalg.norm(m), atol=1e-12)
    assert np.bincount(labels, minlength=4).tolist() == counts.tolist()
    # it recovers the four planted directions (SciPy's assignment as the reference matcher)
    _, cos = recos.match_anchors(true, c)
    assert np.all(cos > 0.95)


def test_spherical_kmeans_nearest_is_most_correlated_unlike_euclidean_centres():
    # unit centres: argmin distance == argmax correlation, checked with SciPy's cdist
    rng = np.random.default_rng(2)
    v = recos.unit_vectors(rng.normal(size=(300, 5)))
    c, _ = recos.spherical_kmeans(v, 6, seed=0, n_init=2)
    np.testing.assert_array_equal(cdist(v, c).argmin(axis=1), (v @ c.T).argmax(axis=1))
    # a short centre and a unit one: the nearer (Euclidean) is not the more correlated
    x = np.array([1.0, 0.0])
    # |short| = 0.5 at cos 0.6 (distance² 0.65); unit at cos 0.65 (distance² 2 - 1.3 = 0.7)
    short, unit = np.array([0.3, 0.4]), np.array([0.65, np.sqrt(1 - 0.65 ** 2)])
    assert np.linalg.norm(x - short) < np.linalg.norm(x - unit)
    assert recos.correlations(x, np.stack([short, unit]))[0] < recos.correlations(x, np.stack([short, unit]))[1]


def test_spherical_kmeans_rejects_bad_k():
    v = recos.unit_vectors(np.eye(3))
    with pytest.raises(ValueError, match="k must be an int between 1 and the number of vectors"):
        recos.spherical_kmeans(v, 4)
    with pytest.raises(ValueError, match="zero norm"):
        recos.spherical_kmeans(np.zeros((3, 2)), 1)


def test_antipodal_pairs():
    c = np.array([[1.0, 0, 0], [-1.0, 0.05, 0], [0, 1.0, 0], [0, 0, 1.0]])
    partner, cos = recos.antipodal_pairs(c)
    assert partner[0] == 1 and partner[1] == 0
    assert cos[0] == pytest.approx(-1 / np.sqrt(1 + 0.05 ** 2))
    np.testing.assert_allclose(cos, (recos.unit_vectors(c) @ recos.unit_vectors(c)[partner].T).diagonal())
    with pytest.raises(ValueError, match="K >= 2"):
        recos.antipodal_pairs(np.ones((1, 3)))


@pytest.mark.parametrize("d, exact", [(2, 2 / np.pi), (3, 0.5)])
def test_mean_abs_cos_random_closed_forms(d, exact):
    assert recos.mean_abs_cos_random(d) == pytest.approx(exact)


def test_mean_abs_cos_random_against_monte_carlo_and_rms():
    rng = np.random.default_rng(25)
    a = recos.unit_vectors(rng.normal(size=(200000, 25)))
    b = recos.unit_vectors(rng.normal(size=(200000, 25)))
    cos = np.sum(a * b, axis=1)
    m = recos.mean_abs_cos_random(25)
    assert abs(np.mean(np.abs(cos)) - m) < 4 * np.std(np.abs(cos)) / np.sqrt(len(cos))
    assert np.sqrt(np.mean(cos ** 2)) == pytest.approx(0.2, abs=0.002)   # the RMS is 1/sqrt(25)
    assert m < 0.17                                                       # the mean is not 0.2
    with pytest.raises(ValueError, match="d must be an int >= 2"):
        recos.mean_abs_cos_random(1)
