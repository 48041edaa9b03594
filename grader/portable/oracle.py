"""The grader's truth: the chapter-3 functions built from PyTorch's own operations
(torch.softmax, nll_loss, cross_entropy, mse_loss, smooth_l1_loss, linear, DataLoader, a
foreach update), never from the reference solutions, so that a copy of the kit that grades
holds no answers. Most of them are the built-ins the from-scratch rule forbids learners.
Same names and signatures as the exercises (grader.exercises).

The helpers of 3.5 and 3.6 (show_images to predict_ch3) call each other and the functions
above, never a learner's: they stand in for the learner's own while one of the learner's is
graded (grader.portable.seam.Learner), as do the book's set_axes, use_svg_display, display.
"""
import itertools
import math
import statistics
import time
from contextlib import contextmanager
from types import SimpleNamespace

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


class Timer:
    """Elapsed seconds by time.perf_counter, recorded at each stop; running from creation."""

    def __init__(self):
        self.laps, self.since = [], time.perf_counter()

    def start(self):
        self.since = time.perf_counter()

    def stop(self):
        self.laps.append(time.perf_counter() - self.since)
        return self.laps[-1]

    def avg(self):
        return statistics.fmean(self.laps)

    def sum(self):
        return math.fsum(self.laps)

    def cumsum(self):
        return list(itertools.accumulate(self.laps))


def normal(x, mu, sigma):
    """The N(mu, sigma^2) density at each element of x (a numpy array or a tensor),
    computed in float64 with torch and given back in x's kind and dtype."""
    t = torch.as_tensor(x, dtype=torch.float64)
    p = torch.exp(-0.5 * torch.square((t - mu) / sigma)) / (sigma * math.sqrt(2 * math.pi))
    if isinstance(x, torch.Tensor):
        return p.to(x.dtype)
    return p.numpy().astype(x.dtype)


def linreg_closed_form(X, y):
    """Least squares with a bias by torch.linalg.lstsq in float64 on [X, 1]; singular
    values below 1e-5 of the largest count as 0 (the data are float32), so that
    collinear features get the minimum-norm solution. (w (d, 1), b (1,)), X's dtype."""
    A = torch.cat([X.double(), torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    theta = torch.linalg.lstsq(A, y.double().reshape(-1, 1), rcond=1e-5, driver="gelsd").solution
    return theta[:-1].to(X.dtype), theta[-1].to(X.dtype)


def synthetic_data(w, b, num_examples):
    """(X (n, d) ~ N(0, 1), y (n, 1) = X w + b + N(0, 0.01) noise), float32 as
    the book's torch.normal draws them (w is float32)."""
    X = torch.randn(num_examples, len(w), dtype=w.dtype)
    y = F.linear(X, w.reshape(1, -1), torch.as_tensor([b], dtype=w.dtype))
    return X, y + 0.01 * torch.randn_like(y)


def data_iter(batch_size, features, labels):
    """Shuffled minibatches from the global torch generator, the last one smaller."""
    return DataLoader(TensorDataset(features, labels), batch_size, shuffle=True)


def linreg(X, w, b):
    """(n, 1) = X @ w + b."""
    return F.linear(X, w.T, b)


def squared_loss(y_hat, y):
    """Per example, y_hat's shape."""
    return F.mse_loss(y_hat, y.reshape(y_hat.shape), reduction="none") / 2


def sgd(params, lr, batch_size):
    """One step of minibatch SGD in place; gradients cleared (set to None).
    (Not torch.optim.SGD: its first use imports torch._dynamo in each process.)"""
    with torch.no_grad():
        torch._foreach_add_(params, [p.grad for p in params], alpha=-lr / batch_size)
    for param in params:
        param.grad = None


def huber_loss(y_hat, y, delta=1.0):
    """Per example, y_hat's shape, not reduced: d2l-zh 2.x 3.3 exercise 2's |e| - delta / 2
    beyond delta, e**2 / (2 delta) within: SmoothL1Loss (beta=delta), HuberLoss / delta."""
    return F.smooth_l1_loss(y_hat, y.reshape(y_hat.shape), reduction="none", beta=delta)


def softmax(X):
    """Row-wise, (n, q)."""
    return torch.softmax(X, dim=1)


def net_with(W, b):
    """d2l 3.6.3's net for given parameters: softmax(X flattened @ W + b)."""
    def net(X):
        return torch.softmax(F.linear(X.reshape(-1, W.shape[0]), W.T, b), dim=1)
    return net


# The oracle's own parameters of 3.6.1, from a fixed generator.
net = net_with(torch.normal(0, 0.01, size=(784, 10), generator=torch.Generator().manual_seed(0)),
               torch.zeros(10))


def cross_entropy(y_hat, y):
    """(n,) per-example -log of the true class's probability."""
    return F.nll_loss(y_hat.log(), y, reduction="none")


def accuracy(y_hat, y):
    """The number of predictions equal to y (argmax of (n, q) scores, or (n,) labels)."""
    predicted = y_hat.argmax(dim=1) if y_hat.dim() > 1 and y_hat.shape[1] > 1 else y_hat
    return float(torch.count_nonzero(predicted.reshape(y.shape).to(y.dtype) == y))


def cross_entropy_from_logits(o, y):
    """(n,) per-example cross-entropy of logits o (n, q), log-sum-exp inside."""
    return F.cross_entropy(o, y, reduction="none")


class Accumulator:
    """n running sums, as Python floats."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def evaluate_accuracy(net, data_iter):
    """The fraction of all examples of data_iter that net classifies right; an
    nn.Module is put in eval mode first."""
    if isinstance(net, torch.nn.Module):
        net.eval()
    correct, total = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += accuracy(net(X), y)
            total += y.numel()
    return correct / total


def train_epoch_ch3(net, train_iter, loss, updater):
    """One epoch; (mean loss, accuracy) over its examples. An Optimizer steps on
    the batch's mean loss; any other updater is called with the batch size after
    backpropagating the summed loss."""
    if isinstance(net, torch.nn.Module):
        net.train()
    loss_sum, correct, total = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        losses = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            losses.mean().backward()
            updater.step()
        else:
            losses.sum().backward()
            updater(X.shape[0])
        loss_sum += float(losses.detach().sum())
        correct += accuracy(y_hat, y)
        total += y.numel()
    return loss_sum / total, correct / total


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """num_epochs epochs; per epoch (train loss, train accuracy, test accuracy)."""
    rows = []
    for _ in range(num_epochs):
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater)
        rows.append((train_loss, train_acc, evaluate_accuracy(net, test_iter)))
    return rows


FASHION_MNIST_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                        "sneaker", "bag", "ankle boot")


def get_fashion_mnist_labels(labels):
    """The text label of each numeric label, as a list."""
    return [FASHION_MNIST_LABELS[int(i)] for i in labels]


def predict_ch3(net, test_iter, n=6):
    """(predicted, true) text labels of the first n examples of test_iter."""
    X, y = next(iter(test_iter))
    predicted = net(X).argmax(dim=1)
    return get_fashion_mnist_labels(predicted[:n]), get_fashion_mnist_labels(y[:n])


def load_array(data_arrays, batch_size, is_train=True):
    """PyTorch's DataLoader over a TensorDataset, shuffled iff is_train."""
    return DataLoader(TensorDataset(*data_arrays), batch_size, shuffle=is_train)
# Drawing and loading (3.5.1-3.5.3, 3.6.6): matplotlib and torchvision are imported
# when first drawn or loaded, as most gradings never need them.


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """The images on a num_rows x num_cols grid of axes with their titles, axis
    lines hidden; the flattened axes. The last call's (imgs, titles) stay in
    show_images.last, for the recipe that reads what predict_ch3 showed."""
    import matplotlib.pyplot as plt
    show_images.last = (imgs, titles)
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        ax.get_xaxis().set_visible(False)
        ax.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


show_images.last = None


def get_dataloader_workers():
    """The book's 4 processes."""
    return 4


def load_data_fashion_mnist(batch_size, resize=None, root="../data"):
    """DataLoaders over torchvision's FashionMNIST under `root`, as ToTensor()
    (after Resize(resize)) reads it: the training set shuffled, the test set not."""
    import torchvision
    from torchvision import transforms
    steps = ([transforms.Resize(resize)] if resize else []) + [transforms.ToTensor()]
    trans = transforms.Compose(steps)
    train, test = (torchvision.datasets.FashionMNIST(root=root, train=split, transform=trans,
                                                     download=True) for split in (True, False))
    return (DataLoader(train, batch_size, shuffle=True, num_workers=get_dataloader_workers()),
            DataLoader(test, batch_size, shuffle=False, num_workers=get_dataloader_workers()))


# Whether the stand-ins below show figures in a notebook: not while the
# notebook's grader.check grades (showing_nothing), whose checks draw many.
SHOWING = [True]


@contextmanager
def showing_nothing():
    """While the block runs, display and use_svg_display show and change nothing."""
    before, SHOWING[0] = SHOWING[0], False
    try:
        yield
    finally:
        SHOWING[0] = before


def _notebook_display():
    """IPython.display when this runs in a Jupyter kernel that is not grading
    (SHOWING), else None."""
    if not SHOWING[0]:
        return None
    import sys
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    from IPython import display as shown
    return shown


class display:  # noqa: N801 - stands in for the module `from IPython import display`
    """IPython's display module as the book uses it: in a notebook the figure is
    shown (and the last one cleared) as there; anywhere else nothing is shown."""

    @staticmethod
    def display(*objs, **kwargs):
        shown = _notebook_display()
        if shown is not None:
            shown.display(*objs, **kwargs)

    @staticmethod
    def clear_output(wait=False):
        shown = _notebook_display()
        if shown is not None:
            shown.clear_output(wait=wait)


def use_svg_display():
    """The book's 2.4 helper: SVG figures in a notebook; nothing elsewhere."""
    if _notebook_display() is not None:
        try:
            from matplotlib_inline import backend_inline
        except ImportError:
            return
        backend_inline.set_matplotlib_formats("svg")


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """The book's 2.4 helper: labels, scales, limits, legend and grid of one axes."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


class Animator:
    """The book's incremental plotter: add(x, y) appends y[i] (at x[i], or x) to
    line i and redraws every line in its format on the first axes. The last one
    made stays in Animator.last, for the recipe that reads what train_ch3 drew."""
    last = None

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        import matplotlib.pyplot as plt
        use_svg_display()
        self.fig, axes = plt.subplots(nrows, ncols, figsize=figsize)
        self.axes = [axes] if nrows * ncols == 1 else list(axes.flatten())
        self.labels = (xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [])
        self.X, self.Y, self.fmts = None, None, fmts
        Animator.last = self

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        if not hasattr(x, "__len__"):
            x = [x] * len(y)
        if not self.X:
            self.X, self.Y = [[] for _ in y], [[] for _ in y]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(xs, ys, fmt)
        set_axes(self.axes[0], *self.labels)
        display.display(self.fig)
        display.clear_output(wait=True)


def _small_normal_weights(net):
    for layer in net:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.normal_(layer.weight, std=0.01)
            torch.nn.init.zeros_(layer.bias)
    return net


def linreg_concise():
    """d2l 3.3: Linear(2, 1), weights N(0, 0.01), bias 0."""
    return _small_normal_weights(torch.nn.Sequential(torch.nn.Linear(2, 1)))


def softmax_concise():
    """d2l 3.7: Flatten, Linear(784, 10), weights N(0, 0.01), bias 0."""
    return _small_normal_weights(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)))


ORACLE = SimpleNamespace(Timer=Timer, normal=normal, linreg_closed_form=linreg_closed_form,
                         synthetic_data=synthetic_data, data_iter=data_iter, linreg=linreg,
                         squared_loss=squared_loss, sgd=sgd, huber_loss=huber_loss,
                         softmax=softmax, net=net, cross_entropy=cross_entropy, accuracy=accuracy,
                         cross_entropy_from_logits=cross_entropy_from_logits,
                         Accumulator=Accumulator, evaluate_accuracy=evaluate_accuracy,
                         train_epoch_ch3=train_epoch_ch3, train_ch3=train_ch3,
                         get_fashion_mnist_labels=get_fashion_mnist_labels,
                         predict_ch3=predict_ch3, load_array=load_array, show_images=show_images,
                         get_dataloader_workers=get_dataloader_workers,
                         load_data_fashion_mnist=load_data_fashion_mnist, Animator=Animator,
                         set_axes=set_axes, use_svg_display=use_svg_display, display=display,
                         linreg_concise=linreg_concise,
                         softmax_concise=softmax_concise)


def with_learner(learner, *exercises):
    """The oracle's functions with the learner's `exercises` in their place."""
    return SimpleNamespace(**{**vars(ORACLE), **{e: getattr(learner, e) for e in exercises}})
