"""Benchmark: d2l 3.6's DataLoader recipe vs the kit's in-memory softmax regression.

Usage: python tests/benchmarks/bench_fashion_mnist.py [--runs 3] [--data-dir DIR] [--quick]

Both sides train softmax regression from scratch on the real Fashion-MNIST for
10 epochs (W ~ N(0, 0.01), b = 0, lr 0.1, batch 256, summed cross-entropy,
sgd with the batch size, test accuracy after every epoch), using the
reference functions in solutions/. Only the 10 epochs are timed; loading the
data is timed separately. torch's thread count is left at its default.
--quick (CI's form, so that the script cannot rot): one run of one epoch each.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
import types
import warnings
from pathlib import Path

import torch
import torchvision
from torch.utils import data
from torchvision import transforms

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from grader.grading import data as fm  # noqa: E402
from grader.portable.recipes.features import as_float_features  # noqa: E402
from grader.portable.recipes.softmax import evaluate_epochs, train_softmax_regression  # noqa: E402
from solutions import linear_regression as lr_ref, softmax_regression as sm_ref  # noqa: E402

NUM_EPOCHS, LR, BATCH_SIZE, NUM_INPUTS, NUM_OUTPUTS = 10, 0.1, 256, 784, 10


def d2l_loaders(root):
    """d2l.load_data_fashion_mnist(256): ToTensor datasets, DataLoaders with 4 workers."""
    trans = transforms.ToTensor()
    train = torchvision.datasets.FashionMNIST(root, train=True, transform=trans, download=False)
    test = torchvision.datasets.FashionMNIST(root, train=False, transform=trans, download=False)
    return (data.DataLoader(train, BATCH_SIZE, shuffle=True, num_workers=4),
            data.DataLoader(test, BATCH_SIZE, shuffle=False, num_workers=4))


def d2l_run(train_iter, test_iter, seed, num_epochs=NUM_EPOCHS):
    """d2l 3.6.6's train_ch3 with the from-scratch net; returns (train_loss, train_acc, test_acc)."""
    torch.manual_seed(seed)
    W = torch.normal(0, 0.01, size=(NUM_INPUTS, NUM_OUTPUTS), requires_grad=True)
    b = torch.zeros(NUM_OUTPUTS, requires_grad=True)

    def net(X):
        return sm_ref.softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    for _ in range(num_epochs):
        loss_sum, correct, count = 0.0, 0.0, 0
        for X, y in train_iter:  # train_epoch_ch3
            y_hat = net(X)
            loss = sm_ref.cross_entropy(y_hat, y)
            loss.sum().backward()
            lr_ref.sgd([W, b], LR, X.shape[0])
            loss_sum += float(loss.sum())
            correct += sm_ref.accuracy(y_hat, y)
            count += y.numel()
        test_correct, test_count = 0.0, 0
        with torch.no_grad():  # evaluate_accuracy
            for X, y in test_iter:
                test_correct += sm_ref.accuracy(net(X), y)
                test_count += y.numel()
    return loss_sum / count, correct / count, test_correct / test_count


def timed(fn, runs):
    """Call fn(run) `runs` times; return (median seconds, all times, last result)."""
    times = []
    for run in range(runs):
        start = time.perf_counter()
        result = fn(run)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"data root (default: ${fm.ENV_VAR} or ~/.cache/d2lkit)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads(N) first (default: leave torch's default)")
    parser.add_argument("--quick", action="store_true", help="one run of one epoch (CI's form)")
    args = parser.parse_args()
    runs, epochs = (1, 1) if args.quick else (args.runs, NUM_EPOCHS)
    root = args.data_dir or fm.default_root()
    if args.threads:
        torch.set_num_threads(args.threads)
    # d2l's train_epoch_ch3 calls float(l.sum()) on a tensor that requires grad.
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"data root {root}, {runs} runs of {epochs} epochs each")

    # Data loading, timed apart from training.
    if fm.DEBIAN_DIR.is_dir():
        with tempfile.TemporaryDirectory() as fresh:
            start = time.perf_counter()
            fm.load_fashion_mnist(fresh, download=False)
            print(f"load, fresh root from {fm.DEBIAN_DIR} (gunzip + torchvision + cache): "
                  f"{time.perf_counter() - start:.2f} s")
    (Path(root) / fm.CACHE_NAME).unlink(missing_ok=True)
    start = time.perf_counter()
    fm.load_fashion_mnist(root)
    print(f"load, first (raw files -> torchvision -> cache): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    ds = fm.load_fashion_mnist(root)
    middle = time.perf_counter()
    train = (as_float_features(ds.train_images), ds.train_labels)
    test = (as_float_features(ds.test_images), ds.test_labels)
    print(f"load, cached: {middle - start:.3f} s; as_float_features: "
          f"{time.perf_counter() - middle:.3f} s")

    fns = types.SimpleNamespace(softmax=sm_ref.softmax, cross_entropy=sm_ref.cross_entropy,
                                sgd=lr_ref.sgd, accuracy=sm_ref.accuracy)

    def kit(run):
        e = evaluate_epochs(fns, train_softmax_regression(fns, train, num_epochs=epochs,
                                                          lr=LR, batch_size=BATCH_SIZE, seed=run),
                            test)[-1]
        return e.train_loss, e.train_acc, e.test_acc

    train_iter, test_iter = d2l_loaders(root)
    results = {
        "(a) d2l DataLoader": timed(lambda run: d2l_run(train_iter, test_iter, run, epochs), runs),
        "(b) kit in-memory": timed(kit, runs),
    }
    for name, (median, times, (loss, train_acc, test_acc)) in results.items():
        print(f"{name:20s} median {median:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})"
              f"  final test acc {test_acc:.4f}  train acc {train_acc:.4f}  train loss {loss:.4f}")
    (a, *_), (b, *_) = results.values()
    print(f"ratio (a)/(b): {a / b:.1f}x; load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
