"""Training loops of d2l chapter 3, driven by whichever functions are given.

Every function the loops call comes from the `fns` namespace, so a check can
put learner functions among the oracle's (grader.portable.oracle) and blame only those.
The loops themselves are fixed recipes (d2l 3.2.7 and 3.6.6) with seeded
generators, so a run is repeatable.

Also executed, as source, in the submission's own process (grader/portable/worker.py),
where the learner's code runs: it imports only torch and the standard library.
"""
import contextlib
import os
import sys
import traceback
import warnings
from dataclasses import dataclass

import torch

LINEAR_TRUE_W = (2.0, -3.4)
LINEAR_TRUE_B = 4.2
# Fashion-MNIST's files, as torchvision names them, and the fields of the
# kit's cache that hold their contents (grader.grading.data).
RAW_FIELDS = {"train-images-idx3-ubyte": "train_images", "train-labels-idx1-ubyte": "train_labels",
              "t10k-images-idx3-ubyte": "test_images", "t10k-labels-idx1-ubyte": "test_labels"}


@dataclass
class Epoch:
    """One row of a softmax-regression run: mean training loss and accuracies."""
    train_loss: float
    train_acc: float
    test_acc: float


def as_float_features(images) -> torch.Tensor:
    """uint8 (n, 28, 28) -> float32 (n, 784) in [0, 1], as ToTensor() then flattening."""
    return images.reshape(len(images), -1).to(torch.float32).div_(255)


class ScaledImages:
    """uint8 images (n, 28, 28) that read as float32 features (n, 784) in [0, 1]:
    indexing with a slice, an index tensor or a mask gives as_float_features of those
    images, the same values as indexing the converted whole, without holding the whole as floats
    (188 MB for Fashion-MNIST's training set, a quarter of a grading
    platform's memory).

    `source`: the (cache file, field) the images were mapped from, if any: the
    submission's process maps the same file rather than being sent the rows
    (grader.classroom.remote), so both read one copy of the pages."""

    def __init__(self, images, source=None):
        self.rows = images.reshape(len(images), -1)
        self.shape = tuple(self.rows.shape)
        self.source = source

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        """index: a slice, an int64 tensor of row numbers, or a bool mask of the
        rows. Read with index_select, which copies rows a dozen times faster than
        indexing."""
        if isinstance(index, slice):
            return as_float_features(self.rows[index])
        if index.dtype == torch.bool:
            index = index.nonzero().squeeze(1)
        return as_float_features(self.rows.index_select(0, index))

    def __matmul__(self, other):
        """The float features @ `other`, a block of rows at a time."""
        return torch.cat([as_float_features(rows) @ other for rows in self.rows.split(1024)])


def train_linear_regression(fns, *, num_examples=1000, batch_size=10, lr=0.03, num_epochs=3):
    """d2l's linear-regression recipe: fit true_w = [2, -3.4], true_b = 4.2.
    Returns (w (d, 1), b (1,), the mean loss after each epoch).

    `fns` provides synthetic_data, data_iter, linreg, squared_loss and sgd.
    The caller seeds the global random generators (synthetic_data and data_iter
    draw from them, as in the book).
    """
    true_w = torch.tensor(LINEAR_TRUE_W)
    features, labels = fns.synthetic_data(true_w, LINEAR_TRUE_B, num_examples)
    w = torch.normal(0, 0.01, size=(len(true_w), 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    epoch_losses = []
    for _ in range(num_epochs):
        for X, y in fns.data_iter(batch_size, features, labels):
            loss = fns.squared_loss(fns.linreg(X, w, b), y)
            loss.sum().backward()
            fns.sgd([w, b], lr, batch_size)
        with torch.no_grad():
            epoch_loss = fns.squared_loss(fns.linreg(features, w, b), labels)
            epoch_losses.append(float(epoch_loss.mean()))
    return w.detach(), b.detach(), epoch_losses


def train_softmax_regression(fns, train, test=None, *, num_epochs, lr, batch_size, seed,
                             bar=None):
    """d2l's softmax-regression recipe on in-memory data: for each epoch,
    (W (d, q), b (q,), mean training loss, training accuracy) at its end.

    `fns` provides softmax, cross_entropy, sgd and accuracy. `train` and `test`
    are (X, y) pairs: X (n, d) float32 (a tensor or ScaledImages),
    y (n,) int64. W starts from N(0, 0.01) and b from 0; minibatches are drawn
    by indexing with a seeded permutation (d2l's DataLoader with shuffle=True),
    the loss is summed and sgd gets the minibatch's size, exactly as in
    `train_epoch_ch3`. With a `bar`, the run stops after the first epoch that
    meets it on `test` (see `reached`). The judge computes the reported test
    accuracy itself with `evaluate_epochs`: this may run in the learner's process.
    """
    gen = torch.Generator().manual_seed(seed)
    X_train, y_train = train
    num_inputs, num_outputs = X_train.shape[1], int(y_train.max()) + 1
    W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), generator=gen)
    # The same values stored column by column: X @ W and its gradient then take
    # the fast matrix-product kernels (a quarter of the time for 10 columns).
    W = W.T.contiguous().T.requires_grad_()
    b = torch.zeros(num_outputs, requires_grad=True)
    epochs = []
    for _ in range(num_epochs):
        loss_sum, correct = 0.0, 0.0
        for idx in torch.randperm(len(X_train), generator=gen).split(batch_size):
            X, y = X_train[idx], y_train[idx]
            y_hat = fns.softmax(torch.matmul(X, W) + b)
            loss = fns.cross_entropy(y_hat, y)
            loss.sum().backward()
            fns.sgd([W, b], lr, len(idx))
            loss_sum += float(loss.detach().sum())
            correct += float(fns.accuracy(y_hat.detach(), y))
        epochs.append((W.detach().clone(), b.detach().clone(), loss_sum / len(X_train),
                       correct / len(X_train)))
        if reached(fns, epochs, test, bar):
            break
    return epochs


def evaluate_epochs(fns, epochs, test):
    """One Epoch per (W, b, train loss, train acc) of train_softmax_regression,
    with the accuracy of softmax(X W + b) on `test` (an (X, y) pair)."""
    X_test, y_test = test
    rows = []
    for W, b, train_loss, train_acc in epochs:
        with torch.no_grad():
            correct = float(fns.accuracy(fns.softmax(X_test @ W + b), y_test))
        rows.append(Epoch(train_loss, train_acc, correct / len(X_test)))
    return rows


def meets_bar(epoch, bar):
    """Whether an Epoch reaches bar's min_test_acc with a mean training loss
    below its max_train_loss."""
    return epoch.test_acc >= bar["min_test_acc"] and epoch.train_loss < bar["max_train_loss"]


def reached(fns, epochs, test, bar):
    """Whether the last (W, b, train loss, train acc) of a run meets `bar` on
    `test`, to stop the run there; never without a bar. Training longer than
    that only costs time: a run is judged by the epoch it stops at."""
    return bar is not None and meets_bar(evaluate_epochs(fns, epochs[-1:], test)[0], bar)


def gaussian_blobs(*, num_classes=4, num_inputs=8, num_examples=2000, seed=0):
    """A synthetic classification set: class means ~ N(0, 3^2), unit-variance noise.

    Returns ((X_train, y_train), (X_test, y_test)), float32 X and int64 y, split 3:1.
    """
    gen = torch.Generator().manual_seed(seed)
    means = 3 * torch.randn(num_classes, num_inputs, generator=gen)
    y = torch.randint(num_classes, (num_examples,), generator=gen)
    X = means[y] + torch.randn(num_examples, num_inputs, generator=gen)
    split = num_examples * 3 // 4
    return (X[:split], y[:split]), (X[split:], y[split:])


# --- Recipes for the exercises of 3.6 and the concise models (3.3, 3.7) ---------
# Each builds its own nets, data and updaters, drives the learner's function
# with them and returns plain data (numbers, strings, float32 tensors, lists),
# which the judge compares with the same recipe run on the oracle's functions.


def number(value):
    """A result that should be a plain number, as a float; anything else (a
    tensor that holds a graph, a list, None) as text saying what it is."""
    if not (isinstance(value, torch.Tensor) and value.requires_grad):
        try:
            return float(value)
        except (TypeError, ValueError, RuntimeError):
            pass
    return f"{type(value).__name__}: {value!r:.120}"


def numbers(value):
    """A result that should be a tuple or list of numbers, as a list of number()s;
    anything else as number() of it."""
    if isinstance(value, (tuple, list)):
        return [number(v) for v in value]
    return number(value)


def texts(value):
    """A result that should be a sequence (list, tuple) of strings, as a list;
    anything else as text."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    return f"{type(value).__name__}: {value!r:.120}"


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


def linear_layers(net):
    return [m for m in net.modules() if isinstance(m, torch.nn.Linear)]


def describe_model(fns, model, *, copies):
    """fns.<model>() called `copies` times: (the repr of each layer of the first,
    or None if it is not an nn.Sequential; all copies' Linear weights, and
    biases, flattened into one float32 tensor each)."""
    nets = [getattr(fns, model)() for _ in range(copies)]
    layers = [repr(layer) for layer in nets[0]] if isinstance(nets[0], torch.nn.Sequential) \
        else None
    params = [(layer.weight, layer.bias) for net in nets if isinstance(net, torch.nn.Module)
              for layer in linear_layers(net)]
    weights = [w.detach().float().flatten() for w, _ in params]
    biases = [b.detach().float().flatten() for _, b in params if b is not None]
    return (layers, torch.cat(weights) if weights else torch.zeros(0),
            torch.cat(biases) if biases else torch.zeros(0))


class SGD(torch.optim.Optimizer):
    """torch.optim.SGD(params, lr) without momentum, a torch.optim.Optimizer
    with the same updates, bit for bit. None of its methods imports
    torch._dynamo, as the first use of torch's own optimizers does (a second
    per process: their methods are wrapped to keep it from compiling them)."""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    def add_param_group(self, param_group):
        """As Optimizer.add_param_group does for the groups __init__ makes."""
        params = param_group["params"]
        param_group["params"] = [params] if isinstance(params, torch.Tensor) else list(params)
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.grad = None if set_to_none else torch.zeros_like(param.grad)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.add_(param.grad, alpha=-group["lr"])


def train_linreg_concise(fns, *, num_examples=1000, batch_size=10, lr=0.03, num_epochs=3):
    """d2l 3.3's recipe with fns.linreg_concise(): nn.MSELoss, SGD (the class above),
    shuffled minibatches. Returns (w (2, 1), b (1,), the mean loss after each
    epoch), as train_linear_regression. The caller seeds the global generators."""
    features, labels = fns.synthetic_data(torch.tensor(LINEAR_TRUE_W), LINEAR_TRUE_B,
                                          num_examples)
    net = fns.linreg_concise()
    loss = torch.nn.MSELoss()
    trainer = SGD(net.parameters(), lr)
    epoch_losses = []
    for _ in range(num_epochs):
        for idx in torch.randperm(num_examples).split(batch_size):
            trainer.zero_grad()
            loss(net(features[idx]), labels[idx]).backward()
            trainer.step()
        with torch.no_grad():
            epoch_losses.append(float(loss(net(features), labels)))
    layer = linear_layers(net)[0]
    return layer.weight.detach().reshape(-1, 1).clone(), layer.bias.detach().clone(), epoch_losses


def train_softmax_concise(fns, train, test=None, *, num_epochs, lr, batch_size, seed, bar=None):
    """d2l 3.7's recipe with fns.softmax_concise() on in-memory images (the
    rows of `train` reshaped to (n, 1, 28, 28)): nn.CrossEntropyLoss not
    reduced, its mean stepped by SGD (the class above). For each epoch, as
    train_softmax_regression: (W (d, q), b (q,) of the net's last Linear layer,
    mean training loss, training accuracy), stopping as it does when the
    `bar` is met on `test`. The caller seeds the global generators."""
    gen = torch.Generator().manual_seed(seed)
    X_train, y_train = train
    net = fns.softmax_concise()
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    trainer = SGD(net.parameters(), lr)
    layer = linear_layers(net)[-1]
    epochs = []
    for _ in range(num_epochs):
        net.train()
        loss_sum, correct = 0.0, 0.0
        for idx in torch.randperm(len(X_train), generator=gen).split(batch_size):
            X, y = X_train[idx].reshape(-1, 1, 28, 28), y_train[idx]
            y_hat = net(X)
            losses = loss(y_hat, y)
            trainer.zero_grad()
            losses.mean().backward()
            trainer.step()
            loss_sum += float(losses.detach().sum())
            correct += float(fns.accuracy(y_hat.detach(), y))
        epochs.append((layer.weight.detach().T.clone(), layer.bias.detach().clone(),
                       loss_sum / len(X_train), correct / len(X_train)))
        if reached(fns, epochs, test, bar):
            break
    return epochs


# --- Recipes for Timer, normal and load_array (3.1, 3.3) -------------------------

class FakeClock:
    """A clock that moves only when told: while in use, time.time, time.perf_counter
    and time.monotonic all read it (the book's Timer reads time.time). `reads`
    counts how often it was read."""
    NAMES = ("time", "perf_counter", "monotonic")

    def __init__(self, now):
        self.now, self.reads = now, 0

    def read(self):
        self.reads += 1
        return self.now

    def __enter__(self):
        import time
        self.saved = {name: getattr(time, name) for name in self.NAMES}
        for name in self.NAMES:
            setattr(time, name, self.read)
        return self

    def __exit__(self, *exc):
        import time
        for name, fn in self.saved.items():
            setattr(time, name, fn)


def drive_timer(fns, steps, *, start=1_700_000_000.0, reads=False):
    """fns.Timer() on a FakeClock at `start`, through `steps`: ("wait", seconds)
    moves the clock; ("start",), ("stop",), ("avg",), ("sum",), ("cumsum",) call
    that method. Returns what each call but start() returned, in order: number()s,
    and numbers() for cumsum (text if it is not a list or tuple). With reads: how
    many times each of those calls read the FakeClock, instead (a Timer that
    reads another clock reads it 0 times in stop())."""
    seen = []
    with FakeClock(start) as clock:
        timer = fns.Timer()
        for step in steps:
            if step[0] == "wait":
                clock.now += step[1]
                continue
            before = clock.reads
            value = getattr(timer, step[0])()
            if step[0] == "start":
                continue  # it returns nothing the book uses
            if reads:
                seen.append(float(clock.reads - before))
            elif step[0] == "cumsum" and not isinstance(value, (list, tuple)):
                seen.append(f"{type(value).__name__}: {value!r:.120}")
            else:
                seen.append(numbers(value) if step[0] == "cumsum" else number(value))
    return seen


def evaluate_normal(fns, x, mu, sigma, *, as_numpy):
    """fns.normal(x, mu, sigma), x a float tensor, passed as a numpy array when
    as_numpy. Returns (the result's kind: "ndarray", "Tensor" or its type's name,
    its dtype's name, its shape, its values as a float64 tensor (None if it has
    none), whether x was left unchanged)."""
    import numpy as np
    given = x.numpy().copy() if as_numpy else x.clone()
    result = fns.normal(given, mu, sigma)
    unchanged = bool(np.array_equal(given, x.numpy())) if as_numpy else torch.equal(given, x)
    if isinstance(result, np.ndarray):
        kind, dtype, values = "ndarray", str(result.dtype), torch.from_numpy(
            np.asarray(result, dtype=np.float64).copy())
    elif isinstance(result, torch.Tensor):
        kind, dtype, values = "Tensor", str(result.dtype).removeprefix("torch."), \
            result.detach().to(torch.float64).clone()
    else:
        return type(result).__name__, "", [], None, unchanged
    return kind, dtype, list(values.shape), values, unchanged


def iterate_load_array(fns, *, n, d, batch_size, is_train, passes):
    """fns.load_array((features, labels), batch_size, is_train) over an indexed
    data set (features[i] = i + j/10, labels[i] = [1000 + i]), iterated `passes`
    times. Returns (whether it is a torch.utils.data.DataLoader, its type's name,
    for each pass a list of [X_batch, y_batch] float32 tensors, or text saying what a
    batch was instead)."""
    from torch.utils.data import DataLoader
    ids = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    features, labels = ids + torch.arange(d, dtype=torch.float32) / 10, 1000 + ids
    loader = fns.load_array((features, labels), batch_size, is_train)
    seen = []
    for _ in range(passes):
        batches = []
        for batch in loader:
            if isinstance(batch, (list, tuple)) and len(batch) == 2 and all(
                    isinstance(t, torch.Tensor) and t.dtype == torch.float32 for t in batch):
                batches.append([t.detach().clone() for t in batch])
            else:
                batches.append(f"{type(batch).__name__}: {batch!r:.120}")
            if len(batches) > n:
                break  # a batch holds at least one example: more never end
        seen.append(batches)
    return isinstance(loader, DataLoader), type(loader).__name__, seen
# --- Recipes for drawing (3.5.1, 3.6.6) and loading (3.5.3) ---------------------


class new_figures_closed:  # noqa: N801 - a context manager, used as a function
    """Closes the matplotlib figures made inside the block (none is shown)."""

    def __enter__(self):
        self.before = set(_pyplot().get_fignums()) if _pyplot() else set()
        return self

    def __exit__(self, *exc):
        for num in set(_pyplot().get_fignums()) - self.before if _pyplot() else ():
            _pyplot().close(num)


def _pyplot():
    """matplotlib.pyplot if something imported it (no figure exists without it), else None."""
    return sys.modules.get("matplotlib.pyplot")


IMAGE_CASES = ("tensors", "pil")  # the cases of image_case


def image_case(case):
    """(imgs, num_rows, num_cols, titles, scale) of a show_images check: "tensors",
    five (28, 28) float tensors on 2 x 3 axes with titles; "pil", four PIL images
    on 1 x 4 axes, no titles, scale 2."""
    gen = torch.Generator().manual_seed(5)
    if case == "tensors":
        imgs = torch.rand(5, 28, 28, generator=gen)
        return imgs, 2, 3, [f"image {i}\nlabel {i}" for i in range(5)], 1.5
    from PIL import Image
    pixels = torch.randint(256, (4, 28, 28), generator=gen, dtype=torch.uint8)
    return [Image.fromarray(p.numpy(), mode="L") for p in pixels], 1, 4, None, 2


def _array(image):
    """An AxesImage's data as a float32 tensor."""
    import numpy as np
    return torch.from_numpy(np.array(image.get_array(), dtype=np.float32))


def _hidden(axis, ax):
    return not axis.get_visible() or not ax.axison


def draw_images(fns, *, case):
    """fns.show_images on image_case(case): [what it returned, as [type name, its
    length or None, whether every item is an Axes]; the figure it drew on (that of
    the first axes returned, else the last new one), as [[width, height] in
    inches, one [image data or None, title, x axis hidden, y axis hidden] per
    axes]] (None where there is none)."""
    imgs, num_rows, num_cols, titles, scale = image_case(case)
    with new_figures_closed() as made:
        result = fns.show_images(imgs, num_rows, num_cols, titles, scale)
        import matplotlib.pyplot as plt  # after the learner's call: a stub's needs none
        from matplotlib.axes import Axes
        items = list(result.flatten() if hasattr(result, "flatten") else result) \
            if hasattr(result, "__len__") else []
        returned = [type(result).__name__, len(result) if hasattr(result, "__len__") else None,
                    bool(items) and all(isinstance(ax, Axes) for ax in items)]
        new = sorted(set(plt.get_fignums()) - made.before)
        fig = items[0].figure if returned[2] else plt.figure(new[-1]) if new else None
        if fig is None:
            return [returned, None]
        axes = [[_array(ax.images[-1]) if ax.images else None, ax.get_title(),
                 _hidden(ax.xaxis, ax), _hidden(ax.yaxis, ax)] for ax in fig.axes]
        return [returned, [[float(v) for v in fig.get_size_inches()], axes]]


# Animator(*args) and its add(x, y) calls, for the Animator checks: the book's
# use in train_ch3, and one with every argument set and points missing (None).
ANIMATOR_CASES = {
    "book": (("epoch", None, ["train loss", "train acc", "test acc"], [1, 3], [0.3, 0.9]),
             [(1, (0.9, 0.6, 0.65)), (2, (0.6, 0.75, 0.7)), (3, (0.5, 0.8, 0.78))]),
    "scales": (("x", "loss", ["a", "b"], None, None, "log", "log", ("g-.", "r:"), 1, 2, (5, 2)),
               [([1, 1], [2.0, 3.0]), ([2, 2], [4.0, None]), ([4, 4], [8.0, 1.5])]),
}


def _color(line):
    from matplotlib.colors import to_hex
    return to_hex(line.get_color())


def _floats(values):
    """A line's data as floats, a missing point (None) as nan."""
    return [float("nan") if v is None else float(v) for v in values]


def describe_axes(ax):
    """[xlabel, ylabel, [xlim], [ylim], xscale, yscale, legend texts or None,
    lines as [x data, y data, line style, colour]] of one matplotlib axes."""
    legend = ax.get_legend()
    lines = [[_floats(line.get_xdata()), _floats(line.get_ydata()), line.get_linestyle(),
              _color(line)] for line in ax.get_lines()]
    return [ax.get_xlabel(), ax.get_ylabel(), [float(v) for v in ax.get_xlim()],
            [float(v) for v in ax.get_ylim()], ax.get_xscale(), ax.get_yscale(),
            None if legend is None else [t.get_text() for t in legend.get_texts()], lines]


def drive_animator(fns, *, case):
    """fns.Animator(*args) then its add(x, y) calls, of ANIMATOR_CASES[case]:
    [the figure's size in inches, describe_axes of each of its axes] (the type's
    name of its `fig` if that is no Figure)."""
    args, adds = ANIMATOR_CASES[case]
    with new_figures_closed():
        animator = fns.Animator(*args)
        from matplotlib.figure import Figure  # after the learner's call: a stub's needs none
        for x, y in adds:
            animator.add(x, y)
        fig = getattr(animator, "fig", None)
        if not isinstance(fig, Figure):
            return type(fig).__name__
        return [[float(v) for v in fig.get_size_inches()], [describe_axes(ax) for ax in fig.axes]]


def _first_batch(loader):
    """[X's shape, X's dtype, X's first 4 images as float32, y's values] of the
    first batch of `loader`, reading no more; text if it cannot be read: the
    exception, or the types of a batch that is not two tensors."""
    try:
        with warnings.catch_warnings():  # more workers than cores: slower, not wrong
            warnings.filterwarnings("ignore", "This DataLoader will create")
            batches = iter(loader)
            X, y = next(batches)
        del batches  # ends the loader's worker processes now
    except Exception as e:  # the learner's dataset or transform breaks on reading
        # The loader's frames in the traceback hold its iterator, and so its
        # worker processes: cleared, the iterator ends them as `batches` goes,
        # not at some later garbage collection, whose shutdown of the idle
        # workers waited 5 s for each (and in a process forked meanwhile, its
        # copy printed a traceback of its own).
        traceback.clear_frames(e.__traceback__)
        return reading_error(e)
    if not (isinstance(X, torch.Tensor) and isinstance(y, torch.Tensor)):
        return f"({type(X).__name__}, {type(y).__name__})"
    return [list(X.shape), str(X.dtype).removeprefix("torch."),
            X[:4].detach().to(torch.float32).clone(), [int(v) for v in y.flatten()]]


def reading_error(error):
    """"TypeError: ..." for an error raised while reading a batch. One raised in a
    DataLoader worker process comes with that worker's traceback in its message,
    torch's frames and English words: its last line is the learner's error."""
    text = str(error)
    if "\nOriginal Traceback" in text:
        return text.rstrip().rsplit("\n", 1)[-1]
    return f"{type(error).__name__}: {text}"


def describe_loader(loader):
    """[type name, whether it is a DataLoader, number of examples (len of its
    dataset, or text), its first batch (_first_batch)] of one of the loaders
    load_data_fashion_mnist returns."""
    from torch.utils.data import DataLoader
    if not isinstance(loader, DataLoader):
        return [type(loader).__name__, False, None, None]
    try:
        size = len(loader.dataset)
    except Exception as e:
        size = f"{type(e).__name__}: {e}"
    return [type(loader).__name__, True, size, _first_batch(loader)]


@contextlib.contextmanager
def images_from_cache(raw, cache):
    """While inside, torchvision's IDX reader gives the images of the two image
    files in the folder `raw` as the tensors of the cache file `cache` built from
    them, mapped copy-on-write: the same bytes, but in pages of the cache file
    that every process mapping it shares (a DataLoader's worker processes too),
    where reading would hold 55 MB more per process. Each read maps the file
    anew, so two datasets share no writes. Any other file, and every file if
    `cache` is None or cannot be mapped, is read as before."""
    # Imported by the learner's code if it reads with torchvision: not for a stub.
    mnist = sys.modules.get("torchvision.datasets.mnist")
    if mnist is None or cache is None:
        yield
        return
    read = mnist.read_sn3_pascalvincent_tensor

    def read_mapped(path, strict=True):
        try:
            field = next(f for n, f in RAW_FIELDS.items() if f.endswith("_images")
                         and os.path.exists(path) and os.path.samefile(path, os.path.join(raw, n)))
            images = torch.load(cache, weights_only=True, mmap=True)[field]
            if os.path.getsize(path) == 16 + images.numel():  # the IDX header, then the bytes
                return images
        except Exception:  # not such a file, or no cache to map: read it
            pass
        return read(path, strict)
    mnist.read_sn3_pascalvincent_tensor = read_mapped
    try:
        yield
    finally:
        mnist.read_sn3_pascalvincent_tensor = read


def load_fashion(fns, *, raw, batch_size, resize=None, cache=None):
    """fns.load_data_fashion_mnist(batch_size[, resize]) run as the book runs it,
    from a scratch folder whose ../data/FashionMNIST/raw/ links to the files in
    `raw`, so that torchvision finds them there and downloads nothing, and with
    their images mapped from `cache` (images_from_cache): the describe_loader of
    the training and test loaders, from their first batch only (text if the
    result is not a pair)."""
    import shutil
    import tempfile
    scratch = tempfile.mkdtemp(prefix="d2lkit-fashion-")
    try:
        os.makedirs(os.path.join(scratch, "data", "FashionMNIST", "raw"))
        os.mkdir(os.path.join(scratch, "work"))
        for name in os.listdir(raw):
            os.symlink(os.path.join(raw, name),
                       os.path.join(scratch, "data", "FashionMNIST", "raw", name))
        here = os.getcwd()
        os.chdir(os.path.join(scratch, "work"))
        try:
            with warnings.catch_warnings(), images_from_cache(raw, cache):
                warnings.filterwarnings("ignore", "This DataLoader will create")
                result = fns.load_data_fashion_mnist(batch_size) if resize is None else \
                    fns.load_data_fashion_mnist(batch_size, resize)
        finally:
            os.chdir(here)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            return f"{type(result).__name__}: {result!r:.120}"
        return [describe_loader(loader) for loader in result]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
