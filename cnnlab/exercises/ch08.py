"""Self-checks for chapter 8, "Learning combinations of feature maps".

Expected values are computed here from the softmax's Jacobian written as a matrix
(``diag(α) − α αᵀ``), not from cnnlab.bouvrie.
"""
import numpy as np

from .ch05 import compare_array

__all__ = ["EX1", "check_ex1", "check_ex2"]

#: one output map, three input maps: c = (0, ln 2, ln 5) so α = (1/8, 2/8, 5/8)
EX1 = {"c": np.array([0.0, np.log(2.0), np.log(5.0)]), "dE_dalpha": np.array([1.0, 0.0, -1.0]),
       "lam": 0.1}


def _alpha():
    e = np.exp(EX1["c"])
    return e / e.sum()


def check_ex1(answer):
    """Ex. 1: ∂E/∂c from ∂E/∂α through α = softmax(c)."""
    a, g = _alpha(), EX1["dE_dalpha"]
    J = np.diag(a) - np.outer(a, a)             # J[k, i] = ∂α_k/∂c_i
    right = J.T @ g
    wrongs = [(g, "that is ∂E/∂α; the softmax's Jacobian still has to be applied."),
              (a * g, "α_i ∂E/∂α_i is only the diagonal part; every α_k depends on c_i, which "
                      "subtracts α_i Σ_k α_k ∂E/∂α_k."),
              (g - (a * g).sum(), "close: the bracket is right, but it is multiplied by α_i.")]
    return compare_array(answer, right, wrongs, "∂E/∂c")


def check_ex2(answer):
    """Ex. 2: the gradient of λ Σ_i |α_i| with respect to c, for the same c and λ = 0.1."""
    a, lam = _alpha(), EX1["lam"]
    right = np.zeros(3)
    wrongs = [(lam * np.sign(a), "that is ∂Ω/∂α = λ sign(α); push it through the softmax too."),
              (lam * a, "that is only the diagonal term λ α_i; the other term is −α_i λ Σ_k α_k.")]
    return compare_array(answer, right, wrongs, "∂Ω/∂c", tol=1e-9)
