"""Valid implementations that differ from the reference: all must be accepted."""
import random

import numpy as np
import torch

from tests.catalogue import alternative


@alternative("synthetic_data")
def synthetic_data_randn(w, b, num_examples):
    X = torch.randn(num_examples, len(w))
    y = (X @ w + b).unsqueeze(1)
    return X, y + 0.01 * torch.randn_like(y)


@alternative("data_iter")
def data_iter_randperm(batch_size, features, labels):
    indices = torch.randperm(len(features))
    for i in range(0, len(features), batch_size):
        batch = indices[i:i + batch_size]
        yield features[batch], labels[batch]


@alternative("data_iter")
def data_iter_returns_a_list(batch_size, features, labels):
    indices = np.random.permutation(len(features))
    return [(features[indices[i:i + batch_size]], labels[indices[i:i + batch_size]])
            for i in range(0, len(features), batch_size)]


@alternative("linreg")
def linreg_addmm(X, w, b):
    return torch.addmm(b, X, w)


@alternative("squared_loss")
def squared_loss_view_as(y_hat, y):
    return 0.5 * (y.view_as(y_hat) - y_hat).pow(2)


@alternative("sgd")
def sgd_data_update_and_grad_none(params, lr, batch_size):
    for param in params:
        param.data -= lr * param.grad.data / batch_size
        param.grad = None


@alternative("sgd")
def sgd_sub_(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param.sub_(param.grad, alpha=lr / batch_size)
            param.grad.zero_()


@alternative("softmax")
def softmax_logsumexp(X):
    return torch.exp(X - torch.logsumexp(X, dim=1, keepdim=True))


@alternative("softmax")
def softmax_detached_row_max(X):
    X_exp = torch.exp(X - X.amax(dim=1, keepdim=True).detach())
    return X_exp / X_exp.sum(dim=1, keepdim=True)


@alternative("cross_entropy")
def cross_entropy_gather(y_hat, y):
    return -y_hat.gather(1, y.unsqueeze(1)).squeeze(1).log()


@alternative("cross_entropy")
def cross_entropy_clamped_log(y_hat, y):
    return -torch.log(y_hat.clamp(min=1e-12))[torch.arange(len(y)), y]


@alternative("accuracy")
def accuracy_tensor_count(y_hat, y):
    if y_hat.dim() > 1:
        y_hat = y_hat.argmax(dim=1)
    return (y_hat == y).sum()


@alternative("accuracy")
def accuracy_python_loop(y_hat, y):
    predictions = y_hat.argmax(dim=1).tolist() if y_hat.dim() > 1 else y_hat.tolist()
    return sum(int(p == t) for p, t in zip(predictions, y.tolist()))


@alternative("data_iter")
def data_iter_random_sample(batch_size, features, labels):
    order = random.sample(range(len(features)), len(features))
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield features[rows], labels[rows]


@alternative("huber_loss")
def huber_loss_by_clamping(y_hat, y, delta=1.0):
    # the error split into its squared part (up to delta) and its linear rest
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    inner = error.clamp(max=delta)
    return inner ** 2 / 2 + delta * (error - inner)


@alternative("huber_loss")
def huber_loss_with_a_mask(y_hat, y, delta=1.0):
    error = y_hat - y.reshape(y_hat.shape)
    small = (error.abs() < delta).to(error.dtype)
    return small * 0.5 * error ** 2 + (1 - small) * delta * (error.abs() - 0.5 * delta)


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_with_gather(o, y):
    m = o.max(dim=1, keepdim=True).values.detach()
    shifted = o - m
    return shifted.exp().sum(dim=1).log() - shifted.gather(1, y.unsqueeze(1)).squeeze(1)


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_one_hot(o, y):
    m, _ = torch.max(o, dim=1)
    log_sum_exp = m + torch.log(torch.sum(torch.exp(o - m.unsqueeze(1)), dim=1))
    true_logit = (o * torch.nn.functional.one_hot(y, o.shape[1])).sum(dim=1)
    return log_sum_exp - true_logit


@alternative("huber_loss")
def huber_loss_expanded_linear_branch(y_hat, y, delta=1.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, delta * error - 0.5 * delta ** 2, 0.5 * error ** 2)


@alternative("huber_loss")
def huber_loss_in_float64(y_hat, y, delta=1.0):
    error = (y_hat.double() - y.double().reshape(y_hat.shape)).abs()
    loss = torch.where(error <= delta, error ** 2 / 2, delta * (error - delta / 2))
    return loss.to(y_hat.dtype)


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_diagonal(o, y):
    # o[:, y][i, i] is o[i, y[i]]
    m = o.amax(dim=1)
    return m + torch.log(torch.exp(o - m[:, None]).sum(dim=1)) - torch.diagonal(o[:, y])


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_with_an_epsilon(o, y):
    m = o.max(dim=1, keepdim=True).values
    return (m + torch.log(torch.exp(o - m).sum(dim=1, keepdim=True) + 1e-12)).squeeze(1) \
        - o[range(len(o)), y]
