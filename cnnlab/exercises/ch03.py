"""Self-checks for chapter 3, "Counting parameters".

Each ``check_exN(answer)`` prints ✓ or says what is probably off, and returns ``True``/``False``.
The expected numbers are worked out here by hand formulas, independently of :mod:`cnnlab.model`.
"""
from numbers import Integral, Real

__all__ = ["check_ex1", "check_ex2", "check_ex3", "check_ex4", "conv_params", "dense_params"]


def conv_params(kh, kw, c_in, filters, bias=True):
    """``(kh·kw·c_in + 1)·filters``: weights and biases of a convolution layer."""
    return (kh * kw * c_in + (1 if bias else 0)) * filters


def dense_params(n_in, units, bias=True):
    """``(n_in + 1)·units``: weights and biases of a dense layer."""
    return (n_in + (1 if bias else 0)) * units


def _number(answer, name="answer"):
    if isinstance(answer, bool) or not isinstance(answer, Real):
        print(f"✗ {name} should be a number; got {type(answer).__name__} {answer!r}.")
        return None
    if isinstance(answer, Integral):
        return int(answer)
    if float(answer).is_integer():
        return int(answer)
    print(f"✗ {name} should be a whole number (a count); got {answer!r}.")
    return None


def _judge(answer, right, wrongs, what):
    a = _number(answer)
    if a is None:
        return False
    if a == right:
        print(f"✓ {what}: {right:,}.")
        return True
    if a in wrongs:
        print(f"✗ {a:,} is not it: {wrongs[a]}")
        return False
    print(f"✗ {a:,} is not the number of {what}. Write the count layer by layer, "
          f"(kh·kw·c_in + 1)·filters for a convolution and (n_in + 1)·units for a dense layer, "
          f"and check each output shape first.")
    return False


def check_ex1(answer):
    """Ex. 1: parameters of ``Conv2D(16, (3, 3))`` on a 28×28×3 input."""
    right = conv_params(3, 3, 3, 16)                       # 448
    wrongs = {
        conv_params(3, 3, 3, 16, bias=False): "that forgets the 16 biases, one per filter.",
        conv_params(3, 3, 1, 16): "each filter spans all 3 input channels: 3·3·3 weights, "
                                  "not 3·3.",
        right * 26 * 26: "the weights are shared: the same 16 filters slide over every "
                         "position, so the count does not depend on the image size.",
        3 * 3 * 16: "each filter has 3·3·3 weights (it spans all input channels) plus a bias.",
    }
    return _judge(answer, right, wrongs, "parameters of Conv2D(16, (3, 3)) on 28×28×3")


def q2_prose_total(padding="valid", pool=2, flatten=True, output_unit=True, weighted_pool=False):
    """Total parameters of the seed q2's network under one reading (hand formula)."""
    n = 100
    total = conv_params(7, 7, 1, 60)
    if padding == "valid":
        n = n - 7 + 1
    total += conv_params(5, 5, 60, 100)
    if padding == "valid":
        n = n - 5 + 1
    if weighted_pool:
        total += 2 * 100
    n = n // pool
    fan_in = n * n * 100 if flatten else 100
    total += dense_params(fan_in, 250) + dense_params(250, 200)
    if output_unit:
        total += dense_params(200, 1)
    return total


def check_ex2(answer):
    """Ex. 2: the seed q2's network as its prose describes it (valid padding, 2×2 max pooling,
    Flatten before the dense layers, one output unit)."""
    right = q2_prose_total()
    wrongs = {
        q2_prose_total(padding="same"): "that is 'same' padding (the code); the prose says "
                                        "valid: 100 → 94 → 90 before pooling.",
        q2_prose_total(pool=4): "a 4×4 pool divides each side by 4 (area by 16); 'a factor of "
                                "4, from 500×500 to 250×250' is 2 per side, a 2×2 pool.",
        q2_prose_total(flatten=False): "without Flatten the Dense layer acts on the last axis "
                                       "only (100 inputs); the prose's dense layer sees the "
                                       "whole pooled map, 45·45·100 inputs.",
        q2_prose_total(output_unit=False): "the single output unit has 200 weights and a bias "
                                           "too.",
        q2_prose_total(weighted_pool=True): "max pooling has no trainable parameters (AlexNet's "
                                            "neither); only LeNet-style subsampling has two per "
                                            "map.",
        conv_params(7, 7, 1, 60) + conv_params(5, 5, 60, 100):
            "those are only the convolution layers; the dense layers hold nearly all the "
            "weights.",
    }
    return _judge(answer, right, wrongs, "parameters of q2's network as described in its prose")


def check_ex3(answer):
    """Ex. 3: trainable parameters of LeNet-5's S2 (subsampling of 6 maps)."""
    wrongs = {
        0: "that would be max pooling; LeNet's subsampling multiplies each block sum by a "
           "trainable coefficient and adds a trainable bias.",
        6: "each of the 6 maps has a coefficient AND a bias.",
        24: "the coefficient is shared by the whole map (not one per element of the 2×2 "
            "block): 2 per map.",
        30: "the 2×2 block shares one coefficient; count 1 coefficient + 1 bias per map.",
    }
    return _judge(answer, 12, wrongs, "trainable parameters of S2")


def check_ex4(answer):
    """Ex. 4: multiply-adds of q2's first layer as coded (Conv2D(60, (7, 7)), 'same', on
    100×100×1) for one image."""
    right = 100 * 100 * 60 * 7 * 7 * 1
    wrongs = {
        conv_params(7, 7, 1, 60): "that is the number of parameters; every one of the 100·100 "
                                  "output positions uses the 7·7·1 weights of each of the 60 "
                                  "filters again.",
        94 * 94 * 60 * 49: "with padding='same' the output stays 100×100 (the code), not 94×94.",
        100 * 100 * 7 * 7: "each of the 60 filters is applied at every position.",
    }
    return _judge(answer, right, wrongs, "multiply-adds of q2's first layer")
