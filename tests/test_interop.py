"""cnnlab.from_keras, cnnlab.from_torch and ``python -m cnnlab explain``.

References: Keras's own ``count_params()``, ``output_shape`` and ``predict`` stored in
tests/fixtures/keras by tools/make_keras_fixtures.py (regenerated and compared when Keras is
installed), PyTorch modules run by PyTorch (when installed), and hand-written arithmetic.
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cnnlab
from cnnlab.interop import KERAS_LAYERS, KerasFileError, flatten_permutation

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "keras"
WITH_WEIGHTS = ["q1", "small"]
ALL = ["q1", "small", "q2"]


def expected(name):
    return json.loads((FIX / f"{name}.expected.json").read_text())


# ------------------------------------------------------------------------------------ Keras
@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_keras_file_matches_keras(name):
    model = cnnlab.from_keras(FIX / f"{name}.keras")
    exp = expected(name)
    assert model.count_params() == exp["count_params"]
    assert list(model.output_shape) == exp["output_shape"]
    data = np.load(FIX / f"{name}.expected.npz")
    y = model.predict(data["x"].astype(np.float64))
    np.testing.assert_allclose(y, data["y"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("form", ["path", "string", "dict"])
def test_keras_json_counts_and_shapes(name, form):
    path = FIX / f"{name}.json"
    source = {"path": str(path), "string": path.read_text(),
              "dict": json.loads(path.read_text())}[form]
    model = cnnlab.from_keras(source)
    exp = expected(name)
    assert model.count_params() == exp["count_params"]
    assert list(model.output_shape) == exp["output_shape"]


def test_q2_count_by_hand():
    # The q2 question's code model: 'same' convolutions keep 100×100, the pool halves it.
    by_hand = ((7 * 7 * 1 + 1) * 60 + (5 * 5 * 60 + 1) * 100
               + (50 * 50 * 100 + 1) * 250 + (250 + 1) * 200 + (200 + 1) * 1)
    assert cnnlab.from_keras(FIX / "q2.json").count_params() == by_hand


def test_weights_land_in_the_right_layers():
    # Keras 3 files weights by class name and order, not by the layer's name: the .keras
    # fixture 'small' has layers named conv2d_2, conv2d_3 but weights under conv2d, conv2d_1.
    names = [l["config"]["name"] for l in json.loads((FIX / "small.json").read_text())
             ["config"]["layers"]]
    assert "conv2d_2" in names
    model = cnnlab.from_keras(FIX / "small.keras")
    conv = [l for l in model.layers if isinstance(l, cnnlab.layers.Conv2D)]
    assert conv[0].weights[0].shape == (3, 2, 2, 4) and conv[1].weights[0].shape == (3, 3, 4, 3)
    assert not np.all(conv[0].weights[0] == 0)


def test_unknown_layer_is_named_and_supported_listed():
    with pytest.raises(ValueError) as e:
        cnnlab.from_keras(FIX / "unsupported.json")
    msg = str(e.value)
    assert "BatchNormalization" in msg
    for cls in KERAS_LAYERS:
        assert cls in msg


def test_bad_files(tmp_path):
    not_zip = tmp_path / "m.keras"
    not_zip.write_text("hello")
    with pytest.raises(KerasFileError, match="not a zip"):
        cnnlab.from_keras(not_zip)
    no_config = tmp_path / "n.keras"
    with zipfile.ZipFile(no_config, "w") as z:
        z.writestr("metadata.json", "{}")
    with pytest.raises(KerasFileError, match="config.json"):
        cnnlab.from_keras(no_config)
    bad_json = tmp_path / "b.json"
    bad_json.write_text("{not json")
    with pytest.raises(KerasFileError):
        cnnlab.from_keras(bad_json)
    with pytest.raises(FileNotFoundError):
        cnnlab.from_keras(tmp_path / "missing.keras")
    with pytest.raises(TypeError, match="source"):
        cnnlab.from_keras(3.5)
    assert issubclass(KerasFileError, OSError)


def test_functional_and_non_model_configs_are_refused():
    with pytest.raises(ValueError, match="Sequential"):
        cnnlab.from_keras({"class_name": "Functional", "config": {"layers": []}})
    with pytest.raises(ValueError, match="class_name"):
        cnnlab.from_keras({"class_name": "Dense", "config": {}})
    cfg = json.loads((FIX / "q1.json").read_text())
    cfg["config"]["layers"] = cfg["config"]["layers"][1:]          # no input shape left
    with pytest.raises(ValueError, match="input shape"):
        cnnlab.from_keras(cfg)


def test_weight_count_mismatch_is_reported(tmp_path):
    # A .keras whose config says use_bias=False for a layer stored with a bias.
    src = FIX / "q1.keras"
    dst = tmp_path / "edited.keras"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "config.json":
                cfg = json.loads(data)
                cfg["config"]["layers"][1]["config"]["use_bias"] = False
                data = json.dumps(cfg).encode()
            zout.writestr(item, data)
    with pytest.raises(ValueError, match="weight arrays"):
        cnnlab.from_keras(dst)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def test_keras_model_object_and_regenerated_fixtures(tmp_path):
    keras = _keras()
    model_k = keras.saving.load_model(FIX / "q1.keras")
    model = cnnlab.from_keras(model_k)
    x = np.random.default_rng(5).standard_normal((3, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x.astype(np.float64)),
                               np.asarray(model_k.predict(x, verbose=0)), rtol=1e-4, atol=1e-5)
    assert model.count_params() == model_k.count_params()
    # The committed fixtures are what the script writes today.
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "torch"))
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_keras_fixtures.py"), str(tmp_path)],
                   check=True, env=env, capture_output=True)
    for f in sorted(FIX.glob("*.json")):
        assert (tmp_path / f.name).read_text() == f.read_text(), f.name
    for f in sorted(FIX.glob("*.npz")):
        a, b = np.load(f), np.load(tmp_path / f.name)
        for k in a.files:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-7, err_msg=f.name)


# ---------------------------------------------------------------------------------- PyTorch
def test_flatten_permutation_matches_a_transpose():
    C, H, W = 3, 4, 5
    x = np.arange(C * H * W).reshape(C, H, W)
    torch_flat = x.ravel()                       # channels first, as nn.Flatten
    keras_flat = x.transpose(1, 2, 0).ravel()    # channels last, as Keras's Flatten
    perm = flatten_permutation(C, H, W)
    np.testing.assert_array_equal(torch_flat[perm], keras_flat)
    # by the two index formulas: t' = (i·W + j)·C + c  <->  t = (c·H + i)·W + j
    c, i, j = 2, 1, 3
    assert perm[(i * W + j) * C + c] == (c * H + i) * W + j
    with pytest.raises(ValueError, match="channels"):
        flatten_permutation(0, 2, 2)


def _torch_net(torch, nn):
    torch.manual_seed(0)
    feat = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 5, (2, 3), padding="same"), nn.Tanh(),
                         nn.AvgPool2d(2, stride=1))
    n = feat(torch.zeros(1, 3, 16, 14)).numel()
    return nn.Sequential(*feat, nn.Flatten(), nn.Dropout(0.3), nn.Linear(n, 7), nn.Sigmoid(),
                         nn.Linear(7, 3), nn.Softmax(dim=1)).eval()


def test_from_torch_matches_pytorch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    net = _torch_net(torch, nn)
    model = cnnlab.from_torch(net, (3, 16, 14))
    x = torch.randn(4, 3, 16, 14, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = net(x).numpy()
    y = model.predict(x.numpy().transpose(0, 2, 3, 1).astype(np.float64))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    assert model.count_params() == sum(p.numel() for p in net.parameters())


def test_from_torch_without_the_permutation_is_wrong():
    """The classic porting bug: transposing the Linear weight without permuting its columns."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2)).eval()
    model = cnnlab.from_torch(net, (2, 6, 6))
    x = torch.randn(5, 2, 6, 6)
    with torch.no_grad():
        ref = net(x).numpy()
    xk = x.numpy().transpose(0, 2, 3, 1).astype(np.float64)
    np.testing.assert_allclose(model.predict(xk), ref, rtol=1e-5, atol=1e-6)
    dense = model.layers[-1]
    naive = net[-1].weight.detach().numpy().T.astype(np.float64)
    dense.set_weights([naive, dense.weights[1]])
    assert np.abs(model.predict(xk) - ref).max() > 1e-2


def test_from_torch_errors():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    with pytest.raises(TypeError, match="nn.Sequential"):
        cnnlab.from_torch(nn.Linear(2, 2), (1, 2, 2))
    with pytest.raises(ValueError, match="input_shape"):
        cnnlab.from_torch(nn.Sequential(nn.Flatten()), (2, 2))
    with pytest.raises(ValueError, match="BatchNorm2d"):
        cnnlab.from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)), (1, 8, 8))
    with pytest.raises(ValueError, match="ceil_mode"):
        cnnlab.from_torch(nn.Sequential(nn.MaxPool2d(2, ceil_mode=True)), (1, 5, 5))
    with pytest.raises(ValueError, match="in_features"):
        cnnlab.from_torch(nn.Sequential(nn.Flatten(), nn.Linear(5, 2)), (1, 2, 2))
    with pytest.raises(ValueError, match=r"module\[1\] \(MaxPool2d\).*too small"):
        cnnlab.from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(4)), (1, 5, 5))


# ---------------------------------------------------------------------------------- explain
def _explain(*args):
    return subprocess.run([sys.executable, "-m", "cnnlab", "explain", *args], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.mark.parametrize("name", ["q1", "small"])
def test_explain_prints_keras_total_and_per_layer_rows(name):
    r = _explain(str(FIX / f"{name}.keras"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    total = expected(name)["count_params"]
    kb = total * 4 / 1024
    assert lines[-1] == f"Total params: {total:,} ({kb:.2f} KB)"
    # one table row per layer; the Params column adds up to the total
    header = next(i for i, l in enumerate(lines) if l.startswith("Layer (type)"))
    rows = lines[header + 2: header + 2 + len(expected(name)["layers"])]
    params = [int(row.split(")", 2)[-1].split()[0].replace(",", "")) for row in rows]
    assert sum(params) == total
    # every row shows the count as arithmetic ending in its own count
    for row, p in zip(rows, params):
        assert f"= {p}" in row or p == 0


def test_explain_formula_and_markdown(tmp_path):
    r = _explain(str(FIX / "q1.keras"), "--formula")
    assert r.returncode == 0 and r"\begin{aligned}" in r.stdout
    out = tmp_path / "report.md"
    r = _explain(str(FIX / "q1.json"), "--formula", "--markdown", str(out))
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.startswith("# q1_as_asked") and "| Layer (type) |" in page and "$$" in page
    assert "**Total params: 10,474 (40.91 KB)**" in page


def test_explain_bad_files(tmp_path):
    bad = tmp_path / "x.keras"
    bad.write_text("not a zip")
    for path, words in [(bad, "not a zip"), (FIX / "unsupported.json", "BatchNormalization"),
                        (tmp_path / "missing.json", "no such file")]:
        r = _explain(str(path))
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr
