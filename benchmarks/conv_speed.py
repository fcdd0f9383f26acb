"""How fast is cnnlab's convolution layer?  Forward + backward on LeNet-5's shapes, timed fairly.

Run:  .venv/bin/python benchmarks/conv_speed.py            (1 and 2 threads, float32 and float64,
                                                            then LeNet-5's training, about 1 min)
      .venv/bin/python benchmarks/conv_speed.py --threads 2 --dtype float32 --reps 5 --blocks 2 --no-train
      .venv/bin/python benchmarks/conv_speed.py --clock cpu (CPU time of this process, 1 thread)

For each of LeNet-5's three convolution layers, at batch 64,

    C1: x 64×1×32×32,  w 6×1×5×5    (→ 64×6×28×28)
    C3: x 64×6×14×14,  w 16×6×5×5   (→ 64×16×10×10)
    C5: x 64×16×5×5,   w 120×16×5×5 (→ 64×120×1×1)

it times one forward + backward pass — ``conv2d`` then ``conv2d_backward`` (the gradients of x,
w and b) — in cnnlab, and the same in PyTorch on the CPU (``F.conv2d`` + ``backward`` with x, w
and b all requiring gradients).  The row ``C1 no dx`` is the first layer of a network as it is
trained: neither library computes the gradient of the input there.

How it is timed, so that neither library slows the other down:

* each library runs **alone**: a warm-up, then a block of ``--reps`` calls of one library, then
  a block of the other, ``--blocks`` times alternately (a slow spell of the machine then falls
  on both, but the two thread pools never run at the same time);
* the thread count is set for everything that can use threads — OpenBLAS and OpenMP through
  threadpoolctl, ``torch.set_num_threads``, and cnnlab's own copy threads
  (``cnnlab.fastconv.set_num_threads``) — and the counts actually in effect are printed;
* the best and the median time per call over all blocks are printed, and their ratios
  cnnlab / PyTorch.  Every row gets a verdict by one rule (``verdict`` below, fixed before the
  runs): the ratio of the best times, goal ≤ 1.0, bar ≤ 1.5.  The rows the issue judges — C1
  and C3 at 2 threads, float32 and float64 — are marked ``*``, and the goal line names the worst
  of them;
* whether the machine's two cores were free is measured, not assumed: two matrix products run
  one after the other and then at the same time in two threads, before the first and after the
  last timing; a speed-up near 2 means both cores were free, near 1 that something else was
  running (then the 2-thread rows mean little).

Then, unless ``--no-train``, it runs ``benchmarks/train_lenet.py --threads 2`` (LeNet-5's recipe
on the digits, cnnlab then PyTorch, same start weights, batches and learning rates) and prints
its ratio of training wall times with the verdict of the same kind: goal ≤ 1.2
(``TRAIN_GOAL``).

The explicit loops of ``cnnlab.naive`` are also timed (``--no-naive`` skips them), on a batch
of 1, scaled to 64 (exact for loops over the batch), once per layer and float type.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import cnnlab.conv as conv  # noqa: E402

SHAPES = [
    ("C1", (64, 1, 32, 32), (6, 1, 5, 5), True),
    ("C3", (64, 6, 14, 14), (16, 6, 5, 5), True),
    ("C5", (64, 16, 5, 5), (120, 16, 5, 5), True),
    ("C1 no dx", (64, 1, 32, 32), (6, 1, 5, 5), False),
]

# The verdict rule, written before the runs it judges: the ratio of best times cnnlab / PyTorch
# of C1 and C3 (with dx), at 2 threads, float32 and float64.
GOAL, BAR = 1.0, 1.5
JUDGED_LAYERS, JUDGED_THREADS = ("C1", "C3"), 2


# Training (benchmarks/train_lenet.py, LeNet-5's recipe): cnnlab / PyTorch total training wall
# time at 2 threads, goal <= TRAIN_GOAL.
TRAIN_GOAL = 1.2
TRAIN_THREADS = 2


def verdict(ratio, goal=GOAL, bar=BAR):
    """'goal met' (≤ goal), 'bar met, goal not' (≤ bar) or 'NOT met' for one ratio."""
    if ratio <= goal:
        return "goal met"
    if bar is not None and ratio <= bar:
        return "bar met, goal not"
    return "NOT met"


def parallel_speedup(size=300, reps=20):
    """How much faster two threads run two matrix products than one thread runs them one after
    the other (BLAS at one thread each): about 2 when both cores are free."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    a = np.ones((size, size))
    with threadpool_limits(limits=1), ThreadPoolExecutor(1) as pool:
        a @ a
        pool.submit(lambda: a @ a).result()     # warm: the second thread's first product is slow
        t = time.perf_counter()
        for _ in range(2 * reps):
            a @ a
        serial = time.perf_counter() - t
        t = time.perf_counter()
        other = pool.submit(lambda: [a @ a for _ in range(reps)])
        for _ in range(reps):
            a @ a
        other.result()
        both = time.perf_counter() - t
    return serial / both


def machine_line(when):
    return (f"machine {when}: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, two "
            f"concurrent products {parallel_speedup():.2f}x faster than serial (2 = both cores free)")


def run_training(threads=TRAIN_THREADS, epochs=None):
    """Run benchmarks/train_lenet.py in a fresh process; print its output; return the ratio of
    total training wall times and of median epochs (or None if it printed none)."""
    cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_lenet.py"),
           "--threads", str(threads)] + ([] if epochs is None else ["--epochs", str(epochs)])
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    print(out.rstrip())
    m = re.search(r"ratio cnnlab / PyTorch time: ([\d.]+) \(total training wall time\); ([\d.]+)", out)
    return (float(m.group(1)), float(m.group(2))) if m else None


def _set_threads(n, torch):
    """Limit every thread pool to n threads; return (limiter, description of what is in effect)."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        sys.exit("conv_speed.py needs threadpoolctl (pip install -r requirements-dev.txt) to set "
                 "NumPy's BLAS threads; without it the timings would not be comparable")
    limiter = threadpool_limits(limits=n)
    if torch is not None:
        torch.set_num_threads(n)
    fast = getattr(conv, "_fastconv", None)
    if fast is not None and hasattr(fast, "set_num_threads"):
        fast.set_num_threads(n)
    info = threadpool_info()
    parts = [f"{p['internal_api']} ({os.path.basename(p['filepath'])[:22]}) {p['num_threads']}"
             for p in info]
    if torch is not None:
        parts.append(f"torch.get_num_threads() {torch.get_num_threads()}")
    if fast is not None and hasattr(fast, "get_num_threads"):
        parts.append(f"cnnlab copy threads {fast.get_num_threads()}")
    return limiter, "; ".join(parts)


def _time_blocks(fns, reps, blocks, clock):
    """Each function alone: one warm-up call each, then ``blocks`` rounds of ``reps`` calls per
    function, one function's block after the other.  Returns the per-call times of each."""
    for fn in fns:
        fn()
        fn()
    times = [[] for _ in fns]
    for _ in range(blocks):
        for fn, ts in zip(fns, times):
            for _ in range(reps):
                t = clock()
                fn()
                ts.append(clock() - t)
    return times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=15, help="calls per block (default 15)")
    ap.add_argument("--blocks", type=int, default=2, help="blocks per library (default 2)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                    help="thread counts to run (default: 1 2)")
    ap.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    ap.add_argument("--layers", nargs="+", default=[s[0] for s in SHAPES],
                    help="which rows (default: all)")
    ap.add_argument("--no-naive", dest="naive", action="store_false",
                    help="skip the explicit loops (timed by default, about 10 s)")
    ap.add_argument("--no-torch", action="store_true", help="time cnnlab only")
    ap.add_argument("--no-train", dest="train", action="store_false",
                    help="skip LeNet-5's training comparison (about a minute)")
    ap.add_argument("--train-epochs", type=int, default=None,
                    help="epochs of the training comparison (default: the recipe's 30)")
    ap.add_argument("--train-threads", type=int, default=TRAIN_THREADS,
                    help=f"threads of the training comparison (default {TRAIN_THREADS}, the judged case)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall time (default), or this process's CPU time -- steadier on a busy "
                         "shared machine; only with 1 thread (CPU time adds up over threads)")
    args = ap.parse_args(argv)
    clock = time.perf_counter
    if args.clock == "cpu":
        if args.threads != [1]:
            if "--threads" in (argv if argv is not None else sys.argv):
                ap.error("--clock cpu needs --threads 1 (CPU time adds up over threads)")
            args.threads = [1]
        clock = time.process_time
    torch = None
    if not args.no_torch:
        try:
            import torch
            import torch.nn.functional as F
        except ImportError:
            print("PyTorch not installed: cnnlab only (pip install torch==2.13.0 to compare).")
    torch_threads = torch.get_num_threads() if torch is not None else None
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    shapes = [s for s in SHAPES if s[0] in args.layers]

    print(f"conv2d forward + backward, batch 64; {args.clock} clock; each library alone, "
          f"{args.blocks} blocks of {args.reps} calls after a warm-up; best and median per call")
    print(machine_line("at the start"))
    rows = []
    for n in args.threads:
        limiter, desc = _set_threads(n, torch)
        print(f"\n--threads {n}: in effect: {desc}")
        header = (f"  {'layer':9} {'dtype':8} {'cnnlab best':>11} {'median':>8} {'torch best':>10} "
                  f"{'median':>8} {'ratio best':>10} {'median':>7}  verdict (ratio best)")
        print(header)
        print("-" * len(header))
        for dt in dtypes:
            for name, xs, ws, need_dx in shapes:
                rng = np.random.default_rng(0)
                x = rng.normal(size=xs).astype(dt)
                w = (rng.normal(size=ws) * 0.1).astype(dt)
                b = np.zeros(ws[0], dtype=dt)
                dy = rng.normal(size=conv.conv2d(x, w, b).shape).astype(dt)
                kw = {} if need_dx else {"need_dx": False}

                def ours():
                    conv.conv2d(x, w, b)
                    conv.conv2d_backward(dy, x, w, **kw)

                if not need_dx:
                    try:
                        ours()
                    except TypeError:
                        print(f"  {name:9} {dt:8} (this cnnlab has no need_dx keyword)")
                        continue
                fns = [ours]
                if torch is not None:
                    tx = torch.tensor(x, requires_grad=need_dx)
                    tw = torch.tensor(w, requires_grad=True)
                    tb = torch.tensor(b, requires_grad=True)
                    tdy = torch.tensor(dy)

                    def theirs():
                        for t in (tx, tw, tb):
                            t.grad = None
                        F.conv2d(tx, tw, tb).backward(tdy)

                    fns.append(theirs)
                times = _time_blocks(fns, args.reps, args.blocks, clock)
                best = [1e3 * min(t) for t in times]
                med = [1e3 * float(np.median(t)) for t in times]
                if torch is not None:
                    rb, rm = best[0] / best[1], med[0] / med[1]
                    tcols = f"{best[1]:10.2f} {med[1]:8.2f} {rb:10.2f} {rm:7.2f}"
                else:
                    rb = rm = float("nan")
                    tcols = f"{'—':>10} {'—':>8} {'—':>10} {'—':>7}"
                rows.append(dict(threads=n, layer=name, dtype=dt, ours_best=best[0],
                                 ours_median=med[0], ratio_best=rb, ratio_median=rm,
                                 torch_best=best[1] if torch is not None else float("nan")))
                judged = name in JUDGED_LAYERS and n == JUDGED_THREADS
                mark = "*" if judged else " "
                word = verdict(rb) if torch is not None else ""
                print(f"{mark} {name:9} {dt:8} {best[0]:11.2f} {med[0]:8.2f} {tcols}  {word}", flush=True)
        limiter.restore_original_limits()

    if args.naive:
        from cnnlab.naive import conv2d_backward_naive, conv2d_naive
        print("\nexplicit loops (cnnlab.naive), batch 1 scaled ×64, against the best cnnlab time above")
        for dt in dtypes:
            for name, xs, ws, need_dx in shapes:
                if not need_dx:
                    continue
                rng = np.random.default_rng(0)
                x = rng.normal(size=(1,) + xs[1:]).astype(dt)
                w = (rng.normal(size=ws) * 0.1).astype(dt)
                b = np.zeros(ws[0], dtype=dt)
                dy = rng.normal(size=conv.conv2d(x, w, b).shape).astype(dt)
                t = clock()
                conv2d_naive(x, w, b)
                conv2d_backward_naive(dy, x, w)
                ms = 1e3 * (clock() - t) * xs[0]
                ours = min(r["ours_best"] for r in rows if r["layer"] == name and r["dtype"] == dt)
                print(f"  {name:9} {dt:8} naive {ms:9.0f} ms, naive / cnnlab {ms / ours:7.0f}")

    judged = [r for r in rows if r["layer"] in JUDGED_LAYERS and r["threads"] == JUDGED_THREADS]
    if torch is not None and judged:
        worst = max(judged, key=lambda r: r["ratio_best"])
        print(f"\ngoal: cnnlab / PyTorch (best times) <= {GOAL} on {' and '.join(JUDGED_LAYERS)} at "
              f"{JUDGED_THREADS} threads, float32 and float64 (bar {BAR}); worst here "
              f"{worst['ratio_best']:.2f} ({worst['layer']} {worst['dtype']}): {verdict(worst['ratio_best'])}")
        if {r["dtype"] for r in judged} != {"float32", "float64"}:
            print("(only part of the judged cases ran: the verdict covers those)")
    if torch is not None:
        torch.set_num_threads(torch_threads)
    if args.train and torch is not None:
        tn = args.train_threads
        print(f"\nLeNet-5's recipe, cnnlab then PyTorch (benchmarks/train_lenet.py --threads {tn}):",
              flush=True)
        ratios = run_training(tn, args.train_epochs)
        if ratios is None:
            print("training: no ratio printed (see above)")
        else:
            judged = "" if tn == TRAIN_THREADS else f" (the goal is judged at {TRAIN_THREADS} threads)"
            print(f"goal: training wall time cnnlab / PyTorch <= {TRAIN_GOAL} at {tn} threads: "
                  f"{ratios[0]:.2f} (median epoch {ratios[1]:.2f}): "
                  f"{verdict(ratios[0], TRAIN_GOAL, None)}{judged}")
            rows.append(dict(threads=tn, layer="training", dtype="float32",
                             ratio_best=ratios[0], ratio_median=ratios[1]))
    print(machine_line("at the end"))
    return rows


if __name__ == "__main__":
    main()
