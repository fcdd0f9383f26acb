"""What the widget panels share: PNG rendering and the one number format of the figures."""
import io


def png(fig, dpi=72):
    """The Matplotlib figure ``fig`` rendered as PNG bytes, for an ``ipywidgets.Image``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def fmt(v, digits=2):
    """A number as the widgets print it: at most ``digits`` decimals, trailing zeros dropped,
    integers without a decimal point, never ``-0`` (``fmt(3.0) == '3'``, ``fmt(0.125) == '0.12'``,
    ``fmt(-0.001) == '0'``).  Input: a real number (Python or NumPy); returns a str."""
    s = f"{float(v):.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "", "+0") else s


def fmt_fixed(v, digits=3):
    """A number with exactly ``digits`` decimals (columns line up), zero printed without a sign."""
    s = f"{float(v):.{digits}f}"
    return f"{0.0:.{digits}f}" if float(s) == 0.0 else s
