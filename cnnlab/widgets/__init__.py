"""Widgets used by the chapters, one module per figure.

Each module builds an ipywidgets control panel around a plain-Python state object that tests can
drive without a kernel, and a ``static_*`` function that draws the same figure at default values
(the *static twin* the website shows when no kernel is running).
"""
