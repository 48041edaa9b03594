"""Training loops of d2l chapter 3, driven by whichever functions are given.

Every function the loops call comes from the `fns` namespace, so a check can
put learner functions among the oracle's (grader.oracle) and blame only those.
The loops themselves are fixed recipes (d2l 3.2.7 and 3.6.6) with seeded
generators, so a run is repeatable.

Also executed, as source, in the submission's own process (grader/worker.py),
where the learner's code runs: it imports only torch and the standard library.
"""
from dataclasses import dataclass

import torch

LINEAR_TRUE_W = (2.0, -3.4)
LINEAR_TRUE_B = 4.2


@dataclass
class Epoch:
    """One row of a softmax-regression run: mean training loss and accuracies."""
    train_loss: float
    train_acc: float
    test_acc: float


def as_float_features(images) -> torch.Tensor:
    """uint8 (n, 28, 28) -> float32 (n, 784) in [0, 1], as ToTensor() then flattening."""
    return images.reshape(len(images), -1).to(torch.float32).div(255)


class ScaledImages:
    """uint8 images (n, 28, 28) that read as float32 features (n, 784) in [0, 1]:
    indexing with an index tensor or a mask gives as_float_features of those
    images, the same values as indexing the converted whole, without holding the whole as floats
    (188 MB for Fashion-MNIST's training set, a quarter of a grading
    platform's memory)."""

    def __init__(self, images):
        self.rows = images.reshape(len(images), -1)
        self.shape = tuple(self.rows.shape)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        """index: an int64 tensor of row numbers, or a bool mask of the rows. Read
        with index_select, which copies rows a dozen times faster than indexing."""
        if index.dtype == torch.bool:
            index = index.nonzero().squeeze(1)
        return as_float_features(self.rows.index_select(0, index))


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


def train_softmax_regression(fns, train, *, num_epochs, lr, batch_size, seed):
    """d2l's softmax-regression recipe on in-memory data: for each epoch,
    (W (d, q), b (q,), mean training loss, training accuracy) at its end.

    `fns` provides softmax, cross_entropy, sgd and accuracy. `train` is an
    (X, y) pair: X (n, d) float32 (a tensor or ScaledImages), y (n,) int64.
    W starts from N(0, 0.01) and b from 0; minibatches are drawn by indexing
    with a seeded permutation (d2l's DataLoader with shuffle=True), the loss is
    summed and sgd gets the minibatch's size, exactly as in `train_epoch_ch3`.
    Test accuracy is left to `evaluate_epochs`, which need not run where this does.
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
    return epochs


def evaluate_epochs(fns, epochs, test):
    """One Epoch per (W, b, train loss, train acc) of train_softmax_regression,
    with the accuracy of softmax(X W + b) on `test` (an (X, y) pair)."""
    X_test, y_test = test
    rows = []
    for W, b, train_loss, train_acc in epochs:
        with torch.no_grad():
            correct = float(fns.accuracy(fns.softmax(torch.matmul(X_test, W) + b), y_test))
        rows.append(Epoch(train_loss, train_acc, correct / len(X_test)))
    return rows


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
