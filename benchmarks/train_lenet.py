"""Train LeNet-5 on scikit-learn's handwritten digits with cnnlab, and the same network in
PyTorch (when installed) with the same start weights, batches, optimiser and threads.

Usage::

    python benchmarks/train_lenet.py                 # 2 threads, recipe below
    python benchmarks/train_lenet.py --threads 1 --no-torch --save cache/lenet5_digits.npz

Prints seconds per epoch, test accuracy and the time ratio cnnlab / PyTorch.  The recipe:
LeNet-5 (``cnnlab.models.lenet5``, scaled tanh, Table I connections, softmax output), float32,
Glorot-uniform start, minibatches of 32, SGD with momentum 0.9, learning rate ``--lr`` for
``--epochs`` epochs then a tenth of it for ``--fine-epochs``; 32×32 inputs made from the 8×8
digits (bilinear to 28×28, centred), 80/20 stratified split with seed 0.
"""
import argparse
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--fine-epochs", type=int, default=4)
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
parser.add_argument("--shift", type=int, default=0, help="random-shift augmentation (pixels)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--digit-size", type=int, default=28, help="side of the digit in the 32x32 frame")
parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 coefficient added to the gradient")
parser.add_argument("--no-torch", action="store_true")
parser.add_argument("--save", default=None, help="save the trained cnnlab weights (npz)")
args = parser.parse_args()

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)   # before NumPy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cnnlab.data import load_digits, random_shift  # noqa: E402
from cnnlab.models import lenet5  # noqa: E402
from cnnlab.optim import SGD, Adam  # noqa: E402


def make_opt(lr):
    if args.optimizer == "sgd":
        return SGD(lr, momentum=0.9, weight_decay=args.weight_decay)
    return Adam(lr)


def train_cnnlab(data):
    (xtr, ytr), (xte, yte) = data
    model = lenet5(dtype=np.float32, init="glorot_uniform", seed=args.seed)
    start = model.get_weights()
    opt = make_opt(args.lr)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=opt, metrics=["accuracy"])
    aug = (lambda xb, rng: random_shift(xb, rng, args.shift)) if args.shift else None
    t0 = time.perf_counter()
    h1 = model.fit(xtr, ytr, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                   verbose=0, augment=aug)
    opt.learning_rate *= 0.1
    h2 = model.fit(xtr, ytr, epochs=args.fine_epochs, batch_size=args.batch_size,
                   seed=args.seed + 1, verbose=0, augment=aug)
    total = time.perf_counter() - t0
    loss, acc = model.evaluate(xte, yte)
    return model, start, total, h1.seconds + h2.seconds, acc


def train_torch(data, start, model):
    import torch

    torch.set_num_threads(args.threads)
    F = torch.nn.functional
    (xtr, ytr), (xte, yte) = data
    params = [torch.tensor(w, requires_grad=True) for w in start]
    masks = {2: torch.tensor(model.layers[2].connections, dtype=torch.float32)[None, None]}

    def act(u):
        return 1.7159 * torch.tanh(2.0 / 3.0 * u)

    def forward(x):
        h = x.permute(0, 3, 1, 2)
        p = params
        h = act(F.conv2d(h, p[0].permute(3, 2, 0, 1), p[1]))                                # C1
        h = act(p[2][None, :, None, None] * 4 * F.avg_pool2d(h, 2) + p[3][None, :, None, None])  # S2
        h = act(F.conv2d(h, (p[4] * masks[2]).permute(3, 2, 0, 1), p[5]))                   # C3
        h = act(p[6][None, :, None, None] * 4 * F.avg_pool2d(h, 2) + p[7][None, :, None, None])  # S4
        h = act(F.conv2d(h, p[8].permute(3, 2, 0, 1), p[9]))                                # C5
        h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)
        h = act(h @ p[10] + p[11])                                                         # F6
        return h @ p[12] + p[13]                                                           # logits

    # Keras's momentum rule v <- m v - lr g, w <- w + v equals torch's v <- m v + g,
    # w <- w - lr v for a constant learning rate; the rate change is applied the Keras way.
    opt_cls = torch.optim.SGD if args.optimizer == "sgd" else torch.optim.Adam
    kw = {"momentum": 0.9, "weight_decay": args.weight_decay} if args.optimizer == "sgd" else {"eps": 1e-7}
    opt = opt_cls(params, lr=args.lr, **kw)
    xt, yt = torch.tensor(xtr), torch.tensor(ytr)
    seconds = []
    t0 = time.perf_counter()
    for stage, (epochs, seed) in enumerate([(args.epochs, args.seed), (args.fine_epochs, args.seed + 1)]):
        if stage == 1:
            for g in opt.param_groups:
                g["lr"] = args.lr * 0.1
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            te = time.perf_counter()
            order = rng.permutation(len(xt))
            for s in range(0, len(xt), args.batch_size):
                idx = order[s:s + args.batch_size]
                xb = xtr[idx]
                if args.shift:
                    xb = random_shift(xb, rng, args.shift)
                opt.zero_grad()
                loss = F.cross_entropy(forward(torch.tensor(xb)), yt[idx])
                loss.backward()
                opt.step()
            seconds.append(time.perf_counter() - te)
    total = time.perf_counter() - t0
    with torch.no_grad():
        acc = (forward(torch.tensor(xte)).argmax(1).numpy() == yte).mean()
    return total, seconds, float(acc)


def main():
    data = load_digits(size=32, digit_size=args.digit_size, seed=0, dtype=np.float32)
    (xtr, _), (xte, _) = data
    epochs = args.epochs + args.fine_epochs
    print(f"LeNet-5 on scikit-learn digits: {len(xtr)} train / {len(xte)} test images, 32x32; "
          f"{epochs} epochs, batch {args.batch_size}, {args.optimizer}, threads {args.threads}")
    model, start, total, secs, acc = train_cnnlab(data)
    print(f"cnnlab : {total:7.1f} s total, {total / epochs:6.2f} s/epoch "
          f"(fastest epoch {min(secs):.2f} s), test accuracy {acc:.2%}")
    if args.save:
        os.makedirs(os.path.dirname(args.save) or ".", exist_ok=True)
        np.savez_compressed(args.save, *model.get_weights(), accuracy=acc, seconds=total,
                            digit_size=args.digit_size)
        print(f"saved weights to {args.save}")
    if args.no_torch:
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch is not installed: no reference run")
        return
    ttotal, tsecs, tacc = train_torch(data, start, model)
    print(f"PyTorch: {ttotal:7.1f} s total, {ttotal / epochs:6.2f} s/epoch "
          f"(fastest epoch {min(tsecs):.2f} s), test accuracy {tacc:.2%}")
    print(f"ratio cnnlab / PyTorch time: {total / ttotal:.2f}")


if __name__ == "__main__":
    main()
