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

*Batch first* when the output maps are large (LeNet's C1): there the columns are laid out per
sample, ``cols[n]`` of shape (C·kh·kw, Ho·Wo); the product ``w2 · cols[n]`` lands directly in
the layout (N, F, Ho, Wo) of the result, and the weight gradient is ``Σ_n dy[n] · cols[n]ᵀ``
(one product per sample, then a sum over the batch), again with no transposition of dy.

*One im2col per forward and backward.*  The backward needs the matrix the forward built; the
forward keeps it, with a copy of its x, and the backward takes it when x is still equal entry
by entry (see ``_memo_get``) — as in training, where the backward follows the forward on the
same batch.

*Transpositions in blocks.*  Moving the batch index from first to last and back copies in
blocks of a few thousand entries that stay in the L1 cache (a plain transposed copy of
LeNet's arrays is 2–4 times slower).

*Threads.*  By default the BLAS's own threads run the products (``threadpoolctl.threadpool_limits``
sets their number) and the copies run in the calling thread.  The batch can also be cut into
pieces, each going through the whole pipeline in its own thread with the BLAS held to one
thread meanwhile, ``dw`` and ``db`` summed over the pieces: done when one piece's im2col matrix
would pass ``_PIECE_MAX_BYTES``, and for every large batch if ``_SPLIT_MIN_ITEMSIZE`` allows it
(measured slower on LeNet's layers: see there).  :func:`set_num_threads` fixes the number of
threads for the pieces; by default it follows the BLAS.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv2d_forward", "conv2d_backward", "set_num_threads", "get_num_threads", "clear_memo"]

# Work (entries of the im2col matrix) below which the batch is not split: thread hand-offs cost
# tens of microseconds.
_SPLIT_MIN_ENTRIES = 2**15
# The batch is not cut for the threads by default (an item size above any float's): measured
# on an idle 2-core machine, LeNet's C3 forward + backward at 2 threads took 1.7 ms (float32)
# and 3.0 ms (float64) with the BLAS's own two threads in whole products, against 2.2 and 4.3 ms
# in two pieces in two Python threads — each piece's many NumPy calls hand the GIL back and
# forth.  C1 (per-sample products) was even.  Cuts for memory (_PIECE_MAX_BYTES) still run in
# threads.  Tests set it to 0 to split everything.
_SPLIT_MIN_ITEMSIZE = 16
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
    edges = [(N * i + k // 2) // k for i in range(k + 1)]             # N·i/k rounded
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


# ---------------------------------------------------------------------------------------------
# layout changes: batch first (N, …) <-> batch last (…, N), in cache-sized blocks
# ---------------------------------------------------------------------------------------------
def _block_rows(n):
    """Rows of a (M, n) matrix moved per block: about 4096 entries, so that a block's source
    and destination stay in the L1 cache (a plain transposed copy is 2–4 times slower)."""
    return max(16, 4096 // max(n, 1))


def _to_batch_last(a, out=None):
    """``out[m, k] = a[k, m]`` for a C-contiguous (n, M) array ``a``: the (M, n) transpose."""
    n, M = a.shape
    if out is None:
        out = np.empty((M, n), dtype=a.dtype)
    B = _block_rows(n)
    for m in range(0, M, B):
        out[m:m + B] = a[:, m:m + B].T
    return out


def _to_batch_first(a, out):
    """``out[k, m] = a[m, k]``: the (n, M) transpose of a C-contiguous (M, n) ``a`` into the
    C-contiguous ``out``."""
    M, n = a.shape
    B = _block_rows(n)
    for m in range(0, M, B):
        out[:, m:m + B] = a[m:m + B].T
    return out


def _batch_last(x, pads):
    """``xt[c, u, v, n] = x̃[n, c, u, v]``: the zero-padded input (C, Hp, Wp, n), batch last."""
    n, C, H, W = x.shape
    pt, pb, pl, pr = pads
    xc = np.ascontiguousarray(x)
    if pt == pb == pl == pr == 0:
        return _to_batch_last(xc.reshape(n, C * H * W)).reshape(C, H, W, n)
    xt = np.zeros((C, H + pt + pb, W + pl + pr, n), dtype=x.dtype)
    xt[:, pt:pt + H, pl:pl + W, :] = _to_batch_last(xc.reshape(n, C * H * W)).reshape(C, H, W, n)
    return xt


def _batch_first(at, out):
    """``out[n, c, u, v] = at[c, u, v, n]`` for a (C, H, W, n) array or view ``at``."""
    C, H, W, n = at.shape
    _to_batch_first(np.ascontiguousarray(at).reshape(C * H * W, n), out.reshape(n, C * H * W))


# ---------------------------------------------------------------------------------------------
# products with a long second factor
# ---------------------------------------------------------------------------------------------
# OpenBLAS multiplies small float32 matrices (M·K·N up to about 10⁶) without first copying them
# into its packed panels; the layer's products are wide, (F, C·kh·kw) · (C·kh·kw, Ho·Wo·n), so in
# float32 they are cut into column blocks of that size and done as one stacked matmul (measured
# on LeNet's C3, one thread: 0.36 ms against 0.47 ms).  In float64 only the thin products gain
# (K ≤ 16, e.g. C1's input gradient w2ᵀ · dY with K = F = 6: 0.55 ms against 0.89 ms); the
# others are faster whole.
_CHUNK_MNK = 10**6
_CHUNK_MAX_K64 = 16


def _wide_matmul(a, b, chunk=True):
    """``a @ b`` for a (M, K), b (K, N) with N large; in blocks only when ``chunk`` (the BLAS
    runs this product on one thread: a whole product on several threads is faster)."""
    (M, K), N = a.shape, b.shape[1]
    c = _CHUNK_MNK // (M * K)
    if not chunk or (a.dtype != np.float32 and K > _CHUNK_MAX_K64) or c < 64 or N < 2 * c:
        return a @ b
    k = N // c
    out = np.empty((M, N), dtype=np.result_type(a, b))
    np.matmul(a, b[:, :k * c].reshape(K, k, c).transpose(1, 0, 2),
              out=out[:, :k * c].reshape(M, k, c).transpose(1, 0, 2))
    if k * c < N:
        np.matmul(a, b[:, k * c:], out=out[:, k * c:])
    return out


# ---------------------------------------------------------------------------------------------
# the forward's im2col, kept for the backward
# ---------------------------------------------------------------------------------------------
# conv2d_backward needs the im2col matrix that conv2d built from the same x.  The forward keeps
# each piece's matrix with a copy of the piece of x it came from; the backward takes it only
# when the key (geometry, piece, dtype) matches and x is still equal, entry by entry, to that
# copy — the matrix is a function of x's entries and the geometry alone, so it is then exactly
# the one the backward would build.  Comparing costs a read of x, about 1/(kh·kw) of building.
_MEMO_SIZE = 8                   # entries (pieces) kept: a few layers' worth
_MEMO_MAX_BYTES = 64 * 2**20     # at most this much kept in all (the oldest go first)
_memo = {}                       # key -> (copy of x's piece, cols); insertion order = age


def _memo_put(key, x, cols):
    if cols.nbytes > _MEMO_MAX_BYTES:
        return
    entry = (x.copy(), cols)
    with _lock:
        _memo.pop(key, None)
        _memo[key] = entry
        total = sum(c.nbytes for _, c in _memo.values())
        while len(_memo) > _MEMO_SIZE or total > _MEMO_MAX_BYTES:
            old = _memo.pop(next(iter(_memo)))
            total -= old[1].nbytes


def clear_memo():
    """Forget the im2col matrices kept from the forward passes (frees their memory)."""
    with _lock:
        _memo.clear()


def _memo_get(key, x):
    with _lock:
        hit = _memo.get(key)
    if hit is not None and hit[0].shape == x.shape and np.array_equal(hit[0], x):
        return hit[1]
    return None


# ---------------------------------------------------------------------------------------------
# im2col, two layouts
# ---------------------------------------------------------------------------------------------
def _cols_last(x, kh, kw, stride, pads, out_hw, xt=None):
    """im2col, batch last: the C-contiguous (C·kh·kw, Ho·Wo·n) matrix described above (from
    ``xt = _batch_last(x, pads)`` when given)."""
    (sh, sw), (Ho, Wo) = stride, out_hw
    n, C = x.shape[:2]
    if xt is None:
        xt = _batch_last(x, pads)
    # win[c, i, j, n, p, q] = xt[c, i·sh + p, j·sw + q, n]: a view, nothing copied yet
    win = sliding_window_view(xt, (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :Ho, :Wo]
    return win.transpose(0, 4, 5, 1, 2, 3).reshape(C * kh * kw, Ho * Wo * n)  # the copy


def _cols_first(x, kh, kw, stride, pads, out_hw):
    """im2col, batch first: (n, C·kh·kw, Ho·Wo), one matrix per sample."""
    (sh, sw), (Ho, Wo) = stride, out_hw
    n, C = x.shape[:2]
    pt, pb, pl, pr = pads
    xp = x if pt == pb == pl == pr == 0 else np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :Ho, :Wo]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, C * kh * kw, Ho * Wo)  # the copy


def _cols(x, kh, kw, stride, pads, out_hw, first, key=None, xt=None):
    """The im2col matrix of this piece: from the forward's memo when ``key`` is given and
    matches, else built."""
    cols = None if key is None else _memo_get(key, x)
    if cols is None:
        if first:
            cols = _cols_first(x, kh, kw, stride, pads, out_hw)
        else:
            cols = _cols_last(x, kh, kw, stride, pads, out_hw, xt)
    return cols


# ---------------------------------------------------------------------------------------------
# one piece of the batch
# ---------------------------------------------------------------------------------------------
def _forward_piece(x, xt, w2, b, out, kh, kw, stride, pads, out_hw, key, chunk):
    """One piece: batch first, the result straight into ``out``; batch last (``xt`` given),
    returns Y (F·Ho·Wo, n) for the caller to move into ``out``."""
    n = x.shape[0]
    F = w2.shape[0]
    Ho, Wo = out_hw
    first = xt is None
    cols = _cols(x, kh, kw, stride, pads, out_hw, first, xt=xt)
    if key is not None:
        _memo_put(key, x, cols)
    if first:
        # batch first: one product per sample, w2 (F, C·kh·kw) @ cols[n] (C·kh·kw, Ho·Wo), lands
        # in the output's layout (n, F, Ho·Wo) with no transposition
        y = out.reshape(n, F, Ho * Wo)
        np.matmul(w2, cols, out=y)
        if b is not None:
            y += b[:, None]
        return None
    Y = _wide_matmul(w2, cols, chunk)                                # (F, Ho·Wo·n)
    if b is not None:
        Y += b[:, None]
    return Y.reshape(F * Ho * Wo, n)


def _add_input_gradient_cols(dxt, dY, w2, kh, kw, stride, out_hw, chunk=True):
    """``dxt += col2im(w2ᵀ · dY)``: every entry of ``dcols = w2ᵀ · dY`` (C·kh·kw, Ho·Wo·n) goes
    back onto the pixel of the padded, batch-last input it was read from: kh·kw strided adds."""
    C, n = dxt.shape[0], dxt.shape[3]
    (sh, sw), (Ho, Wo) = stride, out_hw
    dcols = _wide_matmul(w2.T, dY, chunk).reshape(C, kh, kw, Ho, Wo, n)
    for p in range(kh):
        for q in range(kw):
            dxt[:, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw] += dcols[:, p, q]


# Stride 1: the input gradient by kh shifted copies of dY and kw shifted adds ("shift"), when
# the products are not too thin and the zero rows they carry few (see _use_shift).  The layer
# restricted to its kernel rows is
#
#   Z = Wk · G,  Wk[(p, f), (c, q)] = w[f, c, p, q],  G[(c, q), (u, j, n)] = xt[c, u, j + q, n],
#   Y[f, (i, j, n)] = Σ_p Z[(p, f), (i + p, j, n)],
#
# so, map by map in reverse, dZ = E with E[(p, f), (u, j, n)] = dY[f, u − p, j, n] (0 outside),
# dG = Wkᵀ · E, and dxt[c, u, v, n] = Σ_q dG[(c, q), (u, v − q, n)].  Against col2im (one add per
# kernel tap over the whole im2col matrix) it moves kh times less memory for (Hp/Ho) − 1 more
# multiplications (measured on LeNet's C3: 0.66 ms against 0.87 ms in float32, one thread).
_SHIFT_MIN_K = 12          # C·kw at least this (LeNet's C1 has 5: col2im is faster there)
_SHIFT_MAX_WASTE = 1.5     # Hp / Ho at most this (LeNet's C5 has 5)
_SHIFT_BUFFER_MAX_BYTES = 32 * 2**20
_local = threading.local()   # per thread: zeroed E buffers by (shape, dtype), reused


def _use_shift(C, kw, stride, Hp, Ho):
    return stride == (1, 1) and C * kw >= _SHIFT_MIN_K and Hp <= _SHIFT_MAX_WASTE * Ho


def _zeroed_e(shape, dtype):
    """A zero array of this shape, kept per thread: E's zero entries are never written, so the
    next call of the same shape finds them still zero."""
    if np.prod(shape) * np.dtype(dtype).itemsize > _SHIFT_BUFFER_MAX_BYTES:
        return np.zeros(shape, dtype=dtype)
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    key = (shape, np.dtype(dtype).str)
    if key not in bufs:
        if len(bufs) >= 4:
            bufs.clear()
        bufs[key] = np.zeros(shape, dtype=dtype)
    return bufs[key]


def _input_gradient_shift(dY, w2, C, kh, kw, Hp, Wp, out_hw, chunk=True):
    """dxt (C, Hp, Wp, n), the padded batch-last input gradient, for stride 1 (see above)."""
    F = w2.shape[0]
    Ho, Wo = out_hw
    n = dY.shape[1] // (Ho * Wo)
    E = _zeroed_e((kh, F, Hp, Wo * n), dY.dtype)
    dY3 = dY.reshape(F, Ho, Wo * n)
    for p in range(kh):
        E[p, :, p:p + Ho] = dY3
    wk_t = w2.reshape(F, C, kh, kw).transpose(1, 3, 2, 0).reshape(C * kw, kh * F)  # Wkᵀ
    dG = _wide_matmul(wk_t, E.reshape(kh * F, Hp * Wo * n), chunk).reshape(C, kw, Hp, Wo, n)
    dxt = np.empty((C, Hp, Wp, n), dtype=dY.dtype)
    dxt[:, :, :Wo] = dG[:, 0]
    dxt[:, :, Wo:] = 0
    for q in range(1, kw):
        dxt[:, :, q:q + Wo] += dG[:, q]
    return dxt


def _backward_piece(dy, dY, x, w2, want_dx, kh, kw, stride, pads, out_hw, key, chunk):
    """One piece: ``(dw2, db, dxt)``; ``dY`` (F, Ho·Wo·n) is dy batch last (given when the
    route or dx needs it); ``dxt`` the padded batch-last input gradient, or None."""
    n, C, H, W = x.shape
    F = w2.shape[0]
    Ho, Wo = out_hw
    pt, pb, pl, pr = pads
    first = Ho * Wo >= _BATCH_FIRST_MIN_PIXELS
    cols = _cols(x, kh, kw, stride, pads, out_hw, first, key)
    if first:
        # dw2 = Σ_n dy[n] · cols[n]ᵀ: one product per sample, then the sum over the batch
        dy3 = np.ascontiguousarray(dy).reshape(n, F, Ho * Wo)
        db = dy3.sum(axis=(0, 2))
        dw2 = np.matmul(dy3, cols.transpose(0, 2, 1)).sum(axis=0)
    else:
        db = dY.sum(axis=1)
        dw2 = (cols @ dY.T).T                                        # (F, C·kh·kw)
    dxt = None
    if want_dx:
        Hp, Wp = H + pt + pb, W + pl + pr
        if _use_shift(C, kw, stride, Hp, Ho):
            dxt = _input_gradient_shift(dY, w2, C, kh, kw, Hp, Wp, out_hw, chunk)
        else:
            dxt = np.zeros((C, Hp, Wp, n), dtype=dY.dtype)           # batch last, padded
            _add_input_gradient_cols(dxt, dY, w2, kh, kw, stride, out_hw, chunk)
    return dw2, db, dxt


# ---------------------------------------------------------------------------------------------
# the two entry points (arguments already checked by cnnlab.conv)
# ---------------------------------------------------------------------------------------------
def _keys(pieces, x, w, stride, pads):
    """Memo keys of the pieces: what, besides x's entries, the im2col matrix depends on."""
    geo = (x.shape[1:], x.dtype.str, w.shape[1:], tuple(stride), tuple(pads))
    return [(geo, s.start, s.stop) for s in pieces]


def conv2d_forward(x, w, b, stride, pads, out_hw):
    """``y[n, f, i, j] = b[f] + Σ_{c,p,q} w[f, c, p, q] · x̃[n, c, i·sh + p, j·sw + q]``.

    Inputs (checked by the caller, one float dtype): x (N, C, H, W); w (F, C, kh, kw); b (F,)
    or None; stride (sh, sw); pads (top, bottom, left, right); out_hw (Ho, Wo).
    Returns y (N, F, Ho, Wo).

    The transpositions into and out of the batch-last layout, many small copies, run here in
    the calling thread; the pieces' threads do only large copies and products, during which
    NumPy lets the other threads run (small steps in two threads would wait for each other).
    """
    N, C = x.shape[:2]
    F, _, kh, kw = w.shape
    Ho, Wo = out_hw
    w2 = w.reshape(F, C * kh * kw)
    y = np.empty((N, F, Ho, Wo), dtype=np.result_type(x, w))
    threads = get_num_threads()
    pieces = _pieces(N, C * kh * kw * Ho * Wo, x.itemsize, threads)
    keys = _keys(pieces, x, w, stride, pads)
    first = Ho * Wo >= _BATCH_FIRST_MIN_PIXELS
    chunk = threads <= 1 or len(pieces) > 1                         # the BLAS on one thread
    xts = [None if first else _batch_last(x[s], pads) for s in pieces]
    Ys = _run([lambda s=s, k=k, xt=xt: _forward_piece(x[s], xt, w2, b, y[s], kh, kw, stride, pads,
                                                      out_hw, k, chunk)
               for s, k, xt in zip(pieces, keys, xts)], threads)
    for s, Y in zip(pieces, Ys):
        if Y is not None:
            _to_batch_first(Y, y[s].reshape(-1, F * Ho * Wo))
    return y


def conv2d_backward(dy, x, w, stride, pads, out_hw, need_dx=True):
    """The three gradients of ``Σ dy ∘ conv2d(x, w, b)``: ``(dx, dw, db)``, ``dx`` None when
    ``need_dx`` is False.  Inputs as :func:`conv2d_forward`, and dy (N, F, Ho, Wo).  (The
    transpositions run in the calling thread, as in :func:`conv2d_forward`.)"""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho, Wo = out_hw
    pt, pb, pl, pr = pads
    w2 = w.reshape(F, C * kh * kw)
    dx = np.empty(x.shape, dtype=x.dtype) if need_dx else None
    threads = get_num_threads()
    pieces = _pieces(N, C * kh * kw * Ho * Wo, x.itemsize, threads)
    keys = _keys(pieces, x, w, stride, pads)
    first = Ho * Wo >= _BATCH_FIRST_MIN_PIXELS
    chunk = threads <= 1 or len(pieces) > 1                         # the BLAS on one thread
    dYs = [None if first and not need_dx else
           _to_batch_last(np.ascontiguousarray(dy[s]).reshape(-1, F * Ho * Wo)).reshape(F, -1)
           for s in pieces]                                          # columns (i, j, n)
    parts = _run([lambda s=s, k=k, dY=dY: _backward_piece(dy[s], dY, x[s], w2, need_dx, kh, kw,
                                                          stride, pads, out_hw, k, chunk)
                  for s, k, dY in zip(pieces, keys, dYs)], threads)
    dw2, db = parts[0][:2]
    for s, (dw_k, db_k, dxt) in zip(pieces, parts):
        if dxt is not None:
            _batch_first(dxt[:, pt:pt + H, pl:pl + W], dx[s])
        if s is not pieces[0]:
            dw2 = dw2 + dw_k
            db = db + db_k
    return dx, dw2.reshape(w.shape), db


if os.environ.get("CNNLAB_CONV_THREADS"):  # e.g. CNNLAB_CONV_THREADS=1 for strictly serial runs
    set_num_threads(int(os.environ["CNNLAB_CONV_THREADS"]))
