"""Self-checks of chapter 11: right answers pass, typical slips fail with a useful message."""
import numpy as np
import pytest
from scipy.signal import correlate2d

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch11


def test_ex1_trelu_by_hand(capsys):
    assert passes(ch11.check_ex1, [0, 0, 0, 0.2, 0.8, 1.0])  # worked by hand: (0.6-0.5)/0.5 = 0.2, ...
    assert "✓" in capsys.readouterr().out
    assert fails(ch11.check_ex1, [0, 0, 0, 0.1, 0.4, 0.5])
    assert "divide by 1 − φ" in capsys.readouterr().out
    assert fails(ch11.check_ex1, [0, 0, 0.5, 0.6, 0.9, 1.0])
    assert "shifts" in capsys.readouterr().out
    assert fails(ch11.check_ex1, [0, 0.2, 0.5, 0.6, 0.9, 1.0])
    assert "plain ReLU" in capsys.readouterr().out
    assert fails(ch11.check_ex1, [1, 2])
    assert "give six numbers" in capsys.readouterr().out


def test_ex2_inverted_logits_match_a_real_affine_map(capsys):
    # independent check of the identity F(1 - x) = F(1) + F(0) - F(x) on a random affine map
    rng = np.random.default_rng(0)
    A, c, x = rng.normal(size=(10, 16)), rng.normal(size=10), rng.uniform(size=16)
    F = lambda v: A @ v + c  # noqa: E731
    np.testing.assert_allclose(F(1 - x), F(np.ones(16)) + F(np.zeros(16)) - F(x))
    right = ch11.EX2_F0 + ch11.EX2_F1 - ch11.EX2_Z
    assert passes(ch11.check_ex2, right)
    assert "✓" in capsys.readouterr().out
    assert fails(ch11.check_ex2, -ch11.EX2_Z)
    assert "1 − x" in capsys.readouterr().out
    assert fails(ch11.check_ex2, ch11.EX2_F1 - ch11.EX2_Z)
    assert "dropped the bias" in capsys.readouterr().out
    assert fails(ch11.check_ex2, "ten numbers")


def test_ex3_receptive_field_against_a_probe(capsys):
    # independent reference: push a single-pixel impulse through the cascade's supports
    # one S4 unit depends on the pixels whose impulses reach it: count them along one row
    n = 48
    hits = []
    for col in range(n):
        img = np.zeros((n, n))
        img[0, col] = 1.0
        m = img
        for kind, k in [("conv", 5), ("pool", 2), ("conv", 5), ("pool", 2)]:
            if kind == "conv":
                m = correlate2d(m, np.ones((k, k)), mode="valid")
            else:
                h = m.shape[0] // k
                m = m[:h * k, :h * k].reshape(h, k, h, k).sum(axis=(1, 3))
        hits.append(m[0, 0] > 0)
    assert sum(hits) == 16
    # the one-layer design: a 14×14 convolution with stride 2, then 2×2 pooling, by the same probe
    hits1 = []
    for col in range(n):
        img = np.zeros((n, n))
        img[0, col] = 1.0
        m = correlate2d(img, np.ones((14, 14)), mode="valid")[::2, ::2]
        h = m.shape[0] // 2
        m = m[:h * 2, :h * 2].reshape(h, 2, h, 2).sum(axis=(1, 3))
        hits1.append(m[0, 0] > 0)
    assert sum(hits1) == 16
    assert passes(ch11.check_ex3, 16, 14)
    assert "✓" in capsys.readouterr().out
    assert fails(ch11.check_ex3, 14, 14)
    assert "C3's receptive field" in capsys.readouterr().out
    assert fails(ch11.check_ex3, 11, 14)
    assert "forgets the jumps" in capsys.readouterr().out
    assert fails(ch11.check_ex3, 16, 15)
    assert "stride 2" in capsys.readouterr().out
    assert fails(ch11.check_ex3, 16, 13)
    assert "solve for k" in capsys.readouterr().out
    assert fails(ch11.check_ex3, "a", 1)


def test_ex4_only_argmax_k_can_be_right_on_both(capsys):
    # brute-force reference: random affine classifiers with F(0)+F(1) = K; which classes are ever
    # right on both a digit and its inversion?
    rng = np.random.default_rng(1)
    K = ch11.EX4_K
    both = set()
    for _ in range(20000):
        z = rng.normal(scale=3.0, size=10)  # F(x)
        if np.argmax(z) == np.argmax(K - z):
            both.add(int(np.argmax(z)))
    assert both <= {int(np.argmax(K))}  # never any other class
    z = K / 2  # then F(1 - x) = K - z = z: both read as argmax K, so it does happen
    assert np.argmax(z) == np.argmax(K - z) == np.argmax(K)
    assert passes(ch11.check_ex4, int(np.argmax(K)))
    assert "✓" in capsys.readouterr().out
    assert fails(ch11.check_ex4, int(np.argmin(K)))
    assert "argmin" in capsys.readouterr().out
    assert fails(ch11.check_ex4, 0)
    assert fails(ch11.check_ex4, "three")
