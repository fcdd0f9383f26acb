"""The fast convolution layer: the same numbers as :func:`cnnlab.conv.conv2d`, computed for speed.

:mod:`cnnlab.conv` is the module to read: it states the formulas and checks the arguments, then
calls the two functions here, which take already validated, equally typed arrays and explicit
paddings.  The tests check both against each other, against SciPy, finite differences and
PyTorch.

How it is fast
--------------
*im2col with the batch index last.*  Every receptive field is copied into one column of a
matrix ``cols`` of shape (C·kh·kw, Ho·Wo·n), rows in the order (c, p, q) of ``w[f].ravel()``
and columns in the order (i, j, n)::

    cols[(c, p, q), (i, j, n)] = x̃[n, c, i·sh + p, j·sw + q]

so that the layer is one matrix product, ``Y = w2 · cols`` with ``w2 = w.reshape(F, C·kh·kw)``,
and the backward pass two more, ``dw2 = dY · colsᵀ`` and ``dcols = w2ᵀ · dY``, plus *col2im*,
which adds every entry of ``dcols`` back onto the pixel it was read from.  With the batch index
last, the pixels that one kernel offset (p, q) reads are rows of Wo·n contiguous numbers of the
batch-last padded input ``xt[c, u, v, n]`` (for stride 1), so the copies and the adds move long
runs of memory.

*The forward pass batch first* when the output maps are large (LeNet's C1): there the
columns are laid out per sample, ``cols[n]`` of shape (C·kh·kw, Ho·Wo), and the product
``w2 · cols[n]`` lands directly in the layout (N, F, Ho, Wo) of the result, with no
transposition afterwards.

*Threads.*  The batch is cut into pieces and each piece goes through the whole pipeline in its
own thread (NumPy releases the GIL in large copies, adds and matrix products), with the BLAS
held to one thread meanwhile; ``dw`` and ``db`` are then summed over the pieces.  Copies and adds
— about half the time — are thus split across the cores as well as the products.  The number of
threads follows NumPy's BLAS (``threadpoolctl.threadpool_limits`` limits both) unless
:func:`set_num_threads` fixes it.  Small problems run in one piece.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv2d_forward", "conv2d_backward", "set_num_threads", "get_num_threads"]

# Work (entries of the im2col matrix) below which the batch is not split: thread hand-offs cost
# tens of microseconds.
_SPLIT_MIN_ENTRIES = 2**15
# Float32 is not split (left to the BLAS's own threads): measured on LeNet's layers at 2 threads,
# its pieces are too quick for the thread hand-offs to pay (float64: 3.1 ms split vs 3.7 ms not
# on C3; float32: 2.5 ms split vs 2.2 ms not).
_SPLIT_MIN_ITEMSIZE = 8
# Largest im2col matrix (bytes) one piece makes; bigger batches are cut into more pieces, which
# bounds the memory and keeps each piece's matrices near the caches.
_PIECE_MAX_BYTES = 8 * 2**20

# (Measured on LeNet's layers.)  Output maps of at least this many pixels are computed batch first (one product per sample,
# straight into the output's layout); smaller ones batch last (one product for the whole piece).
_BATCH_FIRST_MIN_PIXELS = 256

_num_threads = None          # None: follow the BLAS
_blas = None                 # threadpoolctl's controllers of the BLAS libraries, found once
_pool = None
_pool_size = 0
_lock = threading.Lock()


def _blas_controllers():
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
            _blas = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # threadpoolctl missing or unable to inspect: run in one thread
            _blas = []
    return _blas


def set_num_threads(n=None):
    """Use ``n`` threads (an int >= 1) for the convolution, or follow NumPy's BLAS (``None``,
    the default: ``threadpoolctl.threadpool_limits`` then sets both).  Returns the old setting."""
    global _num_threads
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"n must be an int or None; got {type(n).__name__} {n!r}")
        if n < 1:
            raise ValueError(f"n must be >= 1; got {n}")
        n = int(n)
    old, _num_threads = _num_threads, n
    return old


def get_num_threads():
    """The number of threads the next convolution may use (see :func:`set_num_threads`)."""
    if _num_threads is not None:
        return _num_threads
    libs = _blas_controllers()
    if not libs:
        return 1
    return max(1, min(lib.num_threads for lib in libs))


def _executor(n):
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < n:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(max_workers=n, thread_name_prefix="cnnlab-conv"), n
        return _pool


def _run(tasks, threads):
    """Run the callables ``tasks``; in ``threads`` threads, with the BLAS at one thread meanwhile."""
    if threads <= 1 or len(tasks) == 1:
        return [t() for t in tasks]
    _blas_one_thread(True)
    try:
        pool = _executor(threads - 1)
        futures = [pool.submit(t) for t in tasks[1:]]
        first = tasks[0]()
        return [first] + [f.result() for f in futures]
    finally:
        _blas_one_thread(False)


_held = 0            # how many calls are running pieces in threads right now
_saved = []          # the BLAS thread counts to restore when the last of them ends


def _blas_one_thread(enter):
    """Hold the BLAS at one thread while any call runs its pieces in threads (counted, so that
    calls from several user threads at once restore the original counts exactly once)."""
    global _held, _saved
    libs = _blas_controllers()
    with _lock:
        if enter:
            if _held == 0:
                _saved = [lib.num_threads for lib in libs]
                for lib in libs:
                    lib.set_num_threads(1)
            _held += 1
        else:
            _held -= 1
            if _held == 0:
                for lib, n in zip(libs, _saved):
                    lib.set_num_threads(n)


def _pieces(N, entries_per_sample, itemsize, threads):
    """Cut range(N) into slices: one per thread when the work is large enough, more when one
    piece's im2col matrix would pass _PIECE_MAX_BYTES."""
    if N * entries_per_sample < _SPLIT_MIN_ENTRIES or itemsize < _SPLIT_MIN_ITEMSIZE:
        threads = 1
    by_memory = -(-N * entries_per_sample * itemsize // _PIECE_MAX_BYTES)
    k = max(1, min(N, max(threads, by_memory)))
    if by_memory > threads and threads > 1:  # a multiple of the threads, so they finish together
        k = min(N, -(-k // threads) * threads)
    edges = np.linspace(0, N, k + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


# ---------------------------------------------------------------------------------------------
# one piece of the batch
# ---------------------------------------------------------------------------------------------
def _batch_last(x, pads):
    """``xt[c, u, v, n] = x̃[n, c, u, v]``: the zero-padded input (C, Hp, Wp, n), batch last."""
    n, C, H, W = x.shape
    pt, pb, pl, pr = pads
    if pt == pb == pl == pr == 0:
        return np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    xt = np.zeros((C, H + pt + pb, W + pl + pr, n), dtype=x.dtype)
    xt[:, pt:pt + H, pl:pl + W, :] = x.transpose(1, 2, 3, 0)
    return xt


def _cols(x, kh, kw, stride, pads, out_hw):
    """im2col, batch last: the C-contiguous (C·kh·kw, Ho·Wo·n) matrix described above."""
    n, C = x.shape[:2]
    (sh, sw), (Ho, Wo) = stride, out_hw
    # win[c, i, j, n, p, q] = xt[c, i·sh + p, j·sw + q, n]: a view, nothing copied yet
    win = sliding_window_view(_batch_last(x, pads), (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :Ho, :Wo]
    return win.transpose(0, 4, 5, 1, 2, 3).reshape(C * kh * kw, Ho * Wo * n)  # the copy


def _forward_piece(x, w2, b, out, kh, kw, stride, pads, out_hw):
    n, C = x.shape[:2]
    F = w2.shape[0]
    Ho, Wo = out_hw
    if Ho * Wo >= _BATCH_FIRST_MIN_PIXELS:
        # batch first: one product per sample, w2 (F, C·kh·kw) @ cols[n] (C·kh·kw, Ho·Wo), lands
        # in the output's layout (n, F, Ho·Wo) with no transposition
        pt, pb, pl, pr = pads
        xp = x if pt == pb == pl == pr == 0 else np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        (sh, sw) = stride
        win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :Ho, :Wo]
        cols = win.transpose(0, 1, 4, 5, 2, 3).reshape(n, C * kh * kw, Ho * Wo)  # the copy
        y = out.reshape(n, F, Ho * Wo)
        np.matmul(w2, cols, out=y)
        if b is not None:
            y += b[:, None]
        return
    cols = _cols(x, kh, kw, stride, pads, out_hw)
    if x.dtype == np.float32:  # OpenBLAS's sgemm is faster here with the long dimension first
        Y = (cols.T @ w2.T).reshape(Ho, Wo, n, F).transpose(2, 3, 0, 1)
    else:
        Y = (w2 @ cols).reshape(F, Ho, Wo, n).transpose(3, 0, 1, 2)
    if b is None:
        out[...] = Y
    else:
        np.add(Y, b[:, None, None], out=out)  # the layout change and the bias in one pass


def _add_input_gradient_cols(dxt, dY, w2, kh, kw, stride, out_hw):
    """``dxt += col2im(w2ᵀ · dY)``: every entry of ``dcols = w2ᵀ · dY`` (C·kh·kw, Ho·Wo·n) goes
    back onto the pixel of the padded, batch-last input it was read from: kh·kw strided adds."""
    C, n = dxt.shape[0], dxt.shape[3]
    (sh, sw), (Ho, Wo) = stride, out_hw
    dcols = (w2.T @ dY).reshape(C, kh, kw, Ho, Wo, n)
    for p in range(kh):
        for q in range(kw):
            dxt[:, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw] += dcols[:, p, q]


def _add_input_gradient_rows(dxt, dY, w2, kh, kw, out_hw):
    """The same for stride 1, with kh adds instead of kh·kw: a full correlation along the columns
    done by one matrix product, then one add per kernel row.

    With ``dYp`` = dY zero-padded by kw − 1 columns on each side, ``D[(f, t), (i, v, n)] =
    dYp[f, i, v + t, n]`` and ``Wr[(p, c), (f, t)] = w[f, c, p, kw − 1 − t]``, the product
    ``R = Wr · D`` holds ``R[p, c, i, v, n] = Σ_{f,q} w[f, c, p, q] · dy[n, f, i, v − q]``, and
    ``dx̃[c, i + p, v, n] += R[p, c, i, v, n]``.  Cheaper than col2im when D is the smaller matrix
    (when F·(Wo + kw − 1) < C·kh·Wo, e.g. LeNet's C3 and C5).
    """
    C, Wp, n = dxt.shape[0], dxt.shape[2], dxt.shape[3]
    F = w2.shape[0]
    Ho, Wo = out_hw
    wr = w2.reshape(F, C, kh, kw)[..., ::-1].transpose(2, 1, 0, 3).reshape(kh * C, F * kw)
    dYp = np.zeros((F, Ho, Wo + 2 * (kw - 1), n), dtype=dY.dtype)
    dYp[:, :, kw - 1:kw - 1 + Wo] = dY.reshape(F, Ho, Wo, n)
    D = sliding_window_view(dYp, kw, axis=2).transpose(0, 4, 1, 2, 3).reshape(F * kw, Ho * Wp * n)
    R = (wr @ D).reshape(kh, C, Ho, Wp, n)
    for p in range(kh):
        dxt[:, p:p + Ho] += R[p]


def _backward_piece(dy, x, w2, dx, kh, kw, stride, pads, out_hw):
    n, C, H, W = x.shape
    F = w2.shape[0]
    (sh, sw), (Ho, Wo) = stride, out_hw
    pt, pb, pl, pr = pads
    dY = dy.transpose(1, 2, 3, 0).reshape(F, Ho * Wo * n)  # columns (i, j, n), like cols; copies
    db = dY.sum(axis=1)
    dw2 = (_cols(x, kh, kw, stride, pads, out_hw) @ dY.T).T  # (F, C·kh·kw)
    if dx is not None:
        dxt = np.zeros((C, H + pt + pb, W + pl + pr, n), dtype=dY.dtype)  # batch last, padded
        if stride == (1, 1) and F * kw * (Wo + kw - 1) < C * kh * kw * Wo:
            _add_input_gradient_rows(dxt, dY, w2, kh, kw, out_hw)
        else:
            _add_input_gradient_cols(dxt, dY, w2, kh, kw, stride, out_hw)
        dx[...] = dxt[:, pt:pt + H, pl:pl + W].transpose(3, 0, 1, 2)
    return dw2, db


# ---------------------------------------------------------------------------------------------
# the two entry points (arguments already checked by cnnlab.conv)
# ---------------------------------------------------------------------------------------------
def conv2d_forward(x, w, b, stride, pads, out_hw):
    """``y[n, f, i, j] = b[f] + Σ_{c,p,q} w[f, c, p, q] · x̃[n, c, i·sh + p, j·sw + q]``.

    Inputs (checked by the caller, one float dtype): x (N, C, H, W); w (F, C, kh, kw); b (F,)
    or None; stride (sh, sw); pads (top, bottom, left, right); out_hw (Ho, Wo).
    Returns y (N, F, Ho, Wo).
    """
    N, C = x.shape[:2]
    F, _, kh, kw = w.shape
    Ho, Wo = out_hw
    w2 = w.reshape(F, C * kh * kw)
    y = np.empty((N, F, Ho, Wo), dtype=np.result_type(x, w))
    threads = get_num_threads()
    pieces = _pieces(N, C * kh * kw * Ho * Wo, x.itemsize, threads)
    _run([lambda s=s: _forward_piece(x[s], w2, b, y[s], kh, kw, stride, pads, out_hw)
          for s in pieces], threads)
    return y


def conv2d_backward(dy, x, w, stride, pads, out_hw, need_dx=True):
    """The three gradients of ``Σ dy ∘ conv2d(x, w, b)``: ``(dx, dw, db)``, ``dx`` None when
    ``need_dx`` is False.  Inputs as :func:`conv2d_forward`, and dy (N, F, Ho, Wo)."""
    N, C = x.shape[:2]
    F, _, kh, kw = w.shape
    Ho, Wo = out_hw
    w2 = w.reshape(F, C * kh * kw)
    dx = np.empty(x.shape, dtype=x.dtype) if need_dx else None
    threads = get_num_threads()
    pieces = _pieces(N, C * kh * kw * Ho * Wo, x.itemsize, threads)
    parts = _run([lambda s=s: _backward_piece(dy[s], x[s], w2, None if dx is None else dx[s],
                                              kh, kw, stride, pads, out_hw)
                  for s in pieces], threads)
    dw2, db = parts[0]
    for dw_k, db_k in parts[1:]:
        dw2 = dw2 + dw_k
        db = db + db_k
    return dx, dw2.reshape(w.shape), db


if os.environ.get("CNNLAB_CONV_THREADS"):  # e.g. CNNLAB_CONV_THREADS=1 for strictly serial runs
    set_num_threads(int(os.environ["CNNLAB_CONV_THREADS"]))
