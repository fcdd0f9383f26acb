"""Optional dependencies: import them with an error that names the extra to install.

``pyproject.toml`` declares the core requirements (NumPy, SciPy) and extras: ``cnnlab[book]``
(SymPy, scikit-learn, Matplotlib, Pillow, ipywidgets, tqdm, IPython), ``cnnlab[keras]`` (h5py),
``cnnlab[torch]`` (PyTorch), ``cnnlab[fast]`` (threadpoolctl).  A module that needs one of them
calls :func:`require` at the point of use, so ``import cnnlab`` never needs an extra.  An
import that has a fallback (``threadpoolctl`` in :mod:`cnnlab.fastconv`, the progress bar in
:mod:`cnnlab.training`) may stay a plain ``import`` inside ``try``/``except ImportError``.
"""
from importlib import import_module

__all__ = ["EXTRAS", "require"]

#: top-level module -> (pip distribution, extra that installs it)
EXTRAS = {
    "sympy": ("sympy", "book"),
    "sklearn": ("scikit-learn", "book"),
    "matplotlib": ("matplotlib", "book"),
    "PIL": ("pillow", "book"),
    "ipywidgets": ("ipywidgets", "book"),
    "tqdm": ("tqdm", "book"),
    "IPython": ("ipython", "book"),
    "h5py": ("h5py", "keras"),
    "torch": ("torch", "torch"),
    "threadpoolctl": ("threadpoolctl", "fast"),
}


def require(module, what=""):
    """Import and return ``module`` (e.g. ``"sympy"`` or ``"sklearn.datasets"``).

    Inputs: module, a dotted module name whose top level is in :data:`EXTRAS`; what, a short
    description of the feature that needs it (for the message).
    Raises ``ImportError`` naming the distribution and the extra, e.g.
    ``pip install 'cnnlab[book]'`` (or ``pip install sympy``), when it is not installed.
    """
    if not isinstance(module, str):
        raise TypeError(f"module must be a module name (str); got {type(module).__name__} {module!r}")
    top = module.split(".")[0]
    if top not in EXTRAS:
        raise ValueError(f"module {module!r} is not an optional dependency of cnnlab; known: {sorted(EXTRAS)}")
    dist, extra = EXTRAS[top]
    try:
        return import_module(module)
    except ImportError as exc:
        need = f" {what}" if what else ""
        raise ImportError(
            f"cnnlab{need} needs {dist}, which is not installed: pip install 'cnnlab[{extra}]' "
            f"(or pip install {dist})"
        ) from exc
