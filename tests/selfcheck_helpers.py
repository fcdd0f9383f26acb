"""Run a self-check and return what it printed (checks print and return None)."""
import io
from contextlib import redirect_stdout

from cnnlab.exercises import _vault


def said(check, *args, **kwargs):
    """What ``check(*args)`` prints; asserts it returns None (nothing to loop on)."""
    _vault.reset()
    buf = io.StringIO()
    with redirect_stdout(buf):
        result = check(*args, **kwargs)
    assert result is None, "a self-check must not return a verdict"
    out = buf.getvalue()
    print(out, end="")          # so capsys-based assertions still see it
    return out


def passes(check, *args, **kwargs):
    return said(check, *args, **kwargs).lstrip().startswith("✓")


def fails(check, *args, **kwargs):
    return said(check, *args, **kwargs).lstrip().startswith("✗")
