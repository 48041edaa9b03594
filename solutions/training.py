"""Evaluating, training and predicting: reference solutions (d2l 3.5.1, 3.6.5-3.6.7)."""
import torch

from softmax_regression import accuracy


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


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train for num_epochs epochs, evaluating on test_iter after each.

    Args: as train_epoch_ch3, plus test_iter (batches to evaluate on) and
        num_epochs (int).

    Returns:
        a list of num_epochs tuples (train loss, train accuracy, test
        accuracy), one per epoch, from train_epoch_ch3 and evaluate_accuracy.
        (The book draws them with an Animator instead; the kit checks them.)

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
        the prediction being the argmax of net(X) over the classes. (The book
        shows the images with these as titles instead.)

    Hint: take the first batch; the prediction is net(X).argmax(dim=1).

    d2l: 3.6.7 (prediction)
    """
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    return preds[0:n], trues[0:n]
