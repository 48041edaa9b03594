"""Reading, drawing, evaluating, training and predicting: reference solutions
(d2l 3.5, 3.6.5-3.6.7).

Animator draws as the book's 3.6.6 does: with the book's helpers from 2.4,
d2l.use_svg_display() and d2l.set_axes(...), and with IPython's
display.display(...). In the notebook, its imports cell gives them: `import
grader`, then `from d2l import torch as d2l` (the kit's d2l) and `from IPython
import display`. In this file, import d2l as the book does; while Animator is
graded, the grader's own helpers stand in for all three (display too, imported
or not), and nothing is shown.
"""
import matplotlib.pyplot as plt
import torch
import torchvision
from torch.utils import data
from torchvision import transforms

from softmax_regression import accuracy


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Draw a list of images on a num_rows x num_cols grid, with matplotlib.

    Args:
        imgs: a sequence of images, each a (h, w) tensor (drawn as img.numpy())
            or a PIL image (drawn as it is); at most num_rows * num_cols.
        num_rows, num_cols: the grid, of at least 2 axes (plt.subplots gives a
            single axes, with no flatten(), for 1 x 1).
        titles: None, or one title (str) per image.
        scale: inches per grid cell: the figure is (num_cols * scale,
            num_rows * scale) inches, width first.

    Returns:
        the num_rows * num_cols axes as one flat array (axes.flatten()); image i
        is on axes i, titled titles[i], with its x and y axes hidden.

    Hint: plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale)), then axes.flatten().

    d2l: 3.5.1 (reading the dataset)
    """
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


def get_dataloader_workers():
    """How many worker processes read the data.

    Returns:
        a positive int, DataLoader's num_workers (the book uses 4).

    Hint: return the number of processes that read the data: the book uses 4.

    d2l: 3.5.2 (reading a minibatch)
    """
    return 4


def load_data_fashion_mnist(batch_size, resize=None):
    """Fashion-MNIST as two DataLoaders, the book's way: torchvision's
    FashionMNIST with root="../data" and download=True.

    Args:
        batch_size: examples per batch.
        resize: None, or the side of the square images after
            transforms.Resize(resize), applied before ToTensor().

    Returns:
        (train_iter, test_iter): torch.utils.data.DataLoader over the 60,000
        training and the 10,000 test images, with get_dataloader_workers()
        workers; batches (X, y), X (batch, 1, 28, 28) float32 in [0, 1] (as
        ToTensor() scales the bytes; (batch, 1, resize, resize) with resize),
        y (batch,) int64. train_iter is shuffled, test_iter is not.

    The grader runs it as printed, with the data files placed where "../data"
    leads, so nothing is downloaded.

    Hint: ToTensor() (after Resize(resize) if resize); shuffle the training set only.

    d2l: 3.5.3 (putting all things together)
    """
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(
        root="../data", train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=False,
                            num_workers=get_dataloader_workers()))


class Accumulator:
    """Running sums of n quantities (a loss, a count of correct predictions, ...).

    Accumulator(n) starts with n slots of 0.0.
    add(*args): adds float(args[i]) to slot i; args may be numbers or 0-dim
        tensors (store float(b), so no tensor, and no autograd graph, is kept).
    reset(): every slot back to 0.0, still n of them.
    acc[i]: the sum in slot i, a float.

    Hint: keep a list of n floats; add(*args) adds float(arg) to each slot.

    d2l: 3.6.5 (classification accuracy)
    """

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def evaluate_accuracy(net, data_iter):
    """The accuracy of net over a whole data set.

    Args:
        net: a function or a torch.nn.Module mapping X (batch, ...) to scores
            (batch, q). A Module is put in eval mode first (net.eval()).
        data_iter: an iterable of (X, y) batches; y (batch,) int64 labels.
            The last batch may be smaller.

    Returns:
        float: correct predictions over all examples / number of examples,
        counted with accuracy() from softmax_regression.py.

    Hint: sum the correct predictions and the examples over all batches, then divide.

    d2l: 3.6.5 (classification accuracy)
    """
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    """One epoch of training.

    Args:
        net: a function or a torch.nn.Module (put in train mode first).
        train_iter: an iterable of (X, y) batches.
        loss: loss(y_hat, y) -> (batch,) per-example losses, not reduced.
        updater: a torch.optim.Optimizer, stepped on the batch's MEAN loss
            (zero_grad, backward, step); or a function updater(batch_size),
            called after backpropagating the batch's SUMMED loss.

    Returns:
        (mean training loss, training accuracy), both floats over all the
        epoch's examples: the summed losses / examples, correct / examples.

    Hint: an Optimizer steps on l.mean(); any other updater gets X.shape[0] after l.sum().backward().

    d2l: 3.6.6 (training)
    """
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


class Animator:
    """Draws lines incrementally, point by point (training curves).

    Animator(xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
             xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
             nrows=1, ncols=1, figsize=(3.5, 2.5)):
        calls d2l.use_svg_display(), then makes self.fig and self.axes (a list)
        with plt.subplots(nrows, ncols, figsize=figsize); everything is drawn on
        self.axes[0].
    add(x, y): y is a number or a sequence of numbers (one per line), x a number
        (the same for every line) or a sequence; appends (x[i], y[i]) to line i,
        skipping a None, then clears self.axes[0], plots every line i with
        fmts[i], applies d2l.set_axes(self.axes[0], xlabel, ylabel, xlim, ylim,
        xscale, yscale, legend) and calls display.display(self.fig) and
        display.clear_output(wait=True).

    d2l.use_svg_display, d2l.set_axes and display are the book's (see the top of
    this file): call them as the book does, so that your own training cells
    draw too.

    Hint: add(x, y) appends each y[i] to line i, then redraws every line and calls config_axes().

    d2l: 3.6.6 (training)
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes, ]
        # The settings are kept in a function: cla() in add() clears them.
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        display.display(self.fig)
        display.clear_output(wait=True)


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train for num_epochs epochs, evaluating on test_iter after each.

    Args: as train_epoch_ch3, plus test_iter (batches to evaluate on) and
        num_epochs (int).

    Returns:
        a list of num_epochs tuples (train loss, train accuracy, test
        accuracy), one per epoch, from train_epoch_ch3 and evaluate_accuracy;
        or, as the book's does, None, having drawn each epoch's row with
        animator.add(epoch + 1, train_metrics + (test_acc,)) on an Animator
        (while train_ch3 is graded, the grader's Animator reads those rows).

    Hint: each epoch: train_epoch_ch3, then evaluate_accuracy on test_iter; keep each row.

    d2l: 3.6.6 (training)
    """
    rows = []
    for _ in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        rows.append(train_metrics + (test_acc,))
    return rows


def get_fashion_mnist_labels(labels):
    """The text labels of Fashion-MNIST's numeric labels.

    Args:
        labels: an iterable of ints in [0, 10) (e.g. a (n,) int64 tensor).

    Returns:
        a list of str, one per label: 't-shirt', 'trouser', 'pullover',
        'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'
        for 0 to 9.

    Hint: index a list of the ten names with int(i) for each label i.

    d2l: 3.5.1 (reading the dataset)
    """
    text_labels = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
                   'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    return [text_labels[int(i)] for i in labels]


def predict_ch3(net, test_iter, n=6):
    """The predictions of net for the first n examples of test_iter.

    Args:
        net: a function or torch.nn.Module mapping X to scores (batch, 10).
        test_iter: an iterable of (X, y) batches; only the first is used.
        n: how many examples (at most the first batch's size).

    Returns:
        (predicted, true): two lists of n text labels (get_fashion_mnist_labels),
        the prediction being the argmax of net(X) over the classes; or, as the
        book's does, None, having shown the n images with show_images(
        X[0:n].reshape((n, 28, 28)), 1, n, titles=...), title i being
        true + '\n' + predicted (while predict_ch3 is graded, the grader's
        show_images reads the labels from those titles).

    Hint: take the first batch; the prediction is net(X).argmax(dim=1).

    d2l: 3.6.7 (prediction)
    """
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    return preds[0:n], trues[0:n]
