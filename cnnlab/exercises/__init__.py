"""Self-check functions for the chapters' exercises, one module per chapter.

Each ``check_*`` function takes a student's answer and prints one line: ``✓`` with the worked
arithmetic when it is right, ``✗`` with a diagnosis of the slip (or a hint without the answer)
when it is not, and "not answered yet" for ``None``. It returns ``None``. The reference answers
are not in the package: see :mod:`cnnlab.exercises._vault` (and the teacher's
``tools/answer_key.py``).
"""
