"""The grader's truth: the chapter-3 functions built from PyTorch's own
operations (torch.softmax, nll_loss, cross_entropy, mse_loss, huber_loss, linear,
DataLoader, a foreach update), never from the reference solutions, so that a copy of the kit
that grades holds no answers. Most of them are the built-ins the from-scratch
rule forbids learners. Same names and signatures as the exercises (grader.exercises).
"""
from types import SimpleNamespace

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


def synthetic_data(w, b, num_examples):
    """(X (n, d) ~ N(0, 1), y (n, 1) = X w + b + N(0, 0.01) noise), of w's dtype."""
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
    """Per example, y_hat's shape: PyTorch's HuberLoss, not reduced."""
    return F.huber_loss(y_hat, y.reshape(y_hat.shape), reduction="none", delta=delta)


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


ORACLE = SimpleNamespace(synthetic_data=synthetic_data, data_iter=data_iter, linreg=linreg,
                         squared_loss=squared_loss, sgd=sgd, huber_loss=huber_loss,
                         softmax=softmax, cross_entropy=cross_entropy, accuracy=accuracy,
                         cross_entropy_from_logits=cross_entropy_from_logits)


def with_learner(learner, *exercises):
    """The oracle's functions with the learner's `exercises` in their place."""
    return SimpleNamespace(**{**vars(ORACLE), **{e: getattr(learner, e) for e in exercises}})
