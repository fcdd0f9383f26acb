"""Issue 12, property-based: random bad arguments thrown at every public callable.

For each callable in turn, Hypothesis runs ``_PER_CALLABLE`` examples; the callables are every name in ``cnnlab.__all__``, the layer
classes, the ``Sequential`` methods, the losses, optimisers, data, formula, accounting and
gradient-check functions), starts from a valid call, replaces one or two arguments by bad
values (wrong types, wrong shapes, NaN, ±inf, negative, huge, None, strings, NumPy scalars,
empty, ragged, complex, object arrays) and calls it.  It asserts that

- the call either returns or raises one of the documented types — ``ValueError``,
  ``TypeError`` or an ``OSError`` subclass (``check_gradient`` may also fail its check with
  ``AssertionError``, its documented verdict) — never ``IndexError``, ``AttributeError``,
  ``ZeroDivisionError``, ``MemoryError``, ``OverflowError``, ... and
- no input array is modified (the one documented in-place argument, ``Optimizer.step``'s
  ``params``, excepted), and
- for every callable with a hand-written valid call (issue 12 asked it of the model, training,
  loss, optimiser, data, formula, accounting and gradient-check API; issue 11 of the whole
  public API), a ``ValueError``/``TypeError`` message names one of the replaced arguments.

A call that runs longer than ``_SECONDS`` (e.g. ``fit`` with ``epochs=10**12``, a legitimate
request) is stopped and counted as slow, not as a failure.  Names of ``cnnlab.__all__`` without
a hand-written valid call get random positional arguments.  The run is derandomised (the same
examples every time) and prints how many bad inputs it tried and what came out.
"""
import collections
import os
import signal

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import cnnlab  # noqa: E402
from cnnlab import Sequential, _validate  # noqa: E402
from cnnlab import accounting, data, gradcheck, losses, optim, training  # noqa: E402
from cnnlab.layers import (Activation, AveragePooling2D, Conv2D, Dense, Flatten,  # noqa: E402
                           MaxPooling2D, Subsampling)

_SECONDS = 2.0
_PER_CALLABLE = 20          # examples per callable (about 100 callables)
DOCUMENTED = (ValueError, TypeError, OSError)
# callables whose messages must name the bad argument: all of them (the prefix "" matches every
# name); issue 12 started with its modules, issue 11 extended the rule to the whole public API
_NAMING = ("",)


class _Slow(BaseException):
    """Raised by the alarm when a call runs longer than _SECONDS."""


# ------------------------------------------------------------------------------- valid calls
def _rng():
    return np.random.default_rng(0)


def _x4(shape=(2, 3, 8, 8)):
    return _rng().standard_normal(shape)


def _model():
    return Sequential([Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)), MaxPooling2D(2),
                       Flatten(), Dense(3, activation="softmax")], seed=0)


def _xy(n=6):
    rng = _rng()
    return rng.standard_normal((n, 6, 6, 1)), rng.integers(0, 3, n)


def _idx_dir():
    d = os.path.abspath("mnist")
    if not os.path.isdir(d):
        os.makedirs(d)
        rng = _rng()
        for stem, arr in [("train-images-idx3-ubyte", rng.integers(0, 255, (4, 28, 28), dtype=np.uint8)),
                          ("train-labels-idx1-ubyte", np.arange(4, dtype=np.uint8)),
                          ("t10k-images-idx3-ubyte", rng.integers(0, 255, (2, 28, 28), dtype=np.uint8)),
                          ("t10k-labels-idx1-ubyte", np.arange(2, dtype=np.uint8))]:
            data.write_idx(os.path.join(d, stem), arr)
    return d


def _sq(z):
    return float(np.sum(z * z))


# name -> (function returning (callable, kwargs), extra allowed exceptions, in-place arguments)
def _templates():
    x4, w = _x4(), _x4((4, 3, 3, 3))
    dy8 = _x4((2, 4, 8, 8))
    dy4 = _x4((2, 3, 4, 4))
    beta = np.ones(3)
    T = {}

    def add(name, make, extra=(), inplace=()):
        T[name] = (make, tuple(extra), set(inplace))

    # functional core
    add("correlate2d", lambda: (cnnlab.correlate2d, dict(x=_x4((5, 5)), k=_x4((3, 3)), mode="same")))
    add("convolve2d", lambda: (cnnlab.convolve2d, dict(x=_x4((5, 5)), k=_x4((3, 3)), mode="full")))
    add("conv2d", lambda: (cnnlab.conv2d, dict(x=x4.copy(), w=w.copy(), b=np.zeros(4), stride=1, padding=1)))
    add("conv2d_backward", lambda: (cnnlab.conv2d_backward, dict(dy=dy8.copy(), x=x4.copy(), w=w.copy(), stride=1, padding=1)))
    add("im2col", lambda: (cnnlab.im2col, dict(x=x4.copy(), kernel_size=(3, 3), stride=1, padding=0)))
    add("col2im", lambda: (cnnlab.col2im, dict(cols=cnnlab.im2col(x4, (3, 3)), x_shape=x4.shape, kernel_size=(3, 3), stride=1, padding=0)))
    add("conv_output_size", lambda: (cnnlab.conv_output_size, dict(i=8, k=3, s=1, p=0, d=1)))
    add("conv_floors", lambda: (cnnlab.conv_floors, dict(i=8, k=3, s=1, p=0, d=1)))
    add("resolve_padding", lambda: (cnnlab.resolve_padding, dict(padding="same", kernel_size=(3, 3), stride=1)))
    add("conv2d_naive", lambda: (cnnlab.conv2d_naive, dict(x=_x4((1, 2, 5, 5)), w=_x4((2, 2, 3, 3)), b=None, stride=1, padding=1)))
    add("conv2d_backward_naive", lambda: (cnnlab.conv2d_backward_naive, dict(dy=_x4((1, 2, 3, 3)), x=_x4((1, 2, 5, 5)), w=_x4((2, 2, 3, 3)), stride=1, padding=0)))
    add("maxpool2d_naive", lambda: (cnnlab.maxpool2d_naive, dict(x=_x4((1, 2, 4, 4)), size=2, stride=None)))
    add("maxpool2d_backward_naive", lambda: (cnnlab.maxpool2d_backward_naive, dict(dy=_x4((1, 2, 2, 2)), x=_x4((1, 2, 4, 4)), size=2, stride=None)))
    for name in ("maxpool2d", "avgpool2d"):
        add(name, lambda name=name: (getattr(cnnlab, name), dict(x=x4.copy(), size=2, stride=None)))
        add(name + "_backward", lambda name=name: (getattr(cnnlab, name + "_backward"), dict(dy=dy4.copy(), x=x4.copy(), size=2, stride=None)))
    add("pool_output_shape", lambda: (cnnlab.pool_output_shape, dict(x_shape=(2, 3, 8, 8), size=2, stride=None)))
    add("up", lambda: (cnnlab.up, dict(x=x4.copy(), n=2)))
    add("down", lambda: (cnnlab.down, dict(x=x4.copy(), n=2)))
    add("rot180", lambda: (cnnlab.rot180, dict(k=x4.copy())))
    add("subsample", lambda: (cnnlab.subsample, dict(x=x4.copy(), beta=beta.copy(), b=np.zeros(3), n=2)))
    add("subsample_backward", lambda: (cnnlab.subsample_backward, dict(dy=dy4.copy(), x=x4.copy(), beta=beta.copy(), n=2)))
    for name in ("relu", "sigmoid", "tanh", "lecun_tanh", "relu_grad", "sigmoid_grad", "tanh_grad", "lecun_tanh_grad"):
        add(name, lambda name=name: (getattr(cnnlab, name), dict(x=x4.copy())))
    add("softmax", lambda: (cnnlab.softmax, dict(x=_x4((3, 4)), axis=-1)))
    add("softmax_backward", lambda: (cnnlab.softmax_backward, dict(dy=_x4((3, 4)), x=_x4((3, 4)), axis=-1)))
    add("get_activation", lambda: (cnnlab.get_activation, dict(name="relu")))
    # gradient checking
    add("numerical_gradient", lambda: (gradcheck.numerical_gradient, dict(f=_sq, x=_x4((3,)), h=1e-6)))
    add("numerical_gradient_array", lambda: (gradcheck.numerical_gradient_array, dict(f=lambda z: 2 * z, x=_x4((3,)), dy=np.ones(3), h=1e-6)))
    add("rel_error", lambda: (gradcheck.rel_error, dict(a=_x4((3,)), b=_x4((3,)))))
    add("check_gradient", lambda: (gradcheck.check_gradient, dict(f=_sq, x=_x4((3,)), grad=2 * _x4((3,)), h=1e-6, tol=1e-6, verbose=False)),
        extra=(AssertionError,))
    # model construction and layers
    add("Sequential", lambda: (Sequential, dict(layers=[Dense(2, input_shape=(3,))], name="m", seed=0, dtype=np.float64)))
    add("Conv2D", lambda: (Conv2D, dict(filters=2, kernel_size=3, strides=1, padding="valid", activation="relu", use_bias=True, input_shape=(6, 6, 1))))
    add("MaxPooling2D", lambda: (MaxPooling2D, dict(pool_size=2, strides=None, padding="valid")))
    add("AveragePooling2D", lambda: (AveragePooling2D, dict(pool_size=2, strides=None, padding="same")))
    add("Dense", lambda: (Dense, dict(units=3, activation="softmax", use_bias=True, input_shape=(4,))))
    add("Flatten", lambda: (Flatten, dict(input_shape=(2, 2, 1))))
    add("Activation", lambda: (Activation, dict(activation="tanh")))
    add("Subsampling", lambda: (Subsampling, dict(pool_size=2, activation="sigmoid")))
    add("lenet5", lambda: (cnnlab.lenet5, dict(activation="lecun_tanh", input_shape=(32, 32, 1), num_classes=10, seed=0)))
    add("small_lenet", lambda: (cnnlab.small_lenet, dict(activation="relu", input_shape=(12, 12, 1), seed=0)))

    # Sequential methods (a fresh model per call)
    def method(name, **kw):
        def make():
            m = _model()
            return getattr(m, name), {k: (v() if callable(v) and k not in ("print_fn", "augment") else v)
                                      for k, v in kw.items()}
        add("Sequential." + name, make)

    x, y = _xy()
    method("add", layer=lambda: Dense(2))
    method("build", input_shape=(8, 8, 1))
    method("predict", x=lambda: x.copy(), batch_size=4)
    method("fit", x=lambda: x.copy(), y=lambda: y.copy(), epochs=1, batch_size=4,
           validation_data=lambda: (x.copy(), y.copy()), seed=0, verbose=0, shuffle=True,
           loss="sparse_categorical_crossentropy", optimizer="sgd", augment=None)
    method("evaluate", x=lambda: x.copy(), y=lambda: y.copy(), batch_size=4)
    method("compile", loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    method("set_weights", weights=lambda: _model().get_weights())
    method("summary", extras=True, print_fn=lambda s: None)
    method("formula", nested=True)
    method("forward", x=lambda: x.copy(), training=True)

    def backward():
        m = _model()
        out = m.forward(x, training=True)
        return m.backward, dict(dy=np.ones_like(out), preactivation=False, need_dx=True)

    add("Sequential.backward", backward)
    add("Formula.evaluate", lambda: (_model().formula().evaluate, dict(x=x.copy())))
    add("formula.describe", lambda: (cnnlab.formula.describe, dict(model=_model())))
    add("formula.model_formula", lambda: (cnnlab.formula.model_formula, dict(model=_model(), nested=False)))
    # training
    add("training.fit", lambda: (training.fit, dict(model=_model(), x=x.copy(), y=y.copy(), epochs=1, batch_size=3, verbose=0)))
    add("training.fit_scheduled", lambda: (training.fit_scheduled, dict(model=_model(), x=x.copy(), y=y.copy(), epochs=1, schedule=lambda t: 0.01, batch_size=3, seed=0, average_last=1, label_smoothing=0.1)))
    add("training.evaluate", lambda: (training.evaluate, dict(model=_model(), x=x.copy(), y=y.copy(), batch_size=2)))
    add("training.accuracy", lambda: (training.accuracy, dict(p=_x4((4, 3)), y=np.array([0, 1, 2, 0]))))
    add("training.check_metrics", lambda: (training.check_metrics, dict(metrics=["accuracy", "mse"])))
    # losses
    for cls in (losses.CategoricalCrossentropy, losses.MeanSquaredError, losses.BinaryCrossentropy):
        for meth in ("value", "gradient") + (("logit_gradient",) if cls is not losses.MeanSquaredError else ()):
            if cls is losses.BinaryCrossentropy:
                make = lambda cls=cls, meth=meth: (getattr(cls(), meth), dict(p=np.array([[0.2], [0.9]]), y=np.array([0, 1])))
            else:
                make = lambda cls=cls, meth=meth: (getattr(cls(), meth), dict(p=np.array([[0.2, 0.8], [0.6, 0.4]]), y=np.array([1, 0])))
            add(f"{cls.__name__}.{meth}", make)
    add("get_loss", lambda: (losses.get_loss, dict(loss="mse")))
    add("to_one_hot", lambda: (losses.to_one_hot, dict(y=np.array([0, 2, 1]), num_classes=3)))
    # optimisers
    add("SGD", lambda: (optim.SGD, dict(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)))
    add("Adam", lambda: (optim.Adam, dict(learning_rate=0.01, beta_1=0.9, beta_2=0.99, epsilon=1e-7)))
    add("SGD.step", lambda: (optim.SGD(0.1, momentum=0.5).step, dict(params=[np.ones(3), np.ones((2, 2))], grads=[np.ones(3), np.ones((2, 2))], masks=None)),
        inplace={"params"})
    add("Adam.step", lambda: (optim.Adam(0.1).step, dict(params=[np.ones(3)], grads=[np.ones(3)], masks=[np.array([1.0, 0.0, 1.0])])),
        inplace={"params"})
    add("get_optimizer", lambda: (optim.get_optimizer, dict(optimizer="sgd")))
    add("cosine_decay", lambda: (optim.cosine_decay, dict(step=3, total_steps=10, initial_lr=0.1, final_lr=0.0, warmup_steps=2)))
    # data
    add("load_digits", lambda: (cnnlab.load_digits, dict(size=8, digit_size=8, test_size=0.2, seed=0, normalize="unit", dtype=np.float32)))
    add("read_idx", lambda: (cnnlab.read_idx, dict(path=os.path.join(_idx_dir(), "train-labels-idx1-ubyte"))))
    add("write_idx", lambda: (cnnlab.write_idx, dict(path="out.idx.gz", array=np.arange(5, dtype=np.uint8))))
    add("load_mnist", lambda: (cnnlab.load_mnist, dict(directory=_idx_dir(), size=32, normalize="lecun", dtype=np.float32)))
    add("random_shift", lambda: (data.random_shift, dict(x=x.copy(), rng=_rng(), max_shift=1)))
    add("random_affine", lambda: (data.random_affine, dict(x=x.copy(), rng=_rng(), max_shift=1.5, max_rotation=10.0, max_scale=0.1, fill=None)))
    # accounting
    add("layer_table", lambda: (accounting.layer_table, dict(model=_model())))
    add("summary_text", lambda: (accounting.summary_text, dict(model=_model(), extras=True)))
    add("receptive_field", lambda: (accounting.receptive_field, dict(model=_model())))
    add("total_macs", lambda: (accounting.total_macs, dict(model=_model())))
    add("param_arithmetic", lambda: (accounting.param_arithmetic, dict(layer=_model().layers[0])))
    # the size guard
    add("set_max_bytes", lambda: (cnnlab.set_max_bytes, dict(limit=2**32)))
    # every other exported name: random positional arguments (see _call)
    for name in cnnlab.__all__:
        if name not in T:
            T[name] = (None, (), set())
    return T


# ------------------------------------------------------------------------------- bad values
_FIXED_BAD = [
    lambda: None, lambda: "abc", lambda: "", lambda: True, lambda: False, lambda: -1, lambda: 0,
    lambda: -10**9, lambda: 10**12, lambda: 2**64, lambda: 2.5, lambda: -0.5, lambda: 0.0,
    lambda: float("nan"), lambda: float("inf"), lambda: -float("inf"), lambda: 1e300,
    lambda: np.int64(-3), lambda: np.int64(0), lambda: np.int64(2), lambda: np.uint8(255),
    lambda: np.float32("nan"), lambda: np.float64(2.5), lambda: np.float16(-1), lambda: np.bool_(True),
    lambda: 1 + 2j, lambda: [], lambda: [1, "a"], lambda: [[1, 2], [3]], lambda: (1, 2, 3),
    lambda: (0, -1), lambda: (2.5, 1), lambda: {"a": 1}, lambda: object(), lambda: b"\x00\x01",
    lambda: np.array([]), lambda: np.zeros((0, 3)), lambda: np.array(["x"]),
    lambda: np.array([1 + 1j]), lambda: np.empty(2, dtype=object), lambda: np.full((2, 3), np.nan),
    lambda: np.array(3.0), lambda: (lambda *a, **k: None), lambda: (lambda *a, **k: "x"),
    lambda: np.ones((1, 1, 1, 1, 1, 1)), lambda: np.full((2, 3, 8, 8), np.inf),
    lambda: np.zeros((2, 3, 8, 8), dtype=np.float32), lambda: np.ones((6, 6, 6, 1)),
    lambda: [np.ones(3), None], lambda: (np.zeros(2), np.zeros(3)), lambda: range(3),
    lambda: "relu", lambda: "same", lambda: "sgd", lambda: "/nonexistent/dir/file.idx",
]

_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
_random_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.uint8]),
    shape=hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4),
    elements=None)
_random_float_arrays = hnp.arrays(
    dtype=np.float64, shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=8),
    elements=_floats)


def _bad_value(data, valid):
    kind = data.draw(st.sampled_from(["fixed"] * 5 + ["array", "float_array", "int", "float",
                                      "numpy_scalar_of_valid", "text", "shape_tuple"]))
    if kind == "fixed":
        return data.draw(st.sampled_from(_FIXED_BAD))()
    if kind == "array":
        return data.draw(_random_arrays)
    if kind == "float_array":
        return data.draw(_random_float_arrays)
    if kind == "int":
        return data.draw(st.integers(min_value=-10**20, max_value=10**20))
    if kind == "float":
        return data.draw(_floats)
    if kind == "numpy_scalar_of_valid":     # NumPy versions of a valid Python number
        if isinstance(valid, bool):
            return np.bool_(valid)
        if isinstance(valid, int):
            kinds = [np.int8, np.int32, np.int64] + ([np.uint16] if valid >= 0 else [])
            return data.draw(st.sampled_from(kinds))(valid) if -128 <= valid <= 127 else np.int64(valid)
        if isinstance(valid, float):
            return data.draw(st.sampled_from([np.float32, np.float64, np.float16]))(valid)
        return data.draw(st.sampled_from(_FIXED_BAD))()
    if kind == "text":
        return data.draw(st.text(max_size=6))
    return data.draw(st.tuples(*[st.integers(-3, 40)] * data.draw(st.integers(0, 5))))


# ------------------------------------------------------------------------------- checks
def _arrays_in(obj, path="arg"):
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _arrays_in(v, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _arrays_in(v, f"{path}[{k!r}]")


def _snapshot(kwargs, inplace):
    return [(f"{k}{p[3:]}", a, a.copy()) for k, v in kwargs.items() if k not in inplace
            for p, a in _arrays_in(v) if a.dtype != object]


def _unchanged(snap):
    for where, a, before in snap:
        same = a.shape == before.shape and (
            np.array_equal(a, before, equal_nan=a.dtype.kind in "fc") if a.dtype.kind in "biufc"
            else np.array_equal(a, before))
        if not same:
            return where
    return None


def _alarm(signum, frame):
    raise _Slow()


def _call(fn, args, kwargs):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, _SECONDS)
    limit = _validate.MAX_BYTES
    try:
        with np.errstate(all="ignore"):
            fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        _validate.MAX_BYTES = limit          # a random set_max_bytes must not leak


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX signals for the time limit")
def test_random_bad_arguments_raise_only_documented_errors(tmp_path, monkeypatch, capsys):
    # import the heavy optional modules first: the time limit must not stop an import half-way
    for module in ("scipy.ndimage", "scipy.signal", "torch", "sklearn"):
        try:
            __import__(module)
        except ImportError:
            pass
    monkeypatch.chdir(tmp_path)          # write_idx with a random path writes here
    templates = _templates()
    names = sorted(templates)
    counts = collections.Counter()
    per_name = collections.Counter()
    failures = []

    @settings(max_examples=_PER_CALLABLE, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(name, data):
        make, extra, inplace = templates[name]
        if make is None:        # an exported name without a hand-written call
            fn = getattr(cnnlab, name)
            args = [_bad_value(data, None) for _ in range(data.draw(st.integers(0, 3)))]
            kwargs = {}
        else:
            fn, kwargs = make()
            keys = sorted(kwargs)
            k = data.draw(st.integers(1, min(2, len(keys)))) if keys else 0
            replaced = data.draw(st.permutations(keys))[:k]
            for key in replaced:
                kwargs[key] = _bad_value(data, kwargs[key])
            args = []
        snap = _snapshot({**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs}, inplace)
        counts["tried"] += 1
        per_name[name] += 1
        outcome = "returned"
        if make is None:
            replaced = []
        try:
            _call(fn, args, kwargs)
        except _Slow:
            outcome = "slow (stopped)"
        except DOCUMENTED + extra as exc:
            outcome = type(exc).__name__
            assert str(exc), f"{name}: {type(exc).__name__} without a message"
            if (name.startswith(_NAMING) and replaced and isinstance(exc, (ValueError, TypeError))
                    and not any(key in str(exc) for key in replaced)):
                failures.append(f"{name}: the message does not name {replaced}: {exc}"[:300])
        except ImportError as exc:      # a missing optional dependency, named with its extra
            outcome = "ImportError (extra not installed)"
            if "pip install 'cnnlab[" not in str(exc):
                failures.append(f"{name}: ImportError naming no extra: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 - the point of the test
            outcome = "UNDOCUMENTED " + type(exc).__name__
            failures.append(f"{name}({', '.join(map(repr, args))}"
                            f"{', '.join(f'{k}={v!r}'[:60] for k, v in kwargs.items())}) -> "
                            f"{type(exc).__name__}: {exc}"[:400])
        counts[outcome] += 1
        changed = _unchanged(snap)
        if changed:
            failures.append(f"{name}: modified its input {changed}")

    for name in names:
        run(name)
    with capsys.disabled():
        print(f"\n[issue 12 property test] {counts['tried']} bad calls to {len(per_name)} of "
              f"{len(names)} callables; outcomes: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "tried"))
    assert not failures, f"{len(failures)} bad outcomes:\n" + "\n".join(failures[:40])
    assert counts["tried"] == _PER_CALLABLE * len(names)
    assert len(per_name) == len(names)          # every callable was tried
