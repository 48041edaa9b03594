"""Recipes for the training helpers of 3.6 (Accumulator, evaluate_accuracy,
train_epoch_ch3, train_ch3, predict_ch3).

Each builds its own nets, data and updaters, drives the learner's function
with them and returns plain data (plain.py), which the judge compares with the
same recipe run on the oracle's functions."""
import warnings

import torch

from .figures import new_figures_closed
from .plain import is_list_of, is_number_or_text, is_numbers, is_tensor, is_text, is_texts, \
    number, numbers, texts
from .sgd import SGD


def drive_accumulator(fns, n, steps):
    """fns.Accumulator(n) driven through `steps`, each ("add", values) or
    ("reset", ()): [acc[0], ..., acc[n - 1]] as number()s, at the start and
    after each step."""
    acc = fns.Accumulator(n)
    seen = [[number(acc[i]) for i in range(n)]]
    for op, values in steps:
        if op == "add":
            with warnings.catch_warnings():  # float() of a tensor that requires grad: the point
                warnings.filterwarnings("ignore", "Converting a tensor with requires_grad")
                acc.add(*values)
        else:
            acc.reset()
        seen.append([number(acc[i]) for i in range(n)])
    return seen


class ModeNet(torch.nn.Module):
    """Linear scores X W + b that depend on the mode, as a net with dropout's
    would: negated in train mode. Notes the mode of each call in `modes`."""

    def __init__(self, W, b):
        super().__init__()
        self.W, self.b = torch.nn.Parameter(W.clone()), torch.nn.Parameter(b.clone())
        self.modes = []

    def forward(self, X):
        self.modes.append(self.training)
        scores = torch.matmul(X, self.W) + self.b
        return -scores if self.training else scores


def classification_problem(seed, n, *, num_inputs=5, num_classes=3, noise=1.5):
    """(X (n, d), y (n,), W (d, q), b (q,)): labels mostly, not always, those of
    the linear classifier (W, b), so its accuracy is neither 0 nor 1."""
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(num_inputs, num_classes, generator=gen)
    b = torch.zeros(num_classes)
    X = torch.randn(n, num_inputs, generator=gen)
    y = (torch.matmul(X, W) + noise * torch.randn(n, num_classes, generator=gen)).argmax(dim=1)
    return X, y, W, b


def batches(X, y, batch_size):
    """d2l's iterator over (X, y) in order, the last batch smaller: a DataLoader."""
    from torch.utils.data import DataLoader, TensorDataset
    return DataLoader(TensorDataset(X, y), batch_size)


def evaluate_fixed_net(fns, *, module, n, batch_size, seed):
    """fns.evaluate_accuracy of a fixed linear classifier on n examples in
    batches of batch_size, as number(): the classifier as a ModeNet left in
    train mode (module=True) or as a plain function."""
    X, y, W, b = classification_problem(seed, n)
    net = ModeNet(W, b).train() if module else (lambda X: torch.matmul(X, W) + b)
    return number(fns.evaluate_accuracy(net, batches(X, y, batch_size)))


def train_one_epoch(fns, *, optimizer, n, batch_size, seed):
    """One fns.train_epoch_ch3 of softmax regression on a fixed problem, the
    net a ModeNet left in eval mode; with optimizer=True, nn.CrossEntropyLoss
    (not reduced) and SGD (torch.optim.SGD's steps, lr 0.1); else the book's
    softmax and cross_entropy and an updater that notes each call's batch size
    and W's gradient, then calls sgd with lr 1, a step that changes the
    predictions (a loss or accuracy taken after it differs). Returns (numbers()
    of the result, the weights W (d, q) and b (q,) after the epoch, the modes
    the net ran in (one per call), [(batch size as number(), W's gradient or
    None)] of the updater's calls)."""
    X, y, W, b = classification_problem(seed, n)
    net = ModeNet(W, b).eval()
    calls = []
    if optimizer:
        loss, updater = torch.nn.CrossEntropyLoss(reduction="none"), SGD(net.parameters(), lr=0.1)
    else:
        def loss(y_hat, y):
            return fns.cross_entropy(fns.softmax(y_hat), y)

        def updater(batch_size):
            grad = net.W.grad
            calls.append((number(batch_size), None if grad is None else grad.clone()))
            fns.sgd([net.W, net.b], 1.0, batch_size)
    result = fns.train_epoch_ch3(net, batches(X, y, batch_size), loss, updater)
    return numbers(result), net.W.detach().clone(), net.b.detach().clone(), net.modes, calls


def train_epochs(fns, *, num_epochs, seed):
    """fns.train_ch3 of softmax regression (the book's functions and an sgd
    updater, lr 1) for num_epochs on a fixed problem, separate training and
    test sets: its result as a list of numbers() per epoch (text if not a
    list). The problem is easy enough that after 3 epochs the book's asserts
    in train_ch3 hold (train loss < 0.5, accuracies > 0.7). The book's
    train_ch3 returns None and draws the rows with an Animator, the oracle's
    while it runs: then the rows are what that Animator shows at x = 1, ...,
    num_epochs, the epochs as the book numbers them (see drawn_rows)."""
    X, y, W, b = classification_problem(seed, 60, noise=0.5)
    W = torch.zeros_like(W, requires_grad=True)
    b = torch.zeros_like(b, requires_grad=True)

    def net(X):
        return fns.softmax(torch.matmul(X, W) + b)

    with new_figures_closed():
        fns.Animator.last = None
        rows = fns.train_ch3(net, batches(X[:40], y[:40], 16), batches(X[40:], y[40:], 16),
                             fns.cross_entropy, num_epochs, lambda size: fns.sgd([W, b], 1.0, size))
        if rows is None and fns.Animator.last is not None:  # the book's: drawn, not returned
            rows = drawn_rows(fns.Animator.last, num_epochs)
    return [numbers(row) for row in rows] if isinstance(rows, (list, tuple)) else number(rows)


def drawn_rows(animator, num_epochs):
    """Row k - 1 for each k in 1, ..., num_epochs: the y of each of the
    animator's lines at x = k (animator.add(epoch + 1, ...) draws epoch's row
    there); a row drawn elsewhere is in none."""
    lines = list(zip(animator.X or [], animator.Y or []))
    return [[y for xs, ys in lines for x, y in zip(xs, ys) if x == k]
            for k in range(1, num_epochs + 1)]


def predict_fixed_net(fns, *, n):
    """fns.predict_ch3 of a fixed classifier of 28 x 28 images on a test
    iterator of batches of 8: (predicted, true) as texts() (text if not a pair).
    n=None: called with the default n. The book's predict_ch3 returns None and
    shows the images with show_images, the oracle's while it runs, titled
    true + '\\n' + predicted: then the labels are read from those titles."""
    gen = torch.Generator().manual_seed(3)
    X = torch.rand(20, 1, 28, 28, generator=gen)
    y = torch.randint(10, (20,), generator=gen)
    W = torch.randn(784, 10, generator=gen)

    def net(X):
        return torch.matmul(X.reshape(len(X), -1), W)

    test_iter = batches(X, y, 8)
    with new_figures_closed():
        fns.show_images.last = None
        result = fns.predict_ch3(net, test_iter) if n is None else \
            fns.predict_ch3(net, test_iter, n)
        if result is None and fns.show_images.last is not None:  # the book's: shown, not returned
            titles = fns.show_images.last[1]
            if isinstance(titles, (list, tuple)) and all(isinstance(t, str) for t in titles):
                pairs = [t.split("\n", 1) + [""] for t in titles]
                result = ([pred for _, pred, *_ in pairs], [true for true, *_ in pairs])
    if isinstance(result, tuple) and len(result) == 2:
        return [texts(result[0]), texts(result[1])]
    return texts(result)


def is_accumulator_run(result):
    """What drive_accumulator returns."""
    return is_list_of(result, lambda row: is_list_of(row, is_number_or_text))


def is_epoch_run(result):
    """What train_one_epoch returns."""
    return (isinstance(result, tuple) and len(result) == 5 and is_numbers(result[0])
            and is_tensor(result[1]) and result[1].dim() == 2
            and is_tensor(result[2], result[1].shape[1:])
            and is_list_of(result[3], lambda mode: isinstance(mode, bool))
            and is_list_of(result[4], lambda call: isinstance(call, tuple) and len(call) == 2
                           and is_number_or_text(call[0])
                           and (call[1] is None or is_tensor(call[1], result[1].shape))))


# What each recipe here returns, as a test of a worker's reply (grader.classroom.remote).
RESULTS = {"drive_accumulator": is_accumulator_run,
           "evaluate_fixed_net": is_number_or_text,
           "train_one_epoch": is_epoch_run,
           "train_epochs": lambda result: is_number_or_text(result)
           or is_list_of(result, is_numbers),
           "predict_fixed_net": lambda result: is_text(result)
           or (is_list_of(result, is_texts) and len(result) == 2)}
