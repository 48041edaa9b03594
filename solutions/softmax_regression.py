"""Softmax regression from scratch: reference solutions (d2l 3.6, and 3.7.2)."""
import torch


def softmax(X):
    """Row-wise softmax, numerically stable.

    Args:
        X: (n, q) float tensor of logits.

    Returns:
        (n, q) float tensor of X's dtype; each row is non-negative and sums
        to 1. Finite for logits of any magnitude (subtract each row's max
        before exp). X itself is not modified. Differentiable.

    Hint: exp(1000.) is inf in float32; subtract each row's max before exp.

    d2l: 3.6.2 (defining the softmax operation), 3.7.2 (softmax revisited)
    """
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(dim=1, keepdim=True)


num_inputs, num_outputs = 784, 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs).requires_grad_()


def net(X):
    """The softmax-regression model of 3.6.3, with this module's W and b.

    Set up, in this module, the model's parameters as the book does (3.6.1):
    W, a (784, 10) float32 tensor drawn from N(0, 0.01) (standard deviation
    0.01), and b, zeros(10); both with requires_grad=True. net uses them.

    Args:
        X: (n, 1, 28, 28) float tensor of images (or any shape holding n
            rows of 784 values).

    Returns:
        (n, 10) float tensor: softmax(X reshaped to (n, 784) @ W + b), each
        row the probabilities of the ten classes. Differentiable in W and b;
        it neither changes W and b nor their gradients. It calls your
        softmax (the grader's stands in for it while net is graded).

    Hint: requires_grad=True on W and b; net(X) is softmax(X.reshape((-1, 784)) @ W + b).

    d2l: 3.6.1 (initializing model parameters), 3.6.3 (defining the model)
    """
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    """Per-example cross-entropy loss, -log(y_hat[i, y[i]]).

    Args:
        y_hat: (n, q) float tensor of predicted probabilities.
        y: (n,) int64 tensor of true class labels in [0, q).

    Returns:
        (n,) float tensor, not reduced. Finite whenever the probability of
        the true class is > 0, even where other probabilities are 0.
        Differentiable in y_hat.

    Hint: y_hat[range(len(y_hat)), y] picks each row's true-class probability.

    d2l: 3.6.4 (defining the loss function)
    """
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    """The NUMBER of correct predictions (not the fraction).

    Args:
        y_hat: (n, q) float tensor of scores or probabilities, reduced by
            argmax over classes; or (n,) tensor of predicted labels.
        y: (n,) int64 tensor of true labels.

    Returns:
        float, how many predictions equal y.

    Hint: argmax over dim=1 only when y_hat has more than one column.

    d2l: 3.6.5 (classification accuracy)
    """
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def cross_entropy_from_logits(o, y):
    """Per-example cross-entropy computed from logits, numerically stable.

    The loss of softmax regression, -log(softmax(o)[i, y[i]]), without a
    softmax: log(sum_j exp(o[i, j])) - o[i, y[i]], with the log-sum-exp
    trick (subtract each row's max m before exp, add it back after the log).

    Args:
        o: (n, q) float tensor of logits (unnormalised scores).
        y: (n,) int64 tensor of true class labels in [0, q).

    Returns:
        (n,) float tensor of o's dtype, not reduced. Finite and accurate for
        logits of any magnitude (1e4 and more), where
        cross_entropy(softmax(o), y) gives inf. Differentiable in o; o is
        not modified.

    Hint: log of the sum of exps is m + log(sum(exp(o - m))), m each row's max.

    d2l: 3.7.2 (softmax implementation revisited)
    """
    m = o.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(o - m).sum(dim=1))
    return log_sum_exp - o[range(len(o)), y]
