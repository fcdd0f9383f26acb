"""cnnlab.gradcheck against functions whose gradients are known in closed form."""
import numpy as np
import pytest

from cnnlab.gradcheck import check_gradient, numerical_gradient, numerical_gradient_array, rel_error


def test_numerical_gradient_of_closed_forms(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(numerical_gradient(lambda z: np.sum(z ** 2), x), 2 * x, rtol=1e-7)
    np.testing.assert_allclose(numerical_gradient(lambda z: np.sum(np.sin(z)), x), np.cos(x), rtol=1e-6, atol=1e-9)
    A = rng.normal(size=(4, 4))
    v = rng.normal(size=4)
    np.testing.assert_allclose(numerical_gradient(lambda z: z @ A @ z, v), (A + A.T) @ v, rtol=1e-6)


def test_numerical_gradient_is_centred():
    # for a cubic, centred differences are off by h² (f''' h²/6 = h²) -- forward ones by ~3x·h
    g = numerical_gradient(lambda z: float(z[0] ** 3), np.array([2.0]), h=1e-2)
    assert g[0] == pytest.approx(12.0 + 1e-4, abs=1e-9)


def test_numerical_gradient_leaves_x_alone_and_works_in_float64():
    x = np.array([1.0, 2.0], dtype=np.float32)
    seen = []
    numerical_gradient(lambda z: seen.append(z.dtype) or float(np.sum(z)), x)
    assert set(seen) == {np.dtype(np.float64)}
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_array_is_vector_jacobian_product(rng):
    M = rng.normal(size=(2, 3))
    x, dy = rng.normal(size=3), rng.normal(size=2)
    np.testing.assert_allclose(numerical_gradient_array(lambda z: M @ z, x, dy), M.T @ dy, rtol=1e-7)


def test_rel_error_cs231n_definition():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)  # 2 / (3 + 1)
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0  # the 1e-8 floor avoids 0/0
    assert rel_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(1e-9 / 1e-8)


def test_check_gradient_passes_and_fails(rng):
    x = rng.normal(size=5)
    assert check_gradient(lambda z: np.sum(z ** 2), x, 2 * x) < 1e-7
    with pytest.raises(AssertionError, match="gradient check failed"):
        check_gradient(lambda z: np.sum(z ** 2), x, 3 * x)


def test_errors():
    with pytest.raises(ValueError, match="f must return a scalar"):
        numerical_gradient(lambda z: z * 2, np.ones(3))
    with pytest.raises(ValueError, match="h must be a positive number"):
        numerical_gradient(np.sum, np.ones(3), h=0)
    with pytest.raises(TypeError, match="f must be callable"):
        numerical_gradient("sum", np.ones(3))
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.ones(2), np.ones(3))
