"""Self-check functions for the chapters' exercises, one module per chapter.

Each ``check_*`` function takes a student's answer, prints ✓ or explains what is off, and returns
``True``/``False``.
"""
