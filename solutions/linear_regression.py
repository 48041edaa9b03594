"""Linear regression from scratch: reference solutions (d2l 3.1, 3.2, and 3.3's Huber loss)."""
import math
import random
import time

import numpy as np
import torch


class Timer:
    """Record the running times of several runs (the book's stopwatch).

    Timer() starts timing at once, as if start() had been called.
    start(): starts (or restarts) timing from now.
    stop(): records the seconds since the last start (or since Timer() was
        created) and returns them, a float.
    avg(): the mean of the recorded times. sum(): their total.
    cumsum(): a list of running totals: [t1, t1 + t2, t1 + t2 + t3, ...].

    Read the clock through the time module when the method runs:
    time.time() as in the book (time.perf_counter() or time.monotonic() work
    too; the grader drives all three with a clock of its own).

    Hint: start() stores time.time(); stop() appends time.time() minus it and returns it.

    d2l: 3.1.2 (vectorization for speed)
    """

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


def normal(x, mu, sigma):
    """The density of the normal distribution N(mu, sigma**2), elementwise.

    Args:
        x: a float numpy array or a float tensor, of any shape.
        mu: float, the mean.
        sigma: float > 0, the standard deviation.

    Returns:
        1 / sqrt(2 * pi * sigma**2) * exp(-(x - mu)**2 / (2 * sigma**2)) at
        each element of x: the same kind as x (a numpy array for a numpy
        array, a tensor for a tensor), with x's shape and dtype. x itself is
        not modified.

    Hint: 1 / sqrt(2 * pi * sigma**2) * exp(-(x - mu)**2 / (2 * sigma**2)), with np.exp.

    d2l: 3.1.3 (the normal distribution and squared loss)
    """
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    if isinstance(x, torch.Tensor):
        return p * torch.exp(-0.5 / sigma**2 * (x - mu)**2)
    return p * np.exp(-0.5 / sigma**2 * (x - mu)**2)


def linreg_closed_form(X, y):
    """Least squares with a bias, solved analytically (no training).

    Args:
        X: (n, d) float tensor of features.
        y: (n, 1) or (n,) float tensor of targets.

    Returns:
        (w, b): w a (d, 1) and b a (1,) tensor of X's dtype, as linreg takes
        them, minimising the sum of squared errors sum((X @ w + b - y)**2).
        Where several (w, b) minimise it (more features than examples, or
        features that are exact multiples of one another), any of them is
        right: they all give the same predictions X @ w + b, and those are
        what is graded. Solve it without inverting X^T X (no torch.linalg.inv,
        pinv or lstsq): X^T X is singular for collinear features, and forming
        it squares how ill-conditioned X is. X and y are not modified.

    Hint: centre X and y; w = V diag(1/s) U^T y from torch.linalg.svd, skipping s near 0.

    d2l: 3.1, exercise 2 (the analytic solution)
    """
    # Centring takes the bias out: b = mean(y) - mean(X) @ w for any w.
    X_mean, y_mean = X.mean(dim=0, keepdim=True), y.reshape(-1, 1).mean(dim=0, keepdim=True)
    U, s, Vh = torch.linalg.svd(X - X_mean, full_matrices=False)
    # Singular values at rounding level are directions the data do not determine.
    keep = s > s.max() * max(X.shape) * torch.finfo(X.dtype).eps
    s_inv = torch.where(keep, 1 / s, torch.zeros_like(s))
    w = Vh.T @ (s_inv.reshape(-1, 1) * (U.T @ (y.reshape(-1, 1) - y_mean)))
    return w, (y_mean - X_mean @ w).reshape(1)


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
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


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
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i:min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


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
    return torch.matmul(X, w) + b


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
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


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
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


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
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta))
