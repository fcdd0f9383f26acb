"""How a self-check judges an answer without holding the answer.

The installed package does not contain the reference answers. ``_keys.py`` (written by the
teacher-only script ``tools/answer_key.py``, which is not installed) holds, per exercise:

* ``table``: salted SHA-256 digests of canonical answers → that answer's message, encrypted
  with a key derived from the same canonical answer. The right answer's ✓ explanation and the
  diagnosis of every known wrong answer (flipped kernel, ceil for floor, …) can only be read by
  someone who types that answer.
* ``parts`` (for answers with several parts, e.g. four shapes): the same, part by part, so a
  student learns which part is off and, for a known slip, why.
* ``hint``: a plain hint shown for any other answer; it never contains the answer or its
  arithmetic (tests/test_exercises_vault.py checks this).

Brute force. A check prints and returns ``None``, so there is no True/False to loop on; and
after ``FREE_TRIES`` different wrong answers to one exercise in one session each further wrong
answer waits 1, 2, 4, … seconds (at most ``MAX_WAIT``). This slows a loop, it does not make one
impossible: anyone who reads this file can hash candidates offline for a small answer space.
The self-checks are for learning; graded work goes through ``make assignments`` (per-student
numbers, hidden tests).
"""
from __future__ import annotations

import base64
import hashlib
import time

import numpy as np

SALT = "cnnlab-self-check-v1"
FREE_TRIES = 8
MAX_WAIT = 30.0
UNANSWERED = "not answered yet: replace None with your answer, then run this cell again."

_wrong_tries: dict[str, set] = {}
_sleep = time.sleep


class Unreadable(ValueError):
    """The answer cannot be put in canonical form (the message says what was expected)."""


def reset():
    """Forget the attempts counted so far (a fresh kernel does the same)."""
    _wrong_tries.clear()


# ---------------------------------------------------------------- canonical form, hashing

def _fmt(v: float, decimals: int) -> str:
    r = round(float(v), decimals)
    if r == 0:
        r = 0.0                       # no "-0.0"
    return f"{r:.{decimals}f}"


def canonical(value, spec: dict) -> str:
    """One string per answer: ``kind|shape|numbers``. ``spec`` gives ``kind`` ("num" for a
    number or array of numbers, "dict" for a {int: str} mapping), ``decimals`` and, optionally,
    ``integer`` (numbers must be whole) and ``shape`` (required shape)."""
    kind = spec.get("kind", "num")
    if kind == "dict":
        try:
            if isinstance(value, dict):
                d = {int(k): str(v) for k, v in value.items()}
            else:
                d = {}
                for k, n in value:
                    if isinstance(k, str):
                        k, n = n, k
                    d[int(k)] = str(n)
        except (TypeError, ValueError):
            raise Unreadable(spec.get("format", "the answer has the wrong form")) from None
        return "dict|" + ";".join(f"{k}:{d[k].strip().lower()}" for k in sorted(d))
    if isinstance(value, (str, bytes)) or isinstance(value, bool):
        raise Unreadable(spec.get("format", "give numbers") + f"; got {value!r}")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Unreadable(spec.get("format", "give numbers") + f"; got {value!r}") from None
    if not np.all(np.isfinite(a)):
        raise Unreadable("the answer contains nan or inf")
    shape = spec.get("shape")
    if shape is not None and tuple(a.shape) != tuple(shape):
        diag = spec.get("shape_diag", {}).get(str(tuple(a.shape)))
        raise Unreadable(diag or f"{spec.get('format', 'the answer')} (shape {tuple(shape)}); "
                                 f"yours has shape {tuple(a.shape)}")
    if spec.get("integer") and not np.all(a == np.round(a)):
        raise Unreadable(f"{spec.get('format', 'the answer')}: whole numbers (counts); got {value!r}")
    d = int(spec.get("decimals", 4))
    return "num|" + "x".join(map(str, a.shape)) + "|" + ",".join(_fmt(v, d) for v in a.ravel())


def digest(exercise: str, where: str, canon: str) -> str:
    """A salted SHA-256 fingerprint (32 hex digits) of the canonical answer ``canon`` of one exercise part."""
    return hashlib.sha256(f"{SALT}|{exercise}|{where}|{canon}".encode()).hexdigest()[:32]


def _stream(exercise: str, where: str, canon: str, n: int) -> bytes:
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(f"key|{SALT}|{exercise}|{where}|{canon}|{i}".encode()).digest()
        i += 1
    return out[:n]


def seal(message: str, exercise: str, where: str, canon: str) -> str:
    """``message`` XOR-ed with a key stream derived from the right answer, base64: readable only by whoever has that answer."""
    data = message.encode()
    key = _stream(exercise, where, canon, len(data))
    return base64.b64encode(bytes(a ^ b for a, b in zip(data, key))).decode()


def unseal(sealed: str, exercise: str, where: str, canon: str) -> str:
    """The inverse of :func:`seal`: the message, given the same exercise, place and answer."""
    data = base64.b64decode(sealed)
    key = _stream(exercise, where, canon, len(data))
    return bytes(a ^ b for a, b in zip(data, key)).decode()


# ---------------------------------------------------------------- judging

def keys() -> dict:
    """The table of digests and sealed messages written by ``tools/answer_key.py`` (no answers in clear)."""
    from ._keys import KEYS
    return KEYS


def verdict(exercise: str, *answer) -> str:
    """The message for ``answer`` (a tuple of the check's arguments), without printing."""
    entry = keys()[exercise]
    specs = entry["specs"]
    if len(answer) != len(specs):
        return f"✗ give {len(specs)} value(s): {', '.join(s['name'] for s in specs)}."
    if any(a is None for a in answer):
        missing = [s["name"] for s, a in zip(specs, answer) if a is None]
        return f"… {', '.join(missing)}: {UNANSWERED}" if len(specs) > 1 else f"… {UNANSWERED}"
    # multi-part answers given as one list (e.g. four shapes): split into parts
    canons = []
    for spec, a in zip(specs, answer):
        try:
            canons.append(canonical(a, spec))
        except Unreadable as e:
            return f"✗ {spec['name']}: {e}" if len(specs) > 1 else f"✗ {e}"
    whole = "||".join(canons)
    h = digest(exercise, "all", whole)
    if h in entry["table"]:
        return unseal(entry["table"][h], exercise, "all", whole)
    for i, part in enumerate(entry.get("parts", [])):
        value = _part_value(answer, part)
        try:
            c = canonical(value, part)
        except Unreadable as e:
            return f"✗ {part['name']}: {e}"
        hp = digest(exercise, part["name"], c)
        if hp in part["table"]:
            msg = unseal(part["table"][hp], exercise, part["name"], c)
            if msg.startswith("✓"):
                continue
            return msg
        return f"✗ {part['name']}: {part['hint']}"
    return "✗ " + entry["hint"]


def _part_value(answer, part):
    arg, index = part["arg"], part.get("index")
    v = answer[arg]
    if index is not None:
        try:
            v = list(v)[index]
        except (TypeError, IndexError):
            raise Unreadable(part.get("format", "the answer has the wrong form")) from None
    return v


def judge(exercise: str, *answer) -> None:
    """Print the verdict on ``answer`` (✓ …, ✗ …, or … not answered yet); return None.

    Wrong answers are counted per exercise; beyond ``FREE_TRIES`` different ones, each further
    wrong answer waits before it is judged (see the module docstring)."""
    msg = verdict(exercise, *answer)
    if msg.startswith("✗"):
        seen = _wrong_tries.setdefault(exercise, set())
        seen.add(repr(answer)[:2000])
        extra = len(seen) - FREE_TRIES
        if extra > 0:
            wait = min(2.0 ** (extra - 1), MAX_WAIT)
            print(f"(more than {FREE_TRIES} different wrong answers to this exercise: waiting "
                  f"{wait:g} s — reread the exercise and the hint before the next try)")
            _sleep(wait)
    print(msg)
    return None
