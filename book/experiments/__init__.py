"""Experiment runners of the book's chapters, their on-disk caches and their verdict prose.

They live next to the book, not in the ``cnnlab`` package (which keeps the mathematics).  The
notebooks run with ``book/`` as their working directory, so ``from experiments import ...``
works there; ``tests/conftest.py`` puts ``book/`` on ``sys.path`` for the tests.  Caches are
found from the project root (``<root>/cache``), never from the installed package's folder.
"""
