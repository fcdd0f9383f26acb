"""How fast is cnnlab's vectorised convolution layer?  Forward + backward on LeNet-5's shapes.

Run:  .venv/bin/python benchmarks/conv_speed.py [--reps 30] [--threads N] [--dtype float32]
      [--clock cpu --threads 1]   (CPU time instead of wall time, for a busy machine)

For each of LeNet-5's two convolution layers (batch 64)

    C1: x 64×1×32×32, w 6×1×5×5   (→ 64×6×28×28)
    C3: x 64×6×14×14, w 16×6×5×5  (→ 64×16×10×10)

it times ``conv2d`` followed by ``conv2d_backward`` (the gradients of x, w and b), and the same
forward + backward in

* the explicit loops of ``cnnlab.naive`` — on a batch of 1 only (they are ~10⁴× slower) and
  scaled linearly to the batch of 64, which is exact for loops over the batch;
* PyTorch on the CPU (``F.conv2d`` + ``backward``, with ``x``, ``w`` and ``b`` all requiring
  gradients), when torch is installed, with the same number of threads as NumPy's BLAS.

All timings are medians over ``--reps`` runs, cnnlab and PyTorch interleaved in the same loop, so
that a busy machine slows both alike.  The table prints the ratios; the goal for the vectorised
layer is ``cnnlab / torch <= 1.5``.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from cnnlab.conv import conv2d, conv2d_backward  # noqa: E402
from cnnlab.naive import conv2d_backward_naive, conv2d_naive  # noqa: E402

SHAPES = [
    ("C1", (64, 1, 32, 32), (6, 1, 5, 5)),
    ("C3", (64, 6, 14, 14), (16, 6, 5, 5)),
]


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
        counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
        return max(counts) if counts else None
    except ImportError:
        return None


def _limit_threads(n):
    """Limit NumPy's BLAS to n threads if threadpoolctl is available; return the context."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=n, user_api="blas")
    except ImportError:
        return None


_CLOCK = time.perf_counter


def _once(fn):
    t = _CLOCK()
    fn()
    return _CLOCK() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=30, help="timed repetitions (median reported)")
    ap.add_argument("--threads", type=int, default=None, help="threads for BLAS and torch (default: BLAS's)")
    ap.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    ap.add_argument("--naive-batch", type=int, default=1, help="batch size for the explicit loops")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall time (default), or this process's CPU time -- steadier on a busy "
                         "shared machine; needs --threads 1 to be comparable")
    args = ap.parse_args(argv)
    global _CLOCK
    if args.clock == "cpu":
        if args.threads != 1:
            ap.error("--clock cpu needs --threads 1 (CPU time adds up over threads)")
        _CLOCK = time.process_time

    threads = args.threads or _blas_threads() or os.cpu_count()
    limiter = _limit_threads(threads)
    try:
        import torch
        torch.set_num_threads(threads)
        F = torch.nn.functional
    except ImportError:
        torch = None
        print("PyTorch not installed: skipping the torch column (pip install torch==2.13.0 to add it).")

    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    rng = np.random.default_rng(0)
    print(f"threads: {threads} (NumPy BLAS{' and torch' if torch else ''}); {args.clock} clock; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians of {args.reps} runs; "
          f"naive loops timed on batch {args.naive_batch} and scaled ×{64 // args.naive_batch} to batch 64")
    header = f"{'layer':5} {'dtype':8} {'cnnlab ms':>10} {'torch ms':>9} {'cnnlab/torch':>13} {'naive ms':>10} {'naive/cnnlab':>13}"
    print(header)
    print("-" * len(header))
    rows = []
    for dt in dtypes:
        for name, xs, ws in SHAPES:
            x = rng.normal(size=xs).astype(dt)
            w = (rng.normal(size=ws) * 0.1).astype(dt)
            b = np.zeros(ws[0], dtype=dt)
            dy = rng.normal(size=conv2d(x, w, b).shape).astype(dt)

            def ours():
                conv2d(x, w, b)
                conv2d_backward(dy, x, w)

            if torch is not None:
                tx = torch.tensor(x, requires_grad=True)
                tw = torch.tensor(w, requires_grad=True)
                tb = torch.tensor(b, requires_grad=True)
                tdy = torch.tensor(dy)

                def theirs():
                    for t in (tx, tw, tb):
                        t.grad = None
                    F.conv2d(tx, tw, tb).backward(tdy)

                theirs()
            ours()  # warm-up
            t_ours, t_torch = [], []
            for _ in range(args.reps):
                t_ours.append(_once(ours))
                if torch is not None:
                    t_torch.append(_once(theirs))
            ms = 1e3 * float(np.median(t_ours))
            ms_t = 1e3 * float(np.median(t_torch)) if t_torch else float("nan")

            nb = args.naive_batch
            xn, dyn = x[:nb], dy[:nb]
            t_naive = _once(lambda: (conv2d_naive(xn, w, b), conv2d_backward_naive(dyn, xn, w)))
            ms_n = 1e3 * t_naive * (xs[0] / nb)
            ratio_t = ms / ms_t if t_torch else float("nan")
            rows.append((name, dt, ms, ms_t, ratio_t, ms_n))
            tcol = f"{ms_t:9.2f} {ratio_t:13.2f}" if t_torch else f"{'—':>9} {'—':>13}"
            print(f"{name:5} {dt:8} {ms:10.2f} {tcol} {ms_n:10.0f} {ms_n / ms:13.0f}")
    if limiter is not None:
        limiter.restore_original_limits()
    if torch is not None:
        worst = max(r[4] for r in rows)
        print(f"worst cnnlab/torch ratio: {worst:.2f} (goal <= 1.5: {'met' if worst <= 1.5 else 'NOT met'})")
    return rows


if __name__ == "__main__":
    main()
