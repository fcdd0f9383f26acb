"""model.formula(): LaTeX naming the weights as the layers store them, and an evaluator built
from the same description whose value equals predict."""
import numpy as np
import pytest

from cnnlab import Sequential
from cnnlab.formula import Add, Const, FloorDiv, Mod, Mul, Var, describe
from cnnlab.layers import (Activation, AveragePooling2D, Conv2D, Dense, Flatten, MaxPooling2D,
                           Subsampling)
from cnnlab.models import small_lenet
from seeds import q1_model


q1 = q1_model


def randomize(m, seed=0):
    rng = np.random.default_rng(seed)
    m.set_weights([w + 0.2 * rng.standard_normal(w.shape) for w in m.get_weights()])
    return m


def test_q1_formula_names_weights_as_stored():
    f = q1().formula()
    assert isinstance(f, str)
    first = f.layer_lines[0]
    assert first.startswith(r"x^{(1)}_{i,j,f} &= \operatorname{ReLU}")
    assert r"K^{(1)}_{a,b,c,f}" in first and r"b^{(1)}_{f}" in first
    assert r"\sum_{a=0}^{2}\sum_{b=0}^{2}\sum_{c=0}^{2}" in first
    assert r"x^{(0)}_{i + a,j + b,c}" in first
    assert r"\max_{0 \le a < 2,\ 0 \le b < 2} x^{(1)}_{2i + a,2j + b,c}" in f.layer_lines[1]
    assert r"W^{(5)}_{c,u}" in f.layer_lines[4] and r"\operatorname{softmax}_{u}" in f.layer_lines[4]
    # the single nested expression: input index composed through all five layers
    assert f.nested.startswith(r"y_{i,j,u} = \operatorname{softmax}_{u}")
    assert r"x^{(0)}_{2(2i + a_{4} + a_{3}) + a_{2} + a_{1},2(2j + b_{4} + b_{3}) + b_{2} + b_{1},c_{1}}" in f.nested
    assert f.nested.count(r"\sum") == 1 + 3 + 3
    assert f.count("{") == f.count("}")
    assert f.startswith(r"\begin{aligned}") and f.endswith(r"\end{aligned}")


def test_q1_formula_evaluates_to_predict():
    m = randomize(q1())
    x = np.random.default_rng(1).standard_normal((2, 32, 32, 3))
    f = m.formula()
    np.testing.assert_allclose(f.evaluate(x), m.predict(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("build", [
    lambda: Sequential([Conv2D(4, (3, 2), strides=2, padding="same", activation="tanh", input_shape=(9, 8, 2)),
                        MaxPooling2D(2, padding="same"), AveragePooling2D(2, strides=1, padding="same"),
                        Conv2D(3, 2, padding="same", connections=[[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]]),
                        Flatten(), Dense(5, activation="sigmoid"), Activation("softmax")]),
    lambda: small_lenet(),
    lambda: Sequential([AveragePooling2D(2, input_shape=(6, 6, 1)), Subsampling(3, activation="relu"),
                        Dense(2, use_bias=False)]),
])
def test_formula_equals_predict_on_random_inputs(build):
    m = randomize(build(), seed=2)
    x = np.random.default_rng(4).standard_normal((3,) + m.input_shape[1:])
    np.testing.assert_allclose(m.formula().evaluate(x), m.predict(x), rtol=1e-10, atol=1e-12)


def test_lenet_formula_shows_connection_table_and_subsampling():
    f = small_lenet().formula()
    assert r"\beta^{(2)}_{c}" in f.layer_lines[1]
    assert r"\sum_{c \in S^{(3)}_{f}}" in f.layer_lines[2]
    assert r"\lfloor" in f.layer_lines[4]          # Flatten's index map


def test_index_expression_tree_renders_and_evaluates():
    e = Add(Mul(2, Var("i")), Var("a"), Const(-1))
    assert e.render({"i": "i", "a": "a"}) == "2i + a - 1"
    assert e.render({"i": "2j + b", "a": "a"}) == "2(2j + b) + a - 1"
    assert e.eval({"i": 3, "a": 1}) == 6
    k = Mod(FloorDiv(Var("k"), 4), 3)
    assert k.eval({"k": np.arange(24)}).tolist() == [(n // 4) % 3 for n in range(24)]


def test_describe_terms_one_per_layer():
    terms = describe(q1())
    assert [t.kind for t in terms] == ["sum", "max", "sum", "max", "sum"]
    assert [t.l for t in terms] == [1, 2, 3, 4, 5]
