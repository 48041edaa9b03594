"""Linear regression from scratch: your code goes here (d2l 3.2, and 3.3's Huber loss)."""
import random

import torch


def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise.

    Args:
        w: (d,) float32 tensor of true weights.
        b: float, the true bias.
        num_examples: int n, how many examples to draw.

    Returns:
        (X, y): X is an (n, d) tensor drawn from N(0, 1); y is an (n, 1)
        column, Xw + b plus noise drawn from N(0, 0.01). Both are float32,
        torch.normal's default dtype, as in the book's code.
        Every call draws fresh data from the global random generator.

    Hint: torch.normal(mean, std, size) draws the features and the noise.

    d2l: 3.2.1 (generating the dataset)
    """
    raise NotImplementedError


def data_iter(batch_size, features, labels):
    """Yield shuffled minibatches of (features, labels).

    Args:
        batch_size: int, examples per batch.
        features: (n, d) tensor.
        labels: (n, 1) or (n,) tensor, aligned with features.

    Returns:
        An iterable of (X_batch, y_batch) pairs. One pass visits every example
        exactly once, in a new random order each pass; every batch holds
        batch_size examples except possibly the last, which holds the rest.

    Hint: shuffle a list of all indices once, then slice it batch by batch.

    d2l: 3.2.2 (reading the dataset)
    """
    raise NotImplementedError


def linreg(X, w, b):
    """The linear regression model, X @ w + b.

    Args:
        X: (n, d) float tensor.
        w: (d, 1) float tensor of weights.
        b: (1,) float tensor, the bias.

    Returns:
        (n, 1) float tensor, differentiable in w and b.

    Hint: a matrix product (torch.matmul), not an elementwise X * w.

    d2l: 3.2.4 (defining the model)
    """
    raise NotImplementedError


def squared_loss(y_hat, y):
    """Per-example squared loss, (y_hat - y)**2 / 2.

    Args:
        y_hat: (n, 1) float tensor of predictions.
        y: (n,) or (n, 1) float tensor of targets.

    Returns:
        Float tensor with y_hat's shape, not reduced (no sum, no mean).

    Hint: reshape y to y_hat's shape, or an (n,) y broadcasts to (n, n).

    d2l: 3.2.5 (defining the loss function)
    """
    raise NotImplementedError


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent, in place.

    Args:
        params: list of leaf tensors with requires_grad=True and .grad set.
        lr: float, the learning rate.
        batch_size: int, the size of the minibatch the gradients summed over.

    Returns:
        None. Each param becomes param - lr * param.grad / batch_size, without
        recording autograd history; then its gradient is cleared (zeroed or
        set to None). The params stay the same leaf tensors.

    Hint: update inside `with torch.no_grad():`, then param.grad.zero_().

    d2l: 3.2.6 (defining the optimization algorithm)
    """
    raise NotImplementedError


def huber_loss(y_hat, y, delta=1.0):
    """Per-example Huber loss: squared near the target, linear far from it.

    Args:
        y_hat: (n, 1) float tensor of predictions.
        y: (n,) or (n, 1) float tensor of targets.
        delta: float > 0, where the loss turns from squared to linear.

    Returns:
        Float tensor with y_hat's shape, not reduced (no sum, no mean). With
        e = y_hat - y, the book's formula (its sigma is delta here):
        |e| - delta / 2 where |e| > delta, e**2 / (2 * delta) elsewhere.
        PyTorch calls this nn.SmoothL1Loss(reduction="none", beta=delta);
        its nn.HuberLoss is delta times it. Differentiable in y_hat; y_hat and
        y are not modified.

    Hint: e = y_hat - y: |e| - delta / 2 where |e| > delta, e**2 / (2 * delta) elsewhere.

    d2l: 3.3, exercise 2 (replace the loss by Huber's loss)
    """
    raise NotImplementedError
