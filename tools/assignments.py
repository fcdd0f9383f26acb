#!/usr/bin/env python3
"""Write one autograded assignment per chapter in otter-grader's format (``make assignments``).

Usage: ``python tools/assignments.py [OUT_DIR] [--chapters 01,05]`` (default
``_build/assignments``). For each chapter NN it writes ``OUT_DIR/chNN/master.ipynb`` (the
teacher's notebook in Otter Assign's format) and runs ``otter assign`` on it, giving

    OUT_DIR/chNN/dist/student/chNN.ipynb      hand this out
    OUT_DIR/chNN/dist/autograder/*.zip        the autograder (hidden tests inside)

Every assignment has:

* ``STUDENT_ID``: the student types their id; ``my_numbers(STUDENT_ID)`` draws *their* numbers
  (a seeded generator from a hash of the chapter and the id), so every student gets different
  numbers and the hidden tests recompute the answer from the same id;
* a numeric (or shape) question in two parts: the book's exercise, whose public test is the
  chapter's self-check (it must print ✓), and the same question on the student's numbers,
  checked by a hidden test;
* in every backward chapter (5–10), a coding task in cs231n's manner: implement this backward
  pass; the public test runs a gradient check (centred differences, relative error < 1e-6) on a
  fixed case, the hidden test on a case drawn from the student's id;
* a written answer ("why / compare / prove"), graded by hand (``manual: true``).

``tools/grade.py`` grades a folder of submissions with ``otter run`` (no Docker) into a CSV.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------ shared snippets

DRAW_HEAD = '''import hashlib
import numpy as np

def _rng(chapter, student_id):
    if not isinstance(student_id, str) or not student_id.strip():
        raise ValueError("set STUDENT_ID to your student id (a non-empty string) first")
    h = hashlib.sha256(f"cnnlab-{chapter}|{student_id.strip()}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))
'''

SELF_CHECK_TEST = '''import io, contextlib
from cnnlab.exercises import {mod}
from cnnlab.exercises import _vault
_vault.reset()
_buf = io.StringIO()
with contextlib.redirect_stdout(_buf):
    {mod}.{check}({args})
assert _buf.getvalue().lstrip().startswith("✓"), "the self-check says: " + _buf.getvalue()
'''

GRADCHECK = '''import numpy as np

def _num_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h; fp = f(x)
        x[i] = old - h; fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g

def _rel_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''


def _raw(src):
    return {"cell_type": "raw", "metadata": {}, "source": textwrap.dedent(src).strip("\n")}


def _md(src):
    return {"cell_type": "markdown", "metadata": {}, "source": textwrap.dedent(src).strip("\n")}


def _code(src):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": textwrap.dedent(src).strip("\n")}


def _test(src, hidden=False, points=None):
    head = ""
    if hidden or points is not None:
        cfg = []
        if hidden:
            cfg.append("hidden: true")
        if points is not None:
            cfg.append(f"points: {points}")
        head = '""" # BEGIN TEST CONFIG\n' + "\n".join(cfg) + '\n""" # END TEST CONFIG\n'
    return _code(head + textwrap.dedent(src).strip("\n"))


# ------------------------------------------------------------------ the chapters
# Each chapter: title, draw (body of my_numbers: returns a dict from rng), and questions.
# A numeric question: book check (module, function, answer-variable names), the student's
# version (variable, prompt, solution expression from D, hidden test comparing).

CHAPTERS: dict[str, dict] = {}


def chapter(nn, title, draw, questions, written):
    CHAPTERS[nn] = {"title": title, "draw": textwrap.dedent(draw).strip("\n"),
                    "questions": questions, "written": written}


def numeric(name, prompt_book, book_var, book_solution, check, prompt_mine, mine_var,
            mine_solution, hidden_assert, points=(1, 2)):
    return {"kind": "numeric", "name": name, "prompt_book": prompt_book, "book_var": book_var,
            "book_solution": book_solution, "check": check, "prompt_mine": prompt_mine,
            "mine_var": mine_var, "mine_solution": mine_solution, "hidden": hidden_assert,
            "points": points}


def coding(name, prompt, stub, solution, public, hidden, points=(2, 2)):
    return {"kind": "coding", "name": name, "prompt": prompt, "stub": stub,
            "solution": solution, "public": public, "hidden": hidden, "points": points}


chapter("01", "Convolution and cross-correlation", """
    i = int(rng.integers(20, 65)); k = int(rng.choice([3, 5, 7])); s = int(rng.choice([2, 3]))
    p = int(rng.integers(0, 3))
    return {"i": i, "k": k, "s": s, "p": p}
""", [numeric(
    "q1",
    "**Book's numbers.** Chapter 1, exercise 2: the output width for $i = 32$, $k = 5$, $s = 2$, "
    "$p = 1$.", "q1_book", "15", ("ch01", "check_ex2", "q1_book"),
    "**Your numbers.** The output width for your `D['i'], D['k'], D['s'], D['p']`.",
    "q1_mine", "(D['i'] + 2 * D['p'] - D['k']) // D['s'] + 1",
    "assert int(q1_mine) == (E['i'] + 2 * E['p'] - E['k']) // E['s'] + 1")],
    "Why do PyTorch and Keras call cross-correlation a *convolution*, and when does the "
    "difference matter (give one situation where it changes a number you compute)?")

chapter("02", "Pooling and subsampling", """
    return {"x": rng.integers(0, 10, size=(4, 4)).astype(float)}
""", [numeric(
    "q1", "**Book's numbers.** Chapter 2, exercise 1: 2×2 max pooling (stride 2) of `ch02.EX1_X`.",
    "q1_book", "np.array([[7.0, 6.0], [9.0, 3.0]])", ("ch02", "check_ex1", "q1_book"),
    "**Your numbers.** 2×2 max pooling (stride 2) of your `D['x']`, as a 2×2 array.",
    "q1_mine", "D['x'].reshape(2, 2, 2, 2).max(axis=(1, 3))",
    "ref = np.array([[E['x'][2*a:2*a+2, 2*b:2*b+2].max() for b in range(2)] for a in range(2)])\n"
    "assert np.allclose(np.asarray(q1_mine, float), ref)")],
    "Max pooling's gradient is not defined at a tie. State the rule frameworks use, and explain "
    "why the gradient of the pooled output still sums to δ under that rule.")

chapter("03", "Counting parameters", """
    return {"k": int(rng.choice([3, 5, 7])), "c": int(rng.integers(1, 9)),
            "f": int(rng.integers(4, 65))}
""", [numeric(
    "q1", "**Book's numbers.** Chapter 3, exercise 1: the parameters of `Conv2D(16, (3, 3))` on a "
    "28×28×3 input.", "q1_book", "448", ("ch03", "check_ex1", "q1_book"),
    "**Your numbers.** The parameters of `Conv2D(D['f'], (D['k'], D['k']))` on an input with "
    "`D['c']` channels.", "q1_mine", "(D['k'] * D['k'] * D['c'] + 1) * D['f']",
    "assert int(q1_mine) == (E['k'] ** 2 * E['c'] + 1) * E['f']")],
    "Compare a `Conv2D` layer and a `Dense` layer that map the same 28×28×3 input to the same "
    "number of output values: which has more parameters, and why?")

chapter("04", "The network as a formula", """
    return {"a": int(rng.integers(2, 9)), "b": int(rng.integers(2, 9))}
""", [numeric(
    "q1", "**Book's numbers.** Chapter 4, exercise 1: how many times does $x_1$ occur in the nested "
    "formula of a dense network with widths [3, 4, 4, 1]?", "q1_book", "16",
    ("ch04", "check_ex1", "q1_book"),
    "**Your numbers.** The same for widths `[3, D['a'], D['b'], 1]`.", "q1_mine",
    "D['a'] * D['b']", "assert int(q1_mine) == E['a'] * E['b']")],
    "Is writing a whole CNN as one formula worth it? Give one thing the single formula shows "
    "and one reason it is impractical.")

chapter("05", "Backpropagation, the recursion", """
    n, m = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    return {"n": n, "m": m, "seed": int(rng.integers(0, 2**31))}
""", [coding(
    "q1", "Implement the backward pass of a dense layer $y = W x + b$ ($W$: (m, n), $x$: (n,)): "
    "given $\\delta = \\partial E/\\partial y$, return $(\\partial E/\\partial x, \\partial E/"
    "\\partial W, \\partial E/\\partial b)$. The tests run a gradient check.",
    "def dense_backward(dy, x, W):\n    dx = dW = db = None\n    # your code here\n"
    "    return dx, dW, db",
    "def dense_backward(dy, x, W):\n    return W.T @ dy, np.outer(dy, x), dy.copy()",
    "r = np.random.default_rng(0); x = r.normal(size=3); W = r.normal(size=(2, 3)); dy = r.normal(size=2)\n"
    "dx, dW, db = dense_backward(dy, x, W)\n"
    "assert _rel_error(dx, _num_grad(lambda v: np.sum(dy * (W @ v)), x.copy())) < 1e-6\n"
    "assert _rel_error(dW, _num_grad(lambda M: np.sum(dy * (M @ x)), W.copy())) < 1e-6\n"
    "assert _rel_error(db, dy) < 1e-9",
    "r = np.random.default_rng(E['seed']); x = r.normal(size=E['n']); W = r.normal(size=(E['m'], E['n']))\n"
    "dy = r.normal(size=E['m'])\n"
    "dx, dW, db = dense_backward(dy, x, W)\n"
    "assert _rel_error(dx, _num_grad(lambda v: np.sum(dy * (W @ v)), x.copy())) < 1e-6\n"
    "assert _rel_error(dW, _num_grad(lambda M: np.sum(dy * (M @ x)), W.copy())) < 1e-6")],
    "Prove, from the chain rule, that $\\delta^l = (W^{l+1})^\\top \\delta^{l+1} \\circ "
    "f'(u^l)$.")

chapter("06", "A convolution layer followed by subsampling", """
    return {"h": int(rng.integers(4, 8)), "k": int(rng.integers(2, 4)), "seed": int(rng.integers(0, 2**31))}
""", [coding(
    "q1", "Implement the backward pass of a single-channel valid cross-correlation "
    "$y = x \\star k$: given $\\partial E/\\partial y$, return $(\\partial E/\\partial x, "
    "\\partial E/\\partial k)$. (You may use `scipy.signal`.)",
    "def xcorr_backward(dy, x, k):\n    dx = dk = None\n    # your code here\n    return dx, dk",
    "from scipy import signal\n\ndef xcorr_backward(dy, x, k):\n"
    "    return signal.convolve2d(dy, k, 'full'), signal.correlate2d(x, dy, 'valid')",
    "from scipy import signal\n"
    "r = np.random.default_rng(0); x = r.normal(size=(5, 5)); k = r.normal(size=(3, 3))\n"
    "dy = r.normal(size=(3, 3))\n"
    "dx, dk = xcorr_backward(dy, x, k)\n"
    "f = lambda X, K: np.sum(dy * signal.correlate2d(X, K, 'valid'))\n"
    "assert _rel_error(dx, _num_grad(lambda X: f(X, k), x.copy())) < 1e-6\n"
    "assert _rel_error(dk, _num_grad(lambda K: f(x, K), k.copy())) < 1e-6",
    "from scipy import signal\n"
    "r = np.random.default_rng(E['seed']); x = r.normal(size=(E['h'], E['h'] + 1))\n"
    "k = r.normal(size=(E['k'], E['k'])); dy = r.normal(size=(E['h'] - E['k'] + 1, E['h'] - E['k'] + 2))\n"
    "dx, dk = xcorr_backward(dy, x, k)\n"
    "f = lambda X, K: np.sum(dy * signal.correlate2d(X, K, 'valid'))\n"
    "assert _rel_error(dx, _num_grad(lambda X: f(X, k), x.copy())) < 1e-6\n"
    "assert _rel_error(dk, _num_grad(lambda K: f(x, K), k.copy())) < 1e-6")],
    "Bouvrie's kernel gradient has two `rot180`s. Explain what each one undoes, and why a "
    "framework's (cross-correlating) layer needs neither.")

chapter("07", "A subsampling layer followed by convolution", """
    return {"h": int(rng.choice([4, 6, 8])), "seed": int(rng.integers(0, 2**31))}
""", [coding(
    "q1", "Implement the backward pass of LeNet's subsampling $u = \\beta\\,\\mathrm{down}(x) + b$ "
    "(2×2 blocks, one map): given $\\partial E/\\partial u$, return $(\\partial E/\\partial x, "
    "\\partial E/\\partial \\beta, \\partial E/\\partial b)$.",
    "def subsample_backward(du, x, beta):\n    dx = dbeta = db = None\n    # your code here\n"
    "    return dx, dbeta, db",
    "def subsample_backward(du, x, beta):\n    H, W = x.shape\n"
    "    down = x.reshape(H // 2, 2, W // 2, 2).sum(axis=(1, 3))\n"
    "    return beta * np.kron(du, np.ones((2, 2))), float(np.sum(du * down)), float(np.sum(du))",
    "r = np.random.default_rng(0); x = r.normal(size=(4, 4)); du = r.normal(size=(2, 2)); beta = 0.7\n"
    "down = lambda X: X.reshape(2, 2, 2, 2).sum(axis=(1, 3))\n"
    "dx, dbeta, db = subsample_backward(du, x, beta)\n"
    "assert _rel_error(dx, _num_grad(lambda X: np.sum(du * beta * down(X)), x.copy())) < 1e-6\n"
    "assert _rel_error(dbeta, _num_grad(lambda B: np.sum(du * B[0] * down(x)), np.array([beta])))"
    " < 1e-6\nassert _rel_error(db, np.sum(du)) < 1e-9",
    "r = np.random.default_rng(E['seed']); h = E['h']; x = r.normal(size=(h, h))\n"
    "du = r.normal(size=(h // 2, h // 2)); beta = float(r.normal())\n"
    "down = lambda X: X.reshape(h // 2, 2, h // 2, 2).sum(axis=(1, 3))\n"
    "dx, dbeta, db = subsample_backward(du, x, beta)\n"
    "assert _rel_error(dx, _num_grad(lambda X: np.sum(du * beta * down(X)), x.copy())) < 1e-6\n"
    "assert _rel_error(dbeta, _num_grad(lambda B: np.sum(du * B[0] * down(x)), np.array([beta])))"
    " < 1e-6")],
    "Compare the residual of a subsampling layer that feeds a convolution with the residual of a "
    "convolution layer that feeds a subsampling: which operation (`up`, full convolution, "
    "`rot180`) appears in each, and why?")

chapter("08", "Learning combinations of feature maps", """
    return {"n": int(rng.integers(3, 7)), "seed": int(rng.integers(0, 2**31))}
""", [coding(
    "q1", "Implement the backward pass of $\\alpha = \\mathrm{softmax}(c)$: given "
    "$\\partial E/\\partial\\alpha$, return $\\partial E/\\partial c$.",
    "def softmax_backward(dalpha, c):\n    dc = None\n    # your code here\n    return dc",
    "def softmax_backward(dalpha, c):\n    a = np.exp(c - c.max()); a /= a.sum()\n"
    "    return a * (dalpha - np.sum(a * dalpha))",
    "sm = lambda v: np.exp(v - v.max()) / np.exp(v - v.max()).sum()\n"
    "r = np.random.default_rng(0); c = r.normal(size=3); g = r.normal(size=3)\n"
    "assert _rel_error(softmax_backward(g, c), _num_grad(lambda v: np.sum(g * sm(v)), c.copy())) < 1e-6",
    "sm = lambda v: np.exp(v - v.max()) / np.exp(v - v.max()).sum()\n"
    "r = np.random.default_rng(E['seed']); c = r.normal(size=E['n']); g = r.normal(size=E['n'])\n"
    "assert _rel_error(softmax_backward(g, c), _num_grad(lambda v: np.sum(g * sm(v)), c.copy())) < 1e-6")],
    "Why is the gradient of the penalty $\\lambda\\sum_i|\\alpha_i|$ with respect to $c$ zero "
    "when $\\alpha = \\mathrm{softmax}(c)$? What would you use instead to make the combination "
    "sparse?")

chapter("09", "Max-pooling, ReLU and convolution in a chain", """
    return {"h": int(rng.choice([4, 6])), "seed": int(rng.integers(0, 2**31))}
""", [coding(
    "q1", "Implement the backward pass of 2×2 max pooling (stride 2) of one map "
    "$x^{l+1} = \\operatorname{maxpool}_2(x^l)$: given $\\partial E/\\partial x^{l+1}$ (`dout`), "
    "return $\\partial E/\\partial x^l$ (at a tie, the first maximum in reading order gets it).",
    "def maxpool_backward(dout, x):\n    dx = None\n    # your code here\n    return dx",
    "def maxpool_backward(dout, x):\n    dx = np.zeros_like(x)\n"
    "    for m in range(x.shape[0] // 2):\n        for n in range(x.shape[1] // 2):\n"
    "            mu, nu = divmod(int(np.argmax(x[2*m:2*m+2, 2*n:2*n+2])), 2)\n"
    "            dx[2*m + mu, 2*n + nu] = dout[m, n]\n    return dx",
    "pool = lambda X: X.reshape(2, 2, 2, 2).max(axis=(1, 3))\n"
    "r0 = np.random.default_rng(0); x = r0.permutation(16).reshape(4, 4) / 4.0; dp = r0.normal(size=(2, 2))\n"
    "assert _rel_error(maxpool_backward(dp, x), _num_grad(lambda X: np.sum(dp * pool(X)), x.copy(), h=1e-4)) < 1e-6",
    "h = E['h']; pool = lambda X: X.reshape(h // 2, 2, h // 2, 2).max(axis=(1, 3))\n"
    "r0 = np.random.default_rng(E['seed']); x = r0.permutation(h * h).reshape(h, h) / 4.0\n"
    "dp = r0.normal(size=(h // 2, h // 2))\n"
    "assert _rel_error(maxpool_backward(dp, x), _num_grad(lambda X: np.sum(dp * pool(X)), x.copy(), h=1e-4)) < 1e-6\n"
    "t = np.zeros((h, h)); t[0, 0] = t[0, 1] = 1.0\n"
    "assert maxpool_backward(np.ones((h // 2, h // 2)), t)[0, 0] == 1 and maxpool_backward(np.ones((h // 2, h // 2)), t)[0, 1] == 0")],
    "In the chain conv → ReLU → max-pool, at most how many entries of the convolution's "
    "residual can be nonzero, and why? Argue from the switches and the ReLU mask.")

chapter("10", "LeNet-5 from scratch", """
    return {"n": int(rng.integers(3, 11)), "seed": int(rng.integers(0, 2**31))}
""", [coding(
    "q1", "Implement the backward pass of the softmax cross-entropy $E = -\\log "
    "\\mathrm{softmax}(z)_t$: return $\\partial E/\\partial z$ for logits `z` and class `t`.",
    "def xent_backward(z, t):\n    dz = None\n    # your code here\n    return dz",
    "def xent_backward(z, t):\n    p = np.exp(z - z.max()); p /= p.sum()\n    p[t] -= 1.0\n"
    "    return p",
    "E_ = lambda v, t: -(v[t] - v.max() - np.log(np.exp(v - v.max()).sum()))\n"
    "z = np.random.default_rng(0).normal(size=4)\n"
    "assert _rel_error(xent_backward(z.copy(), 2), _num_grad(lambda v: E_(v, 2), z.copy())) < 1e-6",
    "E_ = lambda v, t: -(v[t] - v.max() - np.log(np.exp(v - v.max()).sum()))\n"
    "r = np.random.default_rng(E['seed']); z = r.normal(size=E['n']); t = int(r.integers(E['n']))\n"
    "assert _rel_error(xent_backward(z.copy(), t), _num_grad(lambda v: E_(v, t), z.copy())) < 1e-6")],
    "LeNet-5's C3 does not connect every S2 map to every C3 map. Give the two reasons LeCun et "
    "al. state for the connection table, and say how it changes C3's parameter count.")

chapter("11", "Why rectification? The RECOS model", """
    u = np.round(rng.uniform(-1, 1, size=6), 2)
    phi = float(rng.choice([0.25, 0.5, 0.75]))
    return {"u": u, "phi": phi}
""", [numeric(
    "q1", "**Book's numbers.** Chapter 11, exercise 1: TReLU with $\\varphi = 0.5$ of `ch11.EX1_U`.",
    "q1_book", "[0, 0, 0, 0.2, 0.8, 1.0]", ("ch11", "check_ex1", "q1_book"),
    "**Your numbers.** TReLU with your `D['phi']` of your `D['u']` (six numbers).", "q1_mine",
    "np.where(D['u'] < D['phi'], 0.0, (D['u'] - D['phi']) / (1 - D['phi']))",
    "ref = np.array([0.0 if v < E['phi'] else (v - E['phi']) / (1 - E['phi']) for v in E['u']])\n"
    "assert np.allclose(np.asarray(q1_mine, float), ref, atol=1e-6)")],
    "Why does a network without rectification read a digit and its gray-level negative in a "
    "tied way? Use $F(1 - x) = F(1) + F(0) - F(x)$.")


# ------------------------------------------------------------------ writing the notebooks

def master_notebook(nn: str) -> dict:
    ch = CHAPTERS[nn]
    name = f"ch{nn}"
    cells = [
        _raw(f"""
            # ASSIGNMENT CONFIG
            name: {name}
            requirements: null
            export_cell: false
            check_all_cell: false
            run_tests: false
            init_cell: true
        """),
        _md(f"""
            # Assignment {int(nn)}: {ch['title']}

            Fill in `STUDENT_ID`, run every cell from the top, answer each question in the cell
            below it (replace `...`), and hand in this notebook. `grader.check("q1")` runs the
            public tests; hidden tests on your own numbers run when it is graded. Written
            answers are graded by hand.
        """),
        _code('STUDENT_ID = ""  # your student id, e.g. "s1234567"'),
        _code(DRAW_HEAD + f"\n\ndef my_numbers(student_id):\n    rng = _rng('{name}', student_id)\n"
              + textwrap.indent(ch["draw"], "    ") + "\n\n\nD = my_numbers(STUDENT_ID) if STUDENT_ID "
              "else None\nprint('your numbers:', D)"),
    ]
    hidden_prelude = (DRAW_HEAD + f"\n\ndef _draw(student_id):\n    rng = _rng('{name}', student_id)\n"
                      + textwrap.indent(ch["draw"], "    ") + "\n\n\nE = _draw(STUDENT_ID)\n")
    for q in ch["questions"]:
        p_pub, p_hid = q["points"]
        cells.append(_raw(f"# BEGIN QUESTION\nname: {q['name']}\npoints:\n- {p_pub}\n- {p_hid}"))
        if q["kind"] == "numeric":
            mod, check, var = q["check"]
            cells += [
                _md(q["prompt_book"] + "\n\n" + q["prompt_mine"]),
                _raw("# BEGIN SOLUTION"),
                _code(f"{q['book_var']} = {q['book_solution']}  # SOLUTION\n"
                      f"{q['mine_var']} = {q['mine_solution']}  # SOLUTION"),
                _raw("# END SOLUTION"),
                _raw("# BEGIN TESTS"),
                _test(SELF_CHECK_TEST.format(mod=mod, check=check, args=var)),
                _test(hidden_prelude + q["hidden"], hidden=True),
                _raw("# END TESTS"),
            ]
        else:
            cells += [
                _md(q["prompt"]),
                _raw("# BEGIN SOLUTION"),
                _code("import numpy as np\n\n# BEGIN SOLUTION NO PROMPT\n" + q["solution"]
                      + "\n# END SOLUTION\n\"\"\" # BEGIN PROMPT\n" + q["stub"]
                      + "\n\"\"\" # END PROMPT"),
                _raw("# END SOLUTION"),
                _raw("# BEGIN TESTS"),
                _test(GRADCHECK + "\n" + q["public"]),
                _test(hidden_prelude + GRADCHECK + "\n" + q["hidden"], hidden=True),
                _raw("# END TESTS"),
            ]
        cells.append(_raw("# END QUESTION"))
    cells += [
        _raw("# BEGIN QUESTION\nname: w1\nmanual: true\npoints: 3"),
        _md("**Written answer.** " + ch["written"]),
        _raw("# BEGIN SOLUTION"),
        _md("*(Graded by hand with the rubric of the assessment plan.)*"),
        _raw("# END SOLUTION"),
        _raw("# END QUESTION"),
    ]
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}}}


def build(out: Path, chapters=None) -> dict[str, Path]:
    out = Path(out)
    otter = Path(sys.executable).with_name("otter")
    made = {}
    for nn in chapters or sorted(CHAPTERS):
        d = out / f"ch{nn}"
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        master = d / f"ch{nn}.ipynb"
        master.write_text(json.dumps(master_notebook(nn), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        r = subprocess.run([str(otter), "assign", "--no-pdfs", master.name, "dist"], cwd=d,
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise SystemExit(f"otter assign failed for ch{nn}:\n{r.stdout[-2000:]}{r.stderr[-4000:]}")
        zips = sorted((d / "dist" / "autograder").glob("*.zip"))
        stable = d / "dist" / "autograder" / f"ch{nn}-autograder.zip"
        zips[-1].rename(stable)
        made[nn] = d
        print(f"assignments: ch{nn} -> {d / 'dist' / 'student' / master.name}")
    return made


def main(argv) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    out = Path(args[0]) if args else ROOT / "_build" / "assignments"
    chapters = None
    if "--chapters" in argv:
        chapters = argv[argv.index("--chapters") + 1].split(",")
        out = Path([a for a in args if a != argv[argv.index("--chapters") + 1]][0]) \
            if len(args) > 1 else ROOT / "_build" / "assignments"
    build(out, chapters)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
