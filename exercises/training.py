"""Reading, drawing, evaluating, training and predicting: your code goes here
(d2l 3.5, 3.6.5-3.6.7).

Animator draws as the book's 3.6.6 does: with the book's helpers from 2.4,
d2l.use_svg_display() and d2l.set_axes(...), and with IPython's
display.display(...). In the notebook, its imports cell gives them: `import
grader`, then `from d2l import torch as d2l` (the kit's d2l) and `from IPython
import display`. In this file, import d2l as the book does; while Animator is
graded, the grader's own helpers stand in for all three (display too, imported
or not), and nothing is shown.

This file imports what its stubs need. When you write code that draws or reads
the dataset, add the book's imports at the top, as 3.5 does: `import
matplotlib.pyplot as plt` (or the book's d2l.plt), `import torchvision` and
`from torchvision import transforms`. Until then, grading starts without
loading them.
"""
import torch
from torch.utils import data

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
    raise NotImplementedError


def get_dataloader_workers():
    """How many worker processes read the data.

    Returns:
        a positive int, DataLoader's num_workers (the book uses 4).

    Hint: return the number of processes that read the data: the book uses 4.

    d2l: 3.5.2 (reading a minibatch)
    """
    raise NotImplementedError


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
    raise NotImplementedError


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
        raise NotImplementedError

    def add(self, *args):
        raise NotImplementedError

    def reset(self):
        raise NotImplementedError

    def __getitem__(self, idx):
        raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


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
        raise NotImplementedError

    def add(self, x, y):
        raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError
