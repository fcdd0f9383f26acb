"""The public names of GUIDE §2 exist where other tests and the chapters expect them."""
import importlib
import inspect

import pytest

import cnnlab

FUNCTIONAL = [
    "correlate2d", "convolve2d", "conv2d", "conv2d_backward", "maxpool2d", "maxpool2d_backward",
    "avgpool2d", "avgpool2d_backward", "up", "down", "rot180", "subsample", "subsample_backward",
]
QUALIFIED = [
    ("cnnlab.matlab", "conv2"),
    ("cnnlab.gradcheck", "numerical_gradient"),
    ("cnnlab.gradcheck", "rel_error"),
    ("cnnlab.layers", "Conv2D"),
    ("cnnlab.layers", "MaxPooling2D"),
    ("cnnlab.layers", "AveragePooling2D"),
    ("cnnlab.layers", "Dense"),
    ("cnnlab.layers", "Flatten"),
    ("cnnlab.layers", "Activation"),
    ("cnnlab.layers", "Subsampling"),
    ("cnnlab.models", "lenet5"),
]


_ = inspect.Parameter.empty
# GUIDE §2's contract: the leading parameters, in order, with their defaults (``_``: required)
SIGNATURES = {
    "correlate2d": [("x", _), ("k", _), ("mode", "valid")],
    "convolve2d": [("x", _), ("k", _), ("mode", "valid")],
    "conv2d": [("x", _), ("w", _), ("b", None), ("stride", 1), ("padding", 0)],
    "conv2d_backward": [("dy", _), ("x", _), ("w", _), ("stride", 1), ("padding", 0)],
    "maxpool2d": [("x", _), ("size", 2), ("stride", None)],
    "maxpool2d_backward": [("dy", _), ("x", _), ("size", 2), ("stride", None)],
    "avgpool2d": [("x", _), ("size", 2), ("stride", None)],
    "avgpool2d_backward": [("dy", _), ("x", _), ("size", 2), ("stride", None)],
    "up": [("x", _), ("n", _)],
    "down": [("x", _), ("n", _)],
    "rot180": [("k", _)],
    "subsample": [("x", _), ("beta", _), ("b", _), ("n", _)],
    "subsample_backward": [("dy", _), ("x", _), ("beta", _), ("n", _)],
    "Sequential": [("layers", None)],
    "cnnlab.matlab.conv2": [("a", _), ("b", _), ("shape", "full")],
    "cnnlab.gradcheck.numerical_gradient": [("f", _), ("x", _), ("h", 1e-6)],
    "cnnlab.gradcheck.rel_error": [("a", _), ("b", _)],
    "cnnlab.layers.Conv2D": [("filters", _), ("kernel_size", _), ("strides", (1, 1)),
                             ("padding", "valid"), ("activation", None), ("use_bias", True),
                             ("input_shape", None)],
    "cnnlab.layers.MaxPooling2D": [("pool_size", (2, 2)), ("strides", None), ("padding", "valid")],
    "cnnlab.layers.AveragePooling2D": [("pool_size", (2, 2)), ("strides", None), ("padding", "valid")],
    "cnnlab.layers.Dense": [("units", _), ("activation", None), ("use_bias", True)],
    "cnnlab.layers.Activation": [("activation", _)],
}


def _resolve(dotted):
    if "." not in dotted:
        return getattr(cnnlab, dotted)
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature_is_the_guides(name):
    params = list(inspect.signature(_resolve(name)).parameters.values())
    got = [(p.name, p.default) for p in params[:len(SIGNATURES[name])]]
    assert got == SIGNATURES[name]


def test_every_guide_name_is_covered():
    assert set(FUNCTIONAL) <= set(SIGNATURES)
    assert {f"{m}.{n}" for m, n in QUALIFIED} - {"cnnlab.layers.Flatten", "cnnlab.layers.Subsampling",
                                                 "cnnlab.models.lenet5"} <= set(SIGNATURES)


def test_every_exported_name_resolves():
    missing = [n for n in cnnlab.__all__ if not hasattr(cnnlab, n)]
    assert missing == []


def test_every_public_module_is_a_lazy_attribute():
    """Each public module file of the package (not ``_private``) is reachable as ``cnnlab.<name>``."""
    import pkgutil

    public = {m.name for m in pkgutil.iter_modules(cnnlab.__path__)
              if not m.name.startswith("_")}
    assert public == cnnlab._SUBMODULES
    for name in sorted(public):
        assert getattr(cnnlab, name) is importlib.import_module(f"cnnlab.{name}")
        assert name in dir(cnnlab)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        cnnlab.no_such_thing  # noqa: B018


@pytest.mark.parametrize("name, module", [
    ("lenet5", "cnnlab.models"), ("small_lenet", "cnnlab.models"),
    ("load_digits", "cnnlab.data"), ("read_idx", "cnnlab.data"),
])
def test_model_and_data_shortcuts_are_the_module_functions(name, module):
    assert getattr(cnnlab, name) is getattr(importlib.import_module(module), name)


def test_binder_installs_the_requirements_and_the_package():
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    assert "-r ../requirements.txt" in (root / "binder" / "requirements.txt").read_text()
    post = root / "binder" / "postBuild"
    assert "pip install --no-deps -e ." in post.read_text()
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"
