"""What the widget panels share."""
import io


def png(fig, dpi=72):
    """The Matplotlib figure ``fig`` rendered as PNG bytes, for an ``ipywidgets.Image``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
