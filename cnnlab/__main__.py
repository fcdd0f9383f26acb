"""``python -m cnnlab explain PATH [--formula] [--markdown [OUT]]`` (see :mod:`cnnlab.explain`)."""
import sys

from .explain import main

if __name__ == "__main__":
    sys.exit(main())
