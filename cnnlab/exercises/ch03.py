"""Self-checks for chapter 3, "Counting parameters".

Each ``check_exN(answer)`` prints ✓ or says what is probably off, and returns ``None``
(a check prints, it does not return a verdict to loop on).
The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""

from ._vault import judge as _judge

__all__ = ["check_ex1", "check_ex2", "check_ex3", "check_ex4", "POOL_WEIGHT_READINGS"]


def check_ex1(answer):
    """Ex. 1: parameters of ``Conv2D(16, (3, 3))`` on a 28×28×3 input."""
    return _judge("ch03-ex1", answer)


#: The readings of the question's "the pooling layer has a weight (similar to AlexNet)", with
#: the number of parameters each adds to the pooling layer of 100 maps (chapter 3's table).
POOL_WEIGHT_READINGS = {
    1: "one weight for the whole pooling layer",
    2: "one weight and its bias for the whole layer (the question assumes biases in each layer)",
    100: "one weight per map",
    200: "one weight and one bias per map (LeNet-5's subsampling)",
}


def check_ex2(answer):
    """Ex. 2: the seed q2's network as its prose describes it (valid padding, 2×2 max pooling,
    Flatten before the dense layers, one output unit).

    An answer that counts the question's pooling "weight" under one of the readings of
    :data:`POOL_WEIGHT_READINGS` is named as such (the exercise asks for real max pooling)."""
    from ._vault import verdict

    if answer is not None and not isinstance(answer, (str, bytes, bool)):
        try:
            value = float(answer)
        except (TypeError, ValueError):
            value = None
        if value is not None:
            for extra, reading in POOL_WEIGHT_READINGS.items():
                if verdict("ch03-ex2", value - extra).startswith("✓"):
                    print(f"✗ that is the question's stipulation, the pooling layer's 'weight' read "
                          f"as {reading}: {extra} more than with max pooling. This exercise asks for "
                          f"real max pooling, which has no trainable parameters (AlexNet's neither): "
                          f"subtract {extra}.")
                    return None
    return _judge("ch03-ex2", answer)


def check_ex3(answer):
    """Ex. 3: trainable parameters of LeNet-5's S2 (subsampling of 6 maps)."""
    return _judge("ch03-ex3", answer)


def check_ex4(answer):
    """Ex. 4: multiply-adds of q2's first layer as coded (Conv2D(60, (7, 7)), 'same', on
    100×100×1) for one image."""
    return _judge("ch03-ex4", answer)
