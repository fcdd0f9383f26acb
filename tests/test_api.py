"""The public names of GUIDE §2 exist where other tests and the chapters expect them."""
import importlib

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


@pytest.mark.parametrize("name", FUNCTIONAL + ["Sequential"])
def test_top_level_name_is_callable(name):
    assert callable(getattr(cnnlab, name))


@pytest.mark.parametrize("module, name", QUALIFIED)
def test_qualified_name_is_callable(module, name):
    assert callable(getattr(importlib.import_module(module), name))


def test_every_exported_name_resolves():
    missing = [n for n in cnnlab.__all__ if not hasattr(cnnlab, n)]
    assert missing == []


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
