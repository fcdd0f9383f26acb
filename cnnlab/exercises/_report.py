"""How every self-check answers: a line starting with ✓ or ✗, and True or False."""


def ok(msg):
    """Print ``✓ msg`` and return True."""
    print("✓ " + msg)
    return True


def no(msg):
    """Print ``✗ msg`` (what is off, and a hint) and return False."""
    print("✗ " + msg)
    return False
