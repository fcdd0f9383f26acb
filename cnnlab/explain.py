"""``python -m cnnlab explain PATH``: a saved Keras model's arithmetic, layer by layer.

For each layer it prints the parameter count as a formula (``(3·3·3 + 1)·32 = 896``), the output
shape, the multiply-adds and the activation memory for one sample, and the receptive field of
one output entry on the input (definitions in :mod:`cnnlab.accounting`); it ends with
``Total params: N (size)`` as Keras's ``summary()`` prints it (sizes in float32, Keras's default
weight type).  ``--formula`` adds the network as one LaTeX formula (:meth:`Sequential.formula`),
``--markdown`` writes the same report as a Markdown page.

Usage::

    python -m cnnlab explain model.keras
    python -m cnnlab explain model.json --formula
    python -m cnnlab explain model.keras --formula --markdown report.md
"""
from __future__ import annotations

import argparse
import sys

from .accounting import layer_table

__all__ = ["explain_rows", "explain_text", "explain_markdown", "main"]

#: Keras stores and counts weights in float32: 4 bytes each.
KERAS_BYTES_PER_PARAM = 4


def _fmt_bytes(n):
    """Keras's readable size: ``40.91 KB`` (powers of 1024), ``0.00 B`` for zero."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}"
        n /= 1024.0


def _shape(s):
    return "(" + ", ".join("None" if d is None else str(d) for d in s) + ")"


def explain_rows(model):
    """One dict per layer: ``name``, ``type``, ``output_shape`` (str), ``params``, ``formula``
    (the count as arithmetic), ``macs``, ``activations``, ``activation_bytes`` (float32) and
    ``receptive_field`` (``"rows×cols"``)."""
    rows = []
    for r in layer_table(model):
        rf = r["receptive_field"]
        rows.append(dict(name=r["name"], type=r["type"], output_shape=_shape(r["output_shape"]),
                         params=r["params"], formula=r["arithmetic"], macs=r["macs"],
                         activations=r["activations"],
                         activation_bytes=r["activations"] * KERAS_BYTES_PER_PARAM,
                         receptive_field=f"{rf[0]}×{rf[1]}"))
    return rows


def _totals(rows):
    total = sum(r["params"] for r in rows)
    return total, f"Total params: {total:,} ({_fmt_bytes(total * KERAS_BYTES_PER_PARAM)})"


_HEAD = ["Layer (type)", "Output shape", "Params", "Count formula", "Mult-adds",
         "Activations (float32)", "Receptive field"]


def _cells(r):
    return [f"{r['name']} ({r['type']})", r["output_shape"], f"{r['params']:,}", r["formula"],
            f"{r['macs']:,}", f"{r['activations']:,} ({_fmt_bytes(r['activation_bytes'])})",
            r["receptive_field"]]


def explain_text(model, source="", formula=False):
    """The report as plain text (what the command prints)."""
    rows = explain_rows(model)
    body = [_cells(r) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(_HEAD)]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    total, total_line = _totals(rows)
    out = [f'Model: "{model.name}"' + (f" from {source}" if source else ""),
           f"Input shape: {_shape(model.input_shape)} (channels last)", "",
           line(_HEAD), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    out += ["", "Params: " + " + ".join(f"{r['params']:,}" for r in rows) + f" = {total:,}",
            f"Mult-adds per sample: {sum(r['macs'] for r in rows):,}"]
    if formula:
        out += ["", "The network as one formula (LaTeX):", model.formula()]
    out.append(total_line)
    return "\n".join(out)


def explain_markdown(model, source="", formula=False):
    """The same report as a Markdown page (a table, the formula in a ``$$`` block)."""
    rows = explain_rows(model)
    total, total_line = _totals(rows)
    title = f"# {model.name}" + (f" (`{source}`)" if source else "")
    out = [title, "", f"Input shape {_shape(model.input_shape)}, channels last.", "",
           "| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    for r in rows:
        c = _cells(r)
        c[0], c[3] = f"`{r['name']}` ({r['type']})", f"`{r['formula']}`"
        out.append("| " + " | ".join(x.replace("|", r"\|") for x in c) + " |")
    out += ["", f"Mult-adds per sample: {sum(r['macs'] for r in rows):,}", ""]
    if formula:
        out += ["## The network as one formula", "", "$$", model.formula(), "$$", ""]
    out.append(f"**{total_line}**")
    return "\n".join(out) + "\n"


def main(argv=None):
    """Entry point of ``python -m cnnlab``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnlab",
        description="CNN Math Lab: explain a saved Keras model layer by layer.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("explain", help="per-layer arithmetic of a .keras or JSON model file")
    p.add_argument("path", help="a .keras file or a JSON file holding model.to_json()")
    p.add_argument("--formula", action="store_true", help="add the network as one LaTeX formula")
    p.add_argument("--markdown", nargs="?", const="-", metavar="OUT",
                   help="write the report as Markdown to OUT (standard output if no OUT)")
    args = parser.parse_args(argv)

    from .interop import from_keras

    try:
        model = from_keras(args.path)
    except (OSError, ValueError, TypeError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.markdown is None:
        print(explain_text(model, args.path, formula=args.formula))
        return 0
    page = explain_markdown(model, args.path, formula=args.formula)
    if args.markdown == "-":
        sys.stdout.write(page)
    else:
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(page)
        print(f"wrote {args.markdown}")
    return 0
