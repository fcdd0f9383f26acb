"""Chapter 2 self-checks: right answers (from independent references) pass, typical slips fail
with the matching hint."""
import numpy as np
import pytest

from fd import fd_grad
from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch02

torch = None


def _blocks(x, n=2):
    H, W = x.shape
    return np.array([[x[i:i + n, j:j + n] for j in range(0, W, n)] for i in range(0, H, n)])


def test_ex1_right_by_hand(capsys):
    right = np.array([[7, 6], [9, 3]])            # read off EX1_X by hand
    np.testing.assert_array_equal(right, _blocks(ch02.EX1_X).max(axis=(2, 3)))
    assert passes(ch02.check_ex1, right) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("which,hint", [("mean", "average pooling"), ("sum", "down(x)"), ("min", "smallest"),
                                        ("T", "exchanged"), ("stride1", "stride 1"), ("bad", "shape (2, 2)"),
                                        ("oneoff", "check each of the four cells")])
def test_ex1_wrong(which, hint, capsys):
    b = _blocks(ch02.EX1_X)
    x = ch02.EX1_X
    answers = {"mean": b.mean(axis=(2, 3)), "sum": b.sum(axis=(2, 3)), "min": b.min(axis=(2, 3)),
               "T": b.max(axis=(2, 3)).T,
               "stride1": np.array([[x[i:i + 2, j:j + 2].max() for j in range(3)] for i in range(3)]),
               "bad": [1, 2, 3], "oneoff": np.array([[7, 6], [9, 4]])}
    assert passes(ch02.check_ex1, answers[which]) is False
    assert hint in capsys.readouterr().out


def _fd_maxpool_grad():
    """Finite differences of E = Σ δ∘maxpool(x) at x = EX2_X with the tie broken towards the first
    maximum (a tiny bump on the first 5 makes the function differentiable there)."""
    x = ch02.EX2_X.copy()
    x[0, 2] += 1e-3  # the convention: the first maximum wins

    def E(z):
        return float((_blocks(z).max(axis=(2, 3)) * ch02.EX2_DY).sum())

    return fd_grad(lambda: E(x), x)


def test_ex2_right_by_finite_differences(capsys):
    right = _fd_maxpool_grad()
    assert right[0, 2] == pytest.approx(-2.0) and right[1, 3] == pytest.approx(0.0)
    assert passes(ch02.check_ex2, right) is True
    assert "first maximum" in capsys.readouterr().out


def test_ex2_right_matches_torch():
    torch = pytest.importorskip("torch")
    xt = torch.tensor(ch02.EX2_X[None, None], requires_grad=True)
    y = torch.nn.functional.max_pool2d(xt, 2)
    (y * torch.tensor(ch02.EX2_DY[None, None])).sum().backward()
    assert passes(ch02.check_ex2, xt.grad.numpy()[0, 0]) is True


@pytest.mark.parametrize("which,hint", [("up", "gradient of down"), ("avg", "average pooling"),
                                        ("tie_all", "gave δ to both"), ("tie_last", "later 5"),
                                        ("extra", "0 in the other three"), ("shape", "shape (4, 4)"), ("other", "first maximum in reading order wins")])
def test_ex2_wrong(which, hint, capsys):
    up = np.kron(ch02.EX2_DY, np.ones((2, 2)))
    right = _fd_maxpool_grad()
    tie_all, tie_last = right.copy(), right.copy()
    tie_all[1, 3] = -2.0
    tie_last[0, 2], tie_last[1, 3] = 0.0, -2.0
    extra = right.copy()
    extra[3, 3] = 1.0
    answers = {"up": up, "avg": up / 4, "tie_all": tie_all, "tie_last": tie_last, "extra": extra,
               "shape": np.zeros((2, 2)), "other": -right}
    assert passes(ch02.check_ex2, answers[which]) is False
    assert hint in capsys.readouterr().out


def _fd_subsample_param_grads():
    x, d = ch02.EX3_X, ch02.EX3_DELTA

    def E(beta, b):
        return float((d * (beta * _blocks(x).sum(axis=(2, 3)) + b)).sum())

    p = np.array([0.7, 0.1])                       # (beta, b)
    g = fd_grad(lambda: E(p[0], p[1]), p)
    return g[0], g[1]


def test_ex3_right_by_finite_differences(capsys):
    dbeta, db = _fd_subsample_param_grads()
    # by hand: block sums down(x) = [[7, 5], [3, 5]]; 0.5·7 − 1·5 + 2·3 + 0.25·5 = 5.75; Σδ = 1.75
    assert dbeta == pytest.approx(5.75) and db == pytest.approx(1.75)
    assert passes(ch02.check_ex3, dbeta, db) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("answer,hint", [((5.75 / 4, 1.75), "mean of each block"), ((20.0, 1.75), "weighted by its δ"),
                                         ((5.75, 7.0), "once to each output"), ((1.0, 1.75), "chain rule"),
                                         ((5.75, 0.0), "∂u[m, n]/∂b = 1"), (("x", 1), "as one number")])
def test_ex3_wrong(answer, hint, capsys):
    assert passes(ch02.check_ex3, *answer) is False
    assert hint in capsys.readouterr().out


def test_ex4_right_matches_model_counts(capsys):
    from cnnlab import Sequential, layers
    mp = Sequential([layers.MaxPooling2D((2, 2), input_shape=(28, 28, 6))]).count_params()
    ss = Sequential([layers.Subsampling(2, input_shape=(28, 28, 6))]).count_params()
    assert (mp, ss) == (0, 12)   # LeNet-5's S2: 12 trainable parameters (LeCun et al. 1998)
    assert passes(ch02.check_ex4, mp, ss) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("answer,hint", [((24, 12), "AlexNet"), ((0, 6), "one bias b per map"),
                                         ((0, 24), "does not learn a weight per window cell"),
                                         ((0, 2), "6 maps"), ((0, 0), "trainable"), ((7, 12), "nothing to train"),
                                         (("no", 1), "give an integer")])
def test_ex4_wrong(answer, hint, capsys):
    assert passes(ch02.check_ex4, *answer) is False
    assert hint in capsys.readouterr().out


def test_unanswered_says_so(capsys):
    assert passes(ch02.check_ex1, None) is False and "replace None" in capsys.readouterr().out
    assert passes(ch02.check_ex2, None) is False and "replace None" in capsys.readouterr().out
