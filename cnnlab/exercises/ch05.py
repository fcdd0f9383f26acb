"""Self-checks for chapter 5, "Backpropagation, the recursion".

Each ``check_exN(answer)`` prints ✓ or says what is probably off, and returns ``True``/``False``.
Expected values are computed here directly from the exercise data with NumPy.
"""
import numpy as np

__all__ = ["EX1", "EX3", "check_ex1", "check_ex2", "check_ex3", "compare_array"]

#: ex. 1: tanh output layer, squared error E = ½‖y − t‖²
EX1 = {"u": np.array([0.5, -1.0]), "t": np.array([1.0, 0.0])}
#: ex. 3: one step of the recursion
EX3 = {"W_next": np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]),
       "delta_next": np.array([0.5, -1.0]),
       "fprime_u": np.array([0.2, 0.5, 1.0])}


def compare_array(answer, right, wrongs, what, tol=1e-6):
    """Shared judge: ``wrongs`` is a list of (array, explanation) for typical mistakes."""
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        print(f"✗ {what} should be an array of numbers; got {type(answer).__name__} {answer!r}.")
        return False
    right = np.asarray(right, dtype=float)
    if a.shape != right.shape:
        print(f"✗ {what} should have shape {right.shape}; yours has shape {a.shape}.")
        return False
    if np.allclose(a, right, atol=tol, rtol=tol):
        print(f"✓ {what} = {np.round(right, 4).tolist()}")
        return True
    for w, why in wrongs:
        if np.allclose(a, np.asarray(w, dtype=float), atol=tol, rtol=tol):
            print(f"✗ Not quite: {why}")
            return False
    print(f"✗ {what} is not {np.round(a, 4).tolist()}. Recompute entry by entry from the "
          f"formula in the text.")
    return False


def check_ex1(answer):
    """Ex. 1: the output residual δ^L = f'(u^L) ∘ (y − t) for f = tanh."""
    u, t = EX1["u"], EX1["t"]
    y = np.tanh(u)
    right = (1 - y ** 2) * (y - t)
    wrongs = [(y - t, "that is y − t; the residual is taken with respect to u, so multiply by "
                      "f'(u) = 1 − tanh²(u)."),
              (-(1 - y ** 2) * (y - t), "the sign is flipped: ∂E/∂y = y − t for E = ½‖y − t‖²."),
              ((1 - u ** 2) * (y - t), "f'(u) for tanh is 1 − tanh²(u), not 1 − u².")]
    return compare_array(answer, right, wrongs, "δ^L")


def check_ex2(answer):
    """Ex. 2: the shape of ∂E/∂W^l when W^l has shape (3, 5) (3 outputs, 5 inputs)."""
    try:
        a = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        print(f"✗ give the shape as a tuple like (rows, cols); got {answer!r}.")
        return False
    if a == (3, 5):
        print("✓ (3, 5): a gradient has the shape of what it differentiates; "
              "∂E/∂W^l = δ^l (x^{l−1})ᵀ is (3×1)(1×5).")
        return True
    if a == (5, 3):
        print("✗ (5, 3) is the shape of x^{l−1}(δ^l)ᵀ, the way Bouvrie's notes print it: the "
              "transpose. Stored like W^l (outputs × inputs) it is δ^l (x^{l−1})ᵀ.")
        return False
    print(f"✗ {a} is not it: a gradient always has the shape of the parameter, here W^l.")
    return False


def check_ex3(answer):
    """Ex. 3: δ^l = (W^{l+1})ᵀ δ^{l+1} ∘ f'(u^l) with the data in ``EX3``."""
    W, d, fp = EX3["W_next"], EX3["delta_next"], EX3["fprime_u"]
    right = (W.T @ d) * fp
    wrongs = [(W.T @ d, "you left out f'(u^l): the recursion multiplies by the derivative of "
                        "this layer's activation."),
              (-(W.T @ d) * fp, "the sign is off; nothing in the recursion changes sign.")]
    return compare_array(answer, right, wrongs, "δ^l")
