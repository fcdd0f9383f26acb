"""Self-checks for chapter 10, "Putting it together: LeNet-5 from scratch".

Each ``check_exN(answer)`` prints ✓ or explains what is off, and returns True/False.
"""
import numpy as np
from ._report import no as _no, ok as _ok

__all__ = ["EX3_CONFUSION", "check_ex1", "check_ex2", "check_ex3"]

#: Exercise 3: a confusion matrix of a 3-class classifier (rows: true class, columns: predicted).
EX3_CONFUSION = np.array([[50, 0, 0],
                          [10, 30, 10],
                          [0, 0, 50]])


def check_ex1(shapes):
    """Output shapes (H, W, C) of C1, S2, C3, S4, C5 for a 32×32×1 input, as 5 tuples."""
    want = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (1, 1, 120)]
    try:
        got = [tuple(int(v) for v in s) for s in shapes]
    except (TypeError, ValueError):
        return _no(f"give 5 shapes like (28, 28, 6); got {shapes!r}")
    if len(got) != 5:
        return _no(f"give 5 shapes (C1, S2, C3, S4, C5); got {len(got)}")
    names = ["C1", "S2", "C3", "S4", "C5"]
    for n, g, w in zip(names, got, want):
        if g == w:
            continue
        if g == (w[2],) + w[:2]:
            return _no(f"{n}: the model is channels last (Keras): (H, W, C) = {w}, not {g}")
        if n == "C1" and g[:2] == (29, 29):
            return _no("C1: a 5×5 kernel on 32×32 gives 32 − 5 + 1 = 28")
        if n == "C3" and g[2] != 16:
            return _no("C3 has 16 maps, whatever its connection table")
        return _no(f"{n}: expected {w}, got {g}")
    return _ok("32 → 28 → 14 → 10 → 5 → 1; 6, 6, 16, 16, 120 maps")


def check_ex2(n):
    """Trainable parameters of C3 (an int)."""
    try:
        v = int(n)
    except (TypeError, ValueError):
        return _no(f"give a whole number; got {n!r}")
    if v == 1516:
        return _ok("60 kernel slices of 5×5 (the connection table's ones) + 16 biases = 1516")
    if v == 2416:
        return _no("2416 = (5·5·6 + 1)·16 connects every S2 map to every C3 map; Table I keeps "
                   "only 60 of the 96 (map, map) pairs")
    if v == 1500:
        return _no("add the 16 biases, one per C3 map")
    return _no("count the connection table's ones (3·6 + 4·6 + 4·3 + 6 = 60), times 25 weights, "
               "plus one bias per map")


def check_ex3(accuracy, worst_class):
    """Accuracy of :data:`EX3_CONFUSION` (a fraction) and the class with the lowest recall."""
    C = EX3_CONFUSION
    acc = np.trace(C) / C.sum()
    recall = np.diag(C) / C.sum(axis=1)
    try:
        a = float(accuracy)
        w = int(worst_class)
    except (TypeError, ValueError):
        return _no("give the accuracy as a number (e.g. 0.9) and the class as an int")
    if a > 1.0 and abs(a / 100 - acc) < 1e-3:
        return _no("give the accuracy as a fraction, not a percentage")
    if abs(a - acc) > 1e-3:
        col_mean = np.mean(np.diag(C) / C.sum(axis=0))
        if abs(a - col_mean) < 1e-3:
            return _no("that is the mean precision (columns); accuracy is the diagonal's sum over "
                       "the total")
        return _no("accuracy = sum of the diagonal / sum of all entries")
    if w != int(np.argmin(recall)):
        return _no("recall of class i = C[i, i] / (sum of row i): the rows are the true classes")
    return _ok(f"accuracy {acc:.3f}; class {int(np.argmin(recall))} has the lowest recall "
               f"({recall.min():.2f})")
