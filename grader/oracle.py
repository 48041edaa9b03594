"""The grader's truth: the chapter-3 functions built from PyTorch's own
operations (torch.softmax, nll_loss, cross_entropy, mse_loss, smooth_l1_loss, linear,
DataLoader, a foreach update), never from the reference solutions, so that a copy of the kit
that grades holds no answers. Most of them are the built-ins the from-scratch
rule forbids learners. Same names and signatures as the exercises (grader.exercises).

The training helpers of 3.6 (Accumulator to predict_ch3) call each other and the
functions above, never a learner's: they stand in for the learner's own while
one of the learner's is graded (attribution, see grader.seam.Learner).
"""
from types import SimpleNamespace

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


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
    (Not torch.optim.SGD: its first use costs seconds of imports per process.)"""
    with torch.no_grad():
        torch._foreach_add_(params, [p.grad for p in params], alpha=-lr / batch_size)
    for param in params:
        param.grad = None


def huber_loss(y_hat, y, delta=1.0):
    """Per example, y_hat's shape, not reduced: d2l-zh 2.x 3.3 exercise 2's
    |e| - delta / 2 beyond delta, e**2 / (2 delta) within, which PyTorch calls
    SmoothL1Loss (beta=delta); its HuberLoss is delta times this."""
    return F.smooth_l1_loss(y_hat, y.reshape(y_hat.shape), reduction="none", beta=delta)


def softmax(X):
    """Row-wise, (n, q)."""
    return torch.softmax(X, dim=1)


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


ORACLE = SimpleNamespace(synthetic_data=synthetic_data, data_iter=data_iter, linreg=linreg,
                         squared_loss=squared_loss, sgd=sgd, huber_loss=huber_loss,
                         softmax=softmax, cross_entropy=cross_entropy, accuracy=accuracy,
                         cross_entropy_from_logits=cross_entropy_from_logits,
                         Accumulator=Accumulator, evaluate_accuracy=evaluate_accuracy,
                         train_epoch_ch3=train_epoch_ch3, train_ch3=train_ch3,
                         get_fashion_mnist_labels=get_fashion_mnist_labels,
                         predict_ch3=predict_ch3, linreg_concise=linreg_concise,
                         softmax_concise=softmax_concise)


def with_learner(learner, *exercises):
    """The oracle's functions with the learner's `exercises` in their place."""
    return SimpleNamespace(**{**vars(ORACLE), **{e: getattr(learner, e) for e in exercises}})
