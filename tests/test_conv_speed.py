"""benchmarks/conv_speed.py: the verdict rule and one tiny run (each library alone, threads set)."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("conv_speed", os.path.join(ROOT, "benchmarks", "conv_speed.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_verdict_rule(bench):
    assert (bench.GOAL, bench.BAR) == (1.0, 1.5)
    assert bench.verdict(0.99) == "goal met"
    assert bench.verdict(1.0) == "goal met"
    assert bench.verdict(1.2) == "bar met, goal not"
    assert bench.verdict(1.51) == "NOT met"
    assert bench.TRAIN_GOAL == 1.2
    assert bench.verdict(1.2, bench.TRAIN_GOAL, None) == "goal met"
    assert bench.verdict(1.3, bench.TRAIN_GOAL, None) == "NOT met"


def test_tiny_run_prints_threads_and_ratios(bench, capsys):
    pytest.importorskip("threadpoolctl")
    torch = pytest.importorskip("torch")
    threads_before = torch.get_num_threads()
    rows = bench.main(["--reps", "2", "--blocks", "1", "--threads", "1", "--dtype", "float32",
                       "--layers", "C5", "C1 no dx", "--no-naive", "--no-train"])
    out = capsys.readouterr().out
    assert "--threads 1: in effect:" in out and "torch.get_num_threads() 1" in out
    assert "cnnlab copy threads 1" in out
    assert [r["layer"] for r in rows] == ["C5", "C1 no dx"]
    for r in rows:
        assert r["ours_best"] > 0 and r["torch_best"] > 0
        assert r["ratio_best"] == pytest.approx(r["ours_best"] / r["torch_best"])
    assert torch.get_num_threads() == threads_before  # the script puts torch's threads back
    # every row carries its verdict by the rule; the machine's state is printed before and after
    for line in out.splitlines():
        if line[2:].startswith(("C5 ", "C1 no dx")):
            r = next(r for r in rows if line[2:].startswith(r["layer"]))
            assert line.rstrip().endswith(bench.verdict(r["ratio_best"]))
    assert "machine at the start" in out and "machine at the end" in out
    assert "concurrent products" in out
