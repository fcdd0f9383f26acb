"""Parameter accounting for a :class:`cnnlab.Sequential` model: counts with their arithmetic,
multiply-adds, activation memory and receptive field per layer.

Usage::

    from cnnlab.accounting import layer_table, summary_text, receptive_field
    rows = layer_table(model)        # list of dicts, one per layer
    rows[0]["params"], rows[0]["arithmetic"]     # 896, '(3·3·3 + 1)·32 = 896'
    print(summary_text(model, extras=True))      # what model.summary(extras=True) prints
    receptive_field(model)           # [(rf_rows, rf_cols), ...] per layer

Definitions (per input sample):

- ``params``: trainable scalars.  Conv2D ``(kh·kw·C_in + 1)·F``; with a connection table
  ``kh·kw·(connected map pairs) + F``; Dense ``(C_in + 1)·units`` (on the last axis, whatever the
  rank); Subsampling ``2·C``; pooling, Flatten, Activation 0.
- ``macs``: multiply-accumulate operations.  Conv2D ``Ho·Wo·kh·kw·(connected pairs)``; Dense
  ``(positions)·C_in·units``; Subsampling ``Ho·Wo·C`` (one multiply by beta per output); pooling
  and activations 0 (comparisons and elementwise functions are not multiply-adds).
- ``activations``: entries of the layer's output for one sample; ``bytes`` = that times the
  model's dtype size.
- receptive field: with ``r_0 = 1, j_0 = 1``, each layer with kernel ``k`` and stride ``s``
  gives ``r = r_prev + (k - 1)·j_prev`` and ``j = j_prev·s`` (per axis).  After ``Flatten`` (or a
  Dense on a flat vector) every output sees the whole input, reported as the input size.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_bool

__all__ = ["layer_table", "summary_text", "receptive_field", "param_arithmetic", "total_macs"]


def _check_model(model, what):
    """``TypeError`` unless ``model`` is a :class:`cnnlab.Sequential`; ``ValueError`` (from the
    model) unless it is built."""
    from .model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"{what}: model must be a cnnlab.Sequential; got "
                        f"{type(model).__name__} {model!r}")
    model._need_built(what)


def param_arithmetic(layer):
    """The parameter count of a built layer written as arithmetic, e.g. ``(3·3·3 + 1)·32 = 896``."""
    from .layers import Layer

    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a cnnlab.layers layer; got {type(layer).__name__} {layer!r}")
    return layer.arithmetic()


def receptive_field(model):
    """Per layer, the receptive field ``(rows, cols)`` of one output entry on the input, and
    the jump (distance on the input between neighbouring outputs) ``(rows, cols)``.

    Returns a list of ``((r_rows, r_cols), (j_rows, j_cols))``, one per layer.
    """
    _check_model(model, "receptive_field")
    in_shape = model.input_shape[1:]
    full = tuple(in_shape[:2]) if len(in_shape) >= 2 else (in_shape[0], 1)
    r, j = [1, 1], [1, 1]
    whole = False
    out = []
    for layer in model.layers:
        rf = layer.rf_params()
        if rf is None or whole:
            whole = True
            out.append((full, (0, 0)))
            continue
        for ax in range(2):
            k, s, _ = rf[ax]
            r[ax] = r[ax] + (k - 1) * j[ax]
            j[ax] = j[ax] * s
        out.append(((r[0], r[1]), (j[0], j[1])))
    return out


def layer_table(model):
    """One dict per layer: ``name``, ``type``, ``output_shape``, ``params``, ``arithmetic``,
    ``macs``, ``activations``, ``bytes``, ``receptive_field``, ``jump``."""
    _check_model(model, "layer_table")
    rows = []
    itemsize = model.dtype.itemsize
    for layer, (rf, jump) in zip(model.layers, receptive_field(model)):
        acts = int(np.prod(layer.output_shape[1:]))
        rows.append(dict(
            name=layer.name, type=layer.__class__.__name__, output_shape=layer.output_shape,
            params=layer.count_params(), arithmetic=layer.arithmetic(), macs=layer.macs(),
            activations=acts, bytes=acts * itemsize, receptive_field=rf, jump=jump))
    return rows


def total_macs(model):
    """Multiply-adds of one forward pass for one sample."""
    return sum(r["macs"] for r in layer_table(model))


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024.0


def summary_text(model, extras=False):
    """The text :meth:`Sequential.summary` prints (Keras 2 layout plus an arithmetic column;
    ``extras`` adds multiply-adds, activations per sample and receptive field)."""
    extras = check_bool(extras, "extras")
    rows = layer_table(model)
    head = ["Layer (type)", "Output Shape", "Param #", "Arithmetic"]
    if extras:
        head += ["Mult-adds", "Activations", "Receptive field"]
    body = []
    for r in rows:
        line = [f"{r['name']} ({r['type']})", str(r["output_shape"]), f"{r['params']:,}",
                r["arithmetic"]]
        if extras:
            line += [f"{r['macs']:,}", f"{r['activations']:,}",
                     f"{r['receptive_field'][0]}×{r['receptive_field'][1]}"]
        body.append(line)
    widths = [max(len(h), *(len(b[i]) for b in body)) + 2 for i, h in enumerate(head)]
    width = sum(widths)

    def fmt(cells):
        return "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    total = sum(r["params"] for r in rows)
    out = [f'Model: "{model.name}"', "_" * width, fmt(head), "=" * width]
    for i, b in enumerate(body):
        out.append(fmt(b))
        out.append(("_" if i < len(body) - 1 else "=") * width)
    out.append(f"Total params: {total:,} ({_fmt_bytes(total * model.dtype.itemsize)})")
    out.append(f"Trainable params: {total:,}")
    out.append("Non-trainable params: 0")
    out.append("Total: " + " + ".join(f"{r['params']:,}" for r in rows) + f" = {total:,}")
    if extras:
        macs = sum(r["macs"] for r in rows)
        acts = sum(r["activations"] for r in rows)
        out.append(f"Multiply-adds per sample: {macs:,}")
        out.append(f"Activations per sample: {acts:,} ({_fmt_bytes(acts * model.dtype.itemsize)})")
    out.append("_" * width)
    return "\n".join(out)
