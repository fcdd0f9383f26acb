"""Central finite differences written out independently of cnnlab.gradcheck, for the tests."""
import numpy as np


def fd_grad(f, a, h=1e-6):
    """Centred differences of the scalar ``f()`` with respect to the array ``a`` (changed in place
    and restored entry by entry)."""
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        fp = f()
        a[idx] = old - h
        fm = f()
        a[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g
