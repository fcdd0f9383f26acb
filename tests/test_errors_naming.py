"""Every public function of the core names its argument when it refuses one (issue 11).

Each public function of each core module (widgets and exercises aside: they take state objects
of their own; ``_validate`` and ``fastconv`` are internal) is called with *all* its required
arguments set to one bad value — a string, None, an empty array, a float, a negative int.  The
call must raise ``ValueError`` or ``TypeError`` whose message names one of the required
arguments, or an ``OSError`` (a file reader given the path ``"abc"``), or return; never an
``AttributeError``, ``IndexError`` or the like from deep inside.  ``tests/test_errors_property.py``
varies one or two arguments of hand-written valid calls; this test covers every function that
has none.
"""
import importlib
import inspect
import pkgutil
import signal

import numpy as np
import pytest

import cnnlab

SKIP = ("cnnlab.widgets", "cnnlab.exercises", "cnnlab._validate", "cnnlab.fastconv", "cnnlab.__main__")
BAD = ["abc", None, np.zeros((0,)), 2.5, -1]
_SECONDS = 3


def _modules():
    return sorted(m.name for m in pkgutil.walk_packages(cnnlab.__path__, "cnnlab.")
                  if not m.name.startswith(SKIP))


def _public_functions(module):
    for name, f in sorted(vars(module).items()):
        if not name.startswith("_") and inspect.isfunction(f) and f.__module__ == module.__name__:
            yield name, f


class _Slow(BaseException):
    pass


def _alarm(signum, frame):
    raise _Slow()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX signals for the time limit")
@pytest.mark.parametrize("modname", _modules())
def test_bad_arguments_are_named(modname, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # a writer given "abc" writes here
    module = importlib.import_module(modname)
    problems = []
    for name, f in _public_functions(module):
        params = inspect.signature(f).parameters.values()
        required = [p.name for p in params if p.default is p.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if not required:
            continue
        for bad in BAD:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, _SECONDS)
            try:
                with np.errstate(all="ignore"):
                    f(*[bad] * len(required))
            except _Slow:
                pass
            except (ValueError, TypeError) as exc:
                if not any(r in str(exc) for r in required):
                    problems.append(f"{name}({bad!r}, ...): {type(exc).__name__} names none of "
                                    f"{required}: {exc}"[:300])
            except OSError:
                pass
            except ImportError as exc:          # an optional dependency is missing: fine if named
                if "pip install 'cnnlab[" not in str(exc):
                    problems.append(f"{name}({bad!r}, ...) -> ImportError naming no extra: {exc}"[:300])
            except Exception as exc:  # noqa: BLE001 - the point of the test
                problems.append(f"{name}({bad!r}, ...) -> {type(exc).__name__}: {exc}"[:300])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
    assert problems == [], "\n".join(problems)


def test_the_check_catches_an_unnamed_error(tmp_path, monkeypatch):
    """The check itself: a function failing with an AttributeError is reported."""
    import sys
    import types

    fake = types.ModuleType("cnnlab.fake")

    def broken(x):
        return x.shape

    broken.__module__ = "cnnlab.fake"
    fake.broken = broken
    monkeypatch.setitem(sys.modules, "cnnlab.fake", fake)
    with pytest.raises(AssertionError, match="broken.*AttributeError"):
        test_bad_arguments_are_named("cnnlab.fake", tmp_path, monkeypatch)
