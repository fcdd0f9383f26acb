"""Central finite differences written out independently of cnnlab.gradcheck, for the tests.

The one finite-difference helper of the test suite: tests call :func:`fd_grad` instead of
writing the loop again.
"""
import numpy as np


def fd_grad(f, a, h=1e-6, mask=None):
    """Centred differences of the scalar ``f()`` with respect to the array ``a`` (changed in place
    and restored entry by entry; ``a`` may be a view into the array ``f`` reads).

    ``mask``: optional boolean-like array of ``a``'s shape; entries where it is 0 are skipped
    (left at 0), e.g. weights that a connection table fixes at zero.
    """
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        if mask is not None and not mask[idx]:
            continue
        old = a[idx]
        a[idx] = old + h
        fp = f()
        a[idx] = old - h
        fm = f()
        a[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


def fd_jacobian(f, a, h=1e-6):
    """Centred-difference Jacobian of the array-valued ``f()`` with respect to ``a`` (changed in
    place and restored, as in :func:`fd_grad`): shape ``(f().size, a.size)``, columns in
    ``a.ravel()`` order."""
    cols = []
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        fp = np.array(f(), dtype=np.float64).ravel()
        a[idx] = old - h
        fm = np.array(f(), dtype=np.float64).ravel()
        a[idx] = old
        cols.append((fp - fm) / (2 * h))
    return np.stack(cols, axis=1)
