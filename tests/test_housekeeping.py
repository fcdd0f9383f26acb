"""Keeps the house in shape (issue 11): one implementation per idea, thin widgets, a package
that installs and imports as a library.

The checks read the source (AST and tokens), so they fail as soon as someone writes an idea a
second time.  There are no exceptions: every copy the issue listed has moved to its one home.
"""
import ast
import importlib.util
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tokenize

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PKG = ROOT / "cnnlab"
MODULES = sorted(p for p in PKG.rglob("*.py") if "exercises" not in p.parts or p.name != "_keys.py")
WIDGETS = sorted((PKG / "widgets").glob("*.py"))

#: modules that build *symbolic* (SymPy) formulas: a symbolic max of a window is not a copy
SYMBOLIC = {"expand.py"}


def _rel(p):
    return p.relative_to(PKG).as_posix()


def _code_only(path):
    """The module's source with strings and comments blanked (so docstrings may state formulas)."""
    out = []
    toks = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    for tok in toks:
        if tok.type in (tokenize.STRING, tokenize.COMMENT):
            continue
        out.append(tok.string)
    return " ".join(out)


# ------------------------------------------------------------------------------ output sizes
_SIZE = re.compile(r"-\s*k[hw]?\s*\)\s*//|//\s*s[hw]?\s*\+\s*1\b|-\s*k[hw]?\s*\+\s*1\b")


def test_output_size_arithmetic_only_in_shapes():
    offenders = [_rel(p) for p in MODULES
                 if _rel(p) != "shapes.py" and _SIZE.search(_code_only(p))]
    assert offenders == []


def test_size_pattern_detects_what_it_should():
    # the detector itself, on the forms it must catch and one it must not
    for src in ["Ho = (H - kh) // sh + 1", "o = (i + 2 * p - k) // s + 1", "m = n - k + 1"]:
        assert _SIZE.search(src), src
    assert not _SIZE.search("x = a // b")


# ------------------------------------------------------------------------------ kernel layouts
_LAYOUT = re.compile(r"transpose\s*\((?:[^(),]+,\s*)?\(?\s*(2\s*,\s*3\s*,\s*1\s*,\s*0|3\s*,\s*2\s*,\s*0\s*,\s*1)\s*\)")


def test_kernel_layouts_convert_in_shapes_only():
    """(F, C, kh, kw) <-> (kh, kw, C, F) is written once: shapes.kernel_to_keras / kernel_from_keras."""
    offenders = [_rel(p) for p in MODULES if _rel(p) != "shapes.py" and _LAYOUT.search(_code_only(p))]
    assert offenders == []
    assert _LAYOUT.search("w.transpose(2, 3, 1, 0)") and _LAYOUT.search("np.transpose(k, (3, 2, 0, 1))")
    assert not _LAYOUT.search("x.transpose(0, 2, 3, 1)")


# ------------------------------------------------------------------------------ activations
_ACT_FUNCS = {"relu", "relu_grad", "sigmoid", "sigmoid_grad", "tanh_grad", "lecun_tanh",
              "softmax", "trelu", "trelu_grad", "thresholded_relu"}


def _activation_definitions(path):
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for t in node.targets:
                if isinstance(t, ast.Name) and "ACTIVATION" in t.id.upper():
                    found.append(f"table {t.id}")
        if isinstance(node, ast.FunctionDef) and node.name in _ACT_FUNCS:
            found.append(f"def {node.name}")
    return found


def test_one_activation_registry():
    offenders = {_rel(p): d for p in MODULES if _rel(p) not in ("activations.py", "losses.py")
                 for d in [_activation_definitions(p)] if d}
    assert offenders == {}, offenders
    assert "table ACTIVATIONS" in _activation_definitions(PKG / "activations.py")


# ------------------------------------------------------------------------------ pooling
_POOL_CORE = {"maxpool2d", "maxpool2d_backward", "avgpool2d", "avgpool2d_backward", "pool_geometry",
              "up", "down"}


def test_pooling_lives_in_pool_and_its_loop_twin():
    """Outside pool.py and naive.py every function about pooling calls the core."""
    offenders = []
    for p in MODULES:
        if _rel(p) in ("pool.py", "naive.py") or _rel(p) in SYMBOLIC:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef) and "pool" in node.name.lower() \
                    and not node.name.startswith(("static_", "draw_", "_draw", "panel")):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
                        {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                if not names & _POOL_CORE:
                    offenders.append(f"{_rel(p)}:{node.lineno} {node.name}")
    assert offenders == []


# ------------------------------------------------------------------------------ widgets
_KERNEL_RANGE = re.compile(r"\b(kh|kw|kernel_shape|self\.k)\b")


def _kernel_loops(path):
    """Loops over kernel entries that compute (a product or an accumulation in the body)."""
    hits = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.For):
            iters, body = [node.iter], node.body
        elif isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            iters, body = [g.iter for g in node.generators], [node.elt]
        else:
            continue
        if not any(_KERNEL_RANGE.search(ast.unparse(i)) for i in iters):
            continue
        inner = [n for b in body for n in ast.walk(b)]
        if any(isinstance(n, ast.AugAssign) or (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult))
               for n in inner):
            hits.append(f"{path.name}:{node.lineno}")
    return hits


def test_no_widget_loops_over_kernel_entries():
    assert [h for p in WIDGETS for h in _kernel_loops(p)] == []


def test_kernel_loop_detector_catches_a_loop(tmp_path):
    f = tmp_path / "w.py"
    f.write_text("def g(x, k, kh, kw):\n    s = 0\n    for p in range(kh):\n        s += k[p] * x[p]\n")
    assert _kernel_loops(f) == ["w.py:3"]


#: widget -> core modules it must take its mathematics from
WIDGET_CORE = {
    "pool_routes.py": {"pool", "sampling"},
    "kernel_grad_pairs.py": {"bouvrie"},
    "node_connections.py": {"bouvrie", "shapes"},
    "conv_window.py": {"conv", "shapes"},
    "output_size.py": {"shapes"},
    "chain_stepper.py": {"chain"},
    "backprop_recursion.py": {"activations"},
}


@pytest.mark.parametrize("widget", sorted(WIDGET_CORE))
def test_widget_imports_its_mathematics_from_the_core(widget):
    tree = ast.parse((PKG / "widgets" / widget).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
            imported.add(node.module.split(".")[0])
        if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module is None:
            imported |= {a.name for a in node.names}
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("cnnlab."):
            imported.add(node.module.split(".")[1])
    assert WIDGET_CORE[widget] <= imported


def test_one_number_format_for_widgets():
    """`_fmt` is defined once (widgets/_common.fmt); a widget may only wrap it."""
    for p in WIDGETS:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name == "_fmt":
                calls = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
                assert calls & {"fmt", "fmt_fixed"}, f"{p.name}:{node.lineno} formats numbers itself"


# ------------------------------------------------------------------------------ C3 table
def test_c3_table_defined_once():
    first_two = re.compile(r"\(\s*0\s*,\s*1\s*,\s*2\s*\)\s*,\s*(1\s*:\s*)?\(\s*1\s*,\s*2\s*,\s*3\s*\)")
    defs = [_rel(p) for p in MODULES if first_two.search(_code_only(p))]
    assert defs == ["models.py"]


# ------------------------------------------------------------------------------ packaging
def _requires_python():
    text = (ROOT / "pyproject.toml").read_text()
    m = re.search(r'requires-python\s*=\s*">=(\d+)\.(\d+)"', text)
    assert m, "pyproject.toml must state requires-python = \">=X.Y\""
    return int(m.group(1)), int(m.group(2))


def test_syntax_matches_requires_python():
    version = _requires_python()
    for p in MODULES:
        ast.parse(p.read_text(), filename=str(p), feature_version=version)


def test_every_third_party_import_is_declared():
    """Top-level imports of the package are core requirements; optional ones go through
    cnnlab._extras.require (which names the extra) or sit inside a function."""
    text = (ROOT / "pyproject.toml").read_text()
    from cnnlab._extras import EXTRAS

    stdlib = set(sys.stdlib_module_names)
    core = {"numpy", "scipy", "cnnlab"}
    for p in MODULES:
        tree = ast.parse(p.read_text())
        for node in tree.body:                                     # module level only
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                assert top in stdlib or top in core, f"{_rel(p)} imports {top} at module level"
    for dist, extra in EXTRAS.values():
        assert re.search(rf'^{extra}\s*=\s*\[[^\]]*"{re.escape(dist)}', text, re.M | re.S), (dist, extra)


def _bare_optional_imports(path):
    """Imports of an optional dependency (a key of cnnlab._extras.EXTRAS) that neither go through
    ``require`` nor sit in a ``try`` whose ``except ImportError`` falls back without raising."""
    from cnnlab._extras import EXTRAS

    tree = ast.parse(path.read_text())
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}

    def has_fallback(node):
        while node in parents:
            node, child = parents[node], node
            if isinstance(node, ast.Try) and child in node.body:
                for h in node.handlers:
                    caught = ast.unparse(h.type) if h.type is not None else "BaseException"
                    if re.search(r"ImportError|Exception", caught) and \
                            not any(isinstance(n, ast.Raise) for b in h.body for n in ast.walk(b)):
                        return True
        return False

    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops = [node.module.split(".")[0]]
        else:
            continue
        if any(t in EXTRAS for t in tops) and not has_fallback(node):
            hits.append(node.lineno)
    return hits


def test_optional_imports_name_their_extra():
    offenders = {_rel(p): _bare_optional_imports(p) for p in MODULES if _rel(p) != "_extras.py"}
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, offenders


def test_bare_optional_import_detector(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def a():\n    import sympy\n"
                 "def b():\n    try:\n        import tqdm\n    except ImportError:\n        pass\n"
                 "def c():\n    try:\n        import h5py\n    except ImportError:\n        raise ImportError('x')\n")
    assert _bare_optional_imports(f) == [2, 10]


def test_missing_extra_names_it(monkeypatch):
    from cnnlab import _extras

    monkeypatch.setitem(sys.modules, "sympy", None)               # import sympy now fails
    with pytest.raises(ImportError, match=r"needs sympy.*pip install 'cnnlab\[book\]'"):
        _extras.require("sympy", "(test)")


def test_one_version_source():
    import tomllib

    import cnnlab

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cnnlab.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", cnnlab.__version__)


_CHECK = r"""
import importlib, importlib.abc, importlib.machinery, json, pkgutil, sys

blocked, mode = set(json.loads(sys.argv[2])), sys.argv[3]


class Undeclared(importlib.abc.Loader):   # hides every top-level module that only undeclared
    def find_spec(self, name, path=None, target=None):      # distributions install
        if name.split(".")[0] in blocked:
            return importlib.machinery.ModuleSpec(name, self)   # a spec with no package path
        return None

    def create_module(self, spec):                          # ... whose import fails
        raise ModuleNotFoundError(f"No module named {spec.name!r} (undeclared for cnnlab, blocked)")

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, Undeclared())
import cnnlab
target = sys.argv[1]
assert cnnlab.__file__.startswith(target), cnnlab.__file__
names = [m.name for m in pkgutil.walk_packages(cnnlab.__path__, "cnnlab.", onerror=print)]
imported, extras = [], {}
for name in names:
    try:
        importlib.import_module(name)
        imported.append(name)
    except ImportError as exc:
        if mode != "core":
            raise
        extras[name] = str(exc)
from cnnlab.models import lenet5
counts = [l.count_params() for l in lenet5().layers if l.count_params()]
out = {"modules": names, "imported": imported, "extras": extras, "counts": counts}
try:
    from cnnlab.data import load_digits
    (xtr, ytr), (xte, yte) = load_digits()
    out.update(train=xtr.shape, test=xte.shape)
except ImportError as exc:
    if mode != "core":
        raise
    out["load_digits"] = str(exc)
print(json.dumps(out))
"""


def _declared_closure(extras):
    """Distributions (normalised names) reachable from cnnlab's core requirements plus ``extras``,
    read from the installed distributions' metadata."""
    import importlib.metadata as md
    import tomllib

    from packaging.requirements import Requirement

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(r) for r in meta["dependencies"]]
    todo += [Requirement(r) for e in extras for r in meta["optional-dependencies"][e]]
    seen = set()
    while todo:
        req = todo.pop()
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            pytest.fail(f"{name}, which cnnlab's pyproject.toml declares (directly or through a "
                        f"dependency), is not installed in this environment: pip install -r requirements-dev.txt")
        seen.add(name)
        for r in map(Requirement, dist.requires or []):
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r)
    return seen


def _blocked_modules(allowed):
    """Top-level modules in this environment that only undeclared distributions provide."""
    import importlib.metadata as md

    norm = lambda d: re.sub(r"[-_.]+", "-", d).lower()  # noqa: E731
    return sorted(top for top, dists in md.packages_distributions().items()
                  if top != "cnnlab" and not top.startswith("_")
                  and not {norm(d) for d in dists} & allowed)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``pip install .`` (a built wheel, not editable) into an empty folder, offline: the build
    uses this environment's setuptools (--no-build-isolation) and installs no dependencies."""
    target = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation",
         "--quiet", "--target", str(target), str(ROOT)],
        capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    assert not list(target.glob("__editable__*")) and (target / "cnnlab" / "__init__.py").exists()
    (target.parent / "cwd").mkdir()
    return target


def _run_installed(target, extras, mode):
    blocked = _blocked_modules(_declared_closure(extras))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["PYTHONPATH"] = str(target)
    # run from an empty folder so that neither the repository nor its cache is on the path
    run = subprocess.run([sys.executable, "-c", _CHECK, str(target), json.dumps(blocked), mode],
                         cwd=target.parent / "cwd", capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1]), blocked


def test_non_editable_install_imports_every_module(installed):
    """With the core and the ``book`` extra (and what they depend on) and nothing else importable
    — no PyTorch, Keras, h5py, Jupyter — every module imports, lenet5() and load_digits() run."""
    got, blocked = _run_installed(installed, ["book"], "book")
    # torch and keras are blocked whenever this environment has them (CI installs both)
    for optional in ("torch", "keras"):
        assert (optional in blocked) == (importlib.util.find_spec(optional) is not None), optional
    assert "sympy" not in blocked
    expected = {("cnnlab." + _rel(p)[:-3].replace("/", ".")).removesuffix(".__init__")
                for p in MODULES if p.name != "__main__.py"} - {"cnnlab"}
    assert expected <= set(got["imported"])
    assert got["counts"][:6] == [156, 12, 1516, 32, 48120, 10164]   # GUIDE §2 / LeCun 1998
    assert got["train"][1:] == got["test"][1:] == [32, 32, 1]
    assert got["train"][0] + got["test"][0] == 1797          # scikit-learn's digits


def test_core_install_names_the_extra(installed):
    """With NumPy and SciPy only, ``lenet5()`` runs; a module or function that needs an extra
    fails with an ImportError that says which one to install."""
    got, blocked = _run_installed(installed, [], "core")
    assert {"sympy", "sklearn", "matplotlib"} <= set(blocked)
    assert got["counts"][:6] == [156, 12, 1516, 32, 48120, 10164]
    assert "cnnlab.expand" in got["extras"] and "cnnlab.conv" in got["imported"]
    for name, msg in got["extras"].items():
        assert "pip install 'cnnlab[" in msg, (name, msg)
    assert "pip install 'cnnlab[book]'" in got["load_digits"]


# ------------------------------------------------------------------------------ tests that test
TESTS = sorted((ROOT / "tests").glob("*.py"))
_FD = re.compile(r"\)\s*/\s*\(?\s*2\s*\*\s*(h|eps|delta|step)\b|/\s*2\s*/\s*(h|eps)\b")


def _given_tests_that_return(path):
    """``return`` statements directly inside a Hypothesis ``@given`` test (an example that
    returns early runs nothing and still counts; filter with ``assume``)."""
    hits = []

    def own_nodes(node):
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                yield child
                yield from own_nodes(child)

    for fn in ast.walk(ast.parse(path.read_text())):
        if isinstance(fn, ast.FunctionDef) and any("given" in ast.unparse(d) for d in fn.decorator_list):
            hits += [f"{path.name}:{n.lineno}" for n in own_nodes(fn) if isinstance(n, ast.Return)]
    return hits


def test_hypothesis_filters_with_assume():
    assert [h for p in TESTS for h in _given_tests_that_return(p)] == []


def test_given_return_detector(tmp_path):
    f = tmp_path / "t.py"
    f.write_text("@given(n=st.integers())\ndef test_a(n):\n    if n < 0:\n        return\n"
                 "    def helper():\n        return n\n    assert helper() == n\n")
    assert _given_tests_that_return(f) == ["t.py:4"]


def _asserts_only_callable(path):
    """Tests whose every check is ``assert callable(...)`` (they pass for any function)."""
    def calls(node):
        return {ast.unparse(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}

    def callable_only(a):
        names = calls(a.test)
        return "callable" in names and names <= {"callable", "all", "any", "getattr", "hasattr"}

    hits = []
    for fn in ast.walk(ast.parse(path.read_text())):
        if isinstance(fn, ast.FunctionDef) and fn.name.startswith("test"):
            asserts = [n for n in ast.walk(fn) if isinstance(n, ast.Assert)]
            other_checks = {c for c in calls(fn) if "raises" in c or "assert" in c or "approx" in c}
            if asserts and not other_checks and all(callable_only(a) for a in asserts):
                hits.append(f"{path.name}:{fn.lineno} {fn.name}")
    return hits


def test_no_test_asserts_only_callable():
    assert [h for p in TESTS for h in _asserts_only_callable(p)] == []


def test_callable_detector(tmp_path):
    f = tmp_path / "t.py"
    f.write_text("def test_a():\n    assert callable(f)\n\ndef test_b():\n    assert callable(f)\n    assert f(1) == 2\n")
    assert _asserts_only_callable(f) == ["t.py:1 test_a"]


def test_one_finite_difference_helper():
    """Central differences are written once, in tests/fd.py (fd_grad, fd_jacobian)."""
    offenders = {p.name for p in TESTS if p.name != "fd.py" and _FD.search(_code_only(p))}
    assert offenders == set(), offenders
    assert _FD.search(_code_only(ROOT / "tests" / "fd.py"))
    assert _FD.search("g = (f(x + h) - f(x - h)) / (2 * h)") and not _FD.search("y = a / 2")


def _silent_torch_cells(path):
    """Code cells that use PyTorch (``torch.`` beyond the import) but do not say which reference
    ran in the one form the nbval sanitizer rewrites ("PyTorch reference: …", book/nbval_sanitize.cfg),
    or that print PyTorch's own line in another form ("PyTorch not installed", f"PyTorch {version}"):
    such a cell's stored output differs when PyTorch is missing, and nbval fails on a plain
    `make test`."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    hits = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        uses = [l for l in src.splitlines() if re.search(r"\btorch\.", l) and "import" not in l]
        says = "PyTorch reference" in src
        other = re.search(r"PyTorch not installed|[\"']PyTorch \{torch\.__version__", src)
        if uses and (not says or other):
            hits.append((path.name, cell.get("id")))
    return hits


def test_pytorch_cells_say_which_reference_ran():
    found = {h for p in sorted((ROOT / "book").glob("*.ipynb")) for h in _silent_torch_cells(p)}
    assert found == set(), found


def test_the_reference_line_check_catches_a_bare_version_line(tmp_path):
    def nb(src):
        f = tmp_path / "n.ipynb"
        f.write_text(json.dumps({"cells": [{"cell_type": "code", "id": "c", "source": src}]}))
        return _silent_torch_cells(f)
    good = 'if torch is None:\n    print("PyTorch reference: not installed")\nelse:\n    y = torch.ones(2)\n'
    assert nb(good) == []
    assert nb('y = torch.ones(2)\nprint(f"PyTorch {torch.__version__}: ok")\n') == [("n.ipynb", "c")]
    assert nb(good + 'print("PyTorch not installed: skipped")\n') == [("n.ipynb", "c")]


# ------------------------------------------------------------------------------ the repository
def test_contributing_is_self_contained():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    assert "../" not in text and "/work/" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target
    for word in ("notation", "Public API", "Notebook conventions", "book/experiments", "solution"):
        assert word in text, word


def test_make_help_lists_every_phony_target():
    import shutil

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    text = (ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split())
    out = subprocess.run(["make", "-s", "--no-print-directory", "help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60).stdout
    listed = set(re.findall(r"^\s+make (\S+)", out, re.M))
    assert phony <= listed, sorted(phony - listed)


# ------------------------------------------------------------------------------ docstrings
def _undocumented(module):
    """Public functions, classes and their public methods/properties of ``module`` (defined there)
    without a docstring (``inspect.getdoc``: a method may inherit its base class's)."""
    import inspect

    missing = []
    for n, obj in vars(module).items():
        if n.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if not inspect.getdoc(obj):
            missing.append(f"{module.__name__}.{n}")
        if inspect.isclass(obj):
            for mn, member in vars(obj).items():
                f = member.fget if isinstance(member, property) else member
                f = f.__func__ if isinstance(f, (staticmethod, classmethod)) else f
                if mn.startswith("_") or not inspect.isfunction(f):
                    continue
                doc = f.__doc__ if isinstance(member, property) else inspect.getdoc(getattr(obj, mn))
                if not doc:
                    missing.append(f"{module.__name__}.{n}.{mn}")
    return missing


def _all_modules():
    import pkgutil

    import cnnlab

    return ["cnnlab"] + sorted(m.name for m in pkgutil.walk_packages(cnnlab.__path__, "cnnlab.")
                               if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", _all_modules())
def test_public_callables_have_docstrings(name):
    """Every public function, class and method of the package says what it does (issue 11)."""
    import importlib

    assert _undocumented(importlib.import_module(name)) == []


def test_docstring_detector(tmp_path, monkeypatch):
    (tmp_path / "undoc_sample.py").write_text(
        'class A:\n    def f(self):\n        pass\n\n\n'
        'class B(A):\n    "B."\n\n    def g(self):\n        "g."\n\n    def f(self):\n        pass\n\n\n'
        'def h():\n    pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    got = _undocumented(importlib.import_module("undoc_sample"))
    assert got == ["undoc_sample.A", "undoc_sample.A.f", "undoc_sample.B.f", "undoc_sample.h"]


def test_layer_methods_document_their_shapes():
    import inspect

    from cnnlab import layers

    for name in layers.__all__:
        cls = getattr(layers, name)
        if not (inspect.isclass(cls) and issubclass(cls, layers.Layer)):
            continue
        for meth in ("forward", "backward", "build", "count_params", "get_weights", "set_weights",
                     "arithmetic", "get_config"):
            assert inspect.getdoc(getattr(cls, meth)), f"{name}.{meth}"
        for meth in ("forward", "backward"):
            assert re.search(r"\(N\b|shape", inspect.getdoc(getattr(cls, meth))), f"{name}.{meth} states no shape"
