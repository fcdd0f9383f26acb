"""The self-checks hold no answers and give none away.

- the sealed key (cnnlab/exercises/_keys.py) is what tools/answer_key.py writes today;
- every check answers None with "not answered yet" and returns None (nothing to loop on);
- the package's source and the plain texts of the key (hints, format messages) do not contain
  the right answers of the exercises whose answer is a distinctive number;
- a wrong answer's message never contains the right answer;
- a loop over many wrong answers is slowed down.
"""
import importlib.util
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from cnnlab.exercises import _vault
from cnnlab.exercises import (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10,
                              ch11)
from selfcheck_helpers import said

ROOT = Path(__file__).resolve().parents[1]
MODULES = [ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, ch11]


def _answer_key():
    spec = importlib.util.spec_from_file_location("answer_key", ROOT / "tools" / "answer_key.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


KEY = _answer_key()
CHECKS = [(m, name, fn) for m in MODULES for name, fn in inspect.getmembers(m, inspect.isfunction)
          if re.fullmatch(r"check_ex\d+", name)]
IDS = [f"{m.__name__.rsplit('.', 1)[1]}.{n}" for m, n, _ in CHECKS]


def ex_id(m, name):
    return f"{m.__name__.rsplit('.', 1)[1]}-ex{name[len('check_ex'):]}"


def test_key_is_up_to_date():
    assert KEY.render() == (ROOT / "cnnlab" / "exercises" / "_keys.py").read_text(encoding="utf-8"), \
        "run python tools/answer_key.py"


def test_every_check_has_a_key_and_every_key_a_check():
    assert sorted(ex_id(m, n) for m, n, _ in CHECKS) == sorted(_vault.keys())


@pytest.mark.parametrize("m,name,fn", CHECKS, ids=IDS)
def test_unanswered_says_so_and_returns_none(m, name, fn):
    nargs = len(inspect.signature(fn).parameters)
    out = said(fn, *([None] * nargs))
    assert "not answered yet" in out
    assert not re.search(r"\d", out), out          # no number at all, so no answer


@pytest.mark.parametrize("m,name,fn", CHECKS, ids=IDS)
def test_right_answer_passes_and_wrong_messages_do_not_contain_it(m, name, fn):
    right = KEY.right_answers()[ex_id(m, name)]
    assert said(fn, *right).startswith("✓")
    entry = _vault.keys()[ex_id(m, name)]
    texts = [entry["hint"]] + [s.get("format", "") for s in entry["specs"]] + \
        [p["hint"] for p in entry["parts"]] + \
        [d for s in entry["specs"] for d in s.get("shape_diag", {}).values()]
    for x in _distinctive(right):
        for t in texts:
            assert not re.search(rf"(?<![\d.]){re.escape(x)}(?![\d])", t), (x, t)
    # every listed wrong answer: its message is not a ✓ and does not print the right answer
    for args, _ in KEY.EXERCISES[ex_id(m, name)]["wrong"][:50]:
        out = said(fn, *args)
        if out.startswith("✓"):          # a wrong answer equal to the right one (ch01 ex2)
            continue
        for x in _distinctive(right):
            assert not re.search(rf"(?<![\d.]){re.escape(x)}(?![\d])", out), (x, out)


def _distinctive(right):
    """The right answer's numbers that would give it away if printed: whole numbers ≥ 10 and
    non-integers; shapes and single digits are too common in prose to test this way."""
    vals = []
    for a in right:
        if isinstance(a, dict):
            continue
        arr = np.asarray(a, dtype=float).ravel()
        if arr.size > 6:
            continue
        for v in arr:
            if v == int(v) and abs(v) >= 10:
                vals += [f"{int(v)}", f"{int(v):,}"]
            elif v != int(v):
                vals.append(f"{v:.3g}")
    return sorted(set(vals))


def test_package_source_holds_no_right_answers():
    sources = {p.name: p.read_text(encoding="utf-8")
               for p in (ROOT / "cnnlab" / "exercises").glob("*.py") if p.name != "_keys.py"}
    for ex, right in KEY.right_answers().items():
        if len(right) != 1 or isinstance(right[0], dict) or np.ndim(right[0]) != 0:
            continue
        v = float(right[0])
        if v != int(v) or abs(v) < 100:
            continue
        for name, text in sources.items():
            for s in (f"{int(v)}", f"{int(v):,}", f"{int(v):_}"):
                assert not re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", text), (ex, s, name)


def test_sealed_message_needs_its_answer():
    entry = _vault.keys()["ch10-ex2"]
    c_right = _vault.canonical(1516, entry["specs"][0])
    h = _vault.digest("ch10-ex2", "all", c_right)
    assert _vault.unseal(entry["table"][h], "ch10-ex2", "all", c_right).startswith("✓")
    c_other = _vault.canonical(1517, entry["specs"][0])
    try:
        garbled = _vault.unseal(entry["table"][h], "ch10-ex2", "all", c_other)
    except UnicodeDecodeError:
        garbled = None
    assert garbled is None or not garbled.startswith("✓")


def test_many_wrong_answers_are_slowed_down(monkeypatch):
    waits = []
    monkeypatch.setattr(_vault, "_sleep", waits.append)
    _vault.reset()
    for guess in range(2000, 2000 + _vault.FREE_TRIES + 3):
        ch10.check_ex2(guess)
    assert waits == [1.0, 2.0, 4.0]
    ch10.check_ex2(2000)               # the same wrong answer again is not a new try
    assert len(waits) == 4 and waits[-1] == 4.0
    _vault.reset()


def test_a_loop_over_return_values_learns_nothing():
    """Brute force by return value: every candidate gets the same None."""
    results = {repr(ch03.check_ex3(v)) for v in range(0, 5)}
    _vault.reset()
    assert results == {"None"}
