"""One letter, one meaning: the chapters' formulas against book/notation.md's reserved letters.

book/notation.md lists the reserved letters ("## Reserved letters"): `b` is a bias and never an
index, positions are `[m, n]`, offsets inside a kernel or window are `mu, nu`, `p` is padding only,
`P` a parameter count, `alpha`/`c` belong to learned combinations, indices start at 0, ... These
tests read every formula of every chapter (display math `$$ ... $$` and inline `$ ... $` of the
markdown cells) and flag the uses of a reserved letter in another role that a pattern can see:

* a reserved letter as a summation / max / min index (`\\sum_{b}`, `\\max_{\\alpha, \\beta}`);
* a reserved letter inside an array index `x[...]` (`x[m + a, n + b]`, `x[i, j]` for a position);
* a reserved letter as a subscript index (`W_{c,u}`, `(\\delta)_{uv}`, `\\operatorname{softmax}_u`);
* a sum or a list of array indices that starts at 1 (the book's indices start at 0; only the
  layer number `l` starts at 1);
* a fixed list of retired spellings (`c_{\\text{in}}` for a channel count, `P_{mn}` for a window,
  `M^s` for a ReLU mask, a stage superscript `s`, `H \\times W` in a formula, ...).

Not everything can be checked by a pattern (a letter's meaning in running prose is not); what
can is checked here, one test per page so that a failure names the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTATION = BOOK / "notation.md"

# Letters (LaTeX spellings) that must never be an index: summation variable, array index,
# subscript index. Each maps to what it means instead (the notation page says the same).
NOT_AN_INDEX = {
    "b": "the bias",
    "c": "the logit of a combination weight (c_ij)",
    "p": "the padding",
    "u": "the pre-activation",
    "k": "a kernel",
    "f": "the activation function",
    "s": "the stride",
    "q": "the pooling block size",
    "r": "the dilation rate",
    r"\alpha": "a combination weight",
    r"\beta": "a subsampling coefficient",
}
# Letters that may not index a *position* (inside x[...]): maps are i, j, positions m, n.
NOT_A_POSITION = {"i": "an input map", "j": "an output map"}

# Retired spellings: (regex on the LaTeX source, why).
RETIRED = [
    (r"\bc_\{\\text\{(?:in|out)\}\}", "c is a combination logit: a channel count is N_{l-1} / N_l"),
    (r"\bn_\{\\text\{(?:in|out)\}\}", "n is a column: a number of maps or units is N_{l-1} / N_l"),
    (r"(?<![\\\w])P_\{?(?!\\text|\{\\text)[a-z]", "P is a parameter count: a pooling window is written with offsets mu, nu"),
    (r"(?<![\\\w])M\^", "M_j is the connection table: the ReLU mask is D^l"),
    (r"(?<![\\\w])p\^", "p is the padding: a pooled map is the layer's output x^l"),
    (r"(?<![\\\w])r\^", "r is the dilation rate: a ReLU output is the layer's output x^l"),
    (r"\^\{?s\}?(?![\w{])", "s is the stride: layers are numbered with l"),
    (r"(?<![\\\w])H\s*\\times\s*W\b", "W is a weight array: a map's size in a formula is h x w"),
    (r"\\theta_\{?l\b", "theta is an angle (chapter 11): a layer's parameters are Theta_l"),
    (r"\\operatorname\{softmax\}_\{?[a-z]", "a softmax index is an output unit j: write softmax(z)_j"),
]

SUM_OPS = re.compile(r"\\(?:sum|max|min|prod|bigoplus)(?:\\limits)?_")
GREEK = r"\\(?:alpha|beta|gamma|mu|nu|sigma|tau|varphi|phi|theta)"
TOKEN = re.compile(GREEK + r"|[A-Za-z]")


def _subscript_after(text: str, pos: int) -> str:
    """The argument of a subscript starting at text[pos] (just after '_')."""
    if pos >= len(text):
        return ""
    if text[pos] == "{":
        depth, end = 0, pos
        for end in range(pos, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        return text[pos + 1:end]
    m = re.match(GREEK + r"|\S", text[pos:])
    return m.group(0) if m else ""


def _letters(expr: str) -> list[str]:
    """Single-letter symbols of an expression that stand alone: not the base of a
    sub/superscript (`b_j`), not part of a command (`\\text`, `\\operatorname{...}`)."""
    expr = re.sub(r"\\(?:text|mathrm|operatorname|mathbf|texttt)\{[^{}]*\}", " ", expr)
    out = []
    for m in TOKEN.finditer(expr):
        tok = m.group(0)
        before = expr[m.start() - 1] if m.start() else " "
        after = expr[m.end():m.end() + 1]
        if not tok.startswith("\\"):
            if before == "\\" or before.isalpha() or after.isalpha():
                continue  # part of a command or a word
        if after in ("_", "^"):
            continue  # a symbol carrying its own index, e.g. b_j, \beta^l
        out.append(tok)
    return out


def bound_indices(math: str) -> list[str]:
    """Variables bound by \\sum_, \\max_, \\min_, \\prod_ (left of '=', ',', '\\in', '<')."""
    found = []
    for m in SUM_OPS.finditer(math):
        sub = _subscript_after(math, m.end())
        for part in re.split(r",", sub):
            left = re.split(r"=|\\in\b|<|\\le\b|\\leq\b|:|\\;", part)[0]
            found += _letters(left)
    return found


def sums_from_one(math: str) -> list[str]:
    """Bound variables that start at 1 (`\\sum_{i=1}`), other than the layer number l."""
    out = []
    for m in SUM_OPS.finditer(math):
        sub = _subscript_after(math, m.end())
        mm = re.match(r"\s*([A-Za-z]|" + GREEK + r")'?\s*=\s*1\s*$", sub)
        if mm and mm.group(1) != "l":
            out.append(sub.strip())
    for mm in re.finditer(r"(?<![\\\w])([a-km-z])\s*=\s*1\s*,\s*\\dots", math):
        out.append(mm.group(0))
    return out


def _base_symbol(math: str, end: int) -> str:
    """The symbol that carries the sub/superscripts ending just before math[end]."""
    k = end
    while k > 0:
        if math[k - 1] == "}":                      # skip a {...} group (and its ^ or _)
            depth, k = 0, k - 1
            while k >= 0:
                depth += {"}": 1, "{": -1}.get(math[k], 0)
                if depth == 0:
                    break
                k -= 1
            if k > 0 and math[k - 1] in "^_":
                k -= 1
                continue
            return ""
        if k > 1 and math[k - 2] in "^_":            # a one-character index, e.g. x_j
            k -= 2
            continue
        break
    m = re.search(r"(\\[A-Za-z]+|[A-Za-z])\s*$", math[:k])
    return m.group(1) if m else ""


def array_indices(math: str, maps_only: bool = False) -> list[str]:
    """Contents of array-index brackets x[...] (a bracket right after a symbol). With
    ``maps_only``, only brackets after a lower-case (or Greek) symbol — a map, a kernel, a
    sensitivity — not after a capital, which names a matrix indexed by units (``W[j, i]``)."""
    out = []
    for m in re.finditer(r"(?<=[A-Za-z0-9}\)\]'])\[([^\[\]]*)\]", math):
        start = m.start()
        if math[max(0, start - 5):start].endswith(("\\left", "\\big", "\\Big", "\\bigg")):
            continue
        content = m.group(1)
        if re.search(r"[<>]|\\le|\\ge", content):
            continue  # an Iverson bracket [u > 0]
        if maps_only and _base_symbol(math, start)[:1].isupper():
            continue
        out.append(content)
    return out


def subscript_indices(math: str) -> list[str]:
    """Index letters in subscripts, excluding \\sum-type operators and text subscripts."""
    out = []
    for m in re.finditer(r"_", math):
        before = math[:m.start()]
        if SUM_OPS.search(before[-12:] + "_") and re.search(
                r"\\(?:sum|max|min|prod|bigoplus)(?:\\limits)?$", before):
            continue
        if re.search(r"\\operatorname\{[^{}]*\}$", before):
            # \operatorname{softmax}_u is caught by RETIRED; \operatorname{up}_q is a size
            continue
        sub = _subscript_after(math, m.end() + 0)
        if sub.startswith("\\text") or sub.startswith("\\mathrm"):
            continue
        out.append(sub)
    return out


MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.S)


def markdown_sources(path: Path) -> list[tuple[str, str]]:
    """(where, markdown) for each markdown cell of a notebook, or the whole of a .md page."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return [(f"{path.name} cell {k}", "".join(c["source"]))
                for k, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"]
    return [(path.name, path.read_text(encoding="utf-8"))]


def math_segments(markdown: str) -> list[str]:
    """The LaTeX of every $$...$$ and $...$ in markdown, code spans and fences removed."""
    text = re.sub(r"^(```|~~~)(?!\{)[^\n]*\n.*?^\1\s*$", "", markdown, flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [(m.group(1) or m.group(2)) for m in MATH.finditer(text)]


def violations(math: str) -> list[str]:
    """Every use of a reserved letter in another role that the patterns see in `math`."""
    found = []
    for letter in bound_indices(math):
        if letter in NOT_AN_INDEX:
            found.append(f"{letter} is {NOT_AN_INDEX[letter]}, not a summation index")
    for content in array_indices(math):
        for letter in _letters(content):
            if letter in NOT_AN_INDEX and letter not in ("s", "q", "p", "r"):
                # stride, block size, padding and dilation may scale or shift a position
                found.append(f"{letter} is {NOT_AN_INDEX[letter]}, not an array index [{content}]")
    for content in array_indices(math, maps_only=True):
        for letter in _letters(content):
            if letter in NOT_A_POSITION:
                found.append(f"{letter} is {NOT_A_POSITION[letter]}, not a position [{content}]")
    for sub in subscript_indices(math):
        for letter in _letters(sub):
            if letter in NOT_AN_INDEX and letter not in ("q",):
                found.append(f"{letter} is {NOT_AN_INDEX[letter]}, not a subscript index _{{{sub}}}")
    for s in sums_from_one(math):
        found.append(f"indices start at 0, not at 1: {s}")
    for pattern, why in RETIRED:
        for m in re.finditer(pattern, math):
            found.append(f"{why}: ...{math[max(0, m.start() - 15):m.end() + 15]}...")
    return found


def pages() -> list[Path]:
    return sorted(BOOK.glob("[0-9]*.ipynb")) + [BOOK / "intro.md"]


# ---------------------------------------------------------------------------------------------
# The checker itself: it must flag the clashes the notation page retires, and pass clean forms.

@pytest.mark.parametrize("bad", [
    r"(x \star w)[m, n] = \sum_{a=0}^{k_h-1} \sum_{b=0}^{k_w-1} x[m+a, n+b] w[a, b]",
    r"y_f[m, n] = b_f + \sum_{c=0}^{C-1} (x_c \star w_{f,c})[m, n]",
    r"x^{l}_{i,j,c} = \max_{0\le a,b<2} x^{l-1}_{2i+a,\,2j+b,\,c}",
    r"p^s_f[m, n] = \max_{(i, j) \in P_{mn}} r^s_f[i, j]",
    r"\operatorname{maxpool}(x)[i, j] = \max_{\alpha, \beta} x[2i + \alpha, 2j + \beta]",
    r"\mathbf{u}_j^{l} = \sum_{i=1}^{c_{\text{in}}} \mathbf{x}_i^{l-1} \star \mathbf{k}_{ij}^{l}",
    r"y_{u} = \operatorname{softmax}_u\Big(\sum_{c} W_{c,u}\, x_{c} + b_{u}\Big)",
    r"\frac{\partial E}{\partial k_{pq}} = \sum_{u,v} \delta_{uv}",
    r"j = 1, \dots, N",
    r"\alpha_{ij} = \exp(c_{ij}) / \sum_k \exp(c_{kj})",
])
def test_checker_flags_each_retired_form(bad):
    assert violations(bad), f"the notation checker missed a clash in {bad!r}"


@pytest.mark.parametrize("good", [
    r"(x \star k)[m, n] = \sum_{\mu=0}^{k_h-1} \sum_{\nu=0}^{k_w-1} x[m + \mu, n + \nu]\, k[\mu, \nu]",
    r"u_j^{l}[m, n] = b_j^{l} + \sum_{i=0}^{N_{l-1}-1} (x_i^{l-1} \star k_{ij}^{l})[m, n]",
    r"x_j^{l}[m, n] = \max_{0 \le \mu, \nu < q} x_j^{l-1}[qm + \mu, qn + \nu]",
    r"\alpha_{ij} = \exp(c_{ij}) / \sum_{i'} \exp(c_{i'j})",
    r"D^{l} = [u^{l} > 0], \quad y = A(x)\, x + \bar b(x), \quad \partial E / \partial b_j^{l}",
    r"P_{\text{conv}} = (k_h k_w N_{l-1} + 1) N_l, \quad l = 1, \dots, L",
    r"\operatorname{down}_q(x) / q^2, \quad x \otimes 1_{q \times q}",
    r"\operatorname{softmax}(z)_j = e^{z_j} / \sum_{j'} e^{z_{j'}}",
    r"K[t', j] = W[j, \pi(t')], \quad W^{l}[j, i, \mu, \nu] = k_{ij}^{l}[\mu, \nu]",
])
def test_checker_passes_clean_forms(good):
    assert violations(good) == []


def test_every_letter_checked_is_reserved_on_the_notation_page():
    """The checker's letters are the notation page's reserved letters (the two stay in sync)."""
    text = NOTATION.read_text(encoding="utf-8")
    table = text.split("## Reserved letters", 1)[1].split("\n## ", 1)[0]
    first_column = " ".join(line.split("|")[1] for line in table.splitlines()
                            if line.startswith("| $"))
    for letter in list(NOT_AN_INDEX) + ["i", "j", "m", "n", r"\mu", r"\nu", "P", "S", "D", "M_j"]:
        assert f"${letter}" in first_column or f" {letter}$" in first_column \
            or f"${letter}$" in first_column, f"{letter} is checked but not in the reserved table"
    assert "Indices start at 0" in text


# ---------------------------------------------------------------------------------------------
# The book.

@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_page_uses_each_reserved_letter_in_its_role(page):
    problems = []
    for where, markdown in markdown_sources(page):
        for math in math_segments(markdown):
            problems += [f"{where}: {v}" for v in violations(math)]
    assert not problems, (f"{len(problems)} clash(es) with book/notation.md:\n"
                          + "\n".join(problems[:60]))


def test_sympy_names_in_the_chapters_are_zero_based():
    """Every SymPy network a chapter prints is built with first_index=0 (x_{0,0}, k_{0,0}, ...),
    and the names it prints then really start at 0."""
    from cnnlab import expand

    calls = 0
    for page in sorted(BOOK.glob("[0-9]*.ipynb")):
        nb = json.loads(page.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            for m in re.finditer(r"symbolic_(?:cnn|dense)\((?:[^()]|\([^()]*\))*\)", src):
                calls += 1
                assert "first_index=0" in m.group(0), f"{page.name}: {m.group(0)} prints 1-based names"
    assert calls > 0
    names = {str(s) for s in expand.symbolic_cnn(3, 2, 2, first_index=0)["output"].free_symbols}
    assert {"x_{0,0}", "k_{0,0}", "b^{(1)}", "b^{(3)}"} <= names
    assert not any(n.endswith(("{3,3}", "{2,2}")) and n.startswith("k") for n in names)
    dense = {str(s) for s in expand.symbolic_dense([2, 2, 1], None, first_index=0)["outputs"][0].free_symbols}
    assert "x_{0}" in dense and "W^{(1)}_{0,0}" in dense and "x_{2}" not in dense
