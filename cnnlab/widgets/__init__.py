"""Widgets used by the chapters, one module per figure.

Each module builds an ipywidgets control panel around a plain-Python state object that tests can
drive without a kernel. Panels are built by :mod:`cnnlab.widgets._frames`: every frame is drawn in
advance by the same function the live widget calls, so the controls work on the website without a
kernel. A few modules keep a ``static_*`` figure that adds something (all positions at once).
"""
